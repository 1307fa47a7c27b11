package report

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/approval"
)

// TestPlanWorkbook: the plan rendered for a controller (golden dump), with
// a sheet's text that looks like a formula kept as text.
func TestPlanWorkbook(t *testing.T) {
	run := runOf(t, "../../samples/monthly-orders-with-mistakes.xlsx")
	p := approval.Build(approval.Of{Sheet: "monthly-orders-with-mistakes.xlsx", SHA256: strings.Repeat("ab", 32), Batch: "nov", Created: now}, run.Checked)
	const formula = `=HYPERLINK("http://example.com","x")`
	p.Carts[0].Lines[0].FriendlyName = formula
	out := filepath.Join(t.TempDir(), "nov.plan.xlsx")
	if err := WritePlanWorkbook(context.Background(), out, p); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.xlsx.txt", dump(t, out))
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fx, _ := f.GetCellFormula(sheet, cell); fx != "" {
					t.Errorf("%s!%s is a formula: %s", sheet, cell, fx)
				}
			}
		}
	}
}

func TestPlanWorkbookPath(t *testing.T) {
	for in, want := range map[string]string{
		"orders.plan.json":   "orders.plan.xlsx",
		"approved.json":      "approved.plan.xlsx",
		"orders.json":        "orders.plan.xlsx", // never orders.xlsx, the sheet's name
		"dir/november.plan":  "dir/november.plan.xlsx",
		"/abs/dec.plan.json": "/abs/dec.plan.xlsx",
	} {
		if got := PlanWorkbookPath(in); got != want {
			t.Errorf("PlanWorkbookPath(%q) = %q, want %q", in, got, want)
		}
	}
}
