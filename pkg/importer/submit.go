package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/submit"
)

// SubmitOptions say how to submit a checked sheet.
type SubmitOptions struct {
	// Batch is the batch pattern ({name} is the sheet's base name); ""
	// is the plan's batch with Plan, else {name}.
	Batch string
	// Plan is the approved plan: the sheet is refused, nothing sent,
	// unless it is exactly what the plan approved.
	Plan string
	// RunID names the run ("": a new one). A run taken up again after it
	// was cut short (the web app's purchase, resumed) gives its name again:
	// the rows it ordered before are Ordered by it, not Skipped as ordered
	// by an earlier run.
	RunID string
	// State is the journal file; "" is one per batch in StateDir.
	State string
	// StateDir holds the journals, one per batch, when State is "".
	StateDir string
	// Lease is how long a run's hold on its batch lasts without renewal,
	// with a PostgreSQL State (default 20s): when a host dies, another may
	// take the batch over that much later.
	Lease time.Duration
	// WaitForBatch is how long to wait for another run's hold on the batch
	// to end, with a PostgreSQL State (0: refuse at once, naming it).
	WaitForBatch time.Duration
	// Summary, if not "", also gets the JSON summary.
	Summary     string
	Concurrency int // carts in flight at once
	CreateOnly  bool
	SkipInvalid bool
	// SandboxReset, with a sandbox connection, starts the batch afresh:
	// its sandbox journal and the simulator's saved state are removed.
	SandboxReset bool
	// OrderAgain sends although a results workbook shows the batch ordered
	// and the journal has no record of it.
	OrderAgain bool
	// Log gets what the run does, SendLog what it does while the carts are
	// sent (a progress bar shows less); nil SendLog is Log.
	Log, SendLog logrus.FieldLogger
	// Progress is told of every cart; nil tells no one.
	Progress Progress
}

// Check refuses options no submission can run with.
func (o *SubmitOptions) Check() error {
	if o.Concurrency < 1 {
		return errors.New("--concurrency must be above 0")
	}
	return nil
}

// Submitted is a submission's outcome: every row's, and the summary.
type Submitted struct {
	Run     *report.Run
	Summary *report.Summary
	// Rescued: the results could not be written where asked, so they were
	// written beside the journal (Summary.Results, and the error, say
	// where); the caller should show every row's outcome.
	Rescued bool
	// NothingSent says why nothing was sent, when the sheet was refused as
	// a whole (invalid rows); "" when carts were sent or tried.
	NothingSent string
}

// Connector gives the remote a submission talks to, connecting when first
// asked (a sheet with invalid rows never connects).
type Connector interface {
	Remote(ctx context.Context) (*Remote, error)
}

// SubmitSheet checks the sheet at input and submits it: Check, then Submit.
func SubmitSheet(ctx context.Context, input string, co CheckOptions, o SubmitOptions, conn Connector) (*Submitted, error) {
	if err := o.Check(); err != nil {
		return nil, sheetFault(err)
	}
	if co.Log == nil {
		co.Log = o.Log
	}
	s, err := Check(ctx, input, co)
	if err != nil {
		return nil, err
	}
	return Submit(ctx, s, o, conn)
}

