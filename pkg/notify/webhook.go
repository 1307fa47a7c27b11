// Package notify tells people how a run went: a webhook POST (Teams and
// Slack read its "text"; machines read "summary") and email with the
// results workbook attached. Sending is retried; a failure is returned for
// the caller to log, and never changes what the run did.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cspimporter/importer/pkg/retry"
)

// Message is what a run reports.
type Message struct {
	Title   string // one line: what, and how it went
	Text    string // a few lines for a person
	OK      bool   // every row passed
	Summary any    // the structured summary (the run's --json)
	// Attachments are files sent with an email (the results workbook);
	// webhooks carry only text and the summary.
	Attachments []string
}

// Webhook posts messages to one URL.
type Webhook struct {
	URL      string
	Client   *http.Client
	Attempts int           // default 4
	Backoff  time.Duration // first pause between attempts, doubling; default 1s
}

// payload is Teams/Slack-compatible: both show "text".
type payload struct {
	Text    string `json:"text"`
	Title   string `json:"title"`
	OK      bool   `json:"ok"`
	Summary any    `json:"summary,omitempty"`
}

// Where names the webhook without its secret parts: the path and query of
// a Slack or Teams webhook URL are its credential.
func Where(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a webhook)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// Send posts m, retrying dropped connections, 429s and 5xx answers.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(payload{Text: m.Title + "\n\n" + m.Text, Title: m.Title, OK: m.OK, Summary: m.Summary})
	if err != nil {
		return err
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	p := retry.Policy{Attempts: max(w.Attempts, 1), Base: w.Backoff}
	if w.Attempts == 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	err = retry.Do(ctx, p, func(int) (time.Duration, error) {
		wait, err := w.post(ctx, client, body)
		var final *finalError
		if errors.As(err, &final) {
			return 0, retry.Permanent(err)
		}
		return wait, err
	})
	if err != nil {
		return fmt.Errorf("notify %s: %w", Where(w.URL), err)
	}
	return nil
}

// finalError is an answer that another attempt would not change.
type finalError struct{ msg string }

func (e *finalError) Error() string { return e.msg }

// post makes one attempt; wait is the server's Retry-After, if any.
func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, &finalError{msg: "not a webhook URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The URL is a secret: keep the reason, not the *url.Error's URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			return 0, ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, time.Minute)
		}
		return wait, fmt.Errorf("HTTP %d", resp.StatusCode)
	default:
		return 0, &finalError{msg: fmt.Sprintf("refused: HTTP %d", resp.StatusCode)}
	}
}
