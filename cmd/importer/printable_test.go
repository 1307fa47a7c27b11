package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain Müller €", "plain Müller €"},
		{"bell\x07", `bell\x07`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"1\nChecked 2 rows", `1\nChecked 2 rows`},
		{"tab\tcr\r", `tab\tcr\r`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"c1\u009b31m", `c1\x9b31m`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := printableLines("config x:\n  a\x1b\n  b"); got != "config x:\n  a\\x1b\n  b" {
		t.Errorf("printableLines: %q", got)
	}
}

// TestTerminalEscapes: cell text and file names reach the terminal
// escaped: no escape sequence drives it, and no newline in a cell forges a
// line of the summary.
func TestTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	sheet := "CustomerId,CatalogItemId,Quantity,BillingCycle\n" +
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,\"1\nChecked 2 rows in 1 carts: 2 valid.\",monthly\n" +
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,\x1b]0;pwned\x07\x1b[31m,2,monthly\n"
	name := "orders\x1b[2J.csv"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(sheet), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli(t, dir, "validate", clock, "-o", "out.xlsx", name)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r2 := cli(t, dir, "validate", clock, "missing\x1b[2J\x07.csv")
	for _, out := range []string{r.stdout, r2.stderr} {
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("a control character reached the terminal:\n%q", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "Checked 2 rows in 1 carts: 2 valid") {
				t.Errorf("a cell forged a summary line:\n%s", out)
			}
		}
	}
	if !strings.Contains(r2.stderr, `missing\x1b[2J\x07.csv`) {
		t.Errorf("the file name must be shown escaped: %q", r2.stderr)
	}
}
