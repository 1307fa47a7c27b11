package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/prices"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

// CheckOptions say how to read and check a sheet.
type CheckOptions struct {
	// Results is the results workbook; "" is report.ResultsPath(input).
	Results string
	// Sheet is the worksheet to read; "" is Orders, else the first.
	Sheet string
	// Catalog is a catalog CSV for the checks; "" is the built-in one.
	Catalog string
	// Attest accepts the partner-of-record attestation for every cart
	// whose rows do not say no.
	Attest bool
	// Now is the time the checks take as now; zero is the clock's.
	Now time.Time
	// Log gets what the check does; nil logs nothing.
	Log logrus.FieldLogger
	// Online, if set, also checks the sheet against Partner Center.
	Online *OnlineOptions
	// Prices is Partner Center's license-based price list (CSV); "" prices
	// nothing.
	Prices string
}

// CheckedSheet is an order sheet read and checked: the file as it was read
// (every later step works from those bytes), where its results go, and its
// rows, carts and outcomes.
type CheckedSheet struct {
	Input   string // the sheet's path
	Results string // the results workbook's path
	Now     time.Time
	File    *ingest.Sheet
	*order.Checked
	// Online: the sheet was also checked against Partner Center.
	Online *report.Online
	// Priced: the rows were priced from a price list.
	Priced    bool
	rules     validate.Options
	countries map[string]string // the customers' countries, by lower-case id (online)
}

// Check reads and checks the sheet at input; it sends nothing. Every
// error is FaultSheet: the sheet, or the options, must change.
func Check(ctx context.Context, input string, o CheckOptions) (*CheckedSheet, error) {
	log := logOrDiscard(o.Log)
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	out := o.Results
	if out == "" {
		out = report.ResultsPath(input)
	}
	if same(out, input) {
		return nil, sheetFault(fmt.Errorf("the results workbook %s would overwrite the input; choose another with -o", out))
	}
	var catalog *validate.Catalog
	if o.Catalog != "" {
		c, err := validate.LoadCatalog(ctx, o.Catalog)
		if err != nil {
			return nil, sheetFault(err)
		}
		catalog = c
	}
	log.WithField("file", input).Debug("reading order sheet")
	sheet, err := ingest.Read(ctx, input, ingest.Options{Sheet: o.Sheet})
	if err != nil {
		return nil, sheetFault(err)
	}
	log.WithFields(logrus.Fields{"file": input, "rows": len(sheet.Rows), "sheet": sheet.Name, "encoding": sheet.Encoding,
		"columns": order.HeadersByField(sheet.Columns)}).Debug("read order sheet")
	if sheet.Format == ingest.XLSX && report.HasMacros(sheet.Data) {
		log.WithField("file", input).Warn("the workbook has macros: the results workbook is a plain workbook without them (the input is not changed)")
	}
	var list *prices.List
	if o.Prices != "" {
		if list, err = prices.Load(ctx, o.Prices, productsOf(sheet.Rows)); err != nil {
			return nil, sheetFault(err)
		}
	}
	rules := validate.Options{Catalog: catalog, Attest: o.Attest, Today: now}
	s := &CheckedSheet{Input: input, Results: out, Now: now, File: sheet, Checked: validate.New(rules).Check(sheet.Rows), rules: rules}
	if o.Online != nil {
		if err := s.checkOnline(ctx, *o.Online, log); err != nil {
			return nil, err
		}
	}
	if list != nil {
		prices.Apply(s.Checked, list, s.countries, now)
		s.Priced = true
	}
	return s, nil
}

// Report is the run to write results of: mode names it on the Summary
// sheet, and submit adds the columns a submission fills in.
func (s *CheckedSheet) Report(mode string, submit bool) *report.Run {
	f := s.File
	return &report.Run{
		Input: s.Input, Data: f.Data, SHA256: f.SHA256, Format: string(f.Format), Sheet: f.Name, HeaderLine: f.HeaderLine,
		Columns: f.Columns, Checked: s.Checked, Mode: mode, Finished: s.Now, Submit: submit, Online: s.Online, Prices: s.Priced,
	}
}

// WriteResults writes the results workbook of run to results and, if
// summary is not "", the JSON summary there.
func WriteResults(ctx context.Context, run *report.Run, results, summary string) (*report.Summary, error) {
	if err := report.WriteWorkbook(ctx, run, results); err != nil {
		return nil, &Error{Fault: FaultResults, Err: err}
	}
	sum := report.Summarize(run, results)
	if summary != "" {
		if err := report.WriteSummary(ctx, summary, sum); err != nil {
			return nil, &Error{Fault: FaultResults, Err: fmt.Errorf("write the summary: %w", err)}
		}
	}
	return sum, nil
}

// Validated is a dry run's outcome.
type Validated struct {
	Sheet   *CheckedSheet
	Run     *report.Run
	Summary *report.Summary
}

// Validate checks the sheet at input and writes its results workbook (and
// the JSON summary to summary, if not ""); it sends nothing. A sheet with
// invalid rows is a FaultRows error, with the outcome.
func Validate(ctx context.Context, input string, o CheckOptions, summary string) (*Validated, error) {
	s, err := Check(ctx, input, o)
	if err != nil {
		return nil, err
	}
	run := s.Report("dry run (validate)", false)
	sum, err := WriteResults(ctx, run, s.Results, summary)
	if err != nil {
		return nil, err
	}
	v := &Validated{Sheet: s, Run: run, Summary: sum}
	if s.Count(order.StatusInvalid) > 0 {
		return v, &Error{Fault: FaultRows}
	}
	if s.Online != nil && s.Online.Unchecked > 0 {
		return v, &Error{Fault: FaultRows, Err: fmt.Errorf("%s could not be checked online: Partner Center did not answer about them; run again to check them",
			report.Plural(s.Online.Unchecked, "row"))}
	}
	return v, nil
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// productsOf says whether a product (upper-case id) is bought by a row.
func productsOf(rows []order.Row) func(string) bool {
	set := map[string]bool{}
	for i := range rows {
		p, _, _ := strings.Cut(strings.TrimSpace(rows[i].Get(order.CatalogItemID)), ":")
		set[strings.ToUpper(p)] = true
	}
	return func(p string) bool { return set[p] }
}