// Submit creates and checks out the checked sheet's carts exactly once,
// and writes the results. A nil error means every row was bought; the
// outcome is returned whenever the run finished (also with an error).
func Submit(ctx context.Context, s *CheckedSheet, o SubmitOptions, conn Connector) (*Submitted, error) {
	if err := o.Check(); err != nil {
		return nil, sheetFault(err)
	}
	runID := o.RunID
	if runID == "" {
		runID = NewRunID()
	}
	log := logOrDiscard(o.Log).WithFields(logrus.Fields{"run_id": runID, "file": s.Input})
	batch, err := o.batch(ctx, s, log)
	if err != nil {
		return nil, err
	}
	log = log.WithField("batch", batch)
	run := s.Report("submit", true)
	run.Batch, run.RunID = batch, runID
	// The results are written even after an interrupt: they hold the
	// outcome of every cart this run bought.
	results := context.WithoutCancel(ctx)
	if sb, ok := conn.(interface{ Sandbox() bool }); ok {
		run.Sandbox = sb.Sandbox()
	}
	if why := refusal(s, o); why != "" {
		holdBack(s.Checked, why)
		log.WithField("why", why).Warn("nothing sent")
		sum, err := WriteResults(results, run, s.Results, o.Summary)
		if err != nil {
			return nil, err
		}
		return &Submitted{Run: run, Summary: sum, NothingSent: why}, &Error{Fault: FaultRows}
	}

	if err := preflight(ctx, run, s.Results, o.Summary); err != nil {
		return nil, err
	}
	remote, err := conn.Remote(ctx)
	if err != nil {
		return nil, err
	}
	if !remote.Sandbox {
		if err := signIn(ctx, remote); err != nil {
			return nil, err
		}
	}
	statePath, err := o.statePath(remote, batch)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	run.Journal = shownState(statePath)
	run.Sandbox = remote.Sandbox
	journal, err := openJournal(ctx, journalAt{Path: statePath, Batch: batch, Sandbox: remote.Sandbox, Reset: o.SandboxReset,
		Lease: pgstate.LeaseOptions{Holder: holder(runID), TTL: o.Lease, Wait: o.WaitForBatch}})
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer journal.Close()
	if remote.Sandbox {
		if remote, err = remote.sandboxFor(SandboxStatePath(statePath), false); err != nil {
			return nil, surroundingsFault(err)
		}
		defer remote.close()
		if err := signIn(ctx, remote); err != nil {
			return nil, err
		}
	}
	// Starting the sandbox afresh is saying that nothing before counts.
	if !(remote.Sandbox && o.SandboxReset) {
		if err := checkEvidence(ctx, log, journal, s, batch, o.OrderAgain); err != nil {
			return nil, err
		}
	}
	log.WithFields(logrus.Fields{"journal": shownState(statePath), "endpoint": remote.Endpoint, "carts": len(s.Carts), "rows": len(s.Rows)}).Info("submitting")
	sendLog := log
	if o.SendLog != nil {
		sendLog = o.SendLog.WithFields(logrus.Fields{"run_id": runID, "file": s.Input, "batch": batch})
	}
	err = send(ctx, sendLog, remote, journal, s, runID, batch, o)
	run.Prices = run.Prices || priced(s.Checked)
	sum, ferr := WriteResults(results, run, s.Results, o.Summary)
	if ferr != nil {
		return rescue(results, log, run, o.Summary, o.rescueDir(statePath), ferr)
	}
	sendLog.WithFields(StatusFields(sum.Statuses)).WithField("results", s.Results).Info("submitted")
	done := &Submitted{Run: run, Summary: sum}
	if err != nil {
		// A sign-in that stopped the run mid-way is the surroundings' fault:
		// a watch keeps the sheet and tries again.
		if errors.As(err, new(*pc.AuthError)) {
			return done, surroundingsFault(err)
		}
		return done, rowsFault(err)
	}
	if ctx.Err() != nil {
		log.Warn("Interrupted: carts in flight were finished; run the same command again to submit the rest.")
		return done, &Error{Fault: FaultRows}
	}
	if !s.AllBought() {
		return done, &Error{Fault: FaultRows}
	}
	return done, nil
}

// batch is the batch to submit in: --batch's (with {name}), else the
// approved plan's, else the sheet's name; with a plan, the sheet must be
// exactly what it approved.
func (o *SubmitOptions) batch(ctx context.Context, s *CheckedSheet, log logrus.FieldLogger) (string, error) {
	batch := ""
	if o.Batch != "" {
		batch = BatchName(o.Batch, s.Input)
	}
	if o.Plan != "" {
		var err error
		if batch, err = VerifyPlan(ctx, s, o.Plan, batch); err != nil {
			return "", err
		}
		log.WithField("plan", o.Plan).Info("the sheet is exactly what the plan approved")
	}
	if batch == "" {
		batch = BatchName("", s.Input)
	}
	return batch, nil
}

// preflight tries first everything that could fail after buying: results
// that cannot be written must stop the run before a cart is created, not
// after carts were bought.
func preflight(ctx context.Context, run *report.Run, results, summary string) error {
	if err := report.CheckWorkbook(ctx, run, results); err != nil {
		return sheetFault(fmt.Errorf("nothing was sent: %w", err))
	}
	if summary != "" {
		if err := checkWritable(summary); err != nil {
			return sheetFault(fmt.Errorf("nothing was sent: --summary %s cannot be written: %w", summary, err))
		}
	}
	return nil
}

