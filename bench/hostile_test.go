package bench

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkManyColumns validates a CSV of 10 rows and many columns end to
// end: writing its results once cost a call per column, each slower than
// the last (4,000 columns took 21 s, 16,380 over 500 s). 16,376 columns is
// the most that leaves room for submit's 8 result columns before XFD.
func BenchmarkManyColumns(b *testing.B) {
	for _, cols := range []int{4000, 16376} {
		b.Run(fmt.Sprint(cols), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "wide.csv")
			if err := writeWide(path, cols, 10); err != nil {
				b.Fatal(err)
			}
			out := filepath.Join(b.TempDir(), "wide.results.xlsx")
			var total float64
			for i := 0; i < b.N; i++ {
				d, _, err := peakHeap(func() error { return validateFile(path, out) })
				if err != nil {
					b.Fatal(err)
				}
				total += d.Seconds()
			}
			b.ReportMetric(total/float64(b.N), "s")
		})
	}
}

func writeWide(path string, cols, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	head := []string{"CustomerId", "CatalogItemId", "Quantity", "BillingCycle"}
	for i := len(head); i < cols; i++ {
		head = append(head, fmt.Sprintf("Extra %d", i))
	}
	fmt.Fprintln(w, strings.Join(head, ","))
	for r := 0; r < rows; r++ {
		cells := []string{"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", skus[0].id, fmt.Sprint(r + 1), "monthly"}
		for i := len(cells); i < cols; i++ {
			cells = append(cells, "x")
		}
		fmt.Fprintln(w, strings.Join(cells, ","))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// BenchmarkHugeString reads a workbook of under 1 MB whose one shared
// string is 900 MB long (it took 4.9 GB to read): it is refused, and the
// peak heap shows that memory stays bounded.
func BenchmarkHugeString(b *testing.B) {
	path := filepath.Join(b.TempDir(), "huge.xlsx")
	if err := writeHugeString(path, 900<<20); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	var peak uint64
	for i := 0; i < b.N; i++ {
		_, m, err := peakHeap(func() error { return validateFile(path, filepath.Join(b.TempDir(), "o.xlsx")) })
		if err == nil || !strings.Contains(err.Error(), "32,767") {
			b.Fatalf("err = %v, want a refusal naming Excel's cell limit", err)
		}
		peak = max(peak, m)
	}
	b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

// writeHugeString writes a minimal workbook whose shared strings hold one
// string of n bytes, streamed so that the benchmark itself stays small.
func writeHugeString(path string, n int) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>CustomerId</t></is></c><c r="B1" t="inlineStr"><is><t>CatalogItemId</t></is></c><c r="C1" t="inlineStr"><is><t>Quantity</t></is></c><c r="D1" t="inlineStr"><is><t>BillingCycle</t></is></c></row><row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return err
		}
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>`); err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for written := 0; written < n; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, `</t></si></sst>`); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
