package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/submit"
)

// summary is the part of --json the tests read.
type summary struct {
	Statuses map[string]int `json:"statuses"`
}

func parseSummary(t *testing.T, out string) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	return s
}

func TestSubmitSandbox(t *testing.T) {
	t.Parallel() // a process at the real pace: see parallelTests
	dir, name := sample(t, "monthly-orders.xlsx")
	r := process(t, dir, "submit", "--sandbox", "--json", clock, name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if s := parseSummary(t, r.stdout); s.Statuses["Ordered"] != 30 {
		t.Errorf("statuses %v", s.Statuses)
	}
	if !strings.Contains(r.stdout, `"sandbox": true`) {
		t.Errorf("the JSON summary of a sandbox run does not say so:\n%s", r.stdout)
	}
	text := process(t, dir, "submit", "--sandbox", "--batch", "again", clock, name)
	if !strings.HasPrefix(text.stdout, "SANDBOX: nothing was bought (simulated Partner Center).") {
		t.Errorf("the terminal summary of a sandbox run does not start by saying so:\n%s", text.stdout)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "monthly-orders.results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Orders")
	head := rows[2]
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, want := range []string{"Import Status", "Cart Id", "Order Id", "Subscription Id", "Request Id", "Correlation Id"} {
		if _, ok := col[want]; !ok {
			t.Fatalf("no %s column in %v", want, head)
		}
	}
	for _, row := range rows[3:] {
		if row[col["Import Status"]] != "Ordered" || row[col["Order Id"]] == "" || row[col["Cart Id"]] == "" || row[col["Request Id"]] == "" {
			t.Errorf("row %v", row)
		}
	}
}

func TestSubmitInvalidSheet(t *testing.T) {
	dir, name := sample(t, "monthly-orders-with-mistakes.xlsx")
	// The terminal says nothing was sent, and why; not "Submitted 30 rows",
	// and no journal, since none was opened.
	text := cli(t, dir, "submit", "--sandbox", clock, name)
	if text.code != 1 || !strings.HasPrefix(text.stdout, "Nothing was sent: 17 rows of the sheet are invalid; fix them, or use --skip-invalid") ||
		strings.Contains(text.stdout, "Submitted") || strings.Contains(text.stdout, "Journal:") {
		t.Errorf("exit %d, stdout:\n%s", text.code, text.stdout)
	}
	r := cli(t, dir, "submit", "--sandbox", "--json", clock, name)
	if s := parseSummary(t, r.stdout); r.code != 1 || s.Statuses["Invalid"] != 17 || s.Statuses["Not submitted"] != 13 {
		t.Errorf("without --skip-invalid: exit %d %v", r.code, s.Statuses)
	}
	r = cli(t, dir, "submit", "--sandbox", "--skip-invalid", "--json", clock, name)
	s := parseSummary(t, r.stdout)
	if r.code != 1 || s.Statuses["Invalid"] != 17 || s.Statuses["Ordered"] == 0 || s.Statuses["Skipped"] == 0 ||
		s.Statuses["Ordered"]+s.Statuses["Skipped"] != 13 {
		t.Errorf("--skip-invalid: exit %d %v", r.code, s.Statuses)
	}
}

// external starts `importer sandbox` and returns its base URL, tenant and
// the credentials environment.
func external(t *testing.T, args ...string) (base string, env []string, stop func()) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...)...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if s, ok := strings.CutPrefix(line, "Partner Center sandbox listening on "); ok {
			base = s
		}
		if strings.HasPrefix(line, "PARTNER_CENTER_") {
			env = append(env, line)
		}
		if strings.HasPrefix(line, "Press Ctrl+C") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	stop = func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	t.Cleanup(stop)
	return base, env, stop
}

