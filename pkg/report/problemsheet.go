package report

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

// mostProblemLines caps the Problems sheet; the rest are in the orders
// sheet's Import Message column all the same.
const mostProblemLines = 20000

var problemHeader = []string{"Row", "Customer", "Column", "Value", "Problem"}

// writeProblemsSheet lists every error, one line each, so nobody has to
// scroll sixteen columns right to learn what is wrong: the row (a link to
// it on the orders sheet, not a formula), whose it is, the column, the
// value and the whole message, wrapped. ordersSheet is the sheet linked to.
func writeProblemsSheet(f *excelize.File, run *Run, ordersSheet string) error {
	// "Problems", unless the workbook has a sheet of that name of its own.
	name, err := addOurSheet(f, []string{"Problems", "Import Problems"}, func(name string) bool {
		a, _ := f.GetCellValue(name, "A1")
		e, _ := f.GetCellValue(name, "E1")
		return a == problemHeader[0] && e == problemHeader[4]
	})
	if err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	top, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return err
	}
	link, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}, Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, h := range problemHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(name, cell, h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(name, "A1", "E1", st.header); err != nil {
		return err
	}
	if err := f.SetCellStyle(name, "A1", "A1", st.headerRight); err != nil { // over the row numbers
		return err
	}
	for col, w := range problemWidths {
		if err := f.SetColWidth(name, col, col, w); err != nil {
			return err
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := printOnePageWide(f, name); err != nil {
		return err
	}
	named := customerNameColumn(run.Columns)
	line, total := 2, 0
	for i := range run.Rows {
		r, o := &run.Rows[i], &run.Outcomes[i]
		for _, p := range o.Problems {
			if p.Severity != order.Error {
				continue
			}
			total++
			if total > mostProblemLines {
				continue
			}
			col, header := columnOf(run.Columns, p.Field)
			// The value as read (a date serial as its date), else the cell.
			value := ""
			if p.Field != order.NoField {
				value = r.Values[p.Field]
			}
			if value == "" && col >= 0 && col < len(r.Cells) {
				value = r.Cells[col]
			}
			who := r.Values[order.CustomerID]
			if named >= 0 && named < len(r.Cells) && strings.TrimSpace(r.Cells[named]) != "" {
				who = strings.TrimSpace(r.Cells[named]) + " (" + who + ")"
			}
			if err := problemLine(f, name, line, []any{r.Line, who, header, value, p.Message}, []int{link, top, top, top, wrap}); err != nil {
				return err
			}
			cell, _ := excelize.CoordinatesToCellName(1, line)
			if err := f.SetCellHyperLink(name, cell, fmt.Sprintf("'%s'!A%d", strings.ReplaceAll(ordersSheet, "'", "''"), r.Line), "Location"); err != nil {
				return err
			}
			if h := wrappedHeight(p.Message, problemWidths["E"]); h > 0 {
				if err := f.SetRowHeight(name, line, h); err != nil {
					return err
				}
			}
			line++
		}
	}
	if total > mostProblemLines {
		return problemLine(f, name, line, []any{"", "", "", "", fmt.Sprintf("… and %d more problems: every one is in the Import Message column", total-mostProblemLines)}, []int{0, 0, 0, 0, st.bold})
	}
	if total == 0 {
		return problemLine(f, name, line, []any{"", "", "", "", "No problems: every row passed the checks."}, []int{0, 0, 0, 0, 0})
	}
	return nil
}

// problemWidths are the Problems sheet's column widths.
var problemWidths = map[string]float64{"A": 7, "B": 54, "C": 24, "D": 26, "E": 90}

// problemLine writes one line's values, each with its style. Strings stay
// strings: nothing from the sheet becomes a formula.
func problemLine(f *excelize.File, sheet string, line int, vals []any, styles []int) error {
	for i, v := range vals {
		cell, _ := excelize.CoordinatesToCellName(i+1, line)
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		if styles[i] != 0 {
			if err := f.SetCellStyle(sheet, cell, cell, styles[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// columnOf is the index and header of the first column read into fd.
func columnOf(cols []order.Column, fd order.Field) (int, string) {
	if fd == order.NoField {
		return -1, ""
	}
	for i, c := range cols {
		if c.Field == fd {
			return i, strings.TrimSpace(strings.TrimPrefix(c.Header, "\ufeff"))
		}
	}
	return -1, fd.String()
}

// customerNameColumn is a column the importer passes through that names
// the customer (Customer Name, Company), or -1.
func customerNameColumn(cols []order.Column) int {
	for i, c := range cols {
		if c.Field != order.NoField || c.Result >= 0 {
			continue
		}
		h := strings.ToLower(strings.Join(strings.Fields(c.Header), " "))
		switch h {
		case "customer name", "customername", "company", "company name", "customer company":
			return i
		}
	}
	return -1
}
