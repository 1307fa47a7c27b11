package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/sandbox"
)

type statusOptions struct {
	sheetOptions
	connectFlags
	batch string
	stateFlags
	wait        time.Duration
	interval    time.Duration
	concurrency int
}

// leastInterval is how often Partner Center may be asked about orders:
// its guidance is to avoid polling.
const leastInterval = 30 * time.Second

func newStatusCmd(a *app) *cobra.Command {
	o := statusOptions{connectFlags: defaultConnectFlags(), interval: time.Minute, concurrency: 5}
	cmd := &cobra.Command{
		Use:   "status [flags] SHEET | status --batch ID [flags]",
		Short: "Ask Partner Center what became of the orders SHEET's batch placed, and write it into the results workbook",
		Long: `status reads the batch's journal (the one submit wrote for SHEET), asks Partner
Center about every order its rows are in, and fills Order Status, Subscription
Id and Provisioning into the results workbook, printing what changed since
the last time. With --wait it keeps asking, less and less often, until every
order is completed and provisioned or the time is up. It buys nothing.

Exit 0 when every ordered row is provisioned, 1 when some are still pending
or failed (or nothing is ordered), 2 when it could not ask.

With --batch and no SHEET it follows the batch from its journal alone and
prints what it learns; there is no sheet to write results into.`,
		Example: `  importer status orders.xlsx
  importer status --wait 2h orders.xlsx
  importer status --batch 2026-11
  importer status --sandbox --interval 1s --wait 1m samples/monthly-orders.xlsx`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && o.batch != "" {
				return nil // the batch alone, from its journal
			}
			return oneSheet(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return a.batchStatusCmd(cmd.Context(), o)
			}
			return a.statusCmd(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	o.sheetOptions.register(f, true)
	o.connectFlags.register(f, "ask")
	f.StringVar(&o.batch, "batch", "", "the batch; {name} is SHEET's base name (default: {name}, as submit's)")
	o.stateFlags.register(f, "the journal file (default: the batch's in the user's state directory)")
	f.DurationVar(&o.wait, "wait", 0, "keep asking until every order is provisioned, at most this long (e.g. 2h)")
	f.DurationVar(&o.interval, "interval", o.interval, "the first pause between asks; it doubles up to 30 minutes (at least 30s, except against the sandbox)")
	f.IntVar(&o.concurrency, "concurrency", o.concurrency, "orders asked about at once")
	return cmd
}

// check refuses options no follow-up can run with.
func (o *statusOptions) check() error {
	if err := o.connectFlags.check(o.concurrency); err != nil {
		return err
	}
	if o.wait < 0 {
		return errors.New("--wait must not be below 0")
	}
	if err := o.stateFlags.check(); err != nil {
		return err
	}
	if o.interval < leastInterval && !o.sandbox && !loopback(o.endpoint) {
		return fmt.Errorf("--interval %s: Partner Center may be asked at most every %s", o.interval, leastInterval)
	}
	if o.interval <= 0 {
		return errors.New("--interval must be above 0")
	}
	return nil
}

// loopback: the endpoint is this machine's (a sandbox of its own).
func loopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && sandbox.IsLoopbackAddr(u.Host)
}

func (a *app) statusCmd(ctx context.Context, input string, o statusOptions) error {
	if err := o.check(); err != nil {
		return fail(err)
	}
	co, err := o.checkOptions(a.log)
	if err != nil {
		return fail(err)
	}
	conn := importer.NewConnection(a.connectOptions(o.connectFlags))
	defer conn.Close()
	so := importer.StatusOptions{Batch: o.batch, State: o.state, StateDir: a.stateDir(), Summary: o.summary, Wait: o.wait, Lease: o.lease, WaitForBatch: o.waitForBatch,
		Interval: o.interval, MaxInterval: 30 * time.Minute, Concurrency: o.concurrency, Log: a.log}
	if !o.json {
		so.Changed = func(c importer.Change) { fmt.Fprintln(a.stdout, printable(changeLine(c))) }
	}
	done, err := importer.Status(ctx, input, co, so, conn)
	if done != nil && done.Summary != nil {
		if perr := a.printResult(done.Summary, o.sheetOptions, "Followed"); perr != nil && err == nil {
			err = &importer.Error{Fault: importer.FaultResults, Err: perr}
		}
		if !o.json {
			fmt.Fprintf(a.stdout, "Ordered rows: %d provisioned, %d pending, %d failed.\n", done.Done, done.Pending, done.Failed)
		}
	}
	return exitOf(err, done != nil)
}

// batchStatusCmd follows a batch without its sheet.
func (a *app) batchStatusCmd(ctx context.Context, o statusOptions) error {
	if err := o.check(); err != nil {
		return fail(err)
	}
	conn := importer.NewConnection(a.connectOptions(o.connectFlags))
	defer conn.Close()
	so := importer.StatusOptions{Batch: o.batch, State: o.state, StateDir: a.stateDir(), Wait: o.wait, Lease: o.lease, WaitForBatch: o.waitForBatch,
		Interval: o.interval, MaxInterval: 30 * time.Minute, Concurrency: o.concurrency, Log: a.log}
	if !o.json {
		so.Changed = func(c importer.Change) { fmt.Fprintln(a.stdout, printable(changeLine(c))) }
	}
	done, rows, err := importer.StatusOfBatch(ctx, so, conn)
	if done != nil {
		if o.json {
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			if perr := enc.Encode(map[string]any{"batch": o.batch, "provisioned": done.Done, "pending": done.Pending, "failed": done.Failed, "rows": rows}); perr != nil && err == nil {
				err = &importer.Error{Fault: importer.FaultResults, Err: perr}
			}
		} else {
			fmt.Fprintf(a.stdout, "Batch %s, ordered rows: %d provisioned, %d pending, %d failed.\n", printable(o.batch), done.Done, done.Pending, done.Failed)
		}
	}
	return exitOf(err, done != nil)
}

// changeLine says what became of a row's order.
func changeLine(c importer.Change) string {
	line := "order " + c.OrderID
	if c.Row > 0 {
		line = fmt.Sprintf("row %d: order %s", c.Row, c.OrderID)
	}
	if c.Status != c.WasStatus {
		line += ": " + was(c.WasStatus) + orNone(c.Status)
	}
	if c.Provisioned != c.WasProvisioning {
		line += "; provisioning " + was(c.WasProvisioning) + orNone(c.Provisioned)
	}
	if c.SubscriptionID != "" {
		line += "; subscription " + c.SubscriptionID
	}
	return line
}

// was is where a value came from, when it was known.
func was(s string) string {
	if s == "" {
		return ""
	}
	return s + " → "
}

func orNone(s string) string {
	if s == "" {
		return "(not known)"
	}
	return s
}
