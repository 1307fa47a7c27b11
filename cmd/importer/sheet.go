package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
)

// sheetOptions are the flags of every command that reads an order sheet.
type sheetOptions struct {
	out     string
	sheet   string
	json    bool
	catalog string
	attest  bool
	summary string
	prices  string
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
	f.StringVar(&o.prices, "prices", "", "Partner Center's license-based price list (CSV, as exported): adds Unit Price, Currency and Estimated Cost, and totals")
	f.StringVar(&o.clock, "clock", "", "the current time, RFC 3339 (for reproducible runs)")
	_ = f.MarkHidden("clock")
}

// oneSheet: a command that reads a sheet takes exactly one, and says how
// when it is not given one.
func oneSheet(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("name the order sheet to %s, e.g. importer %s monthly-orders.xlsx (importer %s --help says more)", cmd.Name(), cmd.Name(), cmd.Name())
	case len(args) > 1:
		return fmt.Errorf("one order sheet at a time, not %d (%s); run importer %s once for each", len(args), strings.Join(args, ", "), cmd.Name())
	}
	return nil
}

// checkOptions are the options of the core's check.
func (o *sheetOptions) checkOptions(log logrus.FieldLogger) (importer.CheckOptions, error) {
	co := importer.CheckOptions{Results: o.out, Sheet: o.sheet, Catalog: o.catalog, Attest: o.attest, Prices: o.prices, Log: log}
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return co, fmt.Errorf("--clock %q: %w", o.clock, err)
		}
		co.Now = t
	}
	return co, nil
}

// printResult tells how a run went: JSON with --json, else the table.
func (a *app) printResult(sum *report.Summary, o sheetOptions, verb string) error {
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	printSummary(a.stdout, sum, verb)
	return nil
}

// printSummary tells a person at a terminal what happened: the problems
// (the first few), then a table.
func printSummary(w io.Writer, s *report.Summary, verb string) {
	if s.Sandbox {
		fmt.Fprintf(w, "%s.\n\n", report.SandboxNote)
	}
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
	var always []order.Status
	if verb == "Checked" {
		always = []order.Status{order.StatusValid, order.StatusInvalid}
	}
	tally := report.Tally(s.Statuses, always...)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  Status\t %6s\n", "Rows")
	for _, c := range tally {
		fmt.Fprintf(tw, "  %s\t %6d\n", c.Status, c.Rows)
	}
	fmt.Fprintf(tw, "  Total\t %6d\n", s.Rows)
	fmt.Fprintf(w, "%s %s in %s: %s.\n\n", verb, report.Plural(s.Rows, "row"), report.Plural(len(s.Carts), "cart"), report.TallyText(tally))
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
			fmt.Fprintf(kw, "    %s\t%d\t%s\n", printable(k.Kind), k.Count, report.Rows(k.Rows, 12))
		}
		kw.Flush()
	}
	if s.Batch != "" {
		fmt.Fprintf(w, "  Batch: %s    Run: %s\n", printable(s.Batch), printable(s.RunID))
	}
	if s.Journal != "" {
		fmt.Fprintf(w, "  Journal: %s\n", printable(s.Journal))
	}
	for _, c := range s.Costs {
		fmt.Fprintf(w, "  Estimated cost: %s %s\n", report.Money(c.Total), c.Currency)
		const most = 10
		for n, a := range c.Customers {
			if n == most {
				fmt.Fprintf(w, "    … and %d more customers (the Summary sheet lists them all)\n", len(c.Customers)-most)
				break
			}
			who := a.Key
			if a.Name != "" {
				who = a.Name
			}
			fmt.Fprintf(w, "    %s: %s\n", printable(who), report.Money(a.Amount))
		}
	}
	if s.Unpriced > 0 {
		fmt.Fprintf(w, "  Without a price: %s (the results workbook says why)\n", report.Plural(s.Unpriced, "row"))
	}
	if s.Online != nil {
		fmt.Fprintf(w, "%s.\n", s.Online.Note())
	}
	fmt.Fprintf(w, "Results workbook: %s\n", printable(s.Results))
}

// problemGroups are the error and warning lines: one per problem, except that the same
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
		if p.Severity != "error" && p.Severity != "warning" {
			continue
		}
		key := p.Severity + "\x00" + p.Kind + "\x00" + p.Column + "\x00" + p.Message
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
		warn := ""
		if g.first.Severity == "warning" {
			warn = "Warning: "
		}
		if len(g.rows) == 1 {
			lines = append(lines, warn+g.first.Text)
			continue
		}
		where := fmt.Sprintf("%d rows (%s)", len(g.rows), report.List(g.rows, 8))
		if g.first.Column != "" {
			where += ", column " + g.first.Column
		}
		lines = append(lines, warn+where+": "+g.first.Message)
	}
	return lines
}

// same: do a and b name the same file?
func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
