package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/inbox"
	"github.com/cspimporter/importer/pkg/sandbox"
)

// watchCmd runs watch on inbox against an external sandbox, with a
// journal that outlives each run.
// watchCmd runs watch --once (or another watch that ends by itself) on
// inbox, in-process.
func watchCmd(t *testing.T, inbox, base string, env []string, extra ...string) *command {
	t.Helper()
	return watchCmdArgs(t, env, watchArgs(inbox, base, extra)...)
}

func watchCmdArgs(t *testing.T, env []string, args ...string) *command {
	return &command{t: t, env: env, args: args}
}

// watchProcess runs a watch as a process of the binary, for a test that
// signals or kills it, at the real pace (see submitProcess).
func watchProcess(t *testing.T, inbox, base string, env []string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, watchArgs(inbox, base, extra)...)
	cmd.Env = slices.Concat(os.Environ(), []string{stateEnv(t)}, env)
	return cmd
}

func watchArgs(inbox, base string, extra []string) []string {
	return append([]string{"watch", "--inbox", inbox, "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", clock,
		"--state", filepath.Join(filepath.Dir(inbox), "journal"), "--settle", "200ms", "--poll", "100ms"}, extra...)
}

// newInbox is an empty inbox; files are copied in with drop.
func newInbox(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "inbox")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return dir
}

