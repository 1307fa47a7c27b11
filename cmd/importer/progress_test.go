package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 0)
	if _, err := p.wrap(&buf).Write([]byte("a line before the bar\n")); err != nil {
		t.Fatal(err)
	}
	p.Start(3, 4)
	p.CartDone(2, 2)
	p.CartDone(1, 0)
	if _, err := p.wrap(&buf).Write([]byte("a log line\n")); err != nil {
		t.Fatal(err)
	}
	p.CartDone(1, 0)
	out := buf.String()
	// The bar clears itself when the last cart is done.
	for _, want := range []string{"a line before the bar\n", "(2/3", "rows ordered 2, not ordered 2", "a log line\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output has no %q:\n%q", want, out)
		}
	}
	p.Finish()
}

// TestProgressJSON: --progress json writes a line as the run starts, one
// per cart and one at the end, each with the counts so far.
func TestProgressJSON(t *testing.T) {
	var buf bytes.Buffer
	p := &jsonProgress{w: &buf}
	p.Start(2, 3)
	p.CartDone(2, 1)
	p.CartDone(1, 1)
	p.Finish()
	want := `{"type":"start","carts":2,"rows":3,"cartsDone":0,"rowsOrdered":0,"rowsNotOrdered":0}
{"type":"cart","carts":2,"rows":3,"cartsDone":1,"rowsOrdered":1,"rowsNotOrdered":1}
{"type":"cart","carts":2,"rows":3,"cartsDone":2,"rowsOrdered":2,"rowsNotOrdered":1}
{"type":"finish","carts":2,"rows":3,"cartsDone":2,"rowsOrdered":2,"rowsNotOrdered":1}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestProgressOnlyOnATerminal: piped, no bar anywhere; on a terminal (a
// pseudo-terminal from script(1)), the bar.
func TestProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel() // the binary on a pipe and on a terminal: see parallelTests
	dir, name := sample(t, "monthly-orders.xlsx")
	r := process(t, dir, "submit", "--sandbox", clock, name)
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
	// At the real pace, so the bar is drawn as a person would see it.
	cmd := exec.Command(script, "-qefc", strings.Join([]string{binary, "submit", "--sandbox", clock, "--batch", "tty", name}, " "), "/dev/null")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), stateEnv(t))
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

// TestProgressJSONLines: --progress json writes the progress as JSON lines
// on stderr, also when nobody watches, and ends with every cart done.
func TestProgressJSONLines(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	r := cli(t, dir, "submit", "--sandbox", clock, "--progress", "json", "--log-format", "text", name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{`{"type":"start","carts":9,"rows":30,`, `{"type":"cart","carts":9,"rows":30,"cartsDone":1,`,
		`{"type":"finish","carts":9,"rows":30,"cartsDone":9,"rowsOrdered":30,"rowsNotOrdered":0}`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr has no %s:\n%s", want, r.stderr)
		}
	}
	if r := cli(t, dir, "submit", "--sandbox", clock, "--progress", "dots", name); r.code != 2 || !strings.Contains(r.stderr, "--progress") {
		t.Errorf("--progress dots: exit %d\n%s", r.code, r.stderr)
	}
}
