package report

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// WrittenBatch returns the batch a results workbook's Summary sheet names:
// "" when it names none (a dry run's) or has no Summary sheet of ours.
func WrittenBatch(path string) (string, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: UnzipLimit})
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, name := range f.GetSheetList() {
		if v, _ := f.GetCellValue(name, "A1"); v != summaryTitle {
			continue
		}
		rows, err := f.GetRows(name)
		if err != nil {
			return "", fmt.Errorf("%s, sheet %s: %w", path, name, err)
		}
		for _, r := range rows {
			if len(r) >= 2 && r[0] == "Batch" {
				return r[1], nil
			}
		}
	}
	return "", nil
}
