package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/inbox"
	"github.com/cspimporter/importer/pkg/report"
)

type watchOptions struct {
	submitOptions
	inbox       string
	once        bool
	poll        time.Duration
	settle      time.Duration
	requirePlan bool
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
  */15 * * * *  importer watch --once --config /etc/importer/importer.yaml >>/var/log/importer.log 2>&1`,
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
}

// check refuses options a watched inbox cannot run with.
func (o *watchOptions) check() error {
	if o.inbox == "" {
		return errors.New("--inbox is required (or inbox: in the config file)")
	}
	if o.poll <= 0 || o.settle < 0 {
		return errors.New("--poll must be above 0 and --settle not below 0")
	}
	if o.batch != "" && !strings.Contains(o.batch, "{name}") {
		return fmt.Errorf("--batch %q would put every sheet of the inbox into one batch, so a row that an earlier sheet ordered would be skipped as already ordered; include {name}, e.g. %q", o.batch, o.batch+"-{name}")
	}
	return o.submitOptions.check()
}

// maxPause bounds the wait before a running watch tries again after the
// surroundings failed (sign-in, the journal).
const maxPause = 15 * time.Minute

// watcher is one watch run over an inbox.
type watcher struct {
	a      *app
	o      watchOptions
	box    *inbox.Inbox
	log    logrus.FieldLogger
	failed int             // sheets filed under failed/
	told   map[string]bool // sheets said to be waiting for their plan
	// streak counts passes in a row that the surroundings stopped; only
	// the first of a streak is notified.
	streak int
	// env is the one connection to Partner Center of the whole watch: one
	// token and one rate limiter, so --rate is the tenant's budget, shared
	// by every sheet.
	env *remote
}

// connection returns the watch's connection, made on first use.
func (w *watcher) connection() (*remote, error) {
	if w.env == nil {
		env, err := w.a.connect(w.log, w.o.submitOptions)
		if err != nil {
			return nil, err
		}
		w.env = env
	}
	return w.env, nil
}

func (a *app) runWatch(ctx context.Context, o watchOptions) error {
	a.notifySecrets(o.notifyOptions)
	if err := o.check(); err != nil {
		return fail(err)
	}
	box, err := inbox.Open(o.inbox, o.settle)
	if err != nil {
		return fail(err)
	}
	defer box.Close()
	w := &watcher{a: a, o: o, box: box, log: a.log.WithField("inbox", o.inbox), told: map[string]bool{}}
	defer func() {
		if w.env != nil {
			w.env.close()
		}
	}()
	box.Skipped = func(name, why string) { w.log.WithField("file", name).Warnf("not taken: %s", why) }
	stopTelling := context.AfterFunc(ctx, func() {
		w.log.Warn("Interrupted: finishing the sheet in hand, then stopping. Interrupt again to stop at once " +
			"(safe: the next run resumes the sheet left in processing/).")
	})
	defer stopTelling()

	pause := time.Duration(0)
	for {
		err := w.pass(ctx)
		var ee *exitError
		switch {
		case err == nil:
			w.streak, pause = 0, 0
		case o.once || !errors.As(err, &ee) || !ee.env:
			w.troubled(ctx, err)
			return err
		default:
			// A running watch outlasts a sign-in outage: it tries again,
			// pausing longer each time.
			w.troubled(ctx, err)
			w.streak++
			pause = min(max(2*pause, o.poll), maxPause)
			w.log.Warnf("trying again in %v", pause)
		}
		if o.once {
			break
		}
		select {
		case <-ctx.Done():
			return w.result()
		case <-time.After(max(pause, o.poll)):
		}
	}
	return w.result()
}

// troubled tells the webhooks and mailboxes that the inbox itself could
// not be worked (the first time of a streak): a sheet's own trouble is told
// by runJob.
func (w *watcher) troubled(ctx context.Context, err error) {
	var ee *exitError
	if w.streak > 0 || errors.As(err, &ee) && ee.told {
		return
	}
	w.a.notify(ctx, w.o.notifyOptions, w.o.inbox, nil, err, "")
}

func (w *watcher) result() error {
	if w.failed > 0 {
		return &exitError{code: exitProblem}
	}
	return nil
}

// pass handles the sheets left in processing/, then those ready in the
// inbox. An error stops the pass; the sheet in hand stays in processing/.
func (w *watcher) pass(ctx context.Context) error {
	pending, err := w.box.Pending()
	if err != nil {
		return fail(err)
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
	if w.o.once {
		ready, err = w.box.Wait(ctx)
	} else {
		ready, err = w.box.Ready()
	}
	if err != nil {
		return fail(err)
	}
	for _, name := range ready {
		if ctx.Err() != nil {
			return nil
		}
		if w.o.requirePlan && !w.box.HasPlan(name) {
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
			return failEnv(fmt.Errorf("the inbox %s cannot be worked: %w; nothing was sent", w.o.inbox, err))
		}
		if err := w.handle(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func (w *watcher) handle(ctx context.Context, j *inbox.Job) error {
	ok, err := w.a.runJob(ctx, j, w.o, w.log.WithField("file", j.Sheet), w.streak == 0, w.connection)
	if err == nil && !ok {
		w.failed++
	}
	return err
}

// runJob submits one claimed sheet and files it. ok: it went to done/. An
// error means the sheet could not be tried through no fault of its own
// (sign-in, the journal): it stays in processing/ for the next pass.
// notifyTrouble: notify such a failure (the first of a streak only).
func (a *app) runJob(ctx context.Context, j *inbox.Job, wo watchOptions, log logrus.FieldLogger, notifyTrouble bool, connection func() (*remote, error)) (ok bool, err error) {
	o := wo.submitOptions
	o.out = report.ResultsPath(j.Input())
	o.summary = report.SummaryPath(j.Input())
	o.plan = j.Plan()
	log.WithField("dir", j.Dir).Info("processing")
	var runErr error
	var sum *report.Summary
	if wo.requirePlan && o.plan == "" {
		// Only a job resumed from processing/ can get here without one.
		runErr = fail(fmt.Errorf("no approved plan %s beside the sheet (--require-plan)", inbox.PlanFor(j.Sheet)))
	} else if env, err := connection(); err != nil {
		runErr = err
	} else {
		// The sheet in hand is finished even when the watch is interrupted.
		sum, runErr = a.submitSafely(context.WithoutCancel(ctx), j.Input(), o, env, log)
	}
	var ee *exitError
	if errors.As(runErr, &ee) && ee.env {
		log.Errorf("%v; the sheet stays in processing/ and is tried again", a.secrets.redact(ee.Error()))
		if notifyTrouble {
			a.notify(ctx, o.notifyOptions, j.Sheet, nil, runErr, "")
		}
		ee.told = true
		return false, runErr
	}
	ok = runErr == nil
	if errors.As(runErr, &ee) && ee.err != nil && (ee.code == exitFailed || sum == nil) {
		msg := a.secrets.redact(ee.err.Error())
		head := "%s could not be submitted; nothing was sent:\n%s\n"
		if ee.code != exitFailed {
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
	dest, err := j.Finish(ok)
	if err != nil {
		return false, fail(err)
	}
	log.WithFields(logrus.Fields{"to": dest, "ok": ok}).Info("filed")
	a.notify(ctx, o.notifyOptions, j.Sheet, sum, runErr, dest)
	return ok, nil
}

// submitSafely submits one sheet of a watch; a panic (a bug, or an input
// no one foresaw) becomes that sheet's failure instead of taking the watch
// down, which blocked the inbox for every later sheet.
func (a *app) submitSafely(ctx context.Context, input string, o submitOptions, env *remote, log logrus.FieldLogger) (sum *report.Summary, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.WithField("panic", p).Errorf("internal error: %s", debug.Stack())
			sum, err = nil, &exitError{code: exitProblem, err: fmt.Errorf("internal error while handling the sheet (%v); "+
				"anything it bought is in the journal: drop the sheet into the inbox again to learn what was ordered and to write its results (nothing is ordered twice)", p)}
		}
	}()
	submit := a.submit
	if submit == nil {
		submit = a.submitWith
	}
	return submit(ctx, input, o, env)
}
