package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

func newTemplateCmd(stderr io.Writer) *cobra.Command {
	out := "order-template.xlsx"
	cmd := &cobra.Command{
		Use:   "template [-o FILE]",
		Short: "Write the blank order template workbook",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.WriteTemplate(out, validate.ProductTypeNames()); err != nil {
				return fail(err)
			}
			fmt.Fprintf(stderr, "Wrote the order template to %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", out, "where to write the template")
	return cmd
}
