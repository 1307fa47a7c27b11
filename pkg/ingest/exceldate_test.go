package ingest

import (
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestExcelDateMatchesExcelize: the port gives excelize's time for every
// whole serial a sheet can hold and for fractions around each day's edges.
func TestExcelDateMatchesExcelize(t *testing.T) {
	fracs := []float64{0, 0.25, 0.5, 0.75, 0.999988, 0.9999999, 0.99999999999}
	for _, date1904 := range []bool{false, true} {
		for whole := 0; whole <= 2958465; whole += 1 + whole/64 {
			for _, f := range fracs {
				serial := float64(whole) + f
				want, err := excelize.ExcelDateToTime(serial, date1904)
				if err != nil {
					t.Fatal(err)
				}
				if got := excelTime(serial, date1904); !got.Equal(want) {
					t.Fatalf("serial %v (1904: %v): %v, excelize %v", serial, date1904, got, want)
				}
			}
		}
	}
}
