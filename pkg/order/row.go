package order

import "fmt"

// Row is one line of the order sheet, as text, with where it came from.
// Values hold the trimmed text of each known column; Cells hold every cell
// of the row exactly as read, so unknown columns pass through untouched.
type Row struct {
	Sheet  string
	Line   int // the row number a spreadsheet shows, 1-based
	Values [numFields]string
	Cells  []string
}

// Get returns the text of a known column.
func (r *Row) Get(f Field) string { return r.Values[f] }

// Set stores the text of a known column.
func (r *Row) Set(f Field, v string) { r.Values[f] = v }

// Where names the row for messages: "sheet Orders, row 14".
func (r *Row) Where() string {
	if r.Sheet == "" {
		return fmt.Sprintf("row %d", r.Line)
	}
	return fmt.Sprintf("sheet %s, row %d", r.Sheet, r.Line)
}
