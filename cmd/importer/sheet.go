package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

// sheetOptions are the flags of every command that reads an order sheet.
type sheetOptions struct {
	out     string
	sheet   string
	json    bool
	catalog string
	attest  bool
	summary string
	clock   string // hidden: fixes "now" for reproducible runs
}

// register adds the flags; perSheet ones (where the results go) only to
// commands that take one SHEET.
func (o *sheetOptions) register(f *pflag.FlagSet, perSheet bool) {
	if perSheet {
		f.StringVarP(&o.out, "out", "o", "", "results workbook (default: NAME.results.xlsx beside SHEET)")
		f.StringVar(&o.summary, "summary", "", "also write the JSON summary to this file")
	}
	f.StringVar(&o.sheet, "sheet", "", "worksheet to read (default: Orders if there is one, else the first)")
	f.BoolVar(&o.json, "json", false, "print the run summary as JSON on stdout instead of the table")
	f.StringVar(&o.catalog, "catalog", "", "catalog CSV: ProductId,ProductType,Terms,BillingCycles[,MinQuantity,MaxQuantity]")
	f.BoolVar(&o.attest, "attest", false, "accept the partner-of-record attestation for every cart whose rows do not say no")
	f.StringVar(&o.clock, "clock", "", "the current time, RFC 3339 (for reproducible runs)")
	_ = f.MarkHidden("clock")
}

// checked is a sheet read and validated.
type checked struct {
	input, out string
	now        time.Time
	sheet      *ingest.Sheet
	res        *validate.Result
}

// check reads and validates SHEET; every error is "could not be done".
func check(log logrus.FieldLogger, input string, o sheetOptions) (*checked, error) {
	now := time.Now()
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return nil, fail(fmt.Errorf("--clock %q: %w", o.clock, err))
		}
		now = t
	}
	out := o.out
	if out == "" {
		out = defaultResultsPath(input)
	}
	if same(out, input) {
		return nil, fail(fmt.Errorf("the results workbook %s would overwrite the input; choose another with -o", out))
	}
	var catalog *validate.Catalog
	if o.catalog != "" {
		c, err := validate.LoadCatalog(o.catalog)
		if err != nil {
			return nil, fail(err)
		}
		catalog = c
	}
	log.WithField("file", input).Debug("reading order sheet")
	sheet, err := ingest.Read(input, ingest.Options{Sheet: o.sheet})
	if err != nil {
		return nil, fail(err)
	}
	log.WithFields(logrus.Fields{"file": input, "rows": len(sheet.Rows), "sheet": sheet.Name, "encoding": sheet.Encoding}).Debug("read order sheet")
	if sheet.Format == ingest.XLSX && report.HasMacros(sheet.Data) {
		log.WithField("file", input).Warn("the workbook has macros: the results workbook is a plain workbook without them (the input is not changed)")
	}
	res := validate.New(validate.Options{Catalog: catalog, Attest: o.attest, Today: now}).Check(sheet.Rows)
	return &checked{input: input, out: out, now: now, sheet: sheet, res: res}, nil
}

func (c *checked) run(mode string, submit bool) *report.Run {
	return &report.Run{
		Input: c.input, Data: c.sheet.Data, SHA256: c.sheet.SHA256, Format: string(c.sheet.Format), Sheet: c.sheet.Name, HeaderLine: c.sheet.HeaderLine,
		Columns: c.sheet.Columns, Rows: c.sheet.Rows, Outcomes: c.res.Outcomes, Carts: c.res.Carts, CartOf: c.res.CartOf,
		Mode: mode, Finished: c.now, Submit: submit,
	}
}

