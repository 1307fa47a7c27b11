package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/submit"
)

// checkEvidence refuses to send when the journal has no record of the batch
// but a results workbook of it (the input given back, or the results path)
// shows rows ordered: the journal was wiped, or this is another one, and
// sending could order everything again.
func checkEvidence(ctx context.Context, log logrus.FieldLogger, j submit.Journal, s *CheckedSheet, batch string, orderAgain bool) error {
	known, err := j.HasBatch(batch)
	if err != nil {
		return surroundingsFault(err)
	}
	if known {
		return nil
	}
	for _, path := range []string{s.Input, s.Results} {
		rows := s.File.Rows
		if path != s.Input {
			if _, err := os.Stat(path); err != nil {
				continue
			}
			earlier, err := ingest.Read(ctx, path, ingest.Options{Sheet: s.File.Name})
			if err != nil {
				log.WithError(err).Warn("the existing results workbook could not be read to see what it says was ordered")
				continue
			}
			rows = earlier.Rows
		}
		n := 0
		for i := range rows {
			if rows[i].Earlier.Ordered() {
				n++
			}
		}
		if n == 0 {
			continue
		}
		// Another batch's results are no evidence against this one; where
		// the batch cannot be told (a CSV, a Summary sheet that is gone),
		// the rows are.
		if written, err := report.WrittenBatch(path); err == nil && written != "" && written != batch {
			continue
		}
		if orderAgain {
			log.WithFields(logrus.Fields{"results": path, "ordered_rows": n}).Warn("--order-again: sending although this results workbook shows rows of the batch ordered and the journal has no record of it")
			return nil
		}
		return sheetFault(fmt.Errorf("nothing was sent: %s shows %d rows of batch %s ordered, but the journal has no record of this batch "+
			"(was it deleted, or is this another computer's or --state's journal?); sending could order them again. "+
			"Run with the journal that ordered them, or, if you really mean to order again, add --order-again", path, n, batch))
	}
	return nil
}

// checkWritable: can a file be written at path (not a folder, its folder
// takes files)? Nothing is left behind.
func checkWritable(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return errors.New("it is a folder")
	}
	return atomicfile.Try(path, func(io.Writer) error { return nil })
}
