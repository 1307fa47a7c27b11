package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/notify"
	"github.com/cspimporter/importer/pkg/report"
)

// When to notify.
const (
	NotifyAlways  = "always"
	NotifyFailure = "failure"
)

// NotifyOptions say whom to tell how a run went.
type NotifyOptions struct {
	Webhooks                                     []string // POSTed the summary (Teams, Slack, or any)
	On                                           string   // NotifyAlways or NotifyFailure; "" is always
	Emails                                       []string // sent the summary and the results workbook
	SMTPServer, SMTPFrom, SMTPUser, SMTPPassword string
}

// Check refuses options no notification can be sent with.
func (o *NotifyOptions) Check() error {
	if o.On != "" && o.On != NotifyAlways && o.On != NotifyFailure {
		return fmt.Errorf("--notify-on %q: use always or failure", o.On)
	}
	for _, u := range o.Webhooks {
		if err := CheckURL(u); err != nil {
			return fmt.Errorf("--notify %s: %w", notify.Where(u), err)
		}
	}
	if len(o.Emails) > 0 && (o.SMTPServer == "" || o.SMTPFrom == "") {
		return errors.New("--notify-email needs --smtp-server and --smtp-from")
	}
	return nil
}

// Secrets are the options' values that must never be shown: a webhook
// URL's path is its credential, and the SMTP password.
func (o *NotifyOptions) Secrets() []string {
	return append([]string{o.SMTPPassword}, o.Webhooks...)
}

// Told is how one run of a sheet went, to be told.
type Told struct {
	Input   string
	Summary *report.Summary // nil: the run could not be done
	Err     error
	Filed   string // where a watch filed the sheet; "" for a submit
	// Headline, if set, is what the title says instead of the rows'
	// statuses (a follow-up: "every order provisioned").
	Headline string
}

// Notify tells the webhooks and mailboxes how a run went. A failure to
// notify is logged; it never changes the run's outcome.
func Notify(ctx context.Context, log logrus.FieldLogger, secrets *Secrets, o NotifyOptions, t Told) {
	if len(o.Webhooks) == 0 && len(o.Emails) == 0 {
		return
	}
	if t.Err == nil && o.On == NotifyFailure {
		return
	}
	secrets.Add(o.Secrets()...)
	msg := message(secrets, t)
	// Told even after an interrupt, but never for long.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	l := logOrDiscard(log).WithField("file", t.Input)
	for _, u := range o.Webhooks {
		if err := (&notify.Webhook{URL: u}).Send(ctx, msg); err != nil {
			l.WithField("webhook", notify.Where(u)).Warnf("notification not sent (the run's outcome stands): %v", err)
		} else {
			l.WithField("webhook", notify.Where(u)).Info("notified")
		}
	}
	if len(o.Emails) > 0 {
		e := &notify.Email{Server: o.SMTPServer, From: o.SMTPFrom, To: o.Emails, Username: o.SMTPUser, Password: o.SMTPPassword}
		if err := e.Send(ctx, msg); err != nil {
			l.WithField("smtp", o.SMTPServer).Warnf("notification email not sent (the run's outcome stands): %v", err)
		} else {
			l.WithField("smtp", o.SMTPServer).Info("notified by email")
		}
	}
}

// message says how a run went, for people and machines.
func message(secrets *Secrets, t Told) notify.Message {
	name := filepath.Base(t.Input)
	m := notify.Message{OK: t.Err == nil}
	var text []string
	if sum := t.Summary; sum == nil {
		reason := "unknown"
		if t.Err != nil {
			reason = secrets.Redact(t.Err.Error())
		}
		m.Title = fmt.Sprintf("importer: %s could not be submitted", name)
		text = append(text, "Nothing was sent: "+reason)
		m.Summary = map[string]any{"input": t.Input, "ok": false, "error": reason, "filed": t.Filed}
	} else {
		m.Title = fmt.Sprintf("importer: %s: %s", name, report.TallyText(report.Tally(sum.Statuses)))
		if t.Headline != "" {
			m.Title = fmt.Sprintf("importer: %s: %s", name, t.Headline)
		}
		if sum.Sandbox {
			m.Title = "importer SANDBOX: " + strings.TrimPrefix(m.Title, "importer: ")
			text = append(text, report.SandboxNote+".")
		}
		if msg := Message(t.Err); msg != "" {
			text = append(text, "Stopped: "+secrets.Redact(msg))
		}
		text = append(text, fmt.Sprintf("%d rows in %d carts, %d orders. Batch %s, run %s.", sum.Rows, len(sum.Carts), len(sum.Orders), sum.Batch, sum.RunID))
		for _, k := range report.TallyKinds(sum.Problems, true) {
			text = append(text, fmt.Sprintf("- %s: %d (%s)", k.Kind, k.Count, report.Rows(k.Rows, 10)))
		}
		results := sum.Results
		if t.Filed != "" {
			results = filepath.Join(t.Filed, filepath.Base(sum.Results))
		}
		text = append(text, "Results workbook: "+results)
		m.Attachments = []string{results}
		m.Summary = sum
	}
	if t.Filed != "" {
		text = append(text, "Filed under: "+t.Filed)
	}
	m.Text = strings.Join(text, "\n")
	return m
}
