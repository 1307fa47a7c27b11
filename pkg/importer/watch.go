package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/inbox"
	"github.com/cspimporter/importer/pkg/report"
)

// WatchOptions say which inbox to watch and how each sheet is submitted.
type WatchOptions struct {
	Inbox       string
	Once        bool          // handle what is there, then return
	Poll        time.Duration // how often to look
	Settle      time.Duration // how long a file must be unchanged
	RequirePlan bool          // take a sheet only with NAME.plan.json beside it
	// FollowUpEvery is how often the orders of the sheets filed under done/
	// and failed/ are asked about, until they are settled (see
	// watchfollow.go); 0 is every hour, below 0 never.
	FollowUpEvery time.Duration

	// How every sheet is checked and submitted; the results, the summary
	// and the plan are the sheet's own in its processing directory.
	CheckSheet CheckOptions
	Submit     SubmitOptions
	Connect    ConnectOptions
	Notify     NotifyOptions
	Log        logrus.FieldLogger
	Secrets    *Secrets
	// Filed, if set, is told of every sheet once it is filed, with the
	// paths where it and its results now are.
	Filed func(Filed)

	// submit replaces SubmitSheet in tests, to make a sheet fail in ways
	// no input should.
	submit func(ctx context.Context, input string, co CheckOptions, o SubmitOptions, conn Connector) (*Submitted, error)
}

// Filed is how one sheet of a watch ended, once filed.
type Filed struct {
	Sheet string // the sheet's name, as dropped into the inbox
	Dest  string // the directory it was filed as, under done/ or failed/
	OK    bool   // filed under done/
	// Done is the submission's outcome, with its summary's paths where the
	// files now are; nil when the sheet could not be submitted (Err says why).
	Done *Submitted
	Err  error
}

// Check refuses options a watched inbox cannot run with.
func (o *WatchOptions) Check() error {
	if o.Inbox == "" {
		return errors.New("--inbox is required (or inbox: in the config file)")
	}
	if o.Poll <= 0 || o.Settle < 0 {
		return errors.New("--poll must be above 0 and --settle not below 0")
	}
	if o.Submit.Batch != "" && !strings.Contains(o.Submit.Batch, "{name}") {
		return fmt.Errorf("--batch %q would put every sheet of the inbox into one batch, so a row that an earlier sheet ordered would be skipped as already ordered; include {name}, e.g. %q", o.Submit.Batch, o.Submit.Batch+"-{name}")
	}
	if err := o.Submit.Check(); err != nil {
		return err
	}
	if err := o.Connect.Check(); err != nil {
		return err
	}
	return o.Notify.Check()
}

// maxPause bounds the wait before a running watch tries again after the
// surroundings failed (sign-in, the journal).
const maxPause = 15 * time.Minute

// Watch submits every sheet that settles in the inbox, one at a time, and
// files each under done/ or failed/. It returns nil when every sheet it
// handled went to done/, a FaultRows error when one went to failed/, and
// another error when the inbox could not be watched. Without Once it runs
// until ctx ends, outlasting sign-in outages; the sheet in hand is always
// finished.
func Watch(ctx context.Context, o WatchOptions) error {
	o.Secrets.Add(o.Notify.Secrets()...)
	if err := o.Check(); err != nil {
		return sheetFault(err)
	}
	if o.FollowUpEvery == 0 {
		o.FollowUpEvery = time.Hour
	}
	box, err := inbox.Open(o.Inbox, o.Settle)
	if err != nil {
		return sheetFault(err)
	}
	defer box.Close()
	log := logOrDiscard(o.Log).WithField("inbox", o.Inbox)
	if o.Connect.Log == nil {
		o.Connect.Log = log
	}
	if o.Connect.Secrets == nil {
		o.Connect.Secrets = o.Secrets
	}
	// One connection for the whole watch: one token and one rate limiter,
	// so the rate is the tenant's budget, shared by every sheet.
	conn := NewConnection(o.Connect)
	defer conn.Close()
	w := &watcher{o: o, box: box, log: log, told: map[string]bool{}, conn: conn}
	box.Skipped = func(name, why string) { w.log.WithField("file", name).Warnf("not taken: %s", why) }
	stopTelling := context.AfterFunc(ctx, func() {
		w.log.Warn("Interrupted: finishing the sheet in hand, then stopping. Interrupt again to stop at once " +
			"(safe: the next run resumes the sheet left in processing/).")
	})
	defer stopTelling()

	pause := time.Duration(0)
	for {
		err := w.pass(ctx)
		switch {
		case err == nil:
			w.streak, pause = 0, 0
		case o.Once || FaultOf(err) != FaultSurroundings:
			w.troubled(ctx, err)
			return err
		default:
			// A running watch outlasts a sign-in outage: it tries again,
			// pausing longer each time.
			w.troubled(ctx, err)
			w.streak++
			pause = min(max(2*pause, o.Poll), maxPause)
			w.log.Warnf("trying again in %v", pause)
		}
		if o.Once {
			break
		}
		select {
		case <-ctx.Done():
			return w.result()
		case <-time.After(max(pause, o.Poll)):
		}
	}
	return w.result()
}