func drop(t *testing.T, inbox, sample, as string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", sample))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inbox, as), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree lists the files under dir, relative, sorted (the watcher's own lock,
// job and follow-up markers left out).
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Name() != ".lock" && info.Name() != inbox.Marker && info.Name() != importer.FollowUpMarker {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func readSummary(t *testing.T, path string) summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWatchOnceTwoFiles(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "2026-11 orders.xlsx")
	drop(t, in, "monthly-orders-with-mistakes.csv", "2026-11 extra.csv")
	drop(t, in, "monthly-orders.xlsx", "~$2026-11 orders.xlsx") // Excel's lock file
	if err := os.WriteFile(filepath.Join(in, "broken.xlsx"), []byte("not a workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := watchCmd(t, in, base, env, "--once").CombinedOutput()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("exit %d, want 1 (sheets failed)\n%s", code, out)
	}
	reason, err := os.ReadFile(filepath.Join(in, "failed", "broken", "broken.error.txt"))
	if err != nil || !strings.Contains(string(reason), "broken.xlsx") || !strings.Contains(string(reason), "nothing was sent") {
		t.Errorf("failed/broken/broken.error.txt: %v %q", err, reason)
	}
	want := []string{
		"done/2026-11 orders/2026-11 orders.results.xlsx",
		"done/2026-11 orders/2026-11 orders.summary.json",
		"done/2026-11 orders/2026-11 orders.xlsx",
		"failed/2026-11 extra/2026-11 extra.csv",
		"failed/2026-11 extra/2026-11 extra.csv.results.xlsx",
		"failed/2026-11 extra/2026-11 extra.csv.summary.json",
		"failed/broken/broken.error.txt",
		"failed/broken/broken.xlsx",
		"~$2026-11 orders.xlsx",
	}
	if got := tree(t, in); !slices.Equal(got, want) {
		t.Fatalf("inbox:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
	if s := readSummary(t, filepath.Join(in, "done/2026-11 orders/2026-11 orders.summary.json")); s.Statuses["Ordered"] != 30 {
		t.Errorf("done summary: %v", s.Statuses)
	}
	if s := readSummary(t, filepath.Join(in, "failed/2026-11 extra/2026-11 extra.csv.summary.json")); s.Statuses["Invalid"] == 0 {
		t.Errorf("failed summary: %v", s.Statuses)
	}
	checkLedger(t, base)

	// Nothing new: a second run does nothing and exits 0.
	out, err = watchCmd(t, in, base, env, "--once").CombinedOutput()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("empty inbox: exit %d\n%s", code, out)
	}
	checkLedger(t, base)
}

// TestWatchFileWrittenSlowly: a sheet copied in slowly is taken only once
// it is whole, while the watch keeps running; SIGTERM then stops it.
func TestWatchFileWrittenSlowly(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	base, env, _ := external(t)
	in := newInbox(t)
	cmd := watchProcess(t, in, base, env, "--settle", "700ms")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", "monthly-orders.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(in, "slow.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := len(data)/8 + 1
	for i := 0; i < len(data); i += chunk {
		if _, err := f.Write(data[i:min(i+chunk, len(data))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond) // more than --poll, less than --settle
	}
	f.Close()
	waitFor(t, 30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(in, "done", "slow", "slow.summary.json"))
		return err == nil
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd.Wait()); code != 0 {
		t.Fatalf("exit %d after SIGTERM\n%s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(in, "failed")); err == nil && len(tree(t, filepath.Join(in, "failed"))) > 0 {
		t.Errorf("a half-written sheet was taken: %v\n%s", tree(t, in), out.String())
	}
	checkLedger(t, base)
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not done in %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchSIGTERMFinishesTheSheetInHand: a signal mid-sheet lets the
// sheet finish (all its rows ordered, filed under done/) before exiting.
func TestWatchSIGTERMFinishesTheSheetInHand(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	base, env, _ := external(t, "--faults", "latency:150ms")
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "a.xlsx")
	drop(t, in, "monthly-orders.xlsx", "b.xlsx")
	cmd := watchProcess(t, in, base, env, "--concurrency", "2")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool {
		for _, e := range ledger(t, base) {
			if e.Kind == sandbox.LedgerOrder {
				return true
			}
		}
		return false
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd.Wait()); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "finishing the sheet in hand") {
		t.Errorf("the interrupt was not announced:\n%s", out.String())
	}
	want := []string{"b.xlsx", "done/a/a.results.xlsx", "done/a/a.summary.json", "done/a/a.xlsx"}
	if got := tree(t, in); !slices.Equal(got, want) {
		t.Fatalf("inbox %v, want %v (a finished, b untouched)\n%s", got, want, out.String())
	}
	if s := readSummary(t, filepath.Join(in, "done/a/a.summary.json")); s.Statuses["Ordered"] != 30 {
		t.Errorf("a: %v, want all 30 ordered", s.Statuses)
	}
	checkLedger(t, base)
}

// TestWatchKilledAnywhere kills the watch at random moments, also between
// its moves, and runs it again until the inbox is empty: every sheet ends
// up filed once, and every line was ordered once.
func TestWatchKilledAnywhere(t *testing.T) {
	t.Parallel()              // processes only: see parallelTests
	var midSheet atomic.Int32 // kills while a sheet was in processing/
	t.Cleanup(func() {        // after every parallel round
		if midSheet.Load() == 0 {
			t.Error("no run was killed while a sheet was in processing/: the test proved nothing")
		}
	})
	for round := range 4 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel() // each round has its own sandbox and inbox
			base, env, _ := external(t, "--faults", "latency:20ms")
			in := newInbox(t)
			drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
			rng := rand.New(rand.NewPCG(uint64(round), 7))
			for run := 0; ; run++ {
				if run > 20 {
					t.Fatal("not finished in 20 runs")
				}
				cmd := watchProcess(t, in, base, env, "--once")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				var err error
				select {
				case err = <-done:
				case <-time.After(time.Duration(rng.IntN(3000)) * time.Millisecond):
					_ = cmd.Process.Kill()
					<-done
					files := tree(t, in)
					t.Logf("run %d killed: %v", run, files)
					if len(files) > 0 && strings.HasPrefix(files[0], "processing/") {
						midSheet.Add(1)
					}
					continue
				}
				if code := exitCode(t, err); code != 0 {
					t.Fatalf("run %d: exit %d\n%s", run, code, out.String())
				}
				if files := tree(t, in); len(files) == 3 && strings.HasPrefix(files[0], "done/nov/") {
					break
				} else {
					t.Logf("run %d: %v", run, files)
				}
			}
			checkLedger(t, base)
			if s := readSummary(t, filepath.Join(in, "done/nov/nov.summary.json")); s.Statuses["Ordered"]+s.Statuses["Skipped"] != 30 {
				t.Errorf("final summary %v: want every row ordered (or skipped: ordered by a killed run)", s.Statuses)
			}
		})
	}
}

// TestWatchSignInFails: with wrong credentials the sheet is not failed
// (it is fine); it stays in processing/ and the next run submits it.
func TestWatchSignInFails(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	out, err := watchCmd(t, in, base, append(slices.Clone(env), "PARTNER_CENTER_CLIENT_SECRET=wrong-secret-value"), "--once").CombinedOutput()
	if code := exitCode(t, err); code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	if got := tree(t, in); !slices.Equal(got, []string{"processing/nov/nov.xlsx"}) {
		t.Fatalf("inbox %v: want the sheet kept in processing/", got)
	}
	if strings.Contains(string(out), "wrong-secret-value") {
		t.Error("the secret was printed")
	}
	out, err = watchCmd(t, in, base, env, "--once").CombinedOutput()
	if code := exitCode(t, err); code != 0 || len(tree(t, filepath.Join(in, "done", "nov"))) != 3 {
		t.Fatalf("rerun: exit %d, inbox %v\n%s", code, tree(t, in), out)
	}
	checkLedger(t, base)
}

func TestWatchRequirePlan(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	out, err := watchCmd(t, in, base, env, "--once", "--require-plan").CombinedOutput()
	if code := exitCode(t, err); code != 0 || !strings.Contains(string(out), "waiting for the sheet's approved plan") {
		t.Fatalf("without a plan: exit %d\n%s", code, out)
	}
	if got := tree(t, in); !slices.Equal(got, []string{"nov.xlsx"}) || len(ledger(t, base)) != 0 {
		t.Fatalf("without a plan: inbox %v, ledger %d entries", got, len(ledger(t, base)))
	}

	// Approved, then edited: refused, filed under failed/ with the reason.
	if r := cli(t, in, "validate", clock, "--plan", "nov.plan.json", "-o", filepath.Join(t.TempDir(), "r.xlsx"), "nov.xlsx"); r.code != 0 {
		t.Fatalf("validate --plan: %d %s", r.code, r.stderr)
	}
	editCell(t, filepath.Join(in, "nov.xlsx"), "Qty", 5, 11)
	out, err = watchCmd(t, in, base, env, "--once", "--require-plan").CombinedOutput()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("edited after approval: exit %d, want 1\n%s", code, out)
	}
	reason, err := os.ReadFile(filepath.Join(in, "failed", "nov", "nov.error.txt"))
	if err != nil || !strings.Contains(string(reason), "row 5: quantity 11, in the plan 10") {
		t.Fatalf("failed/nov/nov.error.txt: %v %s\n%s", err, reason, out)
	}
	if len(ledger(t, base)) != 0 {
		t.Fatal("a sheet that differs from its plan sent something")
	}

	// Approved as it is: bought.
	drop(t, in, "monthly-orders.xlsx", "dec.xlsx")
	if r := cli(t, in, "validate", clock, "--plan", "dec.plan.json", "-o", filepath.Join(t.TempDir(), "r.xlsx"), "dec.xlsx"); r.code != 0 {
		t.Fatalf("validate --plan: %d %s", r.code, r.stderr)
	}
	out, err = watchCmd(t, in, base, env, "--once", "--require-plan").CombinedOutput()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("approved: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(in, "done", "dec", "dec.plan.json")); err != nil {
		t.Errorf("the plan was not filed with its sheet: %v", tree(t, in))
	}
	checkLedger(t, base)
}

