package submit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRowKeysStable: a row's key is its identity in every journal already
// written. If it changed, a rerun after an upgrade would not know the rows
// it ordered and would order them again, so the keys of the samples are
// pinned: a change to the domain types, or to how keys are made, fails
// here.
func TestRowKeysStable(t *testing.T) {
	for _, sample := range []string{"monthly-orders.xlsx", "monthly-orders-with-mistakes.csv"} {
		p := plan(t, filepath.Join("..", "..", "samples", sample))
		keys := RowKeys(p.Rows, p.Carts)
		var lines []string
		for i := range p.Rows {
			if k, ok := keys[i]; ok {
				lines = append(lines, fmt.Sprintf("row %d %s", p.Rows[i].Line, k))
			}
		}
		got := strings.Join(lines, "\n") + "\n"
		golden := filepath.Join("testdata", sample+".rowkeys")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./pkg/submit -run TestRowKeysStable -update creates it; never update it to make a change pass)", err)
		}
		if got != string(want) {
			t.Errorf("the row keys of %s changed: journals written before would no longer know their rows.\ngot:\n%s\nwant:\n%s", sample, got, want)
		}
	}
}
