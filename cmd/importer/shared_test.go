package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// TestSharedStateTwoHosts: two hosts (separate working directories, one
// PostgreSQL --state) submit the same batch at once: one sends it, the
// other refuses, naming the host and run that holds it; a third waits its
// turn and finds everything bought. The sandbox ledger holds every line
// once.
func TestSharedStateTwoHosts(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	// The server trusts this test, so it ignores the password, which must
	// never be shown.
	u, _ := url.Parse(pgtest.URL(t))
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	state := u.String()
	base, env, _ := external(t, "--faults", "any:latency:40ms")
	type outcome struct {
		code int
		out  string
	}
	done := make(chan outcome, 2)
	for range 2 {
		dir, name := sample(t, "monthly-orders.xlsx")
		cmd := submitProcess(t, dir, base, env, "--state", state, "--batch", "nov", name)
		go func() {
			code, out := runCode(t, cmd)
			done <- outcome{code, out}
		}()
	}
	a, b := <-done, <-done
	if a.code != 0 {
		a, b = b, a
	}
	if a.code != 0 || b.code == 0 || !strings.Contains(b.out, "batch nov is being sent by ") || !strings.Contains(b.out, "(process ") {
		t.Fatalf("two hosts at once: exit %d and %d\n%s\n---\n%s", a.code, b.code, a.out, b.out)
	}
	if strings.Contains(a.out+b.out, "s3cret-pw") {
		t.Errorf("the password is shown:\n%s\n%s", a.out, b.out)
	}
	dir, name := sample(t, "monthly-orders.xlsx")
	out, err := submitProcess(t, dir, base, env, "--state", state, "--batch", "nov", "--wait-for-batch", "30s", "--json", name).Output()
	if err != nil {
		t.Fatalf("the third run: %v\n%s", err, out)
	}
	if s := parseSummary(t, string(out)); s.Statuses["Skipped"] != 30 || strings.Contains(string(out), "s3cret-pw") || !strings.Contains(string(out), "xxxxx@127.0.0.1") && !strings.Contains(string(out), ":xxxxx@") {
		t.Errorf("the third run: %v\n%s", s.Statuses, out)
	}
	checkLedger(t, base)
}

// TestSharedStateTakeover: the host sending a batch is killed (SIGKILL) at
// random moments; another host, waiting for the batch, takes it over once
// the dead host's lease runs out, settles what was in flight and finishes.
// The sandbox ledger holds every line once, in every round.
func TestSharedStateTakeover(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	rounds := 12 // more by hand: IMPORTER_TAKEOVER_ROUNDS=200 go test -run TestSharedStateTakeover ./cmd/importer
	if n, err := strconv.Atoi(os.Getenv("IMPORTER_TAKEOVER_ROUNDS")); err == nil && n > 0 {
		rounds = n
	} else if testing.Short() {
		rounds = 1
	}
	for round := range rounds {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel()
			state := pgtest.URL(t)
			base, env, _ := external(t, "--faults", "any:latency:25ms,checkout:timeout-after-commit:0.2", "--seed", fmt.Sprint(round+1))
			rng := rand.New(rand.NewPCG(uint64(round), 7))
			dirA, name := sample(t, "monthly-orders.xlsx")
			host := submitProcess(t, dirA, base, env, "--state", state, "--batch", "nov", "--lease", "3s", "--concurrency", "3", name)
			if err := host.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
			_ = host.Process.Kill()
			_ = host.Wait()
			dirB, _ := sample(t, "monthly-orders.xlsx")
			var out []byte
			for run := range 4 {
				cmd := submitProcess(t, dirB, base, env, "--state", state, "--batch", "nov", "--lease", "3s", "--wait-for-batch", "20s", "--json", name)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				var err error
				if out, err = cmd.Output(); err == nil {
					break
				} else if _, ok := err.(*exec.ExitError); !ok || run == 3 {
					t.Fatalf("the other host: %v\n%s", err, stderr.String())
				}
			}
			if s := parseSummary(t, string(out)); s.Statuses["Ordered"]+s.Statuses["Skipped"] != 30 {
				t.Fatalf("after the takeover the batch did not finish: %v", s.Statuses)
			}
			checkLedger(t, base)
		})
	}
}

