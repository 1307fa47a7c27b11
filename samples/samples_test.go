package samples_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/validate"
)

var updateSamples = flag.Bool("update-samples", false, "rewrite the sample sheets from data_test.go")

const (
	cleanXLSX    = "monthly-orders.xlsx"
	mistakesXLSX = "monthly-orders-with-mistakes.xlsx"
	mistakesCSV  = "monthly-orders-with-mistakes.csv"
)

// today is the date the samples are checked against; their coterm dates
// lie after it.
var today = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func withMistakes() [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string(nil), r...)
	}
	for _, m := range mistakes {
		out[m.row][m.col] = m.value
	}
	return out
}

func TestMain(m *testing.M) {
	flag.Parse()
	if *updateSamples {
		for name, write := range map[string]func(string) error{
			cleanXLSX:    func(p string) error { return writeXLSX(p, rows) },
			mistakesXLSX: func(p string) error { return writeXLSX(p, withMistakes()) },
			mistakesCSV:  func(p string) error { return writeEuropeanCSV(p, withMistakes()) },
		} {
			if err := write(name); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	os.Exit(m.Run())
}

// writeXLSX writes a sheet the way a finance team's workbook looks: a title,
// numbers and dates as typed cells, ids as text, an extra Notes sheet.
func writeXLSX(path string, data [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Orders"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	_ = f.SetCellStr(sheet, "A1", "Monthly CSP orders — November 2026")
	title, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	_ = f.SetCellStyle(sheet, "A1", "A1", title)
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"305496"}}})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, firstDataRow-1)
		_ = f.SetCellStr(sheet, cell, h)
		col, _ := excelize.ColumnNumberToName(i + 1)
		_ = f.SetColWidth(sheet, col, col, 20)
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	_ = f.SetCellStyle(sheet, "A3", last+"3", head)
	for r, row := range data {
		line := firstDataRow + r
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, line)
			switch {
			case v == "":
			case c == colQty || c == colReseller:
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					_ = f.SetCellFloat(sheet, cell, n, -1, 64)
					continue
				}
				_ = f.SetCellStr(sheet, cell, v)
			case c == colCoterm:
				t, err := time.Parse("2006-01-02", v)
				if err != nil {
					return err
				}
				_ = f.SetCellValue(sheet, cell, t)
				_ = f.SetCellStyle(sheet, cell, cell, dateStyle)
			default:
				_ = f.SetCellStr(sheet, cell, v)
			}
		}
	}
	if _, err := f.NewSheet("Notes"); err != nil {
		return err
	}
	_ = f.SetCellStr("Notes", "A1", "Approved by: J. Doe, Finance")
	_ = f.SetCellStr("Notes", "A2", "Send questions to csp-orders@example.com")
	return f.SaveAs(path)
}

// writeEuropeanCSV writes what Excel's "CSV UTF-8" gives on a European
// Windows: a BOM, ';' separators, CRLF, day-first dates, decimal commas.
func writeEuropeanCSV(path string, data [][]string) error {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(';')
			}
			if strings.ContainsAny(c, ";\"\r\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	empty := make([]string, len(header))
	title := append([]string{"Monthly CSP orders — November 2026"}, empty[1:]...)
	line(title)
	line(empty)
	line(header)
	for _, row := range data {
		r := append([]string(nil), row...)
		if t, err := time.Parse("2006-01-02", r[colCoterm]); err == nil {
			r[colCoterm] = t.Format("02.01.2006")
		}
		r[colQty] = strings.Replace(r[colQty], ".", ",", 1)
		line(r)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func check(t *testing.T, path string) (*ingest.Sheet, *order.Checked) {
	t.Helper()
	s, err := ingest.Read(context.Background(), path, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, validate.New(validate.Options{Today: today}).Check(s.Rows)
}

func TestCleanSampleIsValid(t *testing.T) {
	s, res := check(t, cleanXLSX)
	if len(s.Rows) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(s.Rows), len(rows))
	}
	if s.HeaderLine != firstDataRow-1 {
		t.Errorf("header found on row %d, want %d", s.HeaderLine, firstDataRow-1)
	}
	for i, o := range res.Outcomes {
		if o.Status != order.StatusValid {
			t.Errorf("row %d: %s %+v", s.Rows[i].Line, o.Status, o.Problems)
		}
		for _, p := range o.Problems {
			t.Errorf("row %d has a note in the clean sample: %s", s.Rows[i].Line, p.Message)
		}
	}
	customers := map[string]bool{}
	for _, c := range res.Carts {
		customers[c.Key.CustomerID] = true
	}
	if len(customers) != 8 || len(res.Carts) != 9 {
		t.Errorf("%d customers in %d carts, want 8 in 9 (Adatum has two cart groups)", len(customers), len(res.Carts))
	}
}

// TestMistakes proves every documented mistake gives its documented message
// on its row and column, in the XLSX and in the European CSV alike, and
// that the rows without mistakes stay valid.
func TestMistakes(t *testing.T) {
	for _, path := range []string{mistakesXLSX, mistakesCSV} {
		t.Run(path, func(t *testing.T) {
			s, res := check(t, path)
			if len(s.Rows) != len(rows) {
				t.Fatalf("read %d rows, want %d", len(s.Rows), len(rows))
			}
			bad := map[int]bool{}
			for _, m := range mistakes {
				bad[m.row] = true
				o := res.Outcomes[m.row]
				if o.Status != order.StatusInvalid {
					t.Errorf("row %d (%s=%q): %s, want Invalid", s.Rows[m.row].Line, header[m.col], m.value, o.Status)
				}
				found := false
				for _, p := range o.Problems {
					if p.Field.String() == m.column && strings.Contains(p.Message, m.message) {
						found = true
					}
				}
				if !found {
					t.Errorf("row %d: no %s problem containing %q; got %+v", s.Rows[m.row].Line, m.column, m.message, o.Problems)
				}
			}
			for i, o := range res.Outcomes {
				if !bad[i] && o.Status != order.StatusValid {
					t.Errorf("row %d has no mistake but is %s: %+v", s.Rows[i].Line, o.Status, o.Problems)
				}
			}
		})
	}
}

func TestEuropeanCSVIsReadAsExcelWroteIt(t *testing.T) {
	s, err := ingest.Read(context.Background(), mistakesCSV, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Separator != ';' || !strings.Contains(s.Encoding, "BOM") {
		t.Errorf("separator %q, encoding %s; want ';' and UTF-8 with BOM", s.Separator, s.Encoding)
	}
	if got := s.Rows[0].Get(order.CustomerID); got != contoso {
		t.Errorf("first customer %q, want %q (the BOM must not leak into values)", got, contoso)
	}
}
