// Package report turns the outcome of a run into the results workbook and
// the JSON summary.
package report

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
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
	// Online: the sheet was also checked against Partner Center.
	Online *Online
	// Prices adds the price columns (Unit Price, Currency, Estimated Cost).
	Prices bool
	// FollowUp adds Order Status and Provisioning (importer status).
	FollowUp bool
}

// Online says a sheet was checked against Partner Center, and how far.
type Online struct {
	At time.Time `json:"checkedAt"`
	// Unchecked rows could not be checked: Partner Center did not answer.
	Unchecked int `json:"uncheckedRows"`
}

// OnlineNote is what a run says of an online check (the terminal, the
// Summary sheet).
func (o *Online) Note() string {
	s := "Checked online with Partner Center at " + o.At.UTC().Format("2006-01-02 15:04:05 MST")
	if o.Unchecked > 0 {
		s += fmt.Sprintf("; %s could not be checked (Partner Center did not answer about them): run again to check them", Plural(o.Unchecked, "row"))
	}
	return s
}

// resultNames are the result columns the run writes.
func (r *Run) resultNames() []string {
	names := order.ResultColumns
	if r.Submit {
		names = order.SubmitResultColumns
	}
	if r.Prices {
		names = append(append([]string(nil), names...), order.PriceColumns...)
	}
	if r.FollowUp {
		names = append(append([]string(nil), names...), order.FollowUpColumns...)
	}
	return names
}

// Message is the text of a row's Import Message cell: every problem, errors
// first, each naming its column.
func Message(o *order.Outcome) string {
	var parts []string
	for _, sev := range []order.Severity{order.Error, order.Warning, order.Note} {
		for _, p := range o.Problems {
			if p.Severity != sev {
				continue
			}
			s := p.Message
			if p.Field != order.NoField {
				s = p.Field.String() + ": " + s
			}
			switch sev {
			case order.Note:
				s = "Note: " + s
			case order.Warning:
				s = "Warning: " + s
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

// Where a run's files go by default: beside the sheet, named after it by
// one rule that never gives two sheets the same results, so checking one
// never overwrites another's. One rule for every front end, so a watch, a
// rescue and the CLI never disagree.
//
//	orders.xlsx             orders.results.xlsx      orders.summary.json
//	orders.csv              orders.csv.results.xlsx  orders.csv.summary.json
//	orders.results.xlsx     orders.results-2.xlsx    orders.summary-2.json
//	orders.results-2.xlsx   orders.results-3.xlsx    orders.summary-3.json
//
// Only a workbook's ".xlsx" is dropped, and only where what is left does
// not end as a sheet's name does (orders.csv.xlsx keeps it), so a name
// that ends ".results.xlsx" says which sheet it came from. A results
// workbook checked again (after fixing its rows) gets the next number
// instead of orders.results.results.xlsx.
const (
	ResultsSuffix = ".results.xlsx"
	SummarySuffix = ".summary.json"
)

// ResultsPath is the default results workbook of the sheet at input.
func ResultsPath(input string) string {
	stem, gen := outputStem(input)
	return stem + numbered(".results", gen) + ".xlsx"
}

// SummaryPath is the default JSON summary of the sheet at input.
func SummaryPath(input string) string {
	stem, gen := outputStem(input)
	return stem + numbered(".summary", gen) + ".json"
}

// resultsName is a results workbook's name: STEM.results.xlsx, or
// STEM.results-N.xlsx for N from 2 (never 1, nor with a leading 0, so no
// two names are the same number).
var (
	resultsName = regexp.MustCompile(`^(.+)\.results(?:-([2-9]|[1-9][0-9]+))?\.xlsx$`)
	resultsPart = regexp.MustCompile(`^(.+)\.results(?:-[2-9]|-[1-9][0-9]+)?$`)
)

// BaseName is the name of the order sheet input is, or is the results of:
// without folder, extension or results part. orders.xlsx, orders.csv,
// orders.results.xlsx, orders.csv.results.xlsx and orders.results-2.xlsx
// are all "orders", one batch.
func BaseName(input string) string {
	name := filepath.Base(input)
	name = strings.TrimSuffix(name, filepath.Ext(name))
	if m := resultsPart.FindStringSubmatch(name); m != nil {
		name = m[1]
		if IsSheetName(name) {
			name = strings.TrimSuffix(name, filepath.Ext(name))
		}
	}
	return name
}

// outputStem is what input's default outputs are named after, and the
// number they get (1 for a sheet's, N+1 for a results workbook's).
func outputStem(input string) (string, int) {
	dir, name := filepath.Split(input)
	if m := resultsName.FindStringSubmatch(name); m != nil {
		gen := 1
		if m[2] != "" {
			gen, _ = strconv.Atoi(m[2])
		}
		return dir + m[1], gen + 1
	}
	if stem, ok := strings.CutSuffix(name, ".xlsx"); ok && !IsSheetName(stem) {
		return dir + stem, 1
	}
	return input, 1
}

func numbered(s string, gen int) string {
	if gen > 1 {
		return s + "-" + strconv.Itoa(gen)
	}
	return s
}

// IsSheetName reports whether name ends as a sheet the importer reads
// does (.xlsx, .xlsm, .csv, .txt, .tsv, in any case).
func IsSheetName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm", ".csv", ".txt", ".tsv":
		return true
	}
	return false
}
