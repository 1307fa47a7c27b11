package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

// workbook writes an XLSX whose "Orders" sheet holds cells (values typed as
// given) and returns its path.
func workbook(t testing.TB, date1904 bool, cells map[string]any, extra func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Orders"); err != nil {
		t.Fatal(err)
	}
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	for cell, v := range cells {
		if err := f.SetCellValue("Orders", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if extra != nil {
		extra(f)
	}
	p := filepath.Join(t.TempDir(), "orders.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func headerCells() map[string]any {
	return map[string]any{
		"A1": "Customer", "B1": "SKU", "C1": "Qty", "D1": "Billing", "E1": "Custom Term End Date",
		"F1": "Transaction Reseller", "G1": "Cart Group", "H1": "Notes",
	}
}

func TestReadXLSXValues(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		cells := headerCells()
		cells["A2"] = cust
		cells["B2"] = sku
		cells["C2"] = 5 // a number cell
		cells["D2"] = "Monthly"
		cells["F2"] = 5357564            // an id typed as a number
		cells["G2"] = "007"              // text with leading zeros
		cells["H2"] = 9910000000000001.0 // a long number Excel shows as 9.91E+15
		cells["A4"] = cust               // row 3 left blank
		cells["B4"] = sku
		cells["C4"] = "2"
		cells["D4"] = "annual"
		p := workbook(t, date1904, cells, func(f *excelize.File) {
			// A real date cell: a serial number with a date format.
			if err := f.SetCellValue("Orders", "E2", time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
			_ = f.SetCellStyle("Orders", "E2", "E2", style)
			_ = f.MergeCell("Orders", "H4", "I5") // merged cells are tolerated
		})
		s, err := Read(context.Background(), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "Orders" || len(s.Rows) != 2 {
			t.Fatalf("sheet %q with %d rows", s.Name, len(s.Rows))
		}
		r := s.Rows[0]
		checks := map[order.Field]string{
			order.Quantity:            "5",
			order.CustomTermEndDate:   "2027-03-31",
			order.TransactionReseller: "5357564",
			order.CartGroup:           "007",
			order.BillingCycle:        "Monthly",
		}
		for f, want := range checks {
			if got := r.Get(f); got != want {
				t.Errorf("1904=%v: %s = %q, want %q", date1904, f, got, want)
			}
		}
		if strings.ContainsAny(r.Cells[7], "eE") {
			t.Errorf("long number passed through as %q", r.Cells[7])
		}
		if s.Rows[1].Line != 4 {
			t.Errorf("second row numbered %d, want 4 (row 3 is blank)", s.Rows[1].Line)
		}
	}
}

func TestDateFromSerial(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string
	}{
		{"46477", false, "2027-03-31"},
		{"45015", true, "2027-03-31"}, // 1462 days earlier in the 1904 system
		{"46477.75", false, "2027-03-31"},
		{"2027-03-31", false, "2027-03-31"},
		{"31.03.2027", false, "31.03.2027"}, // text: left for the validator
		{"0", false, "0"},
		{"99999999", false, "99999999"},
	}
	for _, tt := range tests {
		if got := dateFromSerial(tt.in, tt.date1904); got != tt.want {
			t.Errorf("dateFromSerial(%q, %v) = %q, want %q", tt.in, tt.date1904, got, tt.want)
		}
	}
}

func TestPickSheet(t *testing.T) {
	cells := headerCells()
	cells["A2"], cells["B2"], cells["C2"], cells["D2"] = cust, sku, 1, "monthly"
	p := workbook(t, false, cells, func(f *excelize.File) {
		_, _ = f.NewSheet("Other")
		_ = f.SetCellStr("Other", "A1", "x")
		// Put Orders second, so "first sheet" and "Orders" differ.
		_ = f.MoveSheet("Other", "Orders")
	})
	if s, err := Read(context.Background(), p, Options{}); err != nil || s.Name != "Orders" {
		t.Errorf("default sheet: %v, %v; want Orders", s, err)
	}
	if s, err := Read(context.Background(), p, Options{Sheet: "orders"}); err != nil || s.Name != "Orders" {
		t.Errorf("--sheet orders: %v; want Orders", err)
	}
	_, err := Read(context.Background(), p, Options{Sheet: "Nope"})
	if !errors.Is(err, ErrNoSheet) || !strings.Contains(err.Error(), "Orders") {
		t.Errorf("missing sheet: %v; want ErrNoSheet listing the sheets", err)
	}
	if _, err := Read(context.Background(), p, Options{Sheet: "Other"}); !errors.Is(err, ErrMissingColumns) {
		t.Errorf("sheet without headers: %v; want ErrMissingColumns", err)
	}
}

// rezip copies an archive, letting edit change any entry's bytes (nil drops it).
func rezip(t *testing.T, src string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		data = edit(e.Name, data)
		if data == nil {
			continue // dropped
		}
		w, err := zw.Create(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "edited.xlsx", buf.Bytes())
}

func TestReadXLSXBadFiles(t *testing.T) {
	cells := headerCells()
	for r := 2; r < 200; r++ {
		n := strconv.Itoa(r)
		cells["A"+n], cells["B"+n], cells["C"+n], cells["D"+n] = cust, sku, r%9+1, "monthly"
	}
	good := workbook(t, false, cells, nil)
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	encrypted := func() string {
		f, err := excelize.OpenFile(good)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p := filepath.Join(t.TempDir(), "locked.xlsx")
		if err := f.SaveAs(p, excelize.Options{Password: "secret"}); err != nil {
			t.Fatal(err)
		}
		return p
	}()

	tests := []struct {
		name  string
		path  string
		limit int64
		want  error
		text  string
	}{
		{"not a spreadsheet", writeFile(t, "notes.xlsx", []byte("hello, this is text")), 0, ErrUnsupported, "not an XLSX"},
		{"old binary xls", writeFile(t, "old.xlsx", append(append([]byte{}, cfbMagic...), make([]byte, 600)...)), 0, ErrUnsupported, ".xls"},
		{"password-protected", encrypted, 0, ErrEncrypted, "remove the password"},
		{"cut in half", writeFile(t, "half.xlsx", goodBytes[:len(goodBytes)/2]), 0, ErrCorrupt, ""},
		{"worksheet XML cut short", rezip(t, good, func(name string, data []byte) []byte {
			if strings.HasPrefix(name, "xl/worksheets/") {
				return data[:len(data)/2] // a valid zip entry holding half a sheet
			}
			return data
		}), 0, ErrCorrupt, "cut short"},
		{"re-zipped good workbook", rezip(t, good, func(name string, data []byte) []byte { return data }), 0, nil, ""},
		{"zip without a workbook", rezip(t, good, func(name string, data []byte) []byte {
			if name == "xl/workbook.xml" {
				return nil
			}
			return data
		}), 0, ErrUnsupported, "not an Excel workbook"},
		{"zip bomb", rezip(t, good, func(name string, data []byte) []byte {
			if strings.HasPrefix(name, "xl/worksheets/") {
				pad := bytes.Repeat([]byte(" "), 4<<20) // compresses to almost nothing
				return append(pad, data...)
			}
			return data
		}), 1 << 20, ErrTooLarge, "zip bomb"},
		{"empty sheet", workbook(t, false, nil, nil), 0, ErrEmpty, "sheet Orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(context.Background(), tt.path, Options{UnzipLimit: tt.limit})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("a re-zipped good workbook failed: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, tt.text)
			}
		})
	}
}
