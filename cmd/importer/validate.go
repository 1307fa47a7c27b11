package main

import (
	"io"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/order"
)

func newValidateCmd(log *logrus.Logger, stdout, stderr io.Writer) *cobra.Command {
	var o sheetOptions
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
			c, err := check(log, args[0], o)
			if err != nil {
				return err
			}
			sum, err := finish(cmd.Context(), stdout, stderr, c.run("dry run (validate)", false), c.out, o.json, "Checked")
			if err != nil {
				return err
			}
			if sum.Statuses[string(order.StatusInvalid)] > 0 {
				return &exitError{code: exitProblem}
			}
			return nil
		},
	}
	o.register(cmd.Flags())
	return cmd
}
