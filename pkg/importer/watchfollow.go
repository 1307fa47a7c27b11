package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/inbox"
	"github.com/cspimporter/importer/pkg/report"
)

// A watch follows the orders of the sheets it filed, every FollowUpEvery,
// until they are settled: it asks Partner Center (Status), updates the
// sheet's results workbook where it lies (written whole, then renamed),
// and tells the notifications when the batch is provisioned or an order
// ended in error. What it learned is kept beside the sheet.

// FollowUpMarker is the file in a filed job's directory that records its
// follow-up.
const FollowUpMarker = ".importer-followup"

// followed is a job's follow-up record.
type followed struct {
	Checked time.Time `json:"checked"`
	Settled bool      `json:"settled"`
	Told    bool      `json:"toldFailed,omitempty"` // an order in error was told
}

// followUp asks about the filed sheets whose orders are not settled and
// whose last ask is FollowUpEvery ago.
func (w *watcher) followUp(ctx context.Context) {
	if w.o.FollowUpEvery < 0 {
		return
	}
	jobs, err := w.box.Filed()
	if err != nil {
		w.log.WithError(err).Warn("the follow-up could not list the filed sheets")
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		rec := readFollowed(j)
		if rec.Settled || time.Since(rec.Checked) < w.o.FollowUpEvery {
			continue
		}
		w.follow(ctx, j, rec, w.log.WithFields(logrus.Fields{"file": j.Sheet, "dir": j.Dir}))
	}
}

func (w *watcher) follow(ctx context.Context, j *inbox.Job, rec followed, log logrus.FieldLogger) {
	co := w.o.CheckSheet
	// The results keep their price columns (the same list); the sheet is
	// not checked online again.
	co.Online, co.Log = nil, log
	co.Results = report.ResultsPath(j.Input())
	// The sheet's summary.json stays the record of its submission.
	so := StatusOptions{Batch: w.o.Submit.Batch, State: w.o.Submit.State, StateDir: w.o.Submit.StateDir,
		Concurrency: w.o.Submit.Concurrency, Log: log,
		Changed: func(c Change) {
			log.WithFields(logrus.Fields{"row": c.Row, "order": c.OrderID, "status": c.Status, "provisioning": c.Provisioned}).Info("the order changed")
		}}
	done, err := Status(ctx, j.Input(), co, so, w.conn)
	rec.Checked = time.Now()
	switch {
	case err == nil:
		rec.Settled = true
		log.Info("every order of the sheet is provisioned")
		Notify(ctx, log, w.o.Secrets, w.o.Notify, Told{Input: j.Input(), Summary: done.Summary, Filed: j.Dir, Headline: "every order provisioned"})
	case FaultOf(err) == FaultSurroundings:
		log.WithError(err).Warn("the follow-up could not ask Partner Center; it tries again later")
	case done == nil || done.Done+done.Pending+done.Failed == 0:
		rec.Settled = true // nothing was ordered: nothing to follow
	default:
		rec.Settled = done.Pending == 0
		if done.Failed > 0 && !rec.Told {
			rec.Told = true
			Notify(ctx, log, w.o.Secrets, w.o.Notify, Told{Input: j.Input(), Summary: done.Summary, Filed: j.Dir,
				Err:      &Error{Fault: FaultRows, Err: fmt.Errorf("%s of the sheet %s in an order that ended in error", report.Plural(done.Failed, "row"), report.Agree(done.Failed, "is", "are"))},
				Headline: "an order ended in error"})
		}
	}
	if err := writeFollowed(j, rec); err != nil {
		log.WithError(err).Warn("the follow-up's record could not be written")
	}
}

// readFollowed is a job's follow-up record; a job never followed up counts
// as asked about when its results were written (at checkout: the first ask
// is FollowUpEvery after it).
func readFollowed(j *inbox.Job) followed {
	var rec followed
	if b, err := os.ReadFile(j.Path(FollowUpMarker)); err == nil {
		_ = json.Unmarshal(b, &rec)
		return rec
	}
	for _, p := range []string{report.ResultsPath(j.Input()), j.Dir} {
		if info, err := os.Stat(p); err == nil {
			rec.Checked = info.ModTime()
			break
		}
	}
	return rec
}

func writeFollowed(j *inbox.Job, rec followed) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.Write(j.Path(FollowUpMarker), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
