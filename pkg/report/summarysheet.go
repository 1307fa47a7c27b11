package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

const summaryTitle = "Import summary"

// summarySheetName is "Summary", unless the user's workbook has a Summary
// sheet of its own that is not one of ours.
func summarySheetName(f *excelize.File) (name string, replace bool) {
	for _, name := range []string{"Summary", "Import Summary"} {
		idx, _ := f.GetSheetIndex(name)
		if idx < 0 {
			return name, false
		}
		if v, _ := f.GetCellValue(name, "A1"); v == summaryTitle {
			return name, true
		}
	}
	return fmt.Sprintf("Import Summary %d", len(f.GetSheetList())+1), false
}

func writeSummarySheet(f *excelize.File, run *Run, out string) error {
	sum := Summarize(run, out)
	name, replace := summarySheetName(f)
	if replace {
		if err := f.DeleteSheet(name); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	row := 0
	put := func(style int, vals ...any) error {
		row++
		if len(vals) == 0 {
			return nil
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetSheetRow(name, cell, &vals); err != nil {
			return err
		}
		if style != 0 {
			end, _ := excelize.CoordinatesToCellName(len(vals), row)
			return f.SetCellStyle(name, cell, end, style)
		}
		return nil
	}
	sheetName := run.Sheet
	if sheetName == "" {
		sheetName = "Orders"
	}
	statuses := statusOrder(sum.Statuses)
	steps := []func() error{
		func() error { return put(st.title, summaryTitle) },
		func() error { return put(0, "Input", run.Input) },
		func() error { return put(0, "Orders sheet", sheetName) },
		func() error { return put(0, "Run", run.Mode) },
		func() error { return put(0, "Finished", run.Finished.Format("2006-01-02 15:04:05 MST")) },
		func() error { return put(0, "Rows", sum.Rows) },
		func() error { return put(0, "Carts", len(sum.Carts)) },
		func() error { return put(0) },
		func() error { return put(st.header, "Status", "Rows") },
		func() error {
			for _, s := range statuses {
				if err := put(0, s, sum.Statuses[s]); err != nil {
					return err
				}
			}
			return put(0)
		},
		func() error {
			head := []any{"Customer", "Rows"}
			for _, s := range statuses {
				head = append(head, s)
			}
			return put(st.header, head...)
		},
		func() error {
			for _, c := range sum.Customers {
				vals := []any{c.CustomerID, c.Rows}
				for _, s := range statuses {
					vals = append(vals, c.Statuses[s])
				}
				if err := put(0, vals...); err != nil {
					return err
				}
			}
			return put(0)
		},
		func() error { return put(st.header, "Problem", "Count", "Rows") },
		func() error {
			for _, k := range sum.Kinds {
				if err := put(0, k.Kind, k.Count, rowList(k.Rows)); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(name, "A", "A", 44); err != nil {
		return err
	}
	return f.SetColWidth(name, "B", "C", 16)
}

// statusOrder lists statuses in a stable, meaningful order.
func statusOrder(counts map[string]int) []string {
	known := []string{string(order.StatusValid), string(order.StatusInvalid)}
	var out []string
	for _, s := range known {
		if _, ok := counts[s]; ok {
			out = append(out, s)
		}
	}
	var rest []string
	for s := range counts {
		if s != known[0] && s != known[1] {
			rest = append(rest, s)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func rowList(rows []int) string {
	const most = 30
	parts := make([]string, 0, min(len(rows), most))
	for i, r := range rows {
		if i == most {
			parts = append(parts, fmt.Sprintf("… %d more", len(rows)-most))
			break
		}
		parts = append(parts, fmt.Sprint(r))
	}
	return strings.Join(parts, ", ")
}
