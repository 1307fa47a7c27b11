package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cspimporter/importer/pkg/notify/notifytest"
)

// hook is a webhook receiver on loopback.
type hook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	posts  []map[string]any
	status int
	calls  int
}

func newHook(t *testing.T, status int) *hook {
	h := &hook{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p map[string]any
		_ = json.Unmarshal(b, &p)
		h.mu.Lock()
		h.calls++
		if h.status < 300 {
			h.posts = append(h.posts, p)
		}
		h.mu.Unlock()
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// url has a secret-looking path, as Slack and Teams webhooks do.
func (h *hook) url() string { return h.srv.URL + "/services/T0/B0/webhookSecretPart" }

func (h *hook) got() (calls int, posts []map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, append([]map[string]any{}, h.posts...)
}

func TestNotifyWebhook(t *testing.T) {
	h := newHook(t, 200)
	dir, name := sample(t, "monthly-orders.xlsx")
	r := cli(t, dir, "submit", "--sandbox", clock, "--notify", h.url(), name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, posts := h.got()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	text, _ := posts[0]["text"].(string)
	sum, _ := posts[0]["summary"].(map[string]any)
	statuses, _ := sum["statuses"].(map[string]any)
	// A sandbox run says so in the title and the text, and the summary.
	if !strings.HasPrefix(text, "importer SANDBOX: monthly-orders.xlsx: 30 ordered") || !strings.Contains(text, "SANDBOX: nothing was bought") ||
		sum["sandbox"] != true || posts[0]["ok"] != true || statuses["Ordered"] != float64(30) {
		t.Errorf("post: text %q, ok %v, statuses %v", text, posts[0]["ok"], statuses)
	}
	if strings.Contains(r.stderr, "webhookSecretPart") || strings.Contains(r.stdout, "webhookSecretPart") {
		t.Error("the webhook's secret path was printed")
	}

	// --notify-on failure: quiet when all is well, told when not.
	quiet := newHook(t, 200)
	if r := cli(t, dir, "submit", "--sandbox", clock, "--notify-on", "failure", "--notify", quiet.url(), name); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if calls, _ := quiet.got(); calls != 0 {
		t.Errorf("--notify-on failure posted after a run that passed")
	}
	dir2, bad := sample(t, "monthly-orders-with-mistakes.csv")
	if r := cli(t, dir2, "submit", "--sandbox", clock, "--notify-on", "failure", "--notify", quiet.url(), bad); r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, posts := quiet.got(); len(posts) != 1 || posts[0]["ok"] != false || !strings.Contains(posts[0]["text"].(string), "invalid") {
		t.Errorf("after a failed run: %v", posts)
	}
	if r := cli(t, dir, "submit", "--sandbox", "--notify-on", "sometimes", name); r.code != 2 {
		t.Errorf("--notify-on sometimes: exit %d", r.code)
	}
}

// TestNotifyFailureKeepsOutcome: a webhook that never works costs retries
// and a warning, never the run's result.
func TestNotifyFailureKeepsOutcome(t *testing.T) {
	t.Parallel() // a process that waits out the retries: see parallelTests
	h := newHook(t, 503)
	dir, name := sample(t, "monthly-orders.xlsx")
	r := process(t, dir, "submit", "--sandbox", clock, "--json", "--notify", h.url(), name)
	if r.code != 0 || parseSummary(t, r.stdout).Statuses["Ordered"] != 30 {
		t.Fatalf("exit %d, want 0 whatever the webhook does\n%s", r.code, r.stderr)
	}
	if calls, _ := h.got(); calls < 2 {
		t.Errorf("%d calls: a 503 was not retried", calls)
	}
	if !strings.Contains(r.stderr, "notification not sent") || strings.Contains(r.stderr, "webhookSecretPart") {
		t.Errorf("stderr should warn, naming the host only:\n%s", r.stderr)
	}
}

// TestNotifyEmailFromWatch: each sheet of a watched inbox is reported by
// email, with its results workbook attached, as filed.
func TestNotifyEmailFromWatch(t *testing.T) {
	base, env, _ := external(t)
	smtp := notifytest.NewSMTPServer(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	cmd := watchCmd(t, in, base, env, "--once", "--notify-email", "finance@example.com", "--smtp-server", smtp.Addr(),
		"--smtp-from", "importer@example.com", "--smtp-user", "importer")
	cmd.env = append(cmd.env, envSMTPPassword+"=smtp-password-value")
	out, err := cmd.CombinedOutput()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, messages, auth := smtp.Seen()
	if len(messages) != 1 || len(auth) != 1 || !strings.Contains(auth[0], "smtp-password-value") {
		t.Fatalf("%d messages, auth %q\n%s", len(messages), auth, out)
	}
	msg := messages[0]
	workbook, err := os.ReadFile(filepath.Join(in, "done", "nov", "nov.results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Subject: importer: nov.xlsx: 30 ordered", "Content-Disposition: attachment; filename=nov.results.xlsx", "Content-Disposition: attachment; filename=summary.json", "Filed under: " + filepath.Join(in, "done", "nov")} {
		if !strings.Contains(strings.ReplaceAll(msg, "=\r\n", ""), want) {
			t.Errorf("the email has no %q", want)
		}
	}
	if len(workbook) == 0 || strings.Contains(string(out), "smtp-password-value") {
		t.Error("no workbook, or the SMTP password was printed")
	}
}
