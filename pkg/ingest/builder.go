package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/cspimporter/importer/pkg/order"
)

// headerSearchRows is how many non-blank rows may stand above the header
// (titles, notes) before we give up looking for it.
const headerSearchRows = 20

// builder turns raw rows of cells, from either format, into a Sheet: it
// finds the header row, maps columns, and skips blank rows.
type builder struct {
	ctx       context.Context // checked now and then: a read can be stopped
	sheet     *Sheet
	cellValue func(f order.Field, raw string) string // format-specific conversion
	first     []string                               // first non-blank row, for errors
	firstLine int
	searched  int
	found     bool
}

func newBuilder(ctx context.Context, s *Sheet, cellValue func(order.Field, string) string) *builder {
	return &builder{ctx: ctx, sheet: s, cellValue: cellValue}
}

func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' })
}

func blank(cells []string) bool {
	for _, c := range cells {
		if trim(c) != "" {
			return false
		}
	}
	return true
}

// add takes one row of cells; line is its spreadsheet row number.
func (b *builder) add(line int, cells []string) error {
	if line%1024 == 0 {
		if err := b.ctx.Err(); err != nil {
			return err
		}
	}
	if blank(cells) {
		return nil
	}
	if !b.found {
		return b.findHeader(line, cells)
	}
	b.sheet.Rows = append(b.sheet.Rows, b.row(line, cells))
	return nil
}

func (b *builder) findHeader(line int, cells []string) error {
	if b.first == nil {
		b.first, b.firstLine = append([]string(nil), cells...), line
	}
	cols := make([]order.Column, len(cells))
	known := 0
	taken := map[order.Field]int{} // the column of each field, from 1
	var twice *DuplicateColumnsError
	for i, h := range cells {
		c := classify(trim(h))
		c.Header = h
		if c.Field != order.NoField {
			// Two columns with the same meaning (Qty and Seats) cannot tell
			// which to buy by, so nothing is guessed; numbered reseller
			// columns add up.
			if first := taken[c.Field]; first > 0 && c.Field != order.AdditionalTransactionResellers {
				if twice == nil {
					twice = &DuplicateColumnsError{Field: c.Field, Headers: []string{trim(cells[first-1]), trim(h)},
						Columns: []string{columnName(first), columnName(i + 1)}, Line: line}
				}
				c.Field = order.NoField
			} else if first == 0 {
				taken[c.Field] = i + 1
				known++
			}
		}
		cols[i] = c
	}
	if known < 2 {
		b.searched++
		if b.searched >= headerSearchRows {
			return b.missing(b.first, b.firstLine, nil)
		}
		return nil
	}
	if twice != nil {
		return twice
	}
	var missing []order.Field
	for _, f := range order.Fields() {
		if f.Required() && taken[f] == 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return b.missing(cells, line, missing)
	}
	b.found = true
	b.sheet.Columns = cols
	b.sheet.HeaderLine = line
	return nil
}

func (b *builder) missing(cells []string, line int, missing []order.Field) error {
	if missing == nil {
		for _, f := range order.Fields() {
			if f.Required() {
				missing = append(missing, f)
			}
		}
	}
	return &MissingColumnsError{Missing: missing, Found: cells, Line: line, Hints: nearMisses(cells, missing)}
}

func (b *builder) row(line int, cells []string) order.Row {
	r := order.Row{Sheet: b.sheet.Name, Line: line, Cells: cells}
	for i, c := range b.sheet.Columns {
		if c.Result >= 0 && i < len(cells) {
			earlier(&r.Earlier, c.Result, trim(cells[i]))
		}
		if c.Field == order.NoField || i >= len(cells) {
			continue
		}
		v := trim(cells[i])
		if v == "" {
			continue
		}
		switch c.Field {
		case order.Quantity, order.TransactionReseller, order.AdditionalTransactionResellers:
			v = plainNumber(v)
		}
		v = b.cellValue(c.Field, v)
		if c.Field == order.AdditionalTransactionResellers && r.Values[c.Field] != "" {
			v = r.Values[c.Field] + "; " + v
		}
		r.Set(c.Field, v)
	}
	return r
}

// finish reports a sheet with no header or no rows.
func (b *builder) finish() error {
	if !b.found {
		if b.first == nil {
			return ErrEmpty
		}
		return b.missing(b.first, b.firstLine, nil)
	}
	if len(b.sheet.Rows) == 0 {
		return ErrEmpty
	}
	return nil
}

// plainNumber undoes the scientific notation a spreadsheet gives long
// numbers ("5.357564E+6"), so ids typed as numbers read back as digits.
func plainNumber(v string) string {
	if !strings.ContainsAny(v, "eE") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f {
		return v
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// earlier keeps a result column an earlier run wrote (an index into
// order.AllResultColumns).
func earlier(e *order.Earlier, result int, v string) {
	switch order.AllResultColumns[result] {
	case "Import Status":
		e.Status = v
	case "Import Message":
		e.Sandbox = strings.HasPrefix(v, order.SandboxMark)
	case "Cart Id":
		e.CartID = v
	case "Order Id":
		e.OrderID = v
	case "Subscription Id":
		e.SubscriptionID = v
	}
}

// annotate adds what was wrong with a row's cells as read: bytes that are
// not text make the row Invalid; a cell too long for Excel gets a Note,
// since the results workbook can show only the first 32,767 characters.
func (b *builder) annotate(r *order.Row, probs []cellProblem) {
	for _, p := range probs {
		field, name := order.NoField, columnName(p.col+1)
		if p.col < len(b.sheet.Columns) {
			field = b.sheet.Columns[p.col].Field
			if h := trim(b.sheet.Columns[p.col].Header); h != "" {
				name = h
			}
		}
		where := ""
		if field == order.NoField {
			where = "column " + name + ": "
		}
		if p.bad {
			r.Problems = append(r.Problems, order.Problem{Field: field, Kind: "encoding", Severity: order.Error,
				Message: where + "the cell has bytes that are not UTF-8 text (shown as \uFFFD); the file is UTF-8 but for these; fix the cell, or save the file again as \"CSV UTF-8\" in Excel"})
		}
		if p.chars > 0 {
			r.Problems = append(r.Problems, order.Problem{Field: field, Kind: "too long", Severity: order.Note,
				Message: fmt.Sprintf("%sthe cell has %d characters; an Excel cell holds at most 32,767, so the results workbook shows only the first 32,767", where, p.chars)})
		}
	}
}
