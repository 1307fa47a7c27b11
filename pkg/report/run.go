// Package report turns the outcome of a run into the results workbook and
// the JSON summary.
package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cspimporter/importer/pkg/order"
)

// Run is everything a report is written from.
type Run struct {
	Input string // path of the order sheet
	// Data is the sheet's bytes as read: the results copy is made from
	// them, never by opening Input again (it may have changed since).
	Data       []byte
	SHA256     string // of Data, in hex
	Format     string // "xlsx" or "csv"
	Sheet      string // worksheet read; "" for CSV
	HeaderLine int
	Columns    []order.Column
	// The rows, their carts and their outcomes.
	*order.Checked
	Mode     string // "dry run"
	Finished time.Time
	// Submit adds the Request Id and Correlation Id columns.
	Submit bool
	// Set by submit: what a person needs to find this run again.
	Batch, RunID, Journal string
	// Sandbox: the run talked to the simulated Partner Center, so nothing
	// was bought; every output says so.
	Sandbox bool
}

// resultNames are the result columns the run writes.
func (r *Run) resultNames() []string {
	if r.Submit {
		return order.SubmitResultColumns
	}
	return order.ResultColumns
}

// Message is the text of a row's Import Message cell: every problem, errors
// first, each naming its column.
func Message(o *order.Outcome) string {
	var parts []string
	for _, sev := range []order.Severity{order.Error, order.Note} {
		for _, p := range o.Problems {
			if p.Severity != sev {
				continue
			}
			s := p.Message
			if p.Field != order.NoField {
				s = p.Field.String() + ": " + s
			}
			if sev == order.Note {
				s = "Note: " + s
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// Describe names a problem fully, for terminals and logs:
// "row 14, column Quantity: '0' must be a whole number above 0".
func Describe(r *order.Row, p order.Problem) string {
	where := fmt.Sprintf("row %d", r.Line)
	if r.Sheet != "" {
		where = fmt.Sprintf("sheet %s, row %d", r.Sheet, r.Line)
	}
	if p.Field != order.NoField {
		where += ", column " + p.Field.String()
	}
	return where + ": " + p.Message
}

// Where a run's files go by default, named after the sheet: orders.xlsx
// gets orders.results.xlsx and orders.summary.json beside it. One rule for
// every front end, so a watch, a rescue and the CLI never disagree.
const (
	ResultsSuffix = ".results.xlsx"
	SummarySuffix = ".summary.json"
)

// ResultsPath is the default results workbook of the sheet at input.
func ResultsPath(input string) string { return stem(input) + ResultsSuffix }

// SummaryPath is the default JSON summary of the sheet at input.
func SummaryPath(input string) string { return stem(input) + SummarySuffix }

func stem(path string) string { return strings.TrimSuffix(path, filepath.Ext(path)) }
