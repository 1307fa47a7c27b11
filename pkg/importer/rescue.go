package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
)

// rescue is what a submission does when its results could not be written
// after it bought (the disk filled up, the folder went away): the outcomes
// are not lost. They go into a results workbook and a JSON summary in dir
// (and summary, if asked for), and the error says what was bought and
// where the outcomes are. A rerun writes the results from the journal.
func rescue(ctx context.Context, log logrus.FieldLogger, run *report.Run, summary, dir string, writeErr error) (*Submitted, error) {
	stem := fileSafe(run.Batch) + "-" + run.RunID
	book := filepath.Join(dir, stem) + report.ResultsSuffix
	where := []string{}
	if err := report.WriteWorkbook(ctx, run, book); err != nil {
		log.WithError(err).Error("the results workbook could not be written in the state directory either")
		book = ""
	} else {
		where = append(where, book)
	}
	sum := report.Summarize(run, book)
	for _, p := range []string{summary, filepath.Join(dir, stem) + report.SummarySuffix} {
		if p == "" {
			continue
		}
		if err := report.WriteSummary(ctx, p, sum); err != nil {
			log.WithError(err).WithField("summary", p).Error("the JSON summary could not be written")
			continue
		}
		where = append(where, p)
	}
	if len(where) == 0 {
		where = append(where, "the lines above and the journal "+run.Journal+" (run the same command again to write the results workbook)")
	}
	err := fmt.Errorf("%d rows ordered; the results could not be written: %v; the outcomes are in %s",
		run.Count(order.StatusOrdered), writeErr, strings.Join(where, " and "))
	log.Error(err.Error())
	return &Submitted{Run: run, Summary: sum, Rescued: true}, &Error{Fault: FaultResults, Err: err}
}
