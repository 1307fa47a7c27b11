package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// waitForOrder waits until the sandbox has ordered something: the run is
// past the point of no return.
func waitForOrder(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for orderedLines(t, base) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing was ordered within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startSubmit(t *testing.T, cmd *exec.Cmd) (wait func() (int, string, string)) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() (int, string, string) {
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
}

// statusesOf reads the Import Status and Order Id columns of a results
// workbook.
func statusesOf(t *testing.T, path string) (statuses map[string]int, orderIDs int, quantities []string) {
	t.Helper()
	statuses = map[string]int{}
	for _, row := range orderRows(t, path) {
		statuses[row["Import Status"]]++
		if row["Order Id"] != "" {
			orderIDs++
		}
		quantities = append(quantities, row["Qty"])
	}
	return statuses, orderIDs, quantities
}

// orderRows reads the rows under the header of a results workbook's Orders
// sheet, each by column header.
func orderRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Orders")
	if err != nil {
		t.Fatal(err)
	}
	var head []string
	var out []map[string]string
	for _, row := range rows {
		if head == nil {
			if len(row) > 1 && row[1] == "Customer Tenant Id" {
				head = row
			}
			continue
		}
		m := map[string]string{}
		for i, h := range head {
			if i < len(row) {
				m[h] = row[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// TestResultsFolderIsAFolder: an -o that cannot be a workbook is refused
// before anything is bought.
func TestResultsFolderIsAFolder(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	code, out := runCode(t, submitTo(t, dir, base, env, "--state", filepath.Join(dir, "j"), "-o", dir, name))
	if code != 2 || !strings.Contains(out, "nothing was sent") || !strings.Contains(out, "is a folder") {
		t.Errorf("exit %d, want 2 saying the results workbook is a folder\n%s", code, out)
	}
	code, out = runCode(t, submitTo(t, dir, base, env, "--state", filepath.Join(dir, "j"), "-o", filepath.Join(dir, "no", "such", "folder", "r.xlsx"), name))
	if code != 2 || !strings.Contains(out, "nothing was sent") {
		t.Errorf("missing folder: exit %d, want 2\n%s", code, out)
	}
	if n := orderedLines(t, base); n != 0 {
		t.Errorf("%d lines ordered, want none", n)
	}
}

// TestResultsLostAfterBuying: when the results cannot be written after
// carts were bought, the run does not say "nothing was sent": it exits 1
// naming what was ordered and where the outcomes are, prints every row's
// outcome, and a rerun writes the results workbook from the journal.
func TestResultsLostAfterBuying(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	base, env, _ := external(t, "--checkout-time", "400ms")
	dir, name := sample(t, "monthly-orders.xlsx")
	outDir := filepath.Join(dir, "results")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(outDir, "november.xlsx")
	state := filepath.Join(dir, "state", "nov.journal")
	wait := startSubmit(t, submitProcess(t, dir, base, env, "--state", state, "--concurrency", "2", "-o", out, name))
	waitForOrder(t, base)
	// The results folder goes away (a share unmounted, say) mid-run.
	if err := os.RemoveAll(outDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outDir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := wait()
	if code != 1 || !strings.Contains(stderr, "30 rows ordered; the results could not be written") || strings.Contains(stderr+stdout, "othing was sent") {
		t.Fatalf("exit %d, want 1 saying 30 rows were ordered\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "row 4: Ordered, order ") || strings.Count(stdout, ": Ordered, order ") != 30 {
		t.Errorf("stdout must give every row's outcome:\n%s", stdout)
	}
	rescued, err := filepath.Glob(filepath.Join(dir, "state", "monthly-orders-*.results.xlsx"))
	if err != nil || len(rescued) != 1 || !strings.Contains(stderr, rescued[0]) {
		t.Fatalf("the error must name the results workbook written in the state directory: %v\n%s", rescued, stderr)
	}
	if st, ids, _ := statusesOf(t, rescued[0]); st["Ordered"] != 30 || ids != 30 {
		t.Errorf("rescued workbook: %v, %d order ids", st, ids)
	}
	if js, _ := filepath.Glob(filepath.Join(dir, "state", "monthly-orders-*.summary.json")); len(js) != 1 {
		t.Errorf("no JSON summary in the state directory: %v", js)
	}

	// A rerun, with the folder back, writes the results from the journal.
	if err := os.Remove(outDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out := runCode(t, submitProcess(t, dir, base, env, "--state", state, "-o", out, name)); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	if st, ids, _ := statusesOf(t, out); st["Skipped"] != 30 || ids != 30 {
		t.Errorf("rerun's workbook: %v, %d order ids", st, ids)
	}
	checkLedger(t, base)
}

// TestInputChangedMidRun: the results are made from the sheet as it was
// read, not as it is when they are written: edited or deleted mid-run, the
// outcomes still sit beside the rows that were bought.
func TestInputChangedMidRun(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	for _, change := range []string{"edited", "deleted"} {
		t.Run(change, func(t *testing.T) {
			base, env, _ := external(t, "--checkout-time", "300ms")
			dir, name := sample(t, "monthly-orders.xlsx")
			_, _, before := statusesOfInput(t, filepath.Join(dir, name))
			if len(before) != 30 || before[0] != "25" {
				t.Fatalf("the sample's quantities read as %v", before)
			}
			wait := startSubmit(t, submitProcess(t, dir, base, env, "--state", filepath.Join(dir, "j"), "--concurrency", "2", name))
			waitForOrder(t, base)
			input := filepath.Join(dir, name)
			if change == "edited" {
				f, err := excelize.OpenFile(input)
				if err != nil {
					t.Fatal(err)
				}
				for r := 4; r <= 33; r++ {
					_ = f.SetCellValue("Orders", "E"+itoa(r), 0)
				}
				if err := f.Save(); err != nil {
					t.Fatal(err)
				}
				f.Close()
			} else if err := os.Remove(input); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := wait()
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			st, ids, qty := statusesOf(t, filepath.Join(dir, "monthly-orders.results.xlsx"))
			if st["Ordered"] != 30 || ids != 30 || strings.Join(qty, ",") != strings.Join(before, ",") {
				t.Errorf("results %v, %d ids, quantities %v; want 30 Ordered beside the quantities read (%v)", st, ids, qty, before)
			}
		})
	}
}

// statusesOfInput reads an input sheet's quantities the way statusesOf
// reads a results workbook's.
func statusesOfInput(t *testing.T, path string) (map[string]int, int, []string) {
	return statusesOf(t, path)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestResultsDiskFull: the results folder's disk fills up after carts were
// bought (a small tmpfs, where the machine lets a test mount one): the
// outcomes go to the state directory and the run exits 1 naming them.
func TestResultsDiskFull(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	base, env, _ := external(t, "--checkout-time", "400ms")
	dir, name := sample(t, "monthly-orders.xlsx")
	outDir := filepath.Join(dir, "results")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", outDir).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs (needs root): %v", err)
		}
		t.Skip("a full disk needs a tmpfs mount (root); skipped")
	}
	t.Cleanup(func() { _ = exec.Command("umount", outDir).Run() })
	state := filepath.Join(dir, "state", "nov.journal")
	wait := startSubmit(t, submitProcess(t, dir, base, env, "--state", state, "--concurrency", "2", "-o", filepath.Join(outDir, "nov.xlsx"), name))
	waitForOrder(t, base)
	// Fill the disk.
	f, err := os.Create(filepath.Join(outDir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	code, stdout, stderr := wait()
	if code != 1 || !strings.Contains(stderr, "30 rows ordered; the results could not be written") || !strings.Contains(stderr, "no space left on device") {
		t.Fatalf("exit %d, want 1 naming the full disk\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rescued, _ := filepath.Glob(filepath.Join(dir, "state", "monthly-orders-*.results.xlsx"))
	if len(rescued) != 1 {
		t.Fatalf("no results workbook in the state directory: %v", rescued)
	}
	if st, ids, _ := statusesOf(t, rescued[0]); st["Ordered"] != 30 || ids != 30 {
		t.Errorf("rescued workbook: %v, %d order ids", st, ids)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 1 {
		t.Errorf("temporary files were left on the full disk: %v", entries)
	}
	checkLedger(t, base)
}

// TestSummaryRecordsTheInputHash: the summary names the hash of the bytes
// that were read, so a run can be tied to the very file it checked.
func TestSummaryRecordsTheInputHash(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	r := cli(t, dir, "validate", "--json", clock, name)
	var s struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); s.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %q, want the file's", s.SHA256)
	}
}

// TestResultsNamesNeverCollide: orders.csv and orders.xlsx in one folder
// get results of their own, and a results workbook checked again gets the
// next number, not orders.results.results.xlsx; each run's summary says
// where its results went.
func TestResultsNamesNeverCollide(t *testing.T) {
	dir := t.TempDir()
	for from, to := range map[string]string{"monthly-orders.xlsx": "orders.xlsx", "monthly-orders-with-mistakes.csv": "orders.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "samples", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct{ input, results string }{
		{"orders.csv", "orders.csv.results.xlsx"},
		{"orders.xlsx", "orders.results.xlsx"},
		{"orders.results.xlsx", "orders.results-2.xlsx"},
		{"orders.results-2.xlsx", "orders.results-3.xlsx"},
	}
	for _, s := range steps {
		r := cli(t, dir, "validate", clock, s.input)
		if !strings.Contains(r.stdout, "Results workbook: "+s.results) {
			t.Errorf("validate %s: exit %d, want results in %s\n%s%s", s.input, r.code, s.results, r.stdout, r.stderr)
		}
	}
	// Each input's results are still its own: the CSV's mistakes were not
	// overwritten by the clean workbook's results.
	if st, _, _ := statusesOf(t, filepath.Join(dir, "orders.csv.results.xlsx")); st["Invalid"] != 17 {
		t.Errorf("orders.csv's results: %v", st)
	}
	if st, _, _ := statusesOf(t, filepath.Join(dir, "orders.results-3.xlsx")); st["Valid"] != 30 {
		t.Errorf("the third check's results: %v", st)
	}
}
