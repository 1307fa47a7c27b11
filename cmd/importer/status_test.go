package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/submit"
	"github.com/cspimporter/importer/pkg/validate"
)

// TestStatusFollowsOrders: after a submission whose orders provision
// later, status says they are pending (exit 1); with --wait it asks again
// until the sandbox says they are completed and fulfilled, fills Order
// Status, Provisioning and every Subscription Id in, and exits 0; asked
// again, nothing changed.
func TestStatusFollowsOrders(t *testing.T) {
	base, env, _ := external(t, "--provisioning-delay", "5s")
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "nov.journal")
	if code, out := runCode(t, submitTo(t, dir, base, env, "--state", state, name)); code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, out)
	}
	status := func(args ...string) (int, string) {
		t.Helper()
		c := &command{t: t, dir: dir, env: env, args: append([]string{"status", "--rate", "60000", "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", clock,
			"--state", state}, append(args, name)...)}
		return runCode(t, c)
	}
	code, out := status()
	if code != 1 || !strings.Contains(out, "Ordered rows: 0 provisioned, 30 pending, 0 failed.") {
		t.Fatalf("at once: exit %d\n%s", code, out)
	}
	code, out = status("--wait", "20s", "--interval", "500ms")
	if code != 0 || !strings.Contains(out, "Ordered rows: 30 provisioned, 0 pending, 0 failed.") || !strings.Contains(out, ": pending → completed; provisioning unfulfilled → fulfilled; subscription ") {
		t.Fatalf("--wait: exit %d\n%s", code, out)
	}
	for _, row := range orderRows(t, filepath.Join(dir, "monthly-orders.results.xlsx")) {
		if row["Order Status"] != "completed" || row["Provisioning"] != "fulfilled" || row["Subscription Id"] == "" || row["Import Status"] != "Ordered" {
			t.Errorf("row %v", row)
		}
	}
	if code, out = status(); code != 0 || strings.Contains(out, "→") {
		t.Errorf("asked again: exit %d, changes:\n%s", code, out)
	}
}

// TestStatusUnknownRow: a row whose checkout got no answer says what the
// last answer was, and that a submit rerun settles it.
func TestStatusUnknownRow(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "nov.journal")
	if r := cli(t, dir, "submit", "--sandbox", clock, "--state", state, name); r.code != 0 {
		t.Fatalf("submit: exit %d\n%s", r.code, r.stderr)
	}
	s, err := ingest.Read(context.Background(), filepath.Join(dir, name), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := validate.New(validate.Options{}).Check(s.Rows)
	key := submit.RowKeys(c.Rows, c.Carts)[0]
	j, err := submit.OpenJournal(state)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := j.Row("monthly-orders", key)
	if err != nil || rec == nil {
		t.Fatalf("journal row: %v %v", rec, err)
	}
	rec.Status, rec.Message, rec.OrderID = "Unknown", "no answer from Partner Center after 6 attempts", ""
	if err := j.PutRows("monthly-orders", map[string]submit.RowRecord{key: *rec}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	r := cli(t, dir, "status", "--sandbox", clock, "--state", state, name)
	if r.code != 1 || !strings.Contains(r.stdout, "row 4, column") && !strings.Contains(r.stdout, "row 4: the last answer") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "no answer from Partner Center after 6 attempts; run importer submit again to settle it") {
		t.Errorf("no clear line for the Unknown row:\n%s", r.stdout)
	}
}

func TestStatusRefusals(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--interval", "5s", name}, "--interval 5s: Partner Center may be asked at most every 30s"},
		{[]string{"status", "--sandbox", "--state", filepath.Join(dir, "none.journal"), name}, "nothing was submitted in batch monthly-orders: there is no journal"},
	} {
		if r := cli(t, dir, tt.args...); r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d\n%s", tt.args, r.code, r.stderr)
		}
	}
}

// TestStatusOfBatch: the batch alone, without its sheet, from the journal.
func TestStatusOfBatch(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "nov.journal")
	if r := cli(t, dir, "submit", "--sandbox", clock, "--state", state, "--batch", "nov", name); r.code != 0 {
		t.Fatalf("submit: exit %d\n%s", r.code, r.stderr)
	}
	r := cli(t, dir, "status", "--sandbox", "--state", state, "--batch", "nov")
	if r.code != 0 || !strings.Contains(r.stdout, "Batch nov, ordered rows: 30 provisioned, 0 pending, 0 failed.") || !strings.Contains(r.stdout, ": completed; provisioning fulfilled; subscription ") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, dir, "status", "--sandbox"); r.code != 2 || !strings.Contains(r.stderr, "name the order sheet") {
		t.Errorf("neither sheet nor batch: exit %d\n%s", r.code, r.stderr)
	}
}
