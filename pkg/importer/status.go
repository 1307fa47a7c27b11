package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/followup"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/submit"
)

// StatusOptions say whose orders to follow and for how long.
type StatusOptions struct {
	// Batch, State and StateDir find the batch's journal, as for submit.
	Batch, State, StateDir string
	// Summary, if not "", also gets the JSON summary.
	Summary string
	// Wait keeps asking until every order is settled or Wait has passed;
	// 0 asks once.
	Wait time.Duration
	// Interval is the first pause between asks; it doubles up to MaxInterval.
	Interval, MaxInterval time.Duration
	Concurrency           int
	Log                   logrus.FieldLogger
	// Changed, if set, is told of every row whose order changed since the
	// last time anyone asked.
	Changed func(Change)
}

// Change is what became of one row's order since it was last asked about.
type Change struct {
	Row                          int // the sheet's row number
	OrderID, SubscriptionID      string
	WasStatus, Status            string
	WasProvisioning, Provisioned string
}

// Followed is a follow-up's outcome.
type Followed struct {
	Run     *report.Run
	Summary *report.Summary
	// Rows by where their orders stand.
	Done, Pending, Failed int
}

// Status follows the orders the batch of the sheet at input placed: each
// order's status, each row's subscription and provisioning, written into
// the sheet's results workbook. A nil error means every row is ordered and
// provisioned; FaultRows that some are pending or failed, or rows are not
// ordered (not submitted, or Unknown: a submit rerun settles those).
func Status(ctx context.Context, input string, co CheckOptions, o StatusOptions, conn Connector) (*Followed, error) {
	log := logOrDiscard(o.Log)
	s, err := Check(ctx, input, co)
	if err != nil {
		return nil, err
	}
	batch := BatchName(o.Batch, input)
	remote, err := conn.Remote(ctx)
	if err != nil {
		return nil, err
	}
	so := SubmitOptions{State: o.State, StateDir: o.StateDir}
	statePath, err := so.statePath(remote, batch)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	if _, err := os.Stat(statePath); errors.Is(err, fs.ErrNotExist) {
		return nil, sheetFault(fmt.Errorf("nothing was submitted in batch %s: there is no journal %s (name the batch with --batch, or the journal with --state)", batch, statePath))
	}
	journal, err := openJournal(statePath, remote.Sandbox, false)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer journal.Close()
	if remote.Sandbox {
		if remote, err = remote.sandboxFor(SandboxStatePath(statePath), true); err != nil {
			return nil, surroundingsFault(err)
		}
		defer remote.close()
	}
	if err := signIn(ctx, remote); err != nil {
		return nil, err
	}
	keys := submit.RowKeys(s.Rows, s.Carts)
	records, err := fromJournal(s, journal, batch, keys)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	run := s.Report("status (follow-up)", true)
	run.Batch, run.Journal, run.FollowUp, run.Sandbox, run.RunID = batch, statePath, true, remote.Sandbox, NewRunID()
	f := &Followed{Run: run}
	deadline := time.Now().Add(o.Wait)
	pause := max(o.Interval, time.Second)
	for {
		states := followup.Apply(s.Checked, followup.Read(ctx, remote.Client, refs(s.Checked), max(1, o.Concurrency)))
		f.Done, f.Pending, f.Failed = tally(states)
		if err := record(journal, batch, s.Checked, keys, records, o.Changed); err != nil {
			log.WithError(err).Warn("what the orders say could not be kept in the journal")
		}
		log.WithFields(logrus.Fields{"done": f.Done, "pending": f.Pending, "failed": f.Failed}).Info("asked Partner Center about the orders")
		if f.Pending == 0 || o.Wait <= 0 || time.Now().Add(pause).After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		if ctx.Err() != nil {
			break
		}
		pause = min(2*pause, max(o.MaxInterval, o.Interval))
	}
	sum, err := WriteResults(context.WithoutCancel(ctx), run, s.Results, o.Summary)
	if err != nil {
		return f, err
	}
	f.Summary = sum
	switch {
	case f.Done+f.Pending+f.Failed == 0:
		return f, &Error{Fault: FaultRows, Err: fmt.Errorf("no row of batch %s is ordered yet: there is nothing to follow", batch)}
	case f.Pending > 0 || f.Failed > 0 || !s.AllBought():
		return f, &Error{Fault: FaultRows}
	}
	return f, nil
}

