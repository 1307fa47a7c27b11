package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/sandbox"
)

// TestSandboxRemembers: the sandbox does what Partner Center would across
// runs. A second submit of a batch Skips what the first bought and orders
// nothing; --create-only then submit checks out the very carts created;
// --sandbox-reset starts afresh.
func TestSandboxRemembers(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	results := filepath.Join(dir, "monthly-orders.results.xlsx")
	state := filepath.Join(strings.TrimPrefix(stateEnv(t), "XDG_STATE_HOME="), "importer", "sandbox")
	submit := func(want string, n int, args ...string) {
		t.Helper()
		r := cli(t, dir, append(append([]string{"submit", "--sandbox", "--json", clock}, args...), name)...)
		if s := parseSummary(t, r.stdout); s.Statuses[want] != n {
			t.Fatalf("%v: exit %d, statuses %v, want %d %s\n%s", args, r.code, s.Statuses, n, want, r.stderr)
		}
	}
	submit("Ordered", 30)
	first := column(t, results, "Order Id")
	saved := filepath.Join(state, "monthly-orders.sandbox")
	orders := sandboxOrders(t, saved)
	submit("Skipped", 30)
	if got := sandboxOrders(t, saved); got != orders || orders == 0 {
		t.Errorf("after a second run the sandbox holds %d orders, want the first run's %d", got, orders)
	}
	if again := column(t, results, "Order Id"); strings.Join(again, ",") != strings.Join(first, ",") {
		t.Errorf("the second run's order ids are not the first's:\n%v\n%v", again, first)
	}

	submit("Ordered", 30, "--sandbox-reset")
	if got := sandboxOrders(t, saved); got != orders {
		t.Errorf("after a reset the sandbox holds %d orders, want a new run's %d", got, orders)
	}
	if fresh := column(t, results, "Order Id"); fresh[0] == first[0] {
		t.Errorf("after a reset the orders are the old ones: %v", fresh)
	}

	submit("Created", 30, "--batch", "create first", "--create-only")
	created := column(t, results, "Cart Id")
	submit("Ordered", 30, "--batch", "create first")
	if checkedOut := column(t, results, "Cart Id"); strings.Join(checkedOut, ",") != strings.Join(created, ",") {
		t.Errorf("submit after --create-only checked out other carts:\n%v\n%v", checkedOut, created)
	}
	if _, err := os.Stat(filepath.Join(state, "create_first.journal")); err != nil {
		t.Errorf("the batch's sandbox journal: %v", err)
	}

	if r := cli(t, dir, "submit", "--sandbox-reset", name); r.code != 2 || !strings.Contains(r.stderr, "needs --sandbox") {
		t.Errorf("--sandbox-reset without --sandbox: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSandboxJournalNeverReal: a sandbox's journal given to a real
// submission is refused, nothing sent: its rows were never bought.
func TestSandboxJournalNeverReal(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	journal := filepath.Join(dir, "nov.journal")
	if r := cli(t, dir, "submit", "--sandbox", clock, "--state", journal, name); r.code != 0 {
		t.Fatalf("sandbox run: exit %d\n%s", r.code, r.stderr)
	}
	code, out := runCode(t, submitTo(t, dir, base, env, "--state", journal, name))
	if code != 2 || !strings.Contains(out, "records runs against the sandbox, not Partner Center") {
		t.Errorf("a real run on a sandbox journal: exit %d\n%s", code, out)
	}
	if n := orderedLines(t, base); n != 0 {
		t.Errorf("%d lines ordered, want none", n)
	}
}

// column is a column of a results workbook's orders, row by row.
func column(t *testing.T, path, header string) []string {
	t.Helper()
	var out []string
	for _, row := range orderRows(t, path) {
		v, ok := row[header]
		if !ok || v == "" {
			t.Fatalf("%s: a row without %s: %v", path, header, row)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return out
}

// sandboxOrders counts the orders in a sandbox's saved state.
func sandboxOrders(t *testing.T, path string) int {
	t.Helper()
	n, err := sandbox.SavedOrders(path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
