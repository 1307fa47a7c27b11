package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/order"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	outcomes := []order.Outcome{{Status: order.StatusOrdered}, {Status: order.StatusOrdered}, {Status: order.StatusFailed}, {Status: order.StatusUnknown}}
	p := newProgress(&buf, 3, outcomes, 0)
	p.cartDone([]int{0, 1})
	p.cartDone([]int{2})
	if _, err := p.wrap(&buf).Write([]byte("a log line\n")); err != nil {
		t.Fatal(err)
	}
	p.cartDone([]int{3})
	out := buf.String()
	// The bar clears itself when the last cart is done.
	for _, want := range []string{"(2/3", "rows ordered 2, not ordered 2", "a log line\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output has no %q:\n%q", want, out)
		}
	}
	p.finish()
}

// TestProgressOnlyOnATerminal: piped, no bar anywhere; on a terminal (a
// pseudo-terminal from script(1)), the bar.
func TestProgressOnlyOnATerminal(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	r := importer(t, dir, "submit", "--sandbox", clock, name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "rows ordered") || strings.Contains(r.stdout+r.stderr, "\r") {
		t.Errorf("a progress bar was written to a pipe:\n%q", r.stderr)
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) (util-linux) is needed to run the importer on a pseudo-terminal: %v", err)
	}
	cmd := exec.Command(script, "-qefc", strings.Join([]string{binary, "submit", "--sandbox", clock, "--batch", "tty", name}, " "), "/dev/null")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"carts", "rows ordered", "Submitted 30 rows in 9 carts: 30 ordered."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("on a terminal, no %q:\n%q", want, out)
		}
	}
}
