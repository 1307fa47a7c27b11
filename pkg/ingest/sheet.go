// Package ingest reads order sheets (XLSX or CSV, as Excel really writes
// them) into order.Rows, remembering which column each value came from.
package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cspimporter/importer/pkg/order"
)

// Errors a caller can branch on. Every error Read returns wraps one of them
// (or an os error for a file that cannot be opened).
var (
	ErrUnsupported    = errors.New("not a supported spreadsheet")
	ErrEncrypted      = errors.New("workbook is password-protected")
	ErrCorrupt        = errors.New("file is damaged")
	ErrTooLarge       = errors.New("file unpacks to more than the allowed size")
	ErrEmpty          = errors.New("sheet has no order rows")
	ErrNoSheet        = errors.New("no such sheet")
	ErrMissingColumns = errors.New("required columns are missing")
	ErrTwoColumns     = errors.New("two columns mean the same")
)

// MissingColumnsError names the required columns a header row lacks and the
// headers it has, so the user can see the near miss.
type MissingColumnsError struct {
	Missing []order.Field
	Found   []string
	Line    int
	// Hints are headers one or two typos away from a missing column's
	// name ("Quantiy" for Quantity).
	Hints map[order.Field]string
}

func (e *MissingColumnsError) Error() string {
	names := make([]string, len(e.Missing))
	for i, f := range e.Missing {
		names[i] = f.String()
	}
	found := make([]string, 0, len(e.Found))
	for _, h := range e.Found {
		if strings.TrimSpace(h) != "" {
			found = append(found, fmt.Sprintf("%q", h))
		}
	}
	var hints []string
	for _, f := range e.Missing {
		if h, ok := e.Hints[f]; ok {
			hints = append(hints, fmt.Sprintf("%q: did you mean %s?", h, f))
		}
	}
	hint := ""
	if len(hints) > 0 {
		hint = "; " + strings.Join(hints, "; ")
	}
	return fmt.Sprintf("missing required column(s) %s in the header row (row %d)%s; headers found: %s",
		strings.Join(names, ", "), e.Line, hint, strings.Join(found, ", "))
}

func (e *MissingColumnsError) Unwrap() error { return ErrMissingColumns }

// DuplicateColumnsError: two columns of the header row mean the same field
// (Qty and Seats, Customer and Tenant Id), so which one to buy by cannot be
// told. Nothing is guessed.
type DuplicateColumnsError struct {
	Field   order.Field
	Headers []string // the two headers, as written
	Columns []string // their letters
	Line    int
}

func (e *DuplicateColumnsError) Error() string {
	return fmt.Sprintf("the header row (row %d) has two columns for %s: %q (column %s) and %q (column %s); "+
		"which one to buy by cannot be told, so nothing was checked: keep one, and delete the other or rename its header to something else (e.g. %q)",
		e.Line, e.Field, e.Headers[0], e.Columns[0], e.Headers[1], e.Columns[1], "Note "+e.Headers[1])
}

func (e *DuplicateColumnsError) Unwrap() error { return ErrTwoColumns }

// Format is the kind of file a sheet was read from.
type Format string

// Input formats.
const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
)

// Sheet is an order sheet as read: its header and its non-blank rows.
type Sheet struct {
	Path       string
	Format     Format
	Name       string // worksheet name; "" for CSV
	HeaderLine int    // spreadsheet row number of the header row
	Columns    []order.Column
	Rows       []order.Row
	Encoding   string // CSV only: how the bytes were decoded
	Separator  rune   // CSV only
	// Data is the file as read, once; SHA256 its hash, in hex.
	Data   []byte
	SHA256 string
}

// ColumnsOf returns the indexes of every column read into f (several for
// numbered AdditionalTransactionReseller columns).
func (s *Sheet) ColumnsOf(f order.Field) []int {
	var idx []int
	for i, c := range s.Columns {
		if c.Field == f {
			idx = append(idx, i)
		}
	}
	return idx
}