// watcher is one watch over an inbox.
type watcher struct {
	o      WatchOptions
	box    *inbox.Inbox
	log    logrus.FieldLogger
	conn   *Connection
	failed int             // sheets filed under failed/
	told   map[string]bool // sheets said to be waiting for their plan
	// streak counts passes in a row that the surroundings stopped; only
	// the first of a streak is notified.
	streak int
	// notified is the error a sheet's own notification has told already.
	notified error
}

// troubled tells the webhooks and mailboxes that the inbox itself could
// not be worked (the first time of a streak): a sheet's own trouble is told
// by job.
func (w *watcher) troubled(ctx context.Context, err error) {
	if w.streak > 0 || (w.notified != nil && errors.Is(err, w.notified)) {
		return
	}
	Notify(ctx, w.log, w.o.Secrets, w.o.Notify, Told{Input: w.o.Inbox, Err: err})
}

func (w *watcher) result() error {
	if w.failed > 0 {
		return &Error{Fault: FaultRows} // each sheet's log and notification said why
	}
	return nil
}

// pass handles the sheets left in processing/, then those ready in the
// inbox. An error stops the pass; the sheet in hand stays in processing/.
func (w *watcher) pass(ctx context.Context) error {
	pending, err := w.box.Pending()
	if err != nil {
		return sheetFault(err)
	}
	for _, j := range pending {
		if ctx.Err() != nil {
			return nil
		}
		w.log.WithField("file", j.Sheet).Info("resuming a sheet left in processing/")
		if err := w.handle(ctx, j); err != nil {
			return err
		}
	}
	var ready []string
	if w.o.Once {
		ready, err = w.box.Wait(ctx)
	} else {
		ready, err = w.box.Ready()
	}
	if err != nil {
		return sheetFault(err)
	}
	defer w.followUp(ctx)
	for _, name := range ready {
		if ctx.Err() != nil {
			return nil
		}
		if w.o.RequirePlan && !w.box.HasPlan(name) {
			if !w.told[name] {
				w.log.WithFields(logrus.Fields{"file": name, "plan": inbox.PlanFor(name)}).Warn("waiting for the sheet's approved plan (--require-plan)")
				w.told[name] = true
			}
			continue
		}
		delete(w.told, name)
		j, err := w.box.Claim(name)
		if err != nil {
			// Not the sheet's fault: the inbox cannot be worked (read-only,
			// say). Saying nothing would leave every sheet waiting forever.
			return surroundingsFault(fmt.Errorf("the inbox %s cannot be worked: %w; nothing was sent", w.o.Inbox, err))
		}
		if err := w.handle(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func (w *watcher) handle(ctx context.Context, j *inbox.Job) error {
	ok, err := w.job(ctx, j, w.log.WithField("file", j.Sheet))
	if err == nil && !ok {
		w.failed++
	}
	return err
}

// job submits one claimed sheet and files it. ok: it went to done/. An
// error means the sheet could not be tried through no fault of its own
// (sign-in, the journal): it stays in processing/ for the next pass.
func (w *watcher) job(ctx context.Context, j *inbox.Job, log logrus.FieldLogger) (ok bool, err error) {
	co, o := w.o.CheckSheet, w.o.Submit
	if co.Online != nil {
		on := *co.Online
		on.Conn, on.Batch, on.State, on.StateDir = w.conn, o.Batch, o.State, o.StateDir
		co.Online = &on
	}
	co.Results = report.ResultsPath(j.Input())
	co.Log = log
	o.Summary = report.SummaryPath(j.Input())
	o.Plan = j.Plan()
	o.Log = log
	log.WithField("dir", j.Dir).Info("processing")
	var runErr error
	var done *Submitted
	if w.o.RequirePlan && o.Plan == "" {
		// Only a job resumed from processing/ can get here without one.
		runErr = sheetFault(fmt.Errorf("no approved plan %s beside the sheet (--require-plan)", inbox.PlanFor(j.Sheet)))
	} else {
		// The sheet in hand is finished even when the watch is interrupted.
		done, runErr = w.submitSafely(context.WithoutCancel(ctx), j.Input(), co, o, log)
	}
	var sum *report.Summary
	if done != nil {
		sum = done.Summary
	}
	if FaultOf(runErr) == FaultSurroundings {
		log.Errorf("%v; the sheet stays in processing/ and is tried again", w.o.Secrets.Redact(runErr.Error()))
		if w.streak == 0 {
			Notify(ctx, w.log, w.o.Secrets, w.o.Notify, Told{Input: j.Sheet, Err: runErr})
		}
		w.notified = runErr
		return false, runErr
	}
	ok = runErr == nil
	processing := j.Dir
	if to, err := j.Destination(ok); err == nil {
		// What is said of the sheet names where it will be, not processing/.
		runErr = movedError(runErr, processing, to)
	}
	if msg := Message(runErr); msg != "" && sum == nil {
		w.writeError(j, runErr, log)
	}
	dest, err := j.Finish(ok)
	if err != nil {
		return false, sheetFault(err)
	}
	log.WithFields(logrus.Fields{"to": dest, "ok": ok}).Info("filed")
	if done != nil {
		refiled(ctx, done, processing, dest, log)
	}
	if w.o.Filed != nil {
		w.o.Filed(Filed{Sheet: j.Sheet, Dest: dest, OK: ok, Done: done, Err: runErr})
	}
	Notify(ctx, w.log, w.o.Secrets, w.o.Notify, Told{Input: j.Sheet, Summary: sum, Err: runErr, Filed: dest})
	return ok, nil
}

// movedError is err with the processing directory in its message replaced
// by where the sheet is filed; its fault stays.
func movedError(err error, processing, dest string) error {
	msg := Message(err)
	if msg == "" || !strings.Contains(msg, processing) {
		return err
	}
	return &Error{Fault: FaultOf(err), Err: errors.New(strings.ReplaceAll(msg, processing, dest))}
}

// refiled points the summary of a filed sheet at where its files are now,
// in what it returns and in its summary.json, which named processing/.
func refiled(ctx context.Context, done *Submitted, processing, dest string, log logrus.FieldLogger) {
	sum := done.Summary
	moved := func(p string) string {
		if rel, err := filepath.Rel(processing, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join(dest, rel)
		}
		return p // the rescue's files, beside the journal
	}
	sum.Input, sum.Results = moved(sum.Input), moved(sum.Results)
	summary := filepath.Join(dest, filepath.Base(report.SummaryPath(sum.Input)))
	if _, err := os.Stat(summary); err == nil {
		if err := report.WriteSummary(ctx, summary, sum); err != nil {
			log.WithError(err).Warn("the summary could not be pointed at where the sheet was filed")
		}
	}
}

// writeError leaves NAME.error.txt beside a sheet that could not be
// submitted or finished, saying why.
func (w *watcher) writeError(j *inbox.Job, runErr error, log logrus.FieldLogger) {
	msg := w.o.Secrets.Redact(runErr.Error())
	head := "%s could not be submitted; nothing was sent:\n%s\n"
	if FaultOf(runErr) == FaultInternal {
		head = "%s could not be finished:\n%s\n"
	}
	if err := atomicfile.Write(j.Path(j.Stem()+".error.txt"), func(w io.Writer) error {
		_, err := fmt.Fprintf(w, head, j.Sheet, msg)
		return err
	}); err != nil {
		log.Errorf("write the error file: %v", err)
	}
	log.Errorf("%s", msg)
}

// submitSafely submits one sheet of a watch; a panic (a bug, or an input
// no one foresaw) becomes that sheet's failure instead of taking the watch
// down, which blocked the inbox for every later sheet.
func (w *watcher) submitSafely(ctx context.Context, input string, co CheckOptions, o SubmitOptions, log logrus.FieldLogger) (done *Submitted, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.WithField("panic", p).Errorf("internal error: %s", debug.Stack())
			done, err = nil, &Error{Fault: FaultInternal, Err: fmt.Errorf("internal error while handling the sheet (%v); "+
				"anything it bought is in the journal: drop the sheet into the inbox again to learn what was ordered and to write its results (nothing is ordered twice)", p)}
		}
	}()
	submit := w.o.submit
	if submit == nil {
		submit = SubmitSheet
	}
	return submit(ctx, input, co, o, w.conn)
}