// TestDBMigrate: importer db migrate brings a database's schema up to date
// and says so; a database a newer importer migrated is refused, unchanged.
func TestDBMigrate(t *testing.T) {
	state := pgtest.URL(t)
	dir := t.TempDir()
	r := cli(t, dir, "db", "migrate", "--state", state)
	latest := fmt.Sprint(pgstate.Latest())
	if r.code != 0 || !strings.Contains(r.stdout, "schema version "+latest+" (this importer's is "+latest+").") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, dir, "db", "migrate", "--state", "orders.journal"); r.code != 2 || !strings.Contains(r.stderr, "postgres://") {
		t.Errorf("a file as --state: exit %d %s", r.code, r.stderr)
	}
	conn, err := pgx.Connect(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "INSERT INTO importer_schema (version) VALUES (99)"); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, dir, "db", "migrate", "--state", state); r.code != 2 || !strings.Contains(r.stderr, "its schema is version 99, this importer knows up to "+latest+"; run the newer importer (nothing was changed)") {
		t.Errorf("a newer database: exit %d %s", r.code, r.stderr)
	}
}

// TestSharedStateNotWithInProcessSandbox: --sandbox keeps its state beside
// a journal file, so it is refused with a PostgreSQL --state, saying what
// to do instead.
func TestSharedStateNotWithInProcessSandbox(t *testing.T) {
	state := pgtest.URL(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	if r := cli(t, dir, "submit", "--sandbox", clock, "--state", state, name); r.code != 2 || !strings.Contains(r.stderr, "importer sandbox") || !strings.Contains(r.stderr, "--endpoint") {
		t.Errorf("exit %d %s", r.code, r.stderr)
	}
}

// TestStateCopy: a partner moves to shared state: the journal file of a
// batch bought is copied into PostgreSQL (twice: the second adds nothing),
// and a run on another host against the database skips every row; the
// sandbox ledger holds every line once. A sandbox's journal is refused.
func TestStateCopy(t *testing.T) {
	state := pgtest.URL(t)
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	file := filepath.Join(dir, "nov.journal")
	if code, out := runCode(t, submitTo(t, dir, base, env, "--state", file, "--batch", "nov", name)); code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, out)
	}
	r := cli(t, dir, "state", "copy", "--from", file, "--to", state)
	if r.code != 0 || !regexp.MustCompile(`^nov: 9 carts and 30 rows: 39 records added, 0 there already, 0 kept as the database had them\n$`).MatchString(r.stdout) {
		t.Fatalf("copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, dir, "state", "copy", "--from", file, "--to", state); r.code != 0 || !strings.Contains(r.stdout, "0 records added, 39 there already, 0 kept") {
		t.Errorf("copied again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other, _ := sample(t, "monthly-orders.xlsx")
	var out bytes.Buffer
	c := submitTo(t, other, base, env, "--state", state, "--batch", "nov", "--json", name)
	c.Stdout = &out
	if err := c.Run(); err != nil {
		t.Fatalf("the other host, after the copy: %v", err)
	}
	if s := parseSummary(t, out.String()); s.Statuses["Skipped"] != 30 {
		t.Errorf("the other host, after the copy: %v", s.Statuses)
	}
	checkLedger(t, base)
	sb := filepath.Join(dir, "sandbox.journal")
	if r := cli(t, dir, "submit", "--sandbox", clock, "--state", sb, name); r.code != 0 {
		t.Fatalf("a sandbox run: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, dir, "state", "copy", "--from", sb, "--to", state); r.code != 2 || !strings.Contains(r.stderr, "sandbox runs, where nothing was bought") {
		t.Errorf("a sandbox journal: exit %d %s", r.code, r.stderr)
	}
	// The data directory of an app that ran with --sandbox.
	app := filepath.Join(t.TempDir(), "app")
	raw, err := os.ReadFile(sb)
	if err == nil {
		err = os.MkdirAll(filepath.Join(app, "journals"), 0o700)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(app, "journals", "b.journal"), raw, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	if r := cli(t, dir, "state", "copy", "--from", app, "--to", state); r.code != 2 || !strings.Contains(r.stderr, "has no importer.db") {
		t.Errorf("a folder that is no data directory: exit %d %s", r.code, r.stderr)
	}
	st, err := store.Open(app)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if r := cli(t, dir, "state", "copy", "--from", app, "--to", state); r.code != 2 || !strings.Contains(r.stderr, "was used with --sandbox") {
		t.Errorf("a sandbox app's data directory: exit %d %s", r.code, r.stderr)
	}
}

// TestServeInstanceKilledMidPurchase: of two app instances on one
// PostgreSQL store, the one buying a batch is killed (SIGKILL) mid-run;
// the other takes the purchase up once its heartbeat has stopped for two
// leases and finishes it. Every order is placed once, and every row is
// Ordered, those the killed instance ordered too.
func TestServeInstanceKilledMidPurchase(t *testing.T) {
	t.Parallel() // processes: see parallelTests
	state := pgtest.URL(t)
	base, env, _ := external(t, "--faults", "any:latency:150ms")
	token := func(name, role string) string {
		r := process(t, t.TempDir(), "token", "create", "--store", state, "--name", name, "--role", role)
		if r.code != 0 {
			t.Fatalf("token: %d %s", r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	alice, bob := token("alice", "submitter"), token("bob", "approver,buyer")
	args := []string{"--store", state, "--lease", "3s", "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", "--follow-up", "0"}
	first, proc, _ := startServeProcess(t, env, append([]string{"--data", t.TempDir()}, args...)...)
	second, _ := startServe(t, env, append([]string{"--data", t.TempDir()}, args...)...)
	body, typ := sampleUpload(t)
	code, b := apiCall(t, first, alice, "POST", "/api/v1/batches", body, typ)
	if code != 201 {
		t.Fatalf("upload: %d %v", code, b)
	}
	id, plan := b["id"].(string), b["plan"].(map[string]any)["sha256"].(string)
	if code, v := apiCall(t, second, bob, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(`{"decision":"approve","planSha256":"`+plan+`"}`), "application/json"); code != 200 {
		t.Fatalf("approve: %d %v", code, v)
	}
	if code, v := apiCall(t, first, bob, "POST", "/api/v1/batches/"+id+"/submission", nil, ""); code != 202 {
		t.Fatalf("buy: %d %v", code, v)
	}
	waitForOrders(t, base, nil)
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	if n := sandbox.Orders(ledger(t, base)); n >= 21 {
		t.Fatalf("the first instance had bought everything before it was killed (%d orders): nothing was tested", n)
	}
	status := ""
	var v map[string]any
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && status != "done"; time.Sleep(200 * time.Millisecond) {
		_, v = apiCall(t, second, bob, "GET", "/api/v1/batches/"+id, nil, "")
		status, _ = v["status"].(string)
	}
	if status != "done" {
		t.Fatalf("the second instance: %s %v", status, v["purchase"])
	}
	// The run that took the purchase up is the purchase's run: the rows
	// the killed instance ordered are Ordered, as the others are.
	if code, v := apiCall(t, second, alice, "GET", "/api/v1/batches/"+id+"/rows?status=Ordered", nil, ""); code != 200 || v["total"] != float64(30) {
		t.Errorf("the ordered rows: %d %v", code, v["total"])
	}
	checkLedger(t, base)
}

// TestStateCopyApp: a web app that bought a batch with the embedded store
// is moved into PostgreSQL with importer state copy (refused while the app
// runs); an instance on the database, with a data folder of its own, shows
// the batch bought with its rows and results, knows the old tokens and the
// audit log, and buys nothing again; copying twice adds nothing.
func TestStateCopyApp(t *testing.T) {
	t.Parallel() // processes: see parallelTests
	state := pgtest.URL(t)
	base, env, _ := external(t)
	data := t.TempDir()
	token := func(name, role string) string {
		r := process(t, data, "token", "create", "--data", data, "--name", name, "--role", role)
		if r.code != 0 {
			t.Fatalf("token: %d %s", r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	alice, bob := token("alice", "submitter"), token("bob", "approver,buyer")
	pc := []string{"--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", "--follow-up", "0"}
	at, stop := startServe(t, env, append([]string{"--data", data}, pc...)...)
	body, typ := sampleUpload(t)
	code, b := apiCall(t, at, alice, "POST", "/api/v1/batches", body, typ)
	if code != 201 {
		t.Fatalf("upload: %d %v", code, b)
	}
	id, plan := b["id"].(string), b["plan"].(map[string]any)["sha256"].(string)
	if code, v := apiCall(t, at, bob, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(`{"decision":"approve","planSha256":"`+plan+`"}`), "application/json"); code != 200 {
		t.Fatalf("approve: %d %v", code, v)
	}
	if code, v := apiCall(t, at, bob, "POST", "/api/v1/batches/"+id+"/submission", nil, ""); code != 202 {
		t.Fatalf("buy: %d %v", code, v)
	}
	waitDone := func(at string) {
		t.Helper()
		status := ""
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && status != "done"; time.Sleep(100 * time.Millisecond) {
			_, v := apiCall(t, at, bob, "GET", "/api/v1/batches/"+id, nil, "")
			status, _ = v["status"].(string)
		}
		if status != "done" {
			t.Fatalf("%s: %s", at, status)
		}
	}
	waitDone(at)
	if r := process(t, data, "state", "copy", "--from", data, "--to", state); r.code == 0 || !strings.Contains(r.stderr, "stop the app") {
		t.Errorf("copied while the app ran: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	stop()
	r := process(t, data, "state", "copy", "--from", data, "--to", state)
	for _, want := range []string{
		"november: 9 carts and 30 rows: 39 records added, 0 there already",
		"batches: 1 added, 0 there already, 0 kept",
		"files of versions: 5 added, 0 there already, 0 kept",
		"API tokens: 2 added, 0 there already, 0 kept",
		"Sessions are not copied",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("copy: exit %d, want %q\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	r = process(t, data, "state", "copy", "--from", data, "--to", state)
	if r.code != 0 || !regexp.MustCompile(`(?m)^batches: 0 added, 1 there already, 0 kept`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^audit entries: 0 added, [1-9]\d* there already, 0 kept`).MatchString(r.stdout) || strings.Contains(r.stdout, "records added, 0 there") {
		t.Errorf("copied again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	moved, _ := startServe(t, env, append([]string{"--data", t.TempDir(), "--store", state}, pc...)...)
	waitDone(moved)
	if code, v := apiCall(t, moved, alice, "GET", "/api/v1/batches/"+id+"/rows?status=Ordered", nil, ""); code != 200 || v["total"] != float64(30) {
		t.Errorf("the ordered rows, after the move: %d %v", code, v)
	}
	req, _ := http.NewRequest("GET", moved+"/api/v1/audit", nil)
	req.Header.Set("Authorization", "Bearer "+bob)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !regexp.MustCompile(`"action": *"purchase done"`).Match(log) || !regexp.MustCompile(`"action": *"upload"`).Match(log) {
		t.Errorf("the audit log, after the move: %d %s", resp.StatusCode, log)
	}
	if code, v := apiCall(t, moved, bob, "POST", "/api/v1/batches/"+id+"/submission", nil, ""); code != 202 && code != 409 {
		t.Errorf("buying again after the move: %d %v", code, v)
	}
	checkLedger(t, base)
}

// TestSharedStateStalledHost: the host sending a batch is paused (SIGSTOP)
// mid-run; another host takes the batch over once the lease runs out and
// finishes it; the paused host, resumed, sends nothing more and says why.
// The sandbox ledger holds every line once.
func TestSharedStateStalledHost(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	state := pgtest.URL(t)
	base, env, _ := external(t, "--faults", "any:latency:150ms")
	dirA, name := sample(t, "monthly-orders.xlsx")
	stalled := submitProcess(t, dirA, base, env, "--state", state, "--batch", "nov", "--lease", "3s", "--concurrency", "1", name)
	var stalledOut bytes.Buffer
	stalled.Stdout, stalled.Stderr = &stalledOut, &stalledOut
	if err := stalled.Start(); err != nil {
		t.Fatal(err)
	}
	waitForOrders(t, base, &stalledOut)
	if err := stalled.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if orders := sandbox.Orders(ledger(t, base)); orders >= 21 {
		t.Fatalf("the host had bought everything before it was paused: nothing was tested\n%s", stalledOut.String())
	}
	before := takeOver(t, base, env, state, name)
	if err := stalled.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	err := stalled.Wait()
	if err == nil || !strings.Contains(stalledOut.String(), "no longer holds the batch") {
		t.Errorf("the resumed host: %v\n%s", err, stalledOut.String())
	}
	if after := len(ledger(t, base)); after != before {
		t.Errorf("the resumed host sent %d more requests that changed the sandbox", after-before)
	}
	checkLedger(t, base)
}

// waitForOrders waits until the sandbox at base has placed an order: a
// host began buying (out is its output, for the failure).
func waitForOrders(t *testing.T, base string, out *bytes.Buffer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); sandbox.Orders(ledger(t, base)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			if out != nil {
				t.Fatalf("no host began buying\n%s", out.String())
			}
			t.Fatal("no host began buying")
		}
	}
}

// takeOver runs the batch nov on another host, waiting for the batch,
// until it has finished it, and returns the sandbox ledger's length then.
func takeOver(t *testing.T, base string, env []string, state, name string) int {
	t.Helper()
	dirB, _ := sample(t, "monthly-orders.xlsx")
	var out []byte
	for run := range 4 {
		cmd := submitProcess(t, dirB, base, env, "--state", state, "--batch", "nov", "--lease", "3s", "--wait-for-batch", "20s", "--json", name)
		var err error
		if out, err = cmd.Output(); err == nil {
			break
		} else if _, ok := err.(*exec.ExitError); !ok || run == 3 {
			t.Fatalf("the other host: %v", err)
		}
	}
	if s := parseSummary(t, string(out)); s.Statuses["Ordered"]+s.Statuses["Skipped"] != 30 {
		t.Fatalf("after the takeover the batch did not finish: %v", s.Statuses)
	}
	return len(ledger(t, base))
}

// TestSharedStateNetworkCut: the host sending a batch is cut off the
// database's network mid-run (what it sends is lost, nothing comes back);
// another host takes the batch over once the lease runs out and finishes
// it. The cut host sends nothing more, and when the network is back it
// ends saying why. The sandbox ledger holds every line once.
func TestSharedStateNetworkCut(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	state := pgtest.URL(t)
	viaCable, cut, heal := pgtest.Cuttable(t, state)
	base, env, _ := external(t, "--faults", "any:latency:150ms")
	dirA, name := sample(t, "monthly-orders.xlsx")
	hostA := submitProcess(t, dirA, base, env, "--state", viaCable, "--batch", "nov", "--lease", "3s", "--concurrency", "1", name)
	var outA bytes.Buffer
	hostA.Stdout, hostA.Stderr = &outA, &outA
	if err := hostA.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- hostA.Wait() }()
	waitForOrders(t, base, &outA)
	cut()
	if orders := sandbox.Orders(ledger(t, base)); orders >= 21 {
		t.Fatalf("the host had bought everything before it was cut off: nothing was tested\n%s", outA.String())
	}
	before := takeOver(t, base, env, state, name)
	heal()
	select {
	case err := <-exited:
		if err == nil {
			t.Errorf("the cut-off host ended as if it had finished\n%s", outA.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the cut-off host never ended\n%s", outA.String())
	}
	if after := len(ledger(t, base)); after != before {
		t.Errorf("the cut-off host sent %d more requests that changed the sandbox\n%s", after-before, outA.String())
	}
	checkLedger(t, base)
}

// TestSharedStateFailover: the database fails over while a host sends a
// batch (its primary stops as in a crash; the synchronous standby is
// promoted and the address leads to it): the run waits for it, nothing
// being sent unrecorded, and goes on (or ends with rows a rerun settles);
// the sandbox ledger holds every line once.
func TestSharedStateFailover(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	state, failover := pgtest.Failover(t)
	databaseLost(t, state, failover)
}

// TestSharedStateDatabaseRestart: the database restarts (a fast shutdown
// cuts every connection) while a host sends a batch: the run waits for it
// to come back, nothing being sent unrecorded, and goes on (or ends with
// rows a rerun settles); the sandbox ledger holds every line once.
func TestSharedStateDatabaseRestart(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	state, restart := pgtest.Private(t)
	databaseLost(t, state, restart)
}

// databaseLost sends a batch, with state in a database that lose makes
// unreachable for a moment, then sends it again until it finishes; the
// ledger must hold every line once.
func databaseLost(t *testing.T, state string, lose func()) {
	base, env, _ := external(t, "--faults", "any:latency:40ms")
	dir, name := sample(t, "monthly-orders.xlsx")
	host := submitProcess(t, dir, base, env, "--state", state, "--batch", "nov", "--concurrency", "2", name)
	var first bytes.Buffer
	host.Stdout, host.Stderr = &first, &first
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = host.Wait(); close(exited) }()
	waitForOrders(t, base, &first)
	lose()
	select {
	case <-exited:
		t.Fatalf("the run ended before the database was back: nothing was tested\n%s", first.String())
	default:
	}
	<-exited
	var out []byte
	for run := range 3 {
		var err error
		if out, err = submitProcess(t, dir, base, env, "--state", state, "--batch", "nov", "--json", name).Output(); err == nil {
			break
		} else if run == 2 {
			t.Fatalf("after the database came back: %v\nthe first run:\n%s", err, first.String())
		}
	}
	if s := parseSummary(t, string(out)); s.Statuses["Ordered"]+s.Statuses["Skipped"] != 30 {
		t.Fatalf("after the database came back the batch did not finish: %v\nthe first run:\n%s", s.Statuses, first.String())
	}
	checkLedger(t, base)
}

// TestSharedStateConnectionsEnded: the database ends the importer's
// connections (pg_terminate_backend, as an administrator or a failover
// proxy might), three times while a host sends a batch: the run makes
// new ones, its writes are tried again, and it orders every row once.
func TestSharedStateConnectionsEnded(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	state := pgtest.URL(t)
	u, err := url.Parse(state)
	if err != nil {
		t.Fatal(err)
	}
	app := u.Query().Get("application_name") // the test's own: other tests' connections are left alone
	admin, err := pgx.Connect(context.Background(), os.Getenv("IMPORTER_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	base, env, _ := external(t, "--faults", "any:latency:40ms")
	dir, name := sample(t, "monthly-orders.xlsx")
	host := submitProcess(t, dir, base, env, "--state", state, "--batch", "nov", "--concurrency", "2", "--json", name)
	var out, stderr bytes.Buffer
	host.Stdout, host.Stderr = &out, &stderr
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- host.Wait() }()
	// Once it is sending (its start, the schema's migration, is not tried
	// again: it fails before anything is sent).
	waitForOrders(t, base, &stderr)
	ended := 0
	for range 3 {
		time.Sleep(400 * time.Millisecond)
		var n int
		if err := admin.QueryRow(context.Background(), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		ended += n
	}
	select {
	case <-exited:
		t.Fatalf("the run ended before its connections were ended three times: nothing was tested\n%s", stderr.String())
	default:
	}
	if err := <-exited; err != nil || ended < 3 {
		t.Fatalf("the run: %v, %d connections ended\n%s", err, ended, stderr.String())
	}
	if s := parseSummary(t, out.String()); s.Statuses["Ordered"] != 30 {
		t.Errorf("the run: %v\n%s", s.Statuses, stderr.String())
	}
	checkLedger(t, base)
}

// TestStatePassword: a database that asks for a password takes it from
// the URL, PGPASSWORD or a password file (PGPASSFILE, as ~/.pgpass), as
// libpq does; no output or error ever shows it, the right one or a wrong
// one.
func TestStatePassword(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	const secret = "s3cret-Pw-9f2"
	state := pgtest.WithPassword(t, secret)
	u, err := url.Parse(state)
	if err != nil {
		t.Fatal(err)
	}
	withPassword := func(pw string) string {
		v := *u
		v.User = url.UserPassword("postgres", pw)
		return v.String()
	}
	pgpass := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pgpass, []byte("127.0.0.1:"+u.Port()+":*:postgres:"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, url string
		env       []string
		ok        bool
	}{
		{"in the URL", withPassword(secret), nil, true},
		{"PGPASSWORD", state, []string{"PGPASSWORD=" + secret}, true},
		{"a password file", state, []string{"PGPASSFILE=" + pgpass}, true},
		{"a wrong one in the URL", withPassword("wrong-" + secret), nil, false},
		{"a wrong PGPASSWORD", state, []string{"PGPASSWORD=wrong-" + secret}, false},
		{"none", state, nil, false},
	} {
		cmd := exec.Command(binary, "db", "migrate", "--state", tt.url)
		cmd.Env = append(os.Environ(), append([]string{"PGPASSWORD=", "PGPASSFILE=" + filepath.Join(t.TempDir(), "none")}, tt.env...)...)
		out, err := cmd.CombinedOutput()
		if (err == nil) != tt.ok || (tt.ok && !strings.Contains(string(out), "schema version")) || (!tt.ok && !strings.Contains(string(out), "give the password in PGPASSWORD")) {
			t.Errorf("%s: %v\n%s", tt.name, err, out)
		}
		if strings.Contains(string(out), secret) {
			t.Errorf("%s: the password was shown:\n%s", tt.name, out)
		}
	}
}

// TestServeState: serve takes --state only as a PostgreSQL URL, and not
// with the in-process sandbox; both refused before anything is made.
func TestServeState(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--state", "orders.journal"}, "give --state only as postgres://USER@HOST/DB"},
		{[]string{"--state", "postgres://postgres@127.0.0.1:1/x", "--sandbox"}, "cannot share a PostgreSQL --state"},
		{[]string{"--state", "postgres://postgres@127.0.0.1:1/x", "--lease", "1s"}, "--lease: between 3s and 10m"},
	} {
		dir := t.TempDir()
		r := cli(t, dir, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data")}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d %s", tt.args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			t.Errorf("%v: the data directory was made", tt.args)
		}
	}
}

// startServe starts importer serve on a port of its own, with env and
// args, and returns its address and a stop that ends it (SIGTERM) and
// waits; the test's end stops it too.
func startServe(t *testing.T, env []string, args ...string) (at string, stop func()) {
	at, _, stop = startServeProcess(t, env, args...)
	return at, stop
}

// startServeProcess is startServe, with the process (to kill it).
func startServeProcess(t *testing.T, env []string, args ...string) (at string, proc *os.Process, stop func()) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	line, err := bufio.NewReader(out).ReadString('\n')
	at, _, _ = strings.Cut(strings.TrimPrefix(line, "importer serving "), " ")
	if err != nil || !strings.HasPrefix(at, "http://127.0.0.1:") {
		t.Fatalf("serve: %q %v\n%s", line, err, stderr.String())
	}
	return at, cmd.Process, stop
}

// TestServeSharedStore: two instances of the app on one PostgreSQL store,
// each with a data folder of its own, behind no common address: a sheet
// uploaded on one is seen on the other; four eyes hold across them (alice
// may not approve her own upload on the other instance); bob approves on
// the second and buys on the first; both show it done, and the sandbox
// placed every order once. Tokens are made with importer token --store.
func TestServeSharedStore(t *testing.T) {
	t.Parallel() // processes: see parallelTests
	state := pgtest.URL(t)
	base, env, _ := external(t)
	token := func(name, role string) string {
		out, err := exec.Command(binary, "token", "create", "--store", state, "--name", name, "--role", role).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	alice, bob := token("alice", "submitter,approver"), token("bob", "approver,buyer")
	var instances []string
	for range 2 {
		at, _ := startServe(t, env, "--data", t.TempDir(), "--store", state,
			"--endpoint", base, "--token-url", base+"/{tenant}/oauth2/token", "--follow-up", "0")
		instances = append(instances, at)
	}
	call := func(at, tok, method, path string, body io.Reader, typ string) (int, map[string]any) {
		t.Helper()
		return apiCall(t, at, tok, method, path, body, typ)
	}
	body, typ := sampleUpload(t)
	code, b := call(instances[0], alice, "POST", "/api/v1/batches", body, typ)
	if code != 201 {
		t.Fatalf("upload on the first: %d %v", code, b)
	}
	id, plan := b["id"].(string), b["plan"].(map[string]any)["sha256"].(string)
	if code, v := call(instances[1], alice, "GET", "/api/v1/batches/"+id, nil, ""); code != 200 || v["status"] != "ready" {
		t.Fatalf("the upload, on the second: %d %v", code, v)
	}
	decision := `{"decision":"approve","planSha256":"` + plan + `"}`
	if code, v := call(instances[1], alice, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(decision), "application/json"); code != 403 {
		t.Errorf("alice approving her own upload on the other instance: %d %v", code, v)
	}
	if code, v := call(instances[1], bob, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(decision), "application/json"); code != 200 {
		t.Fatalf("bob approving on the second: %d %v", code, v)
	}
	if code, v := call(instances[0], bob, "POST", "/api/v1/batches/"+id+"/submission", nil, ""); code != 202 {
		t.Fatalf("buying on the first: %d %v", code, v)
	}
	for _, at := range instances {
		var status string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			_, v := call(at, bob, "GET", "/api/v1/batches/"+id, nil, "")
			if status, _ = v["status"].(string); status != "approved" && status != "buying" {
				break
			}
		}
		if status != "done" {
			t.Errorf("%s: %s", at, status)
		}
	}
	// The second did not buy it, and shares no folder with the first.
	if code, v := call(instances[1], bob, "GET", "/api/v1/batches/"+id+"/rows?status=Ordered", nil, ""); code != 200 || v["total"] != float64(30) {
		t.Errorf("the ordered rows, on the second: %d %v", code, v["total"])
	}
	checkLedger(t, base)
}
