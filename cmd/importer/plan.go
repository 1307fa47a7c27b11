package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cspimporter/importer/pkg/approval"
)

// planOf is the plan of a checked sheet, with the hash of the very bytes
// that were checked (not of the file as it is now).
func planOf(c *checked, batch string) (*approval.Plan, error) {
	return approval.Build(filepath.Base(c.input), c.sheet.SHA256, batch, c.now, c.sheet.Rows, c.res.Carts, c.res.Outcomes), nil
}

// checkPlan refuses a sheet that is not exactly what the plan approved,
// and returns the batch to submit in: the plan's, unless --batch says
// another (which is then a difference).
func checkPlan(c *checked, path, batch string) (string, error) {
	approved, err := approval.Load(path)
	if err != nil {
		return "", fail(err)
	}
	if batch == "" {
		batch = approved.Batch
	}
	now, err := planOf(c, batch)
	if err != nil {
		return "", fail(err)
	}
	if d := approval.Differences(approved, now); len(d) > 0 {
		return "", fail(fmt.Errorf("%s differs from the approved plan %s, so nothing was sent:\n  %s\n"+
			"Submit the sheet that was approved, or have the changed sheet approved: importer validate --plan PLAN.json %s",
			c.input, path, strings.Join(d, "\n  "), c.input))
	}
	return batch, nil
}
