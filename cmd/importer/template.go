package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

func newTemplateCmd(stderr io.Writer) *cobra.Command {
	out := "order-template.xlsx"
	force := false
	cmd := &cobra.Command{
		Use:   "template [-o FILE] [--force]",
		Short: "Write the blank order template workbook",
		Example: `  importer template                       # order-template.xlsx here
  importer template -o november.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkTemplatePath(out, force); err != nil {
				return fail(err)
			}
			if err := report.WriteTemplate(out, validate.ProductTypeNames()); err != nil {
				return fail(err)
			}
			fmt.Fprintf(stderr, "Wrote the order template to %s\n", printable(out))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", out, "where to write the template (an .xlsx file)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")
	return cmd
}

// checkTemplatePath refuses to write the blank template over a file (very
// likely a filled-in order sheet) unless forced, and under a name that is
// not a workbook's.
func checkTemplatePath(out string, force bool) error {
	if ext := strings.ToLower(filepath.Ext(out)); ext != ".xlsx" {
		return fmt.Errorf("%s: the template is an Excel workbook; give it a name ending in .xlsx (e.g. -o %s)", out, strings.TrimSuffix(out, filepath.Ext(out))+".xlsx")
	}
	info, err := os.Stat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.IsDir():
		return fmt.Errorf("%s is a folder; name the file to write, e.g. -o %s", out, filepath.Join(out, "order-template.xlsx"))
	case !force:
		return fmt.Errorf("%s already exists and was not changed (it may be a filled-in order sheet); choose another name with -o, or add --force to overwrite it", out)
	}
	return nil
}