// fromJournal gives each row its outcome as the journal has it: ordered
// rows their order; rows never sent in the batch Not submitted; an Unknown
// row the last answer and how to settle it.
func fromJournal(s *CheckedSheet, j *submit.Journal, batch string, keys map[int]string) (map[int]*submit.RowRecord, error) {
	records := map[int]*submit.RowRecord{}
	for i := range s.Outcomes {
		o := &s.Outcomes[i]
		key, ok := keys[i]
		if !ok || o.Status == order.StatusInvalid {
			continue
		}
		rec, err := j.Row(batch, key)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			o.Status = order.StatusNotSubmitted
			o.Problems = append(o.Problems, order.Problem{Kind: "status: not submitted", Severity: order.Note,
				Message: "not submitted in batch " + batch + " (or changed since); importer submit sends it"})
			continue
		}
		records[i] = rec
		o.Status = order.Status(rec.Status)
		o.CartID, o.OrderID, o.SubscriptionID, o.RequestID, o.CorrelationID = rec.CartID, rec.OrderID, rec.SubscriptionID, rec.RequestID, rec.CorrelationID
		o.OrderStatus, o.Provisioning = rec.OrderStatus, rec.Provisioning
		switch o.Status {
		case order.StatusUnknown:
			o.Problems = append(o.Problems, order.Problem{Kind: "status: unknown", Severity: order.Error,
				Message: fmt.Sprintf("the last answer (run %s): %s; run importer submit again to settle it: it asks Partner Center and never orders twice", rec.RunID, rec.Message)})
		case order.StatusOrdered, order.StatusSkipped:
		default:
			if rec.Message != "" {
				o.Problems = append(o.Problems, order.Problem{Kind: "status: " + rec.Status, Severity: order.Note, Message: rec.Message})
			}
		}
	}
	return records, nil
}

// refs are the orders of the rows, each once.
func refs(c *order.Checked) []followup.Ref {
	seen := map[followup.Ref]bool{}
	var out []followup.Ref
	for i := range c.Outcomes {
		o := &c.Outcomes[i]
		if o.OrderID == "" || c.CartOf[i] < 0 || (o.Status != order.StatusOrdered && o.Status != order.StatusSkipped) {
			continue
		}
		r := followup.Ref{Customer: c.Carts[c.CartOf[i]].Key.CustomerID, OrderID: o.OrderID}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func tally(states map[int]followup.State) (done, pending, failed int) {
	for _, st := range states {
		switch st {
		case followup.Done:
			done++
		case followup.Failed:
			failed++
		default:
			pending++
		}
	}
	return done, pending, failed
}

// record keeps what the orders now say in the journal, telling changed of
// every row whose order changed since it was last asked about.
func record(j *submit.Journal, batch string, c *order.Checked, keys map[int]string, records map[int]*submit.RowRecord, changed func(Change)) error {
	put := map[string]submit.RowRecord{}
	for _, i := range slices.Sorted(maps.Keys(records)) {
		rec, o := records[i], &c.Outcomes[i]
		if o.OrderStatus == rec.OrderStatus && o.Provisioning == rec.Provisioning && o.SubscriptionID == rec.SubscriptionID {
			continue
		}
		if changed != nil {
			changed(Change{Row: c.Rows[i].Line, OrderID: o.OrderID, SubscriptionID: o.SubscriptionID,
				WasStatus: rec.OrderStatus, Status: o.OrderStatus, WasProvisioning: rec.Provisioning, Provisioned: o.Provisioning})
		}
		rec.OrderStatus, rec.Provisioning, rec.SubscriptionID = o.OrderStatus, o.Provisioning, o.SubscriptionID
		put[keys[i]] = *rec
	}
	if len(put) == 0 {
		return nil
	}
	return j.PutRows(batch, put)
}
