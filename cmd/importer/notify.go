package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/notify"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
)

// envSMTPPassword carries the SMTP password: a secret, so never a flag.
const envSMTPPassword = "IMPORTER_SMTP_PASSWORD"

// Values of --notify-on.
const (
	notifyAlways  = "always"
	notifyFailure = "failure"
)

type notifyOptions struct {
	webhooks   []string
	on         string
	emails     []string
	smtpServer string
	smtpFrom   string
	smtpUser   string
}

func (o *notifyOptions) register(f *pflag.FlagSet) {
	if o.on == "" {
		o.on = notifyAlways
	}
	f.StringArrayVar(&o.webhooks, "notify", nil, "after each run, POST the summary to this webhook (Teams, Slack, or any); repeatable")
	f.StringVar(&o.on, "notify-on", o.on, "when to notify: always, or failure (any exit but 0)")
	f.StringArrayVar(&o.emails, "notify-email", nil, "after each run, email the summary and results workbook to this address (needs --smtp-server and --smtp-from); repeatable")
	f.StringVar(&o.smtpServer, "smtp-server", "", "SMTP server, host:port (STARTTLS is used when offered)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of notification emails")
	f.StringVar(&o.smtpUser, "smtp-user", "", "SMTP user name; the password comes from "+envSMTPPassword)
}

func (o *notifyOptions) check() error {
	if o.on != notifyAlways && o.on != notifyFailure {
		return fmt.Errorf("--notify-on %q: use always or failure", o.on)
	}
	for _, u := range o.webhooks {
		if err := checkURL(u); err != nil {
			return fmt.Errorf("--notify %s: %w", notify.Where(u), err)
		}
	}
	if len(o.emails) > 0 && (o.smtpServer == "" || o.smtpFrom == "") {
		return errors.New("--notify-email needs --smtp-server and --smtp-from")
	}
	return nil
}

// notify tells the webhooks and mailboxes how a run of one sheet went.
// filed is where watch put the sheet ("" for submit). A failure to notify
// is logged; it never changes the run's outcome or exit code.
func (a *app) notify(ctx context.Context, o notifyOptions, input string, sum *report.Summary, runErr error, filed string) {
	if len(o.webhooks) == 0 && len(o.emails) == 0 {
		return
	}
	ok := runErr == nil
	if ok && o.on == notifyFailure {
		return
	}
	password := a.notifySecrets(o)
	msg := a.message(input, sum, runErr, filed)
	// Told even after an interrupt, but never for long.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	log := a.log.WithField("file", input)
	for _, u := range o.webhooks {
		if err := (&notify.Webhook{URL: u}).Send(ctx, msg); err != nil {
			log.WithField("webhook", notify.Where(u)).Warnf("notification not sent (the run's outcome stands): %v", err)
		} else {
			log.WithField("webhook", notify.Where(u)).Info("notified")
		}
	}
	if len(o.emails) > 0 {
		e := &notify.Email{Server: o.smtpServer, From: o.smtpFrom, To: o.emails, Username: o.smtpUser, Password: password}
		if err := e.Send(ctx, msg); err != nil {
			log.WithField("smtp", o.smtpServer).Warnf("notification email not sent (the run's outcome stands): %v", err)
		} else {
			log.WithField("smtp", o.smtpServer).Info("notified by email")
		}
	}
}

// notifySecrets registers the notification secrets with the log's
// redactor (before anything can log them) and returns the SMTP password.
func (a *app) notifySecrets(o notifyOptions) (password string) {
	password = os.Getenv(envSMTPPassword)
	a.secrets.add(password)
	a.secrets.add(o.webhooks...)
	return password
}

// message says how a run went, for people and machines.
func (a *app) message(input string, sum *report.Summary, runErr error, filed string) notify.Message {
	name := filepath.Base(input)
	m := notify.Message{OK: runErr == nil}
	var text []string
	if sum == nil {
		reason := "unknown"
		if runErr != nil {
			reason = a.secrets.redact(runErr.Error())
		}
		m.Title = fmt.Sprintf("importer: %s could not be submitted", name)
		text = append(text, "Nothing was sent: "+reason)
		m.Summary = map[string]any{"input": input, "ok": false, "error": reason, "filed": filed}
	} else {
		var counts []string
		for _, st := range order.Statuses {
			if n := sum.Statuses[string(st)]; n > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", n, strings.ToLower(string(st))))
			}
		}
		m.Title = fmt.Sprintf("importer: %s: %s", name, strings.Join(counts, ", "))
		if ee := (*exitError)(nil); errors.As(runErr, &ee) && ee.err != nil {
			text = append(text, "Stopped: "+a.secrets.redact(ee.err.Error()))
		}
		text = append(text, fmt.Sprintf("%d rows in %d carts, %d orders. Batch %s, run %s.", sum.Rows, len(sum.Carts), len(sum.Orders), sum.Batch, sum.RunID))
		for _, k := range report.TallyKinds(sum.Problems, true) {
			text = append(text, fmt.Sprintf("- %s: %d (rows %s)", k.Kind, k.Count, report.RowList(k.Rows, 10)))
		}
		results := sum.Results
		if filed != "" {
			results = filepath.Join(filed, filepath.Base(sum.Results))
		}
		text = append(text, "Results workbook: "+results)
		m.Attachments = []string{results}
		m.Summary = sum
	}
	if filed != "" {
		text = append(text, "Filed under: "+filed)
	}
	m.Text = strings.Join(text, "\n")
	return m
}
