package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/order"
)

// UnzipLimit caps what the input workbook may unpack to when it is copied;
// ingest has already refused anything larger.
var UnzipLimit int64 = 1 << 30

// WriteWorkbook writes the results workbook to out, atomically: a reader
// never sees half a file, and a failed write leaves no file behind. For an
// XLSX input it is a copy of the user's workbook with the result columns
// added to the orders sheet; for a CSV input, a new workbook.
func WriteWorkbook(ctx context.Context, run *Run, out string) error {
	if err := render(ctx, run, out, func(w func(io.Writer) error) error { return atomicfile.Write(out, w) }); err != nil {
		return fmt.Errorf("write results workbook %s: %w", out, err)
	}
	return nil
}

// CheckWorkbook produces the whole results workbook of run, as WriteWorkbook
// would, into a temporary file beside out, and removes it: before buying,
// it proves that out is not a folder, that its folder takes files, and that
// this workbook's results can be written at all. out is not touched.
func CheckWorkbook(ctx context.Context, run *Run, out string) error {
	if info, err := os.Stat(out); err == nil && info.IsDir() {
		return fmt.Errorf("the results workbook %s is a folder; name a file with -o", out)
	}
	if err := render(ctx, run, out, func(w func(io.Writer) error) error { return atomicfile.Try(out, w) }); err != nil {
		return fmt.Errorf("the results workbook %s cannot be written: %w", out, err)
	}
	return nil
}

// saver writes a finished workbook's bytes somewhere.
type saver func(write func(io.Writer) error) error

func render(ctx context.Context, run *Run, out string, save saver) (err error) {
	// excelize panics on some workbooks it cannot handle; that must be an
	// error (found by CheckWorkbook before buying), never a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("this workbook cannot be copied with its results (%v); save it in Excel as \"Excel Workbook (*.xlsx)\" and try again", p)
		}
	}()
	if err := checkRoom(run); err != nil {
		return err
	}
	if run.Format == "xlsx" {
		return copyWorkbook(ctx, run, out, save)
	}
	return newWorkbook(ctx, run, out, save)
}

// checkRoom refuses a sheet with no room for the result columns to the
// right of its last used column: Excel has 16,384 columns (A to XFD).
func checkRoom(run *Run) error {
	rcols := resultColumns(run)
	if last := rcols[len(rcols)-1]; last > maxColumns {
		return fmt.Errorf("the orders sheet uses columns up to %s, so there is no room for the %d result columns (an Excel sheet ends at column XFD); "+
			"delete the empty or unneeded columns at the right of the sheet and try again", columnLetters(last-len(rcols)), len(rcols))
	}
	return nil
}

const maxColumns = 16384

func columnLetters(col int) string {
	name, err := excelize.ColumnNumberToName(col)
	if err != nil {
		return strconv.Itoa(col)
	}
	return name
}

// resultColumns places the result columns: where the sheet already has them
// (a results workbook checked again), else after the last used column.
func resultColumns(run *Run) []int {
	cols := make([]int, len(run.resultNames()))
	width := len(run.Columns)
	for i := range run.Rows {
		width = max(width, usedWidth(run.Rows[i].Cells))
	}
	at := map[string]int{}
	for i, name := range run.resultNames() {
		at[name] = i
	}
	for i, c := range run.Columns {
		if c.Result >= 0 && c.Result < len(order.AllResultColumns) {
			if j, ok := at[order.AllResultColumns[c.Result]]; ok {
				cols[j] = i + 1
			}
		}
	}
	for i := range cols {
		if cols[i] == 0 {
			width++
			cols[i] = width
		}
	}
	return cols
}

func usedWidth(cells []string) int {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	return n
}

// fieldColumns maps each field to its 1-based sheet columns.
func fieldColumns(run *Run) map[order.Field][]int {
	m := map[order.Field][]int{}
	for i, c := range run.Columns {
		if c.Field != order.NoField {
			m[c.Field] = append(m[c.Field], i+1)
		}
	}
	return m
}

