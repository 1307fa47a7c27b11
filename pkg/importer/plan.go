package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/report"
)

// BatchName is the batch a --batch pattern names for input: {name} is the
// input's base name, and no pattern means {name}. Making a plan and
// submitting must agree on it, or the approved sheet is refused.
func BatchName(pattern, input string) string {
	if pattern == "" {
		pattern = "{name}"
	}
	return strings.ReplaceAll(pattern, "{name}", report.BaseName(input))
}

var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileSafe is a batch name as part of a file name.
func fileSafe(batch string) string { return unsafeInName.ReplaceAllString(batch, "_") }

// Plan is what the sheet would buy in batch, for a controller to approve,
// with the hash of the very bytes that were checked (not of the file as it
// is now).
func (s *CheckedSheet) Plan(batch string) *approval.Plan {
	of := approval.Of{Sheet: filepath.Base(s.Input), SHA256: s.File.SHA256, Batch: batch, Created: s.Now}
	if s.Online != nil {
		of.CheckedOnline = &s.Online.At
	}
	return approval.Build(of, s.Checked)
}

// VerifyPlan refuses the sheet unless it is exactly what the plan at path
// approved, and returns the batch to submit in: the plan's, unless batch
// (already expanded) names another, which is then a difference.
func VerifyPlan(ctx context.Context, s *CheckedSheet, path, batch string) (string, error) {
	approved, err := approval.Load(ctx, path)
	if err != nil {
		return "", sheetFault(err)
	}
	if batch == "" {
		batch = approved.Batch
	}
	if d := approval.Differences(approved, s.Plan(batch)); len(d) > 0 {
		return "", sheetFault(fmt.Errorf("%s differs from the approved plan %s, so nothing was sent:\n  %s\n"+
			"Submit the sheet that was approved, or make a new plan of this one and have it approved: importer validate --plan %s %s",
			s.Input, path, strings.Join(d, "\n  "), path, s.Input))
	}
	return batch, nil
}
