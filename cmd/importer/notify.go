package main

import (
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
)

// envSMTPPassword carries the SMTP password: a secret, so never a flag.
const envSMTPPassword = "IMPORTER_SMTP_PASSWORD"

type notifyOptions struct {
	webhooks   []string
	on         string
	emails     []string
	smtpServer string
	smtpFrom   string
	smtpUser   string
	// smtpPassword comes from the environment (see app.notifyOptions).
	smtpPassword string
}

func (o *notifyOptions) register(f *pflag.FlagSet) {
	if o.on == "" {
		o.on = importer.NotifyAlways
	}
	f.StringArrayVar(&o.webhooks, "notify", nil, "after each run, POST the summary to this webhook (Teams, Slack, or any); repeatable")
	f.StringVar(&o.on, "notify-on", o.on, "when to notify: always, or failure (any exit but 0)")
	f.StringArrayVar(&o.emails, "notify-email", nil, "after each run, email the summary and results workbook to this address (needs --smtp-server and --smtp-from); repeatable")
	f.StringVar(&o.smtpServer, "smtp-server", "", "SMTP server, host:port (STARTTLS is used when offered)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "sender address of notification emails")
	f.StringVar(&o.smtpUser, "smtp-user", "", "SMTP user name; the password comes from "+envSMTPPassword)
}

// notify are the options of the core's notifications.
func (o *notifyOptions) notify() importer.NotifyOptions {
	return importer.NotifyOptions{Webhooks: o.webhooks, On: o.on, Emails: o.emails,
		SMTPServer: o.smtpServer, SMTPFrom: o.smtpFrom, SMTPUser: o.smtpUser, SMTPPassword: o.smtpPassword}
}
