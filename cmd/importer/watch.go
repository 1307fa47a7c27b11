package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
)

type watchOptions struct {
	submitOptions
	inbox       string
	once        bool
	poll        time.Duration
	settle      time.Duration
	requirePlan bool
	followUp    time.Duration
}

func newWatchCmd(a *app) *cobra.Command {
	o := defaultWatchOptions()
	cmd := &cobra.Command{
		Use:   "watch --inbox DIR [submit flags]",
		Short: "Submit every order sheet dropped into a folder, one at a time, and file it under done/ or failed/",
		Long: `watch submits every .xlsx and .csv file that appears in the inbox, once it has
stopped changing, one at a time in name order. Each sheet is moved into a
directory of its own under DIR/processing/, submitted exactly as submit does
(the same journal, so nothing is ever ordered twice), and then moved with its
results workbook and JSON summary to DIR/done/ (every row passed) or
DIR/failed/ (anything else; a sheet that could not be read gets NAME.error.txt).

With --once it handles what is there and exits: the form for cron. Without,
it keeps watching until SIGINT or SIGTERM, and then finishes the sheet in
hand before it exits (a second signal stops at once; the next run resumes the
sheet left in processing/, safely). A sheet found in processing/ at start is
resumed first.

With --require-plan, a sheet is taken only with its approved plan beside it
(orders.xlsx with orders.plan.json, from validate --plan), and refused unless
it is exactly what the plan approved.

If signing in or the journal fails, the sheet is not at fault: it stays in
processing/. With --once the run then exits 2; a running watch tries again,
pausing longer each time (up to 15 minutes), and notifies only the first time.

Exit codes: 0 every sheet handled went to done/ (or there was none); 1 at
least one went to failed/; 2 the inbox could not be watched (bad flags or
config, another watcher on the inbox; with --once also missing or rejected
credentials or an unwritable journal).`,
		Example: `  importer watch --inbox /srv/orders --once --config /etc/importer/importer.yaml
  # crontab: the summaries (stdout) and the JSON log lines (stderr) in files of their own
  */15 * * * *  /usr/local/bin/importer --config /etc/importer/importer.yaml watch --once >>/var/log/importer/summaries.log 2>>/var/log/importer/importer.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runWatch(cmd.Context(), o)
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func defaultWatchOptions() watchOptions {
	return watchOptions{submitOptions: defaultSubmitOptions(), poll: 10 * time.Second, settle: 5 * time.Second}
}

func (o *watchOptions) register(f *pflag.FlagSet) {
	o.submitOptions.register(f, false)
	f.StringVar(&o.inbox, "inbox", "", "the folder to watch")
	f.BoolVar(&o.once, "once", false, "handle the sheets there now, then exit (for cron)")
	f.DurationVar(&o.poll, "poll", o.poll, "how often to look into the inbox")
	f.DurationVar(&o.settle, "settle", o.settle, "how long a file must be unchanged before it is taken")
	f.BoolVar(&o.requirePlan, "require-plan", false, "take a sheet only with its approved plan, NAME.plan.json, beside it")
	f.DurationVar(&o.followUp, "follow-up", time.Hour, "how often to ask about the orders of the sheets in done/ and failed/ until they are provisioned, updating their results workbooks (0: never)")
}

// watch are the options of the core's watch.
func (a *app) watchOptions(o watchOptions) (importer.WatchOptions, error) {
	o.smtpPassword = a.getenv(envSMTPPassword)
	co, err := o.checkOptions(a.log)
	if err != nil {
		return importer.WatchOptions{}, err
	}
	so := a.submitOptions(o.submitOptions)
	if o.online {
		co.Online = &importer.OnlineOptions{Concurrency: o.concurrency} // each sheet's connection and batch are the watch's
	}
	// A watch runs unattended: its log is the record, never a bar.
	follow := o.followUp
	if follow <= 0 {
		follow = -1 // never
	}
	return importer.WatchOptions{Inbox: o.inbox, Once: o.once, Poll: o.poll, Settle: o.settle, RequirePlan: o.requirePlan, FollowUpEvery: follow,
		CheckSheet: co, Submit: so, Connect: a.connectOptions(o.connectFlags), Notify: o.notify(), Log: a.log, Secrets: a.secrets,
		Filed: func(f importer.Filed) { a.printFiled(f, o.sheetOptions) }}, nil
}

// printFiled tells how one sheet of a watch went, on stdout: its name and
// where it was filed, then its summary (JSON with --json), or why it could
// not be submitted.
func (a *app) printFiled(f importer.Filed, o sheetOptions) {
	filed := fmt.Sprintf("%s: filed under %s\n", printable(f.Sheet), printable(f.Dest))
	switch {
	case f.Done != nil && o.json:
		_ = a.printSubmitted(f.Done, o)
	case f.Done != nil:
		fmt.Fprint(a.stdout, filed)
		_ = a.printSubmitted(f.Done, o)
		fmt.Fprintln(a.stdout)
	case o.json:
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"input": f.Sheet, "filed": f.Dest, "ok": false, "error": a.secrets.Redact(importer.Message(f.Err))})
	default:
		fmt.Fprint(a.stdout, filed)
		fmt.Fprintf(a.stdout, "  could not be submitted, nothing was sent: %s\n\n", printableLines(a.secrets.Redact(importer.Message(f.Err))))
	}
}

func (a *app) runWatch(ctx context.Context, o watchOptions) error {
	wo, err := a.watchOptions(o)
	if err != nil {
		return fail(err)
	}
	if err := o.check(); err != nil {
		return fail(err)
	}
	// A watch finishes no run of its own: every sheet's outcome is filed.
	return exitOf(importer.Watch(ctx, wo), false)
}

// check refuses options a watched inbox cannot run with.
func (o *watchOptions) check() error {
	wo := importer.WatchOptions{Inbox: o.inbox, Poll: o.poll, Settle: o.settle, Submit: importer.SubmitOptions{Batch: o.batch, Concurrency: o.concurrency},
		Connect: importer.ConnectOptions{Rate: o.rate, Timeout: o.timeout, MaxAttempts: o.maxAttempts}, Notify: o.notify()}
	if err := wo.Check(); err != nil {
		return err
	}
	return o.submitOptions.check()
}
