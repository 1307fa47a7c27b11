package order

import "strings"

// Row is one line of the order sheet, as text, with where it came from.
// Values hold the trimmed text of each known column; Cells hold every cell
// of the row exactly as read, so unknown columns pass through untouched.
type Row struct {
	Sheet  string
	Line   int // the row number a spreadsheet shows, 1-based
	Values [numFields]string
	Cells  []string
	// Problems were found while reading the row (bytes that are not text,
	// a cell too long for Excel); they join the row's outcome.
	Problems []Problem
	// Earlier is what an earlier run wrote into the row's result columns,
	// when the sheet is a results workbook given back.
	Earlier Earlier
}

// Earlier is a row's result columns as read.
type Earlier struct {
	Status, CartID, OrderID, SubscriptionID string
	// Sandbox: the Import Message says a sandbox run wrote them.
	Sandbox bool
}

// SandboxMark starts the Import Message of every row a sandbox run wrote
// (and every other output of such a run says it too).
const SandboxMark = "SANDBOX:"

// Ordered reports whether the row says it was ordered (Ordered, or Skipped
// as ordered before), with the order's id: evidence enough never to send
// it again. What a sandbox run says is no evidence: nothing was bought.
func (e Earlier) Ordered() bool {
	st := strings.TrimSpace(e.Status)
	return !e.Sandbox && (strings.EqualFold(st, string(StatusOrdered)) || strings.EqualFold(st, string(StatusSkipped))) &&
		strings.TrimSpace(e.OrderID) != ""
}

// Get returns the text of a known column.
func (r *Row) Get(f Field) string { return r.Values[f] }

// Set stores the text of a known column.
func (r *Row) Set(f Field, v string) { r.Values[f] = v }
