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
)

// MissingColumnsError names the required columns a header row lacks and the
// headers it has, so the user can see the near miss.
type MissingColumnsError struct {
	Missing []order.Field
	Found   []string
	Line    int
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
	return fmt.Sprintf("missing required column(s) %s in the header row (row %d); headers found: %s",
		strings.Join(names, ", "), e.Line, strings.Join(found, ", "))
}

func (e *MissingColumnsError) Unwrap() error { return ErrMissingColumns }

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