// refusal says why nothing may be sent, if the sheet is refused as a
// whole: invalid rows (without --skip-invalid), or rows the online check
// could not check (buying them would skip the check asked for).
func refusal(s *CheckedSheet, o SubmitOptions) string {
	if invalid := s.Count(order.StatusInvalid); invalid > 0 && !o.SkipInvalid {
		return fmt.Sprintf("%s of the sheet %s invalid; fix them, or use --skip-invalid to submit the carts without invalid rows",
			report.Plural(invalid, "row"), report.Agree(invalid, "is", "are"))
	}
	if s.Online != nil && s.Online.Unchecked > 0 {
		return fmt.Sprintf("%s could not be checked online (Partner Center did not answer about them); run again once it answers",
			report.Plural(s.Online.Unchecked, "row"))
	}
	return ""
}

// holdBack marks every row that is not invalid Not submitted, since
// nothing is sent, and why.
func holdBack(c *order.Checked, why string) {
	for i := range c.Outcomes {
		if c.Outcomes[i].Status != order.StatusInvalid {
			c.Outcomes[i].Status = order.StatusNotSubmitted
			c.Outcomes[i].Problems = append(c.Outcomes[i].Problems, order.Problem{Kind: "submit: not submitted", Severity: order.Error,
				Message: "nothing was sent: " + why})
		}
	}
}

// send runs the carts through the journal, telling o.Progress; log is the
// log while the carts are sent.
func send(ctx context.Context, log logrus.FieldLogger, remote *Remote, j submit.Journal, s *CheckedSheet, runID, batch string, o SubmitOptions) error {
	stopTelling := context.AfterFunc(ctx, func() {
		log.Warn("Interrupted: no new cart is started; finishing the carts in flight and writing the results workbook. " +
			"Interrupt again to stop at once (safe: running the same command again picks up where this run stopped).")
	})
	defer stopTelling()
	progress := o.Progress
	if progress == nil {
		progress = NoProgress{}
	}
	opt := submit.Options{Batch: batch, RunID: runID, Concurrency: o.Concurrency, CreateOnly: o.CreateOnly, SkipInvalid: o.SkipInvalid, Log: log,
		CartDone: func(rows []int) {
			bought := 0
			for _, i := range rows {
				if s.Outcomes[i].Bought() {
					bought++
				}
			}
			progress.CartDone(len(rows), bought)
		}}
	progress.Start(len(s.Carts), len(s.Rows))
	defer progress.Finish()
	return submit.Run(ctx, remote.Client, j, s.Checked, opt)
}

// rescueDir is where results that could not be written are put: beside
// the journal file, or in the state directory for a PostgreSQL journal.
func (o *SubmitOptions) rescueDir(statePath string) string {
	if pgstate.IsURL(statePath) {
		if o.StateDir != "" {
			return o.StateDir
		}
		return os.TempDir()
	}
	return filepath.Dir(statePath)
}

// statePath is the journal of batch: --state's, else one per batch in the
// state directory; a sandbox's journals have a folder of their own there,
// so that no batch name can ever mix the two.
func (o *SubmitOptions) statePath(remote *Remote, batch string) (string, error) {
	if o.State != "" {
		return o.State, nil
	}
	if o.StateDir == "" {
		return "", errors.New("no state directory for the journal (set XDG_STATE_HOME or HOME, or use --state)")
	}
	dir := o.StateDir
	if remote.Sandbox {
		dir = filepath.Join(dir, "sandbox")
	}
	return filepath.Join(dir, fileSafe(batch)+".journal"), nil
}

// signIn gets a token before any cart is created, so refused credentials
// stop the run with nothing sent.
func signIn(ctx context.Context, remote *Remote) error {
	if _, err := remote.Tokens.Token(ctx); err != nil {
		return surroundingsFault(err)
	}
	return nil
}

// StatusFields are row counts by status as log fields ("ordered": 28).
func StatusFields(counts map[string]int) logrus.Fields {
	f := logrus.Fields{}
	for st, n := range counts {
		f[strings.ReplaceAll(strings.ToLower(st), " ", "_")] = n
	}
	return f
}

// NewRunID names one run: when it started, and a random part, since two
// sheets of a watched inbox can start within the same second.
func NewRunID() string {
	return time.Now().UTC().Format("20060102T150405Z") + "-" + pc.NewID()[:8]
}

// priced: some row has a price (--create-only's, from Partner Center).
func priced(c *order.Checked) bool {
	for i := range c.Outcomes {
		if c.Outcomes[i].Price != nil {
			return true
		}
	}
	return false
}