// resultWidths are the widths of the result columns that have one of their
// own; the id columns are idWidth, when they have ids.
var resultWidths = map[string]float64{"Import Status": 14, "Import Message": 60, "Cart": 52, "Unit Price": 12, "Currency": 10, "Estimated Cost": 16,
	"Order Status": 16, "Provisioning": 16}

const idWidth = 38

// resultWidth is the width of result column i: an id column no row has
// a value in (all of them, in a dry run) stays narrow, wide enough for its
// header, so the columns that say something are on screen.
func resultWidth(run *Run, i int) float64 {
	name := run.resultNames()[i]
	if w, ok := resultWidths[name]; ok {
		return w
	}
	id := slices.Index(order.SubmitResultColumns, name) - 3
	for j := range run.Outcomes {
		if id >= 0 && idCells(&run.Outcomes[j])[id] != "" {
			return idWidth
		}
	}
	return float64(len(name) + 4)
}

// cartText is the Cart cell of row i: the customer's name first where the
// sheet has a name column, nameCol ("Contoso Ltd (4a7e… / HQ)"), else the
// cart's name (the customer id, and " / CartGroup").
func cartText(run *Run, i, nameCol int) string {
	cart := run.Outcomes[i].Cart
	if cart == "" {
		return ""
	}
	if c := nameCol; c >= 0 && c < len(run.Rows[i].Cells) {
		if name := strings.TrimSpace(run.Rows[i].Cells[c]); name != "" {
			return name + " (" + cart + ")"
		}
	}
	return cart
}

// RunMessage is row i's Import Message: its problems and, in a sandbox
// run, on every row where the workbook (or page) shows it, that a
// sandbox's Ordered is no purchase (and read back, no evidence of one).
func RunMessage(run *Run, i int) string {
	msg := Message(&run.Outcomes[i])
	if run.Sandbox {
		msg = strings.TrimSuffix(SandboxNote+". "+msg, " ")
	}
	return msg
}

// resultValues are row i's result cells, as many as the run has columns;
// nameCol is customerNameColumn(run.Columns), found once per run.
func resultValues(run *Run, i, nameCol int) []string {
	o := &run.Outcomes[i]
	ids := idCells(o)
	msg := RunMessage(run, i)
	v := append([]string{string(o.Status), msg, cartText(run, i, nameCol)}, ids[:]...)
	if !run.Submit {
		v = v[:len(order.ResultColumns)]
	}
	if run.Prices {
		v = append(v, priceCells(o.Price)...)
	}
	if run.FollowUp {
		v = append(v, o.OrderStatus, o.Provisioning)
	}
	return v
}

// priceCells are the price columns' cells: Unit Price, Currency,
// Estimated Cost; empty without a price.
func priceCells(p *order.Price) []string {
	if p == nil {
		return []string{"", "", ""}
	}
	return []string{amount(p.Unit), p.Currency, amount(p.Cost)}
}

// numeric: result column name holds a number (written as one, so Excel
// adds it up).
func numeric(name string) bool { return name == "Unit Price" || name == "Estimated Cost" }

func amount(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// idCells are the id result cells: Cart Id, Order Id, Subscription Id,
// Request Id, Correlation Id.
func idCells(o *order.Outcome) [5]string {
	return [5]string{o.CartID, o.OrderID, o.SubscriptionID, o.RequestID, o.CorrelationID}
}

// offending lists the columns of a row's errors, once each.
func offending(o *order.Outcome, fcols map[order.Field][]int) []int {
	var cols []int
	seen := map[int]bool{}
	for _, p := range o.Problems {
		if p.Severity != order.Error {
			continue
		}
		for _, c := range fcols[p.Field] {
			if !seen[c] {
				seen[c] = true
				cols = append(cols, c)
			}
		}
	}
	return cols
}

// newWorkbook writes a CSV's rows, at their own row numbers so messages
// match, followed by the result columns; streamed, for large files.
func newWorkbook(ctx context.Context, run *Run, out string, save saver) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := fillNewWorkbook(ctx, f, run); err != nil {
		return err
	}
	if err := writeSummarySheet(f, run, out); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if err := writeProblemsSheet(f, run, "Orders"); err != nil {
		return fmt.Errorf("problems: %w", err)
	}
	return save(func(w io.Writer) error {
		_, err := f.WriteTo(w)
		return err
	})
}

