package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/sandbox"
)

// orderedLines counts the lines an external sandbox has ordered.
func orderedLines(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for _, e := range ledger(t, base) {
		if e.Kind == sandbox.LedgerOrder {
			n += e.Lines
		}
	}
	return n
}

func runCode(t *testing.T, cmd interface{ CombinedOutput() ([]byte, error) }) (int, string) {
	t.Helper()
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		return ee.ExitCode(), string(b)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(b)
}

// TestWipedJournal: a journal that was deleted or emptied no longer buys
// everything again: the results workbook is evidence of what was ordered.
func TestWipedJournal(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	state := filepath.Join(dir, "state", "nov.journal")
	if code, out := runCode(t, submitTo(t, dir, base, env, "--state", state, name)); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	refused := func(label string, args ...string) {
		t.Helper()
		code, out := runCode(t, submitTo(t, dir, base, env, args...))
		if code != 2 || !strings.Contains(out, "the journal has no record of this batch") || !strings.Contains(out, "--order-again") {
			t.Errorf("%s: exit %d, want 2 naming the missing journal and --order-again\n%s", label, code, out)
		}
		if n := orderedLines(t, base); n != 30 {
			t.Fatalf("%s: %d lines ordered, want 30", label, n)
		}
	}
	if err := os.Truncate(state, 0); err != nil {
		t.Fatal(err)
	}
	refused("journal emptied", "--state", state, name)
	if err := os.RemoveAll(filepath.Dir(state)); err != nil {
		t.Fatal(err)
	}
	refused("state directory wiped", "--state", state, name)

	// The results workbook given back as the input is evidence too; with
	// --order-again its ordered rows are still never sent.
	results := "monthly-orders.results.xlsx"
	refused("results workbook as input", "--state", filepath.Join(dir, "other.journal"), "-o", "again.xlsx", results)
	code, out := runCode(t, submitTo(t, dir, base, env, "--state", filepath.Join(dir, "third.journal"), "--order-again", "--json", "-o", "again.xlsx", results))
	if code != 0 || parseSummary(t, outJSON(out)).Statuses["Skipped"] != 30 || !strings.Contains(out, "ordered earlier: order") {
		t.Errorf("results workbook as input with --order-again: exit %d, want 0 with 30 rows skipped\n%s", code, out)
	}
	if n := orderedLines(t, base); n != 30 {
		t.Fatalf("%d lines ordered, want 30", n)
	}

	// Another batch's results are no evidence against this batch.
	if code, out := runCode(t, submitTo(t, dir, base, env, "--state", filepath.Join(dir, "dec.journal"), "--batch", "december", name)); code != 0 {
		t.Errorf("a new batch: exit %d\n%s", code, out)
	}
	if n := orderedLines(t, base); n != 60 {
		t.Errorf("%d lines ordered, want 60 (the new batch orders again)", n)
	}
}

// outJSON is the JSON object in combined output (the summary on stdout).
func outJSON(out string) string {
	i, j := strings.Index(out, "{\n"), strings.LastIndex(out, "\n}")
	if i < 0 || j < i {
		return out
	}
	return out[i : j+2]
}