// TestWatchOutlastsSignInOutage: a running watch whose sign-in fails keeps
// the sheet in processing/, says so once, and tries again until it works.
func TestWatchOutlastsSignInOutage(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there until the sandbox starts below
	base := "http://" + addr
	env := []string{"PARTNER_CENTER_TENANT_ID=" + sandbox.DefaultTenantID, "PARTNER_CENTER_CLIENT_ID=" + sandbox.DefaultClientID,
		"PARTNER_CENTER_CLIENT_SECRET=" + sandbox.DefaultClientSecret}
	h := newHook(t, 200)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	cmd := watchProcess(t, in, base, env, "--notify", h.url())
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool { return strings.Count(out.String(), "trying again in") >= 3 })
	if got := tree(t, in); !slices.Equal(got, []string{"processing/nov/nov.xlsx"}) {
		t.Fatalf("during the outage: %v", got)
	}
	external(t, "--addr", addr)
	waitFor(t, 30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(in, "done", "nov", "nov.summary.json"))
		return err == nil
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd.Wait()); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	checkLedger(t, base)
	calls, posts := h.got()
	if calls != 2 || len(posts) != 2 || posts[0]["ok"] != false || posts[1]["ok"] != true {
		t.Errorf("%d notifications %v: want one for the outage, then one for the sheet", calls, posts)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchResultsNamedSheetKilled: orders.results.xlsx dropped back into
// the inbox (as the README suggests for a fixed results workbook), and the
// watch killed once its own orders.results-2.xlsx was written: the
// rerun resumes that one sheet. It took its own results for a second sheet
// and ordered 60 lines for 30.
func TestWatchResultsNamedSheetKilled(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "orders.results.xlsx")
	// The state a kill leaves: the job claimed, the results written, the
	// sheet not filed. A first run does the claiming and writing.
	if code, out := runCode(t, watchCmd(t, in, base, env, "--once")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	done := filepath.Join(in, "done", "orders.results")
	job := filepath.Join(in, "processing", "orders.results")
	if err := os.Rename(done, job); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(job, inbox.Marker), []byte("orders.results.xlsx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runCode(t, watchCmd(t, in, base, env, "--once")); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
	want := []string{"done/orders.results/orders.results-2.xlsx", "done/orders.results/orders.results.xlsx", "done/orders.results/orders.summary-2.json"}
	if got := tree(t, in); !slices.Equal(got, want) {
		t.Errorf("inbox %v, want %v", got, want)
	}
	checkLedger(t, base)
}

// TestWatchReportsWhereSheetsWent: what a watch says of a sheet (stdout,
// its summary.json, its error.txt) names where the sheet was filed, not
// the processing/ directory it has left; each sheet's block starts with
// its name, and a sheet that could not be read gets one too.
func TestWatchReportsWhereSheetsWent(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	if err := os.MkdirAll(filepath.Join(in, "failed", "bad"), 0o755); err != nil { // an earlier bad.csv
		t.Fatal(err)
	}
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	if err := os.WriteFile(filepath.Join(in, "bad.csv"), []byte("not,an,order\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := watchCmd(t, in, base, env, "--once").Output()
	if code := exitCode(t, err); code != 1 {
		t.Fatalf("exit %d, want 1 (bad.csv failed)\n%s", code, out)
	}
	bad, nov := filepath.Join(in, "failed", "bad-2"), filepath.Join(in, "done", "nov")
	for _, want := range []string{"bad.csv: filed under " + bad + "\n", "nov.xlsx: filed under " + nov + "\n",
		"Results workbook: " + filepath.Join(nov, "nov.results.xlsx")} {
		if !strings.Contains(string(out), want) {
			t.Errorf("stdout has no %q:\n%s", want, out)
		}
	}
	errTxt, _ := os.ReadFile(filepath.Join(bad, "bad.error.txt"))
	sum, _ := os.ReadFile(filepath.Join(nov, "nov.summary.json"))
	for what, text := range map[string]string{"stdout": string(out), "error.txt": string(errTxt), "summary.json": string(sum)} {
		if strings.Contains(text, "processing") {
			t.Errorf("%s names processing/:\n%s", what, text)
		}
	}
	if !strings.Contains(string(errTxt), filepath.Join(bad, "bad.csv")) {
		t.Errorf("error.txt does not name the sheet where it is:\n%s", errTxt)
	}
	if s := readSummary(t, filepath.Join(nov, "nov.summary.json")); s.Statuses["Ordered"] != 30 {
		t.Errorf("summary %v", s.Statuses)
	}
}

// TestWatchFollowsOrders: a watch asks about the orders of the sheets it
// filed until they are provisioned, updating the results workbook where it
// lies, and tells the webhook once, when the batch is provisioned; a
// settled sheet is not asked about again.
func TestWatchFollowsOrders(t *testing.T) {
	base, env, _ := external(t, "--provisioning-delay", "4s")
	h := newHook(t, 200)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "orders.xlsx")
	watch := func() {
		t.Helper()
		if code, out := runCode(t, watchCmd(t, in, base, env, "--once", "--follow-up", "1ms", "--notify", h.url(), "--notify-on", "always")); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
	}
	watch() // submits, files under done/, and asks at once: pending
	job := filepath.Join(in, "done", "orders")
	results := filepath.Join(job, "orders.results.xlsx")
	for _, row := range orderRows(t, results) {
		if row["Order Status"] != "pending" || row["Provisioning"] != "unfulfilled" {
			t.Fatalf("right after checkout: %v", row)
		}
	}
	_, posts := h.got()
	if len(posts) != 1 { // the submission's own
		t.Fatalf("%d notifications, want the submission's", len(posts))
	}
	time.Sleep(4 * time.Second)
	watch() // asks again: provisioned
	for _, row := range orderRows(t, results) {
		if row["Order Status"] != "completed" || row["Provisioning"] != "fulfilled" || row["Subscription Id"] == "" {
			t.Errorf("once provisioned: %v", row)
		}
	}
	_, posts = h.got()
	if len(posts) != 2 || !strings.Contains(fmt.Sprint(posts[1]["title"]), "orders.xlsx: every order provisioned") {
		t.Fatalf("notifications %v", posts)
	}
	marker, err := os.ReadFile(filepath.Join(job, importer.FollowUpMarker))
	if err != nil || !strings.Contains(string(marker), `"settled":true`) {
		t.Errorf("follow-up record %s, %v", marker, err)
	}
	watch() // settled: not asked about, not told again
	if _, posts = h.got(); len(posts) != 2 {
		t.Errorf("%d notifications after the batch settled, want 2", len(posts))
	}
}