func fillNewWorkbook(ctx context.Context, f *excelize.File, run *Run) error {
	const sheet = "Orders"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	colWidth := 18.0
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{DefaultColWidth: &colWidth}); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	// The header row and the first column stay in sight (see sheetRewriter.pane).
	top := "B" + strconv.Itoa(run.HeaderLine+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: run.HeaderLine, TopLeftCell: top, ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomRight"}}}); err != nil {
		return err
	}
	rcols := resultColumns(run)
	// The sheet's columns get the default width, and only the result
	// columns one of their own: excelize keeps column widths as a list
	// it flattens to one entry per column and searches for every cell, so
	// widths set on 16,000 input columns made writing take minutes.
	for i := range rcols {
		if err := sw.SetColWidth(rcols[i], rcols[i], resultWidth(run, i)); err != nil {
			return err
		}
	}
	width := rcols[len(rcols)-1]
	header := make([]any, width)
	for i, c := range run.Columns {
		header[i] = excelize.Cell{StyleID: st.bold, Value: c.Header}
	}
	for i, name := range run.resultNames() {
		header[rcols[i]-1] = excelize.Cell{StyleID: st.resultHeader(name), Value: name}
	}
	if err := setRow(sw, run.HeaderLine, header); err != nil {
		return err
	}
	fcols := fieldColumns(run)
	nameCol := customerNameColumn(run.Columns)
	names := run.resultNames()
	for i := range run.Rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, o := &run.Rows[i], &run.Outcomes[i]
		bad := map[int]bool{}
		for _, c := range offending(o, fcols) {
			bad[c] = true
		}
		cells := make([]any, width)
		for j, v := range r.Cells {
			if j >= len(cells) {
				break // only empty cells lie past the used width
			}
			style := 0
			if bad[j+1] {
				style = st.bad
			}
			cells[j] = excelize.Cell{StyleID: style, Value: cellValue(run.Columns, j, v)}
		}
		failed := o.Failed()
		values := resultValues(run, i, nameCol)
		for j, v := range values {
			cells[rcols[j]-1] = excelize.Cell{StyleID: st.result(j, failed), Value: v}
			if f, err := strconv.ParseFloat(v, 64); err == nil && numeric(names[j]) {
				cells[rcols[j]-1] = excelize.Cell{StyleID: st.money, Value: f}
			} else if names[j] == "Currency" {
				cells[rcols[j]-1] = excelize.Cell{StyleID: st.indent, Value: v}
			}
		}
		var opts []excelize.RowOpts
		if h := wrappedHeight(values[1], resultWidth(run, 1)); h > 0 {
			opts = append(opts, excelize.RowOpts{Height: h})
		}
		if err := setRow(sw, r.Line, cells, opts...); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func setRow(sw *excelize.StreamWriter, line int, cells []any, opts ...excelize.RowOpts) error {
	cell, err := excelize.CoordinatesToCellName(1, line)
	if err != nil {
		return err
	}
	return sw.SetRow(cell, cells, opts...)
}

// cellValue writes a whole-number Quantity as a number so it sums in Excel;
// everything else stays text, so ids keep their digits and nothing from
// the input is ever a formula.
func cellValue(cols []order.Column, j int, v string) any {
	if j < len(cols) && cols[j].Field == order.Quantity {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return v
}

// streamSheet writes rows (an empty one is a gap) to a sheet of ours with
// the column widths given, printable one page wide (set before streaming,
// which writes the sheet's settings first).
func streamSheet(f *excelize.File, name string, rows [][]any, widths []float64) error {
	if err := printOnePageWide(f, name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	for i, row := range rows {
		if len(row) == 0 {
			continue
		}
		if err := setRow(sw, i+1, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// printOnePageWide prints a sheet landscape, one page wide and as many
// pages tall as it needs. A streamed sheet must have it before streaming.
func printOnePageWide(f *excelize.File, sheet string) error {
	landscape, one, tall, fit := "landscape", 1, 0, true
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	return f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit})
}
