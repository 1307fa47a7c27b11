// Package bench measures validate end to end against a bare scan of the
// same file. Run with `make bench`; results land in bench/results.txt.
package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

var header = []string{"Customer Name", "CustomerId", "CatalogItemId", "Quantity", "BillingCycle", "TermDuration",
	"RenewsTo", "CustomTermEndDate", "PartnerOnRecordAttestationAccepted", "TransactionReseller", "CartGroup", "Cost Center"}

var skus = []struct{ id, billing, term string }{
	{"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "monthly", "P1M"},
	{"CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "annual", "P1Y"},
	{"CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", "monthly", "P1Y"},
	{"DZH318Z0BPS6:0001:DZH318Z0BML6", "one_time", ""},
	{"DG7GMGF0DWTL:0001:DG7GMGF0DSFM", "one_time", ""},
}

// orderRow is row i of a realistic sheet: 4 lines per customer, every 50th
// row with a mistake.
func orderRow(i int) []string {
	s := skus[i%len(skus)]
	cust := fmt.Sprintf("%08x-4b5a-4978-8796-%012x", i/4, i/4)
	qty := strconv.Itoa(i%40 + 1)
	if s.billing == "one_time" && s.term == "" && s.id[:6] == "DZH318" {
		qty = "1"
	}
	if i%50 == 49 {
		qty = "0"
	}
	return []string{"Customer " + strconv.Itoa(i/4), cust, s.id, qty, s.billing, s.term, "", "",
		"yes", strconv.Itoa(5000000 + i%1000), "", "CC-" + strconv.Itoa(i%90)}
}

func writeXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		for j, v := range orderRow(i) {
			row[j] = v
		}
		if q, err := strconv.Atoi(row[3].(string)); err == nil {
			row[3] = q
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func writeCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Comma = ';'
	_ = w.Write(header)
	for i := 0; i < n; i++ {
		_ = w.Write(orderRow(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	files   = map[string]string{}
	filesMu sync.Mutex
)

// sheet generates (once per process) an n-row sheet in bench/.
func sheet(b *testing.B, format string, n int) string {
	filesMu.Lock()
	defer filesMu.Unlock()
	key := fmt.Sprintf("%s-%d", format, n)
	if p, ok := files[key]; ok {
		return p
	}
	p, _ := filepath.Abs(fmt.Sprintf("orders-%d.%s", n, format))
	write := writeCSV
	if format == "xlsx" {
		write = writeXLSX
	}
	if err := write(p, n); err != nil {
		b.Fatal(err)
	}
	files[key] = p
	return p
}

// peakHeap samples the live heap while fn runs and returns the time fn
// took and the highest heap seen above the heap before it started.
func peakHeap(fn func() error) (time.Duration, uint64, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := base
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	}()
	start := time.Now()
	err := fn()
	elapsed := time.Since(start)
	close(stop)
	<-done
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	return elapsed, peak - base, err
}

func scanXLSX(path string) error {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			return err
		}
	}
	return rows.Error()
}

func scanCSV(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	for {
		if _, err := r.Read(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// validateFile is `importer validate` without the CLI: read, check, write
// the results workbook.
func validateFile(path, out string) error {
	s, err := ingest.Read(context.Background(), path, ingest.Options{})
	if err != nil {
		return err
	}
	res := validate.New(validate.Options{}).Check(s.Rows)
	run := &report.Run{Input: path, Data: s.Data, Format: string(s.Format), Sheet: s.Name, HeaderLine: s.HeaderLine,
		Columns: s.Columns, Checked: res,
		Mode: "benchmark", Finished: time.Now()}
	return report.WriteWorkbook(context.Background(), run, out)
}

func benchValidate(b *testing.B, format string, n int) {
	path := sheet(b, format, n)
	scan := scanCSV
	if format == "xlsx" {
		scan = scanXLSX
	}
	out := filepath.Join(b.TempDir(), "out.results.xlsx")
	var scanT, valT time.Duration
	var scanMem, valMem uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, m, err := peakHeap(func() error { return scan(path) })
		if err != nil {
			b.Fatal(err)
		}
		scanT, scanMem = scanT+d, max(scanMem, m)
		d, m, err = peakHeap(func() error { return validateFile(path, out) })
		if err != nil {
			b.Fatal(err)
		}
		valT, valMem = valT+d, max(valMem, m)
	}
	b.StopTimer()
	rows := float64(n * b.N)
	b.ReportMetric(rows/valT.Seconds(), "rows/s")
	b.ReportMetric(rows/scanT.Seconds(), "scan-rows/s")
	b.ReportMetric(valT.Seconds()/scanT.Seconds(), "x-scan-time")
	b.ReportMetric(float64(valMem)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(scanMem)/(1<<20), "scan-peak-MiB")
	b.ReportMetric(float64(valMem)/float64(n), "peak-B/row")
}

func BenchmarkValidateXLSX100k(b *testing.B) { benchValidate(b, "xlsx", 100_000) }
func BenchmarkValidateCSV100k(b *testing.B)  { benchValidate(b, "csv", 100_000) }

// The 25k runs show how memory grows with the row count (compare peak-B/row).
func BenchmarkValidateXLSX25k(b *testing.B) { benchValidate(b, "xlsx", 25_000) }
func BenchmarkValidateCSV25k(b *testing.B)  { benchValidate(b, "csv", 25_000) }

// BenchmarkPhases splits validate into its phases, to show where time goes.
func BenchmarkPhases(b *testing.B) {
	for _, format := range []string{"xlsx", "csv"} {
		b.Run(format, func(b *testing.B) {
			path := sheet(b, format, 100_000)
			var read, check, write time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				s, err := ingest.Read(context.Background(), path, ingest.Options{})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				res := validate.New(validate.Options{}).Check(s.Rows)
				t2 := time.Now()
				run := &report.Run{Input: path, Data: s.Data, Format: string(s.Format), Sheet: s.Name, HeaderLine: s.HeaderLine,
					Columns: s.Columns, Checked: res, Finished: t2}
				if err := report.WriteWorkbook(context.Background(), run, filepath.Join(b.TempDir(), "o.xlsx")); err != nil {
					b.Fatal(err)
				}
				read, check, write = read+t1.Sub(t0), check+t2.Sub(t1), write+time.Since(t2)
			}
			n := float64(b.N)
			b.ReportMetric(read.Seconds()/n, "read-s")
			b.ReportMetric(check.Seconds()/n, "check-s")
			b.ReportMetric(write.Seconds()/n, "write-s")
		})
	}
}
