package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/report"
)

type submitOptions struct {
	sheetOptions
	notifyOptions
	connectFlags
	progress    string
	concurrency int
	online      bool
	createOnly  bool
	skipInvalid bool
	stateFlags
	batch      string
	plan       string
	orderAgain bool
	sbReset    bool
}

func newSubmitCmd(a *app) *cobra.Command {
	o := defaultSubmitOptions()
	cmd := &cobra.Command{
		Use:   "submit [flags] SHEET",
		Short: "Validate SHEET, then create and check out its carts in Partner Center, exactly once",
		Long: `submit validates SHEET exactly as validate does, then creates and checks out one
cart per customer (and CartGroup), and writes the outcome of every row into the
results workbook. Every step is journaled before it is sent, so running the
same command again after any failure or crash finishes the batch without
ordering anything twice.

With --sandbox nothing is bought: a simulated Partner Center answers. It
remembers each batch beside the batch's sandbox journal, as the real one
would, so a second run Skips what the first bought and a --create-only run's
carts are checked out by the next submit; --sandbox-reset starts afresh.`,
		Example: `  importer submit --sandbox samples/monthly-orders.xlsx
  importer submit --sandbox --sandbox-reset samples/monthly-orders.xlsx
  PARTNER_CENTER_TENANT_ID=… PARTNER_CENTER_CLIENT_ID=… PARTNER_CENTER_CLIENT_SECRET=… importer submit orders.xlsx
  importer submit --create-only --credentials ~/.config/importer/credentials orders.xlsx`,
		Args: oneSheet,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.submitCmd(cmd.Context(), args[0], o)
		},
	}
	o.register(cmd.Flags(), true)
	return cmd
}

func defaultSubmitOptions() submitOptions {
	return submitOptions{connectFlags: defaultConnectFlags(), concurrency: 5, progress: progressAuto}
}

// register adds submit's flags; perSheet ones only to commands that take
// one SHEET.
func (o *submitOptions) register(f *pflag.FlagSet, perSheet bool) {
	o.sheetOptions.register(f, perSheet)
	o.notifyOptions.register(f)
	f.StringVar(&o.progress, "progress", o.progress, "how to show a submission's progress on stderr: auto (a bar when a person watches a terminal), bar, json (a JSON line per cart) or none")
	o.connectFlags.register(f, "submit to")
	f.IntVar(&o.concurrency, "concurrency", o.concurrency, "carts in flight at once (and reads, with --online)")
	f.BoolVar(&o.online, "online", false, "first check the sheet against Partner Center as validate --online does; a row it finds invalid holds its cart back like any invalid row")
	f.BoolVar(&o.createOnly, "create-only", false, "create the carts and collect Partner Center's per-line errors, but never check out")
	f.BoolVar(&o.skipInvalid, "skip-invalid", false, "hold back carts with an invalid row and submit the others")
	o.stateFlags.register(f, "the journal file (default: one per batch in the user's state directory)")
	f.StringVar(&o.batch, "batch", "", "batch name; {name} is SHEET's base name (default: the plan's with --plan, else {name})")
	f.BoolVar(&o.orderAgain, "order-again", false, "send even though a results workbook shows this batch ordered and the journal has no record of it (a wiped or another journal); rows the sheet itself shows ordered are still never sent")
	if perSheet {
		f.BoolVar(&o.sbReset, "sandbox-reset", false, "with --sandbox: start the batch afresh in the sandbox, forgetting its earlier sandbox runs (by default the sandbox remembers them, as Partner Center would)")
		f.StringVar(&o.plan, "plan", "", "the approved plan (from validate --plan): refuse, sending nothing, unless SHEET is exactly what it approved")
	}
}

// check refuses options no submission can run with.
func (o *submitOptions) check() error {
	if err := o.connectFlags.check(o.concurrency); err != nil {
		return err
	}
	if !slices.Contains(progressForms, o.progress) {
		return fmt.Errorf("--progress %q: use %s", o.progress, strings.Join(progressForms, ", "))
	}
	if err := o.stateFlags.check(); err != nil {
		return err
	}
	if o.sbReset && !o.sandbox {
		return errors.New("--sandbox-reset starts a batch afresh in the sandbox; it needs --sandbox")
	}
	n := o.notify()
	return n.Check()
}