func ledger(t *testing.T, base string) []sandbox.LedgerEntry {
	t.Helper()
	resp, err := http.Get(base + "/_sandbox/ledger")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l []sandbox.LedgerEntry
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

// submitTo runs submit against an external sandbox, in-process.
func submitTo(t *testing.T, dir, base string, env []string, extra ...string) *command {
	return &command{t: t, dir: dir, env: env, args: submitArgs(base, extra)}
}

// submitProcess runs submit against an external sandbox as a process of
// the binary, for a test that signals or kills it. It runs at the real
// pace, so that what the test does mid-run lands mid-run.
func submitProcess(t *testing.T, dir, base string, env []string, extra ...string) *exec.Cmd {
	cmd := exec.Command(binary, submitArgs(base, extra)...)
	cmd.Dir = dir
	cmd.Env = slices.Concat(os.Environ(), []string{stateEnv(t)}, env)
	return cmd
}

func submitArgs(base string, extra []string) []string {
	return append([]string{"submit", "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", clock}, extra...)
}

// checkLedger: the sample's 9 carts were checked out, each order group
// once, and its 30 lines ordered once each.
func checkLedger(t *testing.T, base string) {
	t.Helper()
	const wantCarts, wantLines = 9, 30
	perGroup := map[string]int{}
	carts := map[string]bool{}
	lines := 0
	for _, e := range ledger(t, base) {
		if e.Kind == sandbox.LedgerOrder {
			perGroup[e.CartID+"/"+e.OrderGroup]++
			carts[e.CartID] = true
			lines += e.Lines
		}
	}
	if lines != wantLines {
		t.Errorf("%d lines ordered, want %d", lines, wantLines)
	}
	for k, n := range perGroup {
		if n != 1 {
			t.Errorf("cart/group %s ordered %d times", k, n)
		}
	}
	if len(carts) != wantCarts {
		t.Errorf("%d carts checked out, want %d", len(carts), wantCarts)
	}
}

func TestSubmitToRunningSandbox(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "state", "nov.journal")
	out, err := submitTo(t, dir, base, env, "--state", state, name).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = submitTo(t, dir, base, env, "--state", state, "--json", name).Output()
	if s := parseSummary(t, string(out)); err != nil || s.Statuses["Skipped"] != 30 {
		t.Errorf("rerun: %v %v", err, s.Statuses)
	}
	checkLedger(t, base)

	// A second run while the first holds the journal is refused.
	j, err := submit.OpenJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	cmd := submitTo(t, dir, base, env, "--state", state, name)
	b, err := cmd.CombinedOutput()
	j.Close()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 2 || !strings.Contains(string(b), "another importer run is using this journal") {
		t.Errorf("locked journal: %v\n%s", err, b)
	}
}

func TestSubmitCredentials(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	clear := []string{"PARTNER_CENTER_TENANT_ID=", "PARTNER_CENTER_CLIENT_ID=", "PARTNER_CENTER_CLIENT_SECRET=", "PARTNER_CENTER_REFRESH_TOKEN="}
	run := func(env []string, args ...string) (int, string) {
		cmd := submitTo(t, dir, base, append(clear, env...), append(args, "--state", filepath.Join(dir, "j"), name)...)
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			return ee.ExitCode(), string(b)
		}
		return 0, string(b)
	}
	code, out := run(nil)
	if code != 2 || !strings.Contains(out, "missing credentials: PARTNER_CENTER_CLIENT_ID, PARTNER_CENTER_CLIENT_SECRET, PARTNER_CENTER_TENANT_ID") {
		t.Errorf("no credentials: %d %s", code, out)
	}
	var bad []string
	for _, e := range env {
		if strings.HasPrefix(e, "PARTNER_CENTER_CLIENT_SECRET=") {
			e = "PARTNER_CENTER_CLIENT_SECRET=Wr0ng-S3cret-Value"
		}
		bad = append(bad, e)
	}
	code, out = run(bad)
	if code != 2 || !strings.Contains(out, "invalid_client") || strings.Contains(out, "Wr0ng-S3cret-Value") {
		t.Errorf("wrong secret: %d %s", code, out)
	}
	if n := len(ledger(t, base)); n != 0 {
		t.Errorf("%d carts created although sign-in failed", n)
	}
	credFile := filepath.Join(dir, "creds")
	if err := os.WriteFile(credFile, []byte("# sandbox\n"+strings.Join(env, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = run(nil, "--credentials", credFile)
	if code != 2 || !strings.Contains(out, "chmod 600") {
		t.Errorf("world-readable credentials file: %d %s", code, out)
	}
	_ = os.Chmod(credFile, 0o600)
	if code, out = run(nil, "--credentials", credFile, "--create-only"); code != 0 {
		t.Errorf("credentials file: %d %s", code, out)
	}
	code, out = run(env, "--endpoint", "http://192.0.2.1:8080")
	if code != 2 || !strings.Contains(out, "plain http is refused") {
		t.Errorf("plain http endpoint: %d %s", code, out)
	}
}

// TestCrashAndRerun kills submit at random moments (SIGKILL), reruns it
// each time, and checks that the end state in the sandbox is the one an
// uninterrupted run leaves: every intended cart checked out exactly once.
func TestCrashAndRerun(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel() // each round has its own sandbox, directory and journal
			base, env, _ := external(t, "--faults", "any:latency:25ms,checkout:timeout-after-commit:0.2", "--seed", fmt.Sprint(round+1))
			dir, name := sample(t, "monthly-orders.xlsx")
			state := filepath.Join(dir, "j")
			rng := rand.New(rand.NewPCG(uint64(round), 99))
			for kill := 0; kill < 4; kill++ {
				cmd := submitProcess(t, dir, base, env, "--state", state, "--concurrency", "3", name)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(50+rng.IntN(500)) * time.Millisecond)
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
			var last []byte
			for run := 0; run < 6; run++ {
				out, err := submitProcess(t, dir, base, env, "--state", state, "--json", name).Output()
				last = out
				if err == nil {
					break
				}
			}
			s := parseSummary(t, string(last))
			if s.Statuses["Ordered"]+s.Statuses["Skipped"] != 30 {
				t.Fatalf("after the crashes the batch did not finish: %v", s.Statuses)
			}
			checkLedger(t, base)
		})
	}
}

