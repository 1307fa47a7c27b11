package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/followup"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/submit"
)

// StatusOptions say whose orders to follow and for how long.
type StatusOptions struct {
	// Batch, State and StateDir find the batch's journal, as for submit;
	// Lease and WaitForBatch hold it, with a PostgreSQL State.
	Batch, State, StateDir string
	Lease, WaitForBatch    time.Duration
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
	sess, err := o.open(ctx, batch, conn)
	if err != nil {
		return nil, err
	}
	defer sess.close()
	remote, journal, statePath := sess.remote, sess.journal, sess.statePath
	keys := submit.RowKeys(s.Rows, s.Carts)
	records, err := fromJournal(s, journal, batch, keys)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	run := s.Report("status (follow-up)", true)
	run.Batch, run.Journal, run.FollowUp, run.Sandbox, run.RunID = batch, shownState(statePath), true, remote.Sandbox, NewRunID()
	f := &Followed{Run: run}
	o.ask(ctx, func() int {
		states := followup.Apply(s.Checked, followup.Read(ctx, remote.Client, refs(s.Checked), max(1, o.Concurrency)))
		f.Done, f.Pending, f.Failed = tally(states)
		if err := record(journal, batch, s.Checked, keys, records, o.Changed); err != nil {
			log.WithError(err).Warn("what the orders say could not be kept in the journal")
		}
		log.WithFields(logrus.Fields{"done": f.Done, "pending": f.Pending, "failed": f.Failed}).Info("asked Partner Center about the orders")
		return f.Pending
	})
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
func fromJournal(s *CheckedSheet, j submit.Journal, batch string, keys map[int]string) (map[int]*submit.RowRecord, error) {
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
func record(j submit.Journal, batch string, c *order.Checked, keys map[int]string, records map[int]*submit.RowRecord, changed func(Change)) error {
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

// BatchRow is one ordered row of a batch followed without its sheet.
type BatchRow struct {
	CartID, CatalogItemID string
	Quantity              int
	OrderID               string
	SubscriptionID        string
	OrderStatus           string
	Provisioning          string
}

// StatusOfBatch follows the orders of a batch from its journal alone,
// without the sheet: every ordered row's order, as Status does, told
// through o.Changed; no results workbook is written (Status writes one).
func StatusOfBatch(ctx context.Context, o StatusOptions, conn Connector) (*Followed, []BatchRow, error) {
	log := logOrDiscard(o.Log)
	if o.Batch == "" {
		return nil, nil, sheetFault(errors.New("name the batch (--batch) or the sheet"))
	}
	sess, err := o.open(ctx, o.Batch, conn)
	if err != nil {
		return nil, nil, err
	}
	defer sess.close()
	remote, journal := sess.remote, sess.journal
	type row struct {
		key, customer string
		rec           *submit.RowRecord
		BatchRow
	}
	attempts, err := journal.Attempts(o.Batch)
	if err != nil {
		return nil, nil, surroundingsFault(err)
	}
	var rows []*row
	var refs []followup.Ref
	seen := map[followup.Ref]bool{}
	for _, a := range attempts {
		for n, k := range a.RowKeys {
			rec, err := journal.Row(o.Batch, k)
			if err != nil {
				return nil, nil, surroundingsFault(err)
			}
			if rec == nil || rec.OrderID == "" || (rec.Status != string(order.StatusOrdered) && rec.Status != string(order.StatusSkipped)) {
				continue
			}
			r := &row{key: k, customer: strings.ToLower(a.CustomerID), rec: rec, BatchRow: BatchRow{CartID: a.CartID, OrderID: rec.OrderID, SubscriptionID: rec.SubscriptionID}}
			if n < len(a.Lines) {
				r.CatalogItemID, r.Quantity = a.Lines[n].CatalogItemID, a.Lines[n].Quantity
			}
			rows = append(rows, r)
			if ref := (followup.Ref{Customer: r.customer, OrderID: rec.OrderID}); !seen[ref] {
				seen[ref] = true
				refs = append(refs, ref)
			}
		}
	}
	f := &Followed{}
	o.ask(ctx, func() int {
		orders := followup.Read(ctx, remote.Client, refs, max(1, o.Concurrency))
		taken := map[followup.Ref]map[int]bool{}
		f.Done, f.Pending, f.Failed = 0, 0, 0
		put := map[string]submit.RowRecord{}
		for _, r := range rows {
			ref := followup.Ref{Customer: r.customer, OrderID: r.OrderID}
			got := orders[ref]
			if got == nil || got.Err != nil {
				f.Pending++
				continue
			}
			if taken[ref] == nil {
				taken[ref] = map[int]bool{}
			}
			sub, prov, st := got.Line(r.CatalogItemID, strconv.Itoa(r.Quantity), taken[ref])
			r.OrderStatus = got.Status
			if sub != "" {
				r.SubscriptionID = sub
			}
			if prov != "" {
				r.Provisioning = prov
			}
			switch st {
			case followup.Done:
				f.Done++
			case followup.Failed:
				f.Failed++
			default:
				f.Pending++
			}
			if r.OrderStatus != r.rec.OrderStatus || r.Provisioning != r.rec.Provisioning || r.SubscriptionID != r.rec.SubscriptionID {
				if o.Changed != nil {
					o.Changed(Change{OrderID: r.OrderID, SubscriptionID: r.SubscriptionID, WasStatus: r.rec.OrderStatus, Status: r.OrderStatus,
						WasProvisioning: r.rec.Provisioning, Provisioned: r.Provisioning})
				}
				r.rec.OrderStatus, r.rec.Provisioning, r.rec.SubscriptionID = r.OrderStatus, r.Provisioning, r.SubscriptionID
				put[r.key] = *r.rec
			}
		}
		if len(put) > 0 {
			if err := journal.PutRows(o.Batch, put); err != nil {
				log.WithError(err).Warn("what the orders say could not be kept in the journal")
			}
		}
		return f.Pending
	})
	out := make([]BatchRow, len(rows))
	for i, r := range rows {
		out[i] = r.BatchRow
	}
	switch {
	case len(rows) == 0:
		return f, out, &Error{Fault: FaultRows, Err: fmt.Errorf("no row of batch %s is ordered yet: there is nothing to follow", o.Batch)}
	case f.Pending > 0 || f.Failed > 0:
		return f, out, &Error{Fault: FaultRows}
	}
	return f, out, nil
}

// followSession is a follow-up's journal and remote.
type followSession struct {
	remote    *Remote
	journal   submit.Journal
	statePath string
	close     func()
}

// open finds the batch's journal (refusing a batch nothing was submitted
// in), holds it, and signs in: to Partner Center, or to a simulator on the
// batch's saved sandbox state, read only.
func (o StatusOptions) open(ctx context.Context, batch string, conn Connector) (*followSession, error) {
	remote, err := conn.Remote(ctx)
	if err != nil {
		return nil, err
	}
	so := SubmitOptions{State: o.State, StateDir: o.StateDir}
	statePath, err := so.statePath(remote, batch)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	if _, err := os.Stat(statePath); errors.Is(err, fs.ErrNotExist) && !pgstate.IsURL(statePath) {
		return nil, sheetFault(fmt.Errorf("nothing was submitted in batch %s: there is no journal %s (name the batch with --batch, or the journal with --state)", batch, statePath))
	}
	journal, err := openJournal(ctx, journalAt{Path: statePath, Batch: batch, Sandbox: remote.Sandbox,
		Lease: pgstate.LeaseOptions{Holder: holder("status"), TTL: o.Lease, Wait: o.WaitForBatch}})
	if err != nil {
		return nil, surroundingsFault(err)
	}
	if has, err := journal.HasBatch(batch); err == nil && !has && pgstate.IsURL(statePath) {
		journal.Close()
		return nil, sheetFault(fmt.Errorf("nothing was submitted in batch %s: %s records nothing of it (name the batch with --batch)", batch, shownState(statePath)))
	}
	sess := &followSession{remote: remote, journal: journal, statePath: statePath, close: func() { journal.Close() }}
	if remote.Sandbox {
		if sess.remote, err = remote.sandboxFor(SandboxStatePath(statePath), true); err != nil {
			sess.close()
			return nil, surroundingsFault(err)
		}
		sess.close = func() { sess.remote.close(); journal.Close() }
	}
	if err := signIn(ctx, sess.remote); err != nil {
		sess.close()
		return nil, err
	}
	return sess, nil
}

// ask runs step, which returns how many rows are pending, until none is,
// the wait is over, or ctx ends; it pauses Interval, doubling up to
// MaxInterval, between steps.
func (o StatusOptions) ask(ctx context.Context, step func() (pending int)) {
	deadline := time.Now().Add(o.Wait)
	pause := max(o.Interval, time.Second)
	for {
		if step() == 0 || o.Wait <= 0 || time.Now().Add(pause).After(deadline) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, max(o.MaxInterval, o.Interval))
	}
}