// submitOptions are the options of the core's submission.
func (a *app) submitOptions(o submitOptions) importer.SubmitOptions {
	return importer.SubmitOptions{Batch: o.batch, Plan: o.plan, State: o.state, StateDir: a.stateDir(), Summary: o.summary, Concurrency: o.concurrency,
		CreateOnly: o.createOnly, SkipInvalid: o.skipInvalid, OrderAgain: o.orderAgain, SandboxReset: o.sbReset, Log: a.log,
		Lease: o.lease, WaitForBatch: o.waitForBatch}
}

// stateDir is where journals live by default, one per batch: the user's
// state directory ($XDG_STATE_HOME, else ~/.local/state), importer/; ""
// when there is none (the run then needs --state).
func (a *app) stateDir() string {
	dir := a.getenv("XDG_STATE_HOME")
	if dir == "" {
		home := a.getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "importer")
}

// submitCmd submits one sheet, shows how it went and notifies.
func (a *app) submitCmd(ctx context.Context, input string, o submitOptions) error {
	o.smtpPassword = a.getenv(envSMTPPassword)
	done, err := a.submitSheet(ctx, input, o)
	var sum *report.Summary
	if done != nil {
		sum = done.Summary
	}
	importer.Notify(ctx, a.log, a.secrets, o.notify(), importer.Told{Input: input, Summary: sum, Err: err})
	return exitOf(err, done != nil)
}

// submitSheet is submit without the notifications: the sheet checked,
// submitted and its outcome shown; nil when the run could not be done.
func (a *app) submitSheet(ctx context.Context, input string, o submitOptions) (*importer.Submitted, error) {
	n := o.notify()
	a.secrets.Add(n.Secrets()...)
	if err := o.check(); err != nil {
		return nil, &importer.Error{Fault: importer.FaultSheet, Err: err}
	}
	co, err := o.checkOptions(a.log)
	if err != nil {
		return nil, &importer.Error{Fault: importer.FaultSheet, Err: err}
	}
	conn := importer.NewConnection(a.connectOptions(o.connectFlags))
	defer conn.Close()
	if o.online {
		co.Online = &importer.OnlineOptions{Conn: conn, Concurrency: o.concurrency, Batch: o.batch}
		if !o.sbReset { // a reset starts from nothing: read no saved state
			co.Online.State, co.Online.StateDir = o.state, a.stateDir()
		}
	}
	so := a.submitOptions(o)
	if show := a.progressFor(o); show != nil {
		so.Progress, so.SendLog = show, show.log
	}
	done, err := importer.SubmitSheet(ctx, input, co, so, conn)
	if done != nil {
		if done.Rescued && !o.json {
			printOutcomes(a.stdout, done.Run)
		}
		if perr := a.printSubmitted(done, o.sheetOptions); perr != nil && err == nil {
			err = &importer.Error{Fault: importer.FaultResults, Err: perr}
		}
	}
	return done, err
}

// printSubmitted tells how a submission went: JSON with --json, else the
// table, under what was not sent and why when the sheet was refused as a
// whole (not "Submitted 30 rows": nothing was).
func (a *app) printSubmitted(done *importer.Submitted, o sheetOptions) error {
	verb := "Submitted"
	if done.NothingSent != "" && !o.json {
		fmt.Fprintf(a.stdout, "Nothing was sent: %s.\n\n", printable(done.NothingSent))
		verb = "Checked"
	}
	return a.printResult(done.Summary, o, verb)
}

// printOutcomes prints every row's outcome, one line each.
func printOutcomes(w io.Writer, run *report.Run) {
	for i := range run.Outcomes {
		oc := &run.Outcomes[i]
		line := fmt.Sprintf("row %d: %s", run.Rows[i].Line, oc.Status)
		if oc.OrderID != "" {
			line += ", order " + oc.OrderID
		}
		if m := report.Message(oc); m != "" {
			line += ": " + m
		}
		fmt.Fprintln(w, printable(line))
	}
}
