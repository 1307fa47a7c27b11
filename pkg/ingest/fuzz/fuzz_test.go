// Package fuzz holds the fuzz targets of pkg/ingest. They live apart from
// its other tests, which build workbooks with excelize: a fuzz build
// instruments every package its test binary links, and here that is the
// reader and the standard library only.
package fuzz

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cspimporter/importer/pkg/ingest"
)

const (
	cust = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	sku  = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P"
)

// seeds adds the files of ingest's hostile corpus (and the samples) with
// extension ext.
func seeds(f *testing.F, ext string) {
	for _, glob := range []string{"../testdata/hostile/*" + ext, "../../../samples/*" + ext} {
		paths, _ := filepath.Glob(glob)
		if len(paths) == 0 {
			f.Fatalf("no seeds in %s", glob)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"CustomerId,CatalogItemId,Quantity,BillingCycle\n" + cust + "," + sku + ",1,monthly\n",
		"\ufeffCustomer;SKU;Qty;Billing\r\n" + cust + ";" + sku + ";\"2\";annual\r\n",
		"sep=;\nCustomer;SKU;Qty;Billing\n\"a\"\"b\";x;y;z\n",
		"\xff\xfeC\x00,\x00",
	} {
		f.Add([]byte(seed))
	}
	seeds(f, ".csv")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ingest.Read(context.Background(), p, ingest.Options{})
		if err != nil {
			return
		}
		for _, r := range s.Rows {
			if r.Line <= s.HeaderLine {
				t.Fatalf("row %d at or above the header row %d", r.Line, s.HeaderLine)
			}
		}
	})
}

func FuzzReadXLSX(f *testing.F) {
	// A workbook Excel saved: whole, and cut short.
	sample, err := os.ReadFile("../../../samples/monthly-orders.xlsx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample[:len(sample)/3])
	f.Add([]byte("PK\x03\x04garbage"))
	seeds(f, ".xlsx")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.xlsx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ingest.Read(context.Background(), p, ingest.Options{UnzipLimit: 64 << 20})
		if err != nil {
			return
		}
		if len(s.Rows) == 0 {
			t.Fatal("a sheet was read without rows and without an error")
		}
	})
}