// finish writes the results workbook and the summaries: the table on
// stdout, or JSON with --json, and the JSON in --summary's file.
func (a *app) finish(ctx context.Context, run *report.Run, out string, o sheetOptions, verb string) (*report.Summary, error) {
	if err := report.WriteWorkbook(ctx, run, out); err != nil {
		return nil, fail(err)
	}
	sum := report.Summarize(run, out)
	if o.summary != "" {
		if err := report.WriteSummary(o.summary, sum); err != nil {
			return nil, fail(fmt.Errorf("write the summary: %w", err))
		}
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return nil, fail(err)
		}
		return sum, nil
	}
	printSummary(a.stdout, sum, verb)
	return sum, nil
}

// defaultResultsPath is NAME.results.xlsx beside the input.
func defaultResultsPath(input string) string { return report.ResultsPath(input) }

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// printSummary tells a person at a terminal what happened: the problems
// (the first few), then a table.
func printSummary(w io.Writer, s *report.Summary, verb string) {
	const most = 25
	groups := problemGroups(s.Problems)
	for n, g := range groups {
		if n == most {
			fmt.Fprintf(w, "… and more; every problem is in the results workbook\n")
			break
		}
		fmt.Fprintln(w, printable(g))
	}
	if len(groups) > 0 {
		fmt.Fprintln(w)
	}
	// A dry run always says how many are valid and invalid; a submission
	// names the statuses it has.
	always := map[order.Status]bool{}
	if verb == "Checked" {
		always[order.StatusValid], always[order.StatusInvalid] = true, true
	}
	var counts []string
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Status\t %6s\n", "Rows")
	for _, st := range order.Statuses {
		if n := s.Statuses[string(st)]; n > 0 || always[st] {
			counts = append(counts, fmt.Sprintf("%d %s", n, strings.ToLower(string(st))))
			fmt.Fprintf(tw, "  %s\t %6d\n", st, n)
		}
	}
	fmt.Fprintf(tw, "  Total\t %6d\n", s.Rows)
	fmt.Fprintf(w, "%s %d rows in %d carts: %s.\n\n", verb, s.Rows, len(s.Carts), strings.Join(counts, ", "))
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Carts: %d", len(s.Carts))
	if verb != "Checked" {
		fmt.Fprintf(w, "    Orders: %d", len(s.Orders))
	}
	fmt.Fprintln(w)
	if kinds := report.TallyKinds(s.Problems, true); len(kinds) > 0 {
		fmt.Fprintln(w, "  Problems by kind:")
		kw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range kinds {
			fmt.Fprintf(kw, "    %s\t%d\trows %s\n", printable(k.Kind), k.Count, report.RowList(k.Rows, 12))
		}
		kw.Flush()
	}
	if s.Batch != "" {
		fmt.Fprintf(w, "  Batch: %s    Run: %s\n  Journal: %s\n", printable(s.Batch), printable(s.RunID), printable(s.Journal))
	}
	fmt.Fprintf(w, "Results workbook: %s\n", printable(s.Results))
}

// problemGroups are the error lines: one per problem, except that the same
// problem on many rows (every row of a sheet that was not sent, say) is one
// line naming the rows.
func problemGroups(problems []report.ProblemEntry) []string {
	type group struct {
		first report.ProblemEntry
		rows  []int
	}
	var order []*group
	byKey := map[string]*group{}
	for _, p := range problems {
		if p.Severity != "error" {
			continue
		}
		key := p.Kind + "\x00" + p.Column + "\x00" + p.Message
		if g := byKey[key]; g != nil {
			g.rows = append(g.rows, p.Row)
			continue
		}
		g := &group{first: p, rows: []int{p.Row}}
		byKey[key] = g
		order = append(order, g)
	}
	lines := make([]string, 0, len(order))
	for _, g := range order {
		if len(g.rows) == 1 {
			lines = append(lines, g.first.Text)
			continue
		}
		where := fmt.Sprintf("%d rows (%s)", len(g.rows), report.RowList(g.rows, 8))
		if g.first.Column != "" {
			where += ", column " + g.first.Column
		}
		lines = append(lines, where+": "+g.first.Message)
	}
	return lines
}
