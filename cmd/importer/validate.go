package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

type validateOptions struct {
	out     string
	sheet   string
	json    bool
	catalog string
	attest  bool
	clock   string // hidden: fixes "now" for reproducible results
}

func newValidateCmd(log *logrus.Logger, stdout, stderr io.Writer) *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate [flags] SHEET",
		Short: "Check an order sheet and write the results workbook; sends nothing",
		Long: `validate reads SHEET (.xlsx or .csv), groups its rows into carts, checks every
row and writes the results workbook (default: NAME.results.xlsx beside SHEET).
It sends nothing anywhere.`,
		Example: `  importer validate monthly-orders.xlsx
  importer validate --attest --catalog catalog.csv -o checked.xlsx orders.csv
  importer validate --json orders.xlsx > summary.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, log, stdout, stderr, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "results workbook (default: NAME.results.xlsx beside SHEET)")
	f.StringVar(&o.sheet, "sheet", "", "worksheet to read (default: Orders if there is one, else the first)")
	f.BoolVar(&o.json, "json", false, "print the run summary as JSON on stdout")
	f.StringVar(&o.catalog, "catalog", "", "catalog CSV: ProductId,ProductType,Terms,BillingCycles[,MinQuantity,MaxQuantity]")
	f.BoolVar(&o.attest, "attest", false, "accept the partner-of-record attestation for every cart whose rows do not say no")
	f.StringVar(&o.clock, "clock", "", "the current time, RFC 3339 (for reproducible runs)")
	_ = f.MarkHidden("clock")
	return cmd
}

func runValidate(cmd *cobra.Command, log *logrus.Logger, stdout, stderr io.Writer, input string, o validateOptions) error {
	now := time.Now()
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339, o.clock)
		if err != nil {
			return fail(fmt.Errorf("--clock %q: %w", o.clock, err))
		}
		now = t
	}
	out := o.out
	if out == "" {
		out = defaultResultsPath(input)
	}
	if same(out, input) {
		return fail(fmt.Errorf("the results workbook %s would overwrite the input; choose another with -o", out))
	}
	var catalog *validate.Catalog
	if o.catalog != "" {
		c, err := validate.LoadCatalog(o.catalog)
		if err != nil {
			return fail(err)
		}
		catalog = c
	}

	log.WithField("file", input).Debug("reading order sheet")
	sheet, err := ingest.Read(input, ingest.Options{Sheet: o.sheet})
	if err != nil {
		return fail(err)
	}
	log.WithFields(logrus.Fields{"rows": len(sheet.Rows), "sheet": sheet.Name, "encoding": sheet.Encoding}).Debug("read order sheet")

	res := validate.New(validate.Options{Catalog: catalog, Attest: o.attest, Today: now}).Check(sheet.Rows)
	run := &report.Run{
		Input: input, Format: string(sheet.Format), Sheet: sheet.Name, HeaderLine: sheet.HeaderLine,
		Columns: sheet.Columns, Rows: sheet.Rows, Outcomes: res.Outcomes, Carts: res.Carts, CartOf: res.CartOf,
		Mode: "dry run (validate)", Finished: now,
	}
	if err := report.WriteWorkbook(cmd.Context(), run, out); err != nil {
		return fail(err)
	}

	sum := report.Summarize(run, out)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return fail(err)
		}
	}
	printSummary(stderr, sum)
	if sum.Statuses[string(order.StatusInvalid)] > 0 {
		return &exitError{code: exitProblem}
	}
	return nil
}

// defaultResultsPath is NAME.results.xlsx beside the input.
func defaultResultsPath(input string) string {
	ext := filepath.Ext(input)
	return strings.TrimSuffix(input, ext) + ".results.xlsx"
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// printSummary tells a person at a terminal what happened.
func printSummary(w io.Writer, s *report.Summary) {
	const most = 25
	shown := 0
	for _, p := range s.Problems {
		if p.Severity != "error" {
			continue
		}
		if shown == most {
			fmt.Fprintf(w, "… and more; every problem is in the results workbook\n")
			break
		}
		fmt.Fprintln(w, p.Text)
		shown++
	}
	valid, invalid := s.Statuses[string(order.StatusValid)], s.Statuses[string(order.StatusInvalid)]
	fmt.Fprintf(w, "Checked %d rows in %d carts: %d valid, %d invalid.\n", s.Rows, len(s.Carts), valid, invalid)
	fmt.Fprintf(w, "Results workbook: %s\n", s.Results)
}
