package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/report"
)

// issuedTokens counts the access tokens an external sandbox has issued.
func issuedTokens(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/_sandbox/tokens")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var toks []string
	if err := json.NewDecoder(resp.Body).Decode(&toks); err != nil {
		t.Fatal(err)
	}
	return len(toks)
}

// TestWatchSharesOneConnection: one watch signs in once and paces every
// sheet with one rate limiter: --rate is the tenant's budget.
func TestWatchSharesOneConnection(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "a.xlsx")
	drop(t, in, "monthly-orders.xlsx", "b.xlsx")
	drop(t, in, "monthly-orders.xlsx", "c.xlsx")
	if code, out := runCode(t, watchCmd(t, in, base, env, "--once")); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := tree(t, in); len(got) != 9 {
		t.Fatalf("inbox %v", got)
	}
	if n := issuedTokens(t, base); n != 1 {
		t.Errorf("%d tokens issued for 3 sheets, want 1 for the whole watch", n)
	}
}

// TestWatchSurvivesAPanic: a sheet whose handling panics is filed under
// failed/ with what is known, and the next sheet is handled; the watch
// itself does not go down.
func TestWatchSurvivesAPanic(t *testing.T) {
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "a-bad.xlsx")
	drop(t, in, "monthly-orders.xlsx", "b-good.xlsx")
	var stdout, stderr bytes.Buffer
	a := newApp(&stdout, &stderr)
	a.submit = func(ctx context.Context, input string, o submitOptions, env *remote) (*report.Summary, error) {
		if strings.Contains(input, "bad") {
			panic("a bug nobody foresaw")
		}
		return a.submitWith(ctx, input, o, env)
	}
	code := a.run(context.Background(), []string{"watch", "--inbox", in, "--once", "--sandbox", "--settle", "100ms", clock})
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a sheet failed)\n%s\n%s", code, stdout.String(), stderr.String())
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

// TestWatchInboxCannotBeWorked: an inbox whose sheets cannot be taken
// (read-only) is an error, exit 2 with a notification, not a silent exit 0.
func TestWatchInboxCannotBeWorked(t *testing.T) {
	in := newInbox(t)
	for _, sub := range []string{"processing", "done", "failed"} {
		if err := os.Mkdir(filepath.Join(in, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	// The inbox read-only, its subfolders writable: bind mounts.
	mount := func(args ...string) error { return exec.Command("mount", args...).Run() }
	if err := mount("--bind", in, in); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount --bind (needs root): %v", err)
		}
		t.Skip("a read-only inbox needs mount --bind (root); skipped")
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-R", in).Run() })
	if err := mount("-o", "remount,ro,bind", in); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	for _, sub := range []string{"processing", "done", "failed"} {
		w := filepath.Join(t.TempDir(), sub)
		if err := os.Mkdir(w, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := mount("--bind", w, filepath.Join(in, sub)); err != nil {
			t.Fatalf("bind %s: %v", sub, err)
		}
	}
	h := newHook(t, http.StatusOK)
	base, env, _ := external(t)
	code, out := runCode(t, watchCmd(t, in, base, env, "--once", "--notify", h.url()))
	if code != 2 || !strings.Contains(out, "cannot be worked") {
		t.Errorf("exit %d, want 2 saying the inbox cannot be worked\n%s", code, out)
	}
	if calls, posts := h.got(); calls != 1 || posts[0]["ok"] != false {
		t.Errorf("%d notifications %v, want one saying it failed", calls, posts)
	}
	if n := orderedLines(t, base); n != 0 {
		t.Errorf("%d lines ordered", n)
	}
}
