package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/report"
)

func newValidateCmd(a *app) *cobra.Command {
	var o sheetOptions
	var plan, batch string
	var online bool
	c, concurrency := defaultConnectFlags(), 5
	cmd := &cobra.Command{
		Use:   "validate [flags] SHEET",
		Short: "Check an order sheet and write the results workbook; sends nothing",
		Long: `validate reads SHEET (.xlsx or .csv), groups its rows into carts, checks every
row and writes the results workbook (default: NAME.results.xlsx beside SHEET).
It sends nothing anywhere.

With --online it also asks Partner Center, read-only (never a cart), about
each customer (is it yours, in which country, what it already has) and each
item in the customer's country (is it sold there, on the row's term, billing
cycle and quantity; trials; add-ons and their prerequisites). It signs in
as submit does, with the same flags and credentials.`,
		Example: `  importer validate monthly-orders.xlsx
  importer validate --attest --catalog catalog.csv -o checked.xlsx orders.csv
  importer validate --json orders.xlsx > summary.json
  importer validate --plan orders.plan.json orders.xlsx    # for a controller to approve
  importer validate --online --credentials ~/.config/importer/credentials orders.xlsx
  importer validate --online --sandbox samples/monthly-orders.xlsx`,
		Args: oneSheet,
		RunE: func(cmd *cobra.Command, args []string) error {
			input := args[0]
			co, err := o.checkOptions(a.log)
			if err != nil {
				return fail(err)
			}
			if online {
				if err := c.check(concurrency); err != nil {
					return fail(err)
				}
				conn := importer.NewConnection(a.connectOptions(c))
				defer conn.Close()
				co.Online = &importer.OnlineOptions{Conn: conn, Concurrency: concurrency, Batch: batch, StateDir: a.stateDir()}
			}
			if plan != "" {
				out := o.out
				if out == "" {
					out = report.ResultsPath(input)
				}
				book := report.PlanWorkbookPath(plan)
				if same(plan, input) || same(plan, out) || same(book, input) || same(book, out) {
					return fail(fmt.Errorf("--plan %s (and %s) would overwrite the sheet or its results workbook", plan, book))
				}
			}
			v, err := importer.Validate(cmd.Context(), input, co, o.summary)
			if v == nil {
				return exitOf(err, false)
			}
			if perr := a.printResult(v.Summary, o, "Checked"); perr != nil {
				return fail(perr)
			}
			if plan != "" {
				p := v.Sheet.Plan(importer.BatchName(batch, input))
				if err := approval.Write(cmd.Context(), plan, p); err != nil {
					return fail(err)
				}
				book := report.PlanWorkbookPath(plan)
				if err := report.WritePlanWorkbook(cmd.Context(), book, p); err != nil {
					return fail(fmt.Errorf("the plan for people, %s: %w", book, err))
				}
				if !o.json {
					fmt.Fprintf(a.stdout, "Plan for approval: %s (batch %s, %d carts, %d lines to buy, SHA-256 %s)\n", plan, p.Batch, len(p.Carts), p.Lines, p.SHA256)
					fmt.Fprintf(a.stdout, "For people: %s\n", book)
				}
				if len(p.InvalidRows) > 0 {
					a.log.WithField("plan", plan).Warnf("the plan has %d invalid rows: submit sends nothing unless --skip-invalid, which holds back their carts", len(p.InvalidRows))
				}
			}
			return exitOf(err, true)
		},
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&plan, "plan", "", "also write the plan of what the sheet would buy, for approval (see submit --plan)")
	cmd.Flags().StringVar(&batch, "batch", "", "the batch the plan is for; {name} is SHEET's base name (default: {name})")
	cmd.Flags().BoolVar(&online, "online", false, "also check the sheet against Partner Center, read-only: customers, the catalog in each customer's country, existing subscriptions")
	c.register(cmd.Flags(), "with --online, check against")
	cmd.Flags().IntVar(&concurrency, "concurrency", concurrency, "with --online, reads in flight at once")
	return cmd
}