// TestInterrupt: SIGINT or SIGTERM mid-run starts no new cart, finishes the
// carts in flight, writes the results workbook with a status on every row
// and exits 1; the same command then finishes the batch, ordering nothing
// twice.
func TestInterrupt(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			base, env, _ := external(t, "--faults", "any:latency:150ms")
			dir, name := sample(t, "monthly-orders.xlsx")
			state := filepath.Join(dir, "j")
			cmd := submitProcess(t, dir, base, env, "--state", state, "--concurrency", "2", "--json", name)
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once the first order is placed.
			deadline := time.Now().Add(20 * time.Second)
			for ordered := false; !ordered; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("no order placed in 20s")
				}
				for _, e := range ledger(t, base) {
					ordered = ordered || e.Kind == sandbox.LedgerOrder
				}
			}
			_ = cmd.Process.Signal(sig)
			err := cmd.Wait()
			if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v\n%s", err, errb.String())
			}
			if !strings.Contains(errb.String(), "Interrupted: no new cart is started") {
				t.Errorf("stderr does not say what happens:\n%s", errb.String())
			}
			s := parseSummary(t, out.String())
			if s.Statuses["Ordered"] == 0 || s.Statuses["Not submitted"] == 0 || s.Statuses["Ordered"]+s.Statuses["Not submitted"] != 30 {
				t.Errorf("interrupted run: %v, want only Ordered and Not submitted rows", s.Statuses)
			}
			f, err := excelize.OpenFile(filepath.Join(dir, "monthly-orders.results.xlsx"))
			if err != nil {
				t.Fatalf("results workbook: %v", err)
			}
			rows, _ := f.GetRows("Orders")
			f.Close()
			status := slices.Index(rows[2], "Import Status")
			for _, row := range rows[3:] {
				if st := row[status]; st != "Ordered" && st != "Not submitted" {
					t.Errorf("row status %q in %v", st, row)
				}
			}
			b, err := submitProcess(t, dir, base, env, "--state", state, "--json", name).Output()
			if s := parseSummary(t, string(b)); err != nil || s.Statuses["Skipped"]+s.Statuses["Ordered"] != 30 || s.Statuses["Skipped"] == 0 {
				t.Errorf("rerun: %v %v", err, s.Statuses)
			}
			checkLedger(t, base)
		})
	}
}

