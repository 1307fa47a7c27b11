package importer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWatchSurvivesAPanic: a sheet whose handling panics is filed under
// failed/ with what is known, and the next sheet is handled; the watch
// itself does not go down.
func TestWatchSurvivesAPanic(t *testing.T) {
	in := filepath.Join(t.TempDir(), "inbox")
	if err := os.Mkdir(in, 0o750); err != nil {
		t.Fatal(err)
	}
	sample(t, in, "monthly-orders.xlsx", "a-bad.xlsx")
	sample(t, in, "monthly-orders.xlsx", "b-good.xlsx")
	o := WatchOptions{Inbox: in, Once: true, Poll: time.Second, Settle: 100 * time.Millisecond,
		CheckSheet: CheckOptions{Now: clock}, Submit: SubmitOptions{Concurrency: 5, StateDir: t.TempDir()}, Connect: sandboxOptions()}
	o.submit = func(ctx context.Context, input string, co CheckOptions, so SubmitOptions, conn Connector) (*Submitted, error) {
		if strings.Contains(input, "bad") {
			panic("a bug nobody foresaw")
		}
		return SubmitSheet(ctx, input, co, so, conn)
	}
	err := Watch(context.Background(), o)
	if FaultOf(err) != FaultRows {
		t.Fatalf("watch: %v (%v), want FaultRows (a sheet failed)", err, FaultOf(err))
	}
	want := []string{"done/b-good/b-good.results.xlsx", "done/b-good/b-good.summary.json", "done/b-good/b-good.xlsx",
		"failed/a-bad/a-bad.error.txt", "failed/a-bad/a-bad.xlsx"}
	if got := tree(t, in); !slices.Equal(got, want) {
		t.Fatalf("inbox %v, want %v", got, want)
	}
	msg, err := os.ReadFile(filepath.Join(in, "failed", "a-bad", "a-bad.error.txt"))
	if err != nil || !strings.Contains(string(msg), "internal error while handling the sheet (a bug nobody foresaw)") ||
		strings.Contains(string(msg), "nothing was sent") {
		t.Errorf("error.txt: %s", msg)
	}
}
