package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