// TestFaultsEndToEnd runs the binary against a sandbox with every kind of
// fault at once (seeded, several seeds): each run gives every row a status,
// reruns finish the batch, and nothing is ordered twice.
func TestFaultsEndToEnd(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	settings := []struct {
		name, faults, attempts string
		seeds                  int
	}{
		// Retries absorb these within a run.
		{"mild", "create:500:0.1,create:timeout-after-commit:0.15,checkout:timeout-after-commit:0.2,checkout:drop:0.1," +
			"any:503:0.05,any:401:0.05,any:429:0.02,checkout:hang:0.03,latency:5ms", "6", 2},
		// These leave carts unanswered at the end of a run: reruns finish.
		{"harsh", "create:503:0.4,create:timeout-after-commit:0.3,checkout:timeout-after-commit:0.5,checkout:drop:0.2," +
			"any:401:0.1,checkout:hang:0.1", "2", 3},
	}
	// The runs mostly wait (on timeouts, hung checkouts), so the seeds run
	// side by side, each with its own sandbox, directory and journal.
	var reruns atomic.Int32
	t.Cleanup(func() { // after every parallel subtest
		if reruns.Load() == 0 {
			t.Error("every batch finished in one run: the faults never left a row to a rerun")
		}
	})
	for _, set := range settings {
		if testing.Short() {
			set.seeds = 1
		}
		for seed := 1; seed <= set.seeds; seed++ {
			t.Run(fmt.Sprintf("%s/%d", set.name, seed), func(t *testing.T) {
				t.Parallel()
				faultsEndToEnd(t, set.faults, set.attempts, seed, &reruns)
			})
		}
	}
}

// faultsEndToEnd submits the sample again and again to a faulty sandbox
// until a run exits 0; every run must give all 30 rows a status.
func faultsEndToEnd(t *testing.T, faults, attempts string, seed int, reruns *atomic.Int32) {
	base, env, _ := external(t, "--faults", faults, "--seed", fmt.Sprint(seed), "--token-lifetime", "3s")
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "j")
	// Under the harsh faults a settling checkout is answered in a run with
	// a chance of about one in two, so a few runs in a row can leave the
	// same rows Unknown: 8 runs fell short about once in 50 seeds.
	for run := 1; ; run++ {
		if run > 14 {
			t.Fatal("the batch did not finish in 14 runs")
		}
		cmd := submitProcess(t, dir, base, env, "--state", state, "--timeout", "1s", "--max-attempts", attempts, "--concurrency", "4", "--json", name)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if len(out) == 0 {
			t.Fatalf("run %d: no summary: %v\n%s", run, err, stderr.String())
		}
		s := parseSummary(t, string(out))
		total := 0
		for st, n := range s.Statuses {
			if st == "" {
				t.Fatalf("run %d: %d rows without a status", run, n)
			}
			total += n
		}
		if total != 30 {
			t.Fatalf("run %d: %d rows have a status, want 30: %v", run, total, s.Statuses)
		}
		t.Logf("run %d: %v", run, s.Statuses)
		if err == nil {
			break
		}
		if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 1 {
			t.Fatalf("run %d: %v\n%s", run, err, stderr.String())
		}
		reruns.Add(1)
	}
	checkLedger(t, base)
}

// TestDefaultJournal: without --state the journal is one per batch in the
// user's state directory, as the README says; with no directory to put it
// in, nothing is sent and the run says what to set.
func TestDefaultJournal(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "xdg")
	out, err := submitTo(t, dir, base, append(slices.Clone(env), "XDG_STATE_HOME="+state), "--batch", "nov 2026", name).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(state, "importer", "nov_2026.journal")); err != nil {
		t.Errorf("no journal in the state directory: %v\n%s", err, out)
	}
	out, err = submitTo(t, dir, base, append(slices.Clone(env), "XDG_STATE_HOME=", "HOME="), "--batch", "dec", name).CombinedOutput()
	if code := exitCode(t, err); code != 2 || !strings.Contains(string(out), "no state directory for the journal") {
		t.Errorf("no state directory: exit %d\n%s", code, out)
	}
	if n := orderedLines(t, base); n != 30 {
		t.Errorf("%d lines ordered, want the first run's 30", n)
	}
}
