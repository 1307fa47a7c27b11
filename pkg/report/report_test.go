package report

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var now = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// runOf reads and validates input.
func runOf(t *testing.T, input string) *Run {
	t.Helper()
	s, err := ingest.Read(context.Background(), input, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := validate.New(validate.Options{Today: now}).Check(s.Rows)
	return &Run{
		Input: input, Data: s.Data, Format: string(s.Format), Sheet: s.Name, HeaderLine: s.HeaderLine,
		Columns: s.Columns, Checked: res,
		Mode: "dry run (validate)", Finished: now,
	}
}

// results validates input and writes its results workbook to a temp dir.
func results(t *testing.T, input string) (string, *Run) {
	t.Helper()
	run := runOf(t, input)
	out := filepath.Join(t.TempDir(), "out.results.xlsx")
	if err := WriteWorkbook(context.Background(), run, out); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("%d files beside the results workbook; temporary files were left", len(entries)-1)
	}
	return out, run
}

// dump renders a workbook as text: every sheet, every non-empty cell, and
// the fill colour of highlighted cells, so a golden file shows what the
// user sees and a diff is readable.
func dump(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s\n", sheet)
		if p, err := f.GetPanes(sheet); err == nil && p.Freeze {
			fmt.Fprintf(&b, "frozen above row %d, left of column %d\n", p.YSplit+1, p.XSplit+1)
		}
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				mark := ""
				if id, err := f.GetCellStyle(sheet, cell); err == nil && id != 0 {
					if st, err := f.GetStyle(id); err == nil && len(st.Fill.Color) > 0 && st.Fill.Color[0] != "" {
						mark = " [fill " + st.Fill.Color[0] + "]"
					}
				}
				if v == "" && mark == "" {
					continue
				}
				if sheet != "Orders" && strings.HasPrefix(v, "/") { // absolute temp paths
					v = filepath.Base(v)
				}
				fmt.Fprintf(&b, "%s=%q%s\n", cell, v, mark)
			}
		}
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		gotPath := filepath.Join(os.TempDir(), "importer-golden-"+name) // outlives the test
		_ = os.WriteFile(gotPath, []byte(got), 0o644)
		t.Errorf("%s differs from the golden file; diff %s %s (or go test -update)", name, p, gotPath)
	}
}

func TestResultsWorkbookGolden(t *testing.T) {
	for _, tt := range []struct{ input, golden string }{
		{"../../samples/monthly-orders-with-mistakes.xlsx", "mistakes-xlsx.results.txt"},
		{"../../samples/monthly-orders-with-mistakes.csv", "mistakes-csv.results.txt"},
		{"../../samples/monthly-orders.xlsx", "clean-xlsx.results.txt"},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			out, _ := results(t, tt.input)
			golden(t, tt.golden, dump(t, out))
		})
	}
}

// TestCopyKeepsTheUsersWorkbook: other sheets, the user's own styles and
// number formats survive; offending cells get the highlight on top.
func TestCopyKeepsTheUsersWorkbook(t *testing.T) {
	out, _ := results(t, "../../samples/monthly-orders-with-mistakes.xlsx")
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Orders,Notes,Summary,Problems" {
		t.Errorf("sheets %v, want Orders,Notes,Summary,Problems", got)
	}
	if v, _ := f.GetCellValue("Notes", "A1"); v != "Approved by: J. Doe, Finance" {
		t.Errorf("Notes sheet lost its content: %q", v)
	}
	styleOf := func(cell string) *excelize.Style {
		id, err := f.GetCellStyle("Orders", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := styleOf("A3"); len(st.Fill.Color) == 0 || st.Fill.Color[0] != "305496" || !st.Font.Bold {
		t.Errorf("the user's header style was lost: %+v", st.Fill)
	}
	// I8 is the past coterm date: still a date (numFmt 14), now red.
	if st := styleOf("I8"); st.NumFmt != 14 || st.Fill.Color[0] != red {
		t.Errorf("highlighted date cell: numFmt %d fill %v; want 14 and %s", st.NumFmt, st.Fill.Color, red)
	}
	if v, _ := f.GetCellValue("Orders", "I8"); v == "" {
		t.Error("the highlighted date cell lost its value")
	}
}

func TestNothingIsWrittenAsAFormula(t *testing.T) {
	hostile := []string{`=HYPERLINK("http://evil.example","click")`, "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"}
	var csv strings.Builder
	csv.WriteString("CustomerId,CatalogItemId,Quantity,BillingCycle,FriendlyName,Notes\n")
	for _, h := range hostile {
		q := `"` + strings.ReplaceAll(h, `"`, `""`) + `"`
		fmt.Fprintf(&csv, "%s,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,1,monthly,%s,%s\n", q, q, q)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "hostile.csv")
	if err := os.WriteFile(in, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := results(t, in)
	// And the XLSX path: the results workbook of the CSV, checked again.
	out2, _ := results(t, out)
	for _, p := range []string{out, out2} {
		for name, xml := range sheetsXML(t, p) {
			if strings.Contains(xml, "<f>") || strings.Contains(xml, "<f ") {
				t.Errorf("%s: %s holds a formula", p, name)
			}
		}
		f, err := excelize.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range hostile {
			for _, col := range []string{"A", "E", "F", "I"} { // CustomerId, FriendlyName, Notes, Cart
				cell := fmt.Sprintf("%s%d", col, i+2)
				v, _ := f.GetCellValue("Orders", cell)
				if v != h {
					t.Errorf("%s %s = %q, want the text %q", filepath.Base(p), cell, v, h)
				}
				if typ, _ := f.GetCellType("Orders", cell); typ == excelize.CellTypeFormula {
					t.Errorf("%s %s is a formula", filepath.Base(p), cell)
				}
			}
		}
		f.Close()
	}
}

func sheetsXML(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, e := range zr.File {
		if !strings.HasPrefix(e.Name, "xl/worksheets/") {
			continue
		}
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[e.Name] = string(b)
	}
	return out
}

// TestCheckingAResultsWorkbookAgain reuses its result columns and replaces
// its summary instead of adding more.
func TestCheckingAResultsWorkbookAgain(t *testing.T) {
	first, run := results(t, "../../samples/monthly-orders-with-mistakes.xlsx")
	second, run2 := results(t, first)
	if len(run2.Columns) != len(run.Columns)+len(order.ResultColumns) {
		t.Fatalf("%d columns on the second read, want %d", len(run2.Columns), len(run.Columns)+len(order.ResultColumns))
	}
	f, err := excelize.OpenFile(second)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Orders,Notes,Summary,Problems" {
		t.Errorf("sheets %v after a second check", got)
	}
	header, _ := f.GetRows("Orders")
	if n := len(header[2]); n != len(run.Columns)+len(order.ResultColumns) {
		t.Errorf("header has %d columns after a second check, want %d", n, len(run.Columns)+len(order.ResultColumns))
	}
	// Everything but the Summary, whose Input line names the new input.
	orders := func(d string) string { return strings.SplitN(d, "== Summary", 2)[0] }
	if a, b := orders(dump(t, first)), orders(dump(t, second)); a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := 0; i < min(len(al), len(bl)); i++ {
			if al[i] != bl[i] {
				t.Errorf("checking a results workbook again changed it; first difference:\n%s\n%s", al[i], bl[i])
				break
			}
		}
	}
}

func TestWriteFailsCleanly(t *testing.T) {
	_, run := results(t, "../../samples/monthly-orders.xlsx")
	out := filepath.Join(t.TempDir(), "missing-dir", "x.xlsx")
	if err := WriteWorkbook(context.Background(), run, out); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a results file exists after a failed write")
	}
}

func TestTemplateMatchesCommittedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.xlsx")
	if err := WriteTemplate(p, validate.ProductTypeNames()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	committed := "../../templates/order-template.xlsx"
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("templates/order-template.xlsx is not what 'importer template' writes; run go test ./pkg/report -update")
	}

	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, _ := f.GetRows("Orders")
	if len(header) != 1 || len(header[0]) != len(order.Fields()) {
		t.Fatalf("template header %v", header)
	}
	// The template must read back as a valid (empty) order sheet layout.
	for i, fd := range order.Fields() {
		if header[0][i] != fd.String() {
			t.Errorf("column %d is %q, want %q", i+1, header[0][i], fd)
		}
	}
	dvs, err := f.GetDataValidations("Orders")
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[strings.SplitN(dv.Sqref, ":", 2)[0]] = dv.Formula1
	}
	for _, want := range []struct{ cell, has string }{
		{"D2", "one_time"}, {"E2", "P3Y"}, {"F2", "P1Y"}, {"K2", "yes"}, {"L2", "no"}, {"O2", "Reserved instance"},
	} {
		if !strings.Contains(lists[want.cell], want.has) {
			t.Errorf("no drop-down with %q at %s (have %v)", want.has, want.cell, lists)
		}
	}
	instr, _ := f.GetRows("Instructions")
	text := fmt.Sprint(instr)
	for _, fd := range order.Fields() {
		if !strings.Contains(text, fd.String()) {
			t.Errorf("Instructions do not describe %s", fd)
		}
	}
}

// TestSubmitRunSummary: a submission's Summary sheet and JSON name the
// batch, run and journal, and count the distinct orders.
func TestSubmitRunSummary(t *testing.T) {
	s, err := ingest.Read(context.Background(), "../../samples/monthly-orders-with-mistakes.csv", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := validate.New(validate.Options{Today: now}).Check(s.Rows)
	for i := range res.Outcomes {
		res.Outcomes[i].Status = order.StatusOrdered
		res.Outcomes[i].OrderID = fmt.Sprintf("order-%d", i%3)
	}
	run := &Run{Input: "monthly-orders-with-mistakes.csv", Format: string(s.Format), HeaderLine: s.HeaderLine, Columns: s.Columns,
		Checked: res, Mode: "submit", Finished: now, Submit: true,
		Batch: "nov", RunID: "20261121T093000Z-abcd", Journal: "/var/lib/importer/nov.journal"}
	sum := Summarize(run, "out.xlsx")
	if sum.Batch != "nov" || sum.RunID != run.RunID || sum.Journal != run.Journal || strings.Join(sum.Orders, ",") != "order-0,order-1,order-2" {
		t.Errorf("summary: batch %q run %q journal %q orders %v", sum.Batch, sum.RunID, sum.Journal, sum.Orders)
	}
	out := filepath.Join(t.TempDir(), "out.xlsx")
	if err := WriteWorkbook(context.Background(), run, out); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			got[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{"Batch": "nov", "Run id": run.RunID, "Journal": run.Journal, "Orders": "3"} {
		if got[k] != v {
			t.Errorf("Summary sheet %s = %q, want %q", k, got[k], v)
		}
	}
	if len(rows) > 1 && len(rows[1]) > 0 && rows[1][0] == SandboxNote {
		t.Error("a real run's Summary sheet says SANDBOX")
	}

	// A sandbox run says so, right under the title, and in the JSON.
	run.Sandbox = true
	sandboxed := filepath.Join(t.TempDir(), "sandbox.xlsx")
	if err := WriteWorkbook(context.Background(), run, sandboxed); err != nil {
		t.Fatal(err)
	}
	g, err := excelize.OpenFile(sandboxed)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if v, _ := g.GetCellValue("Summary", "A2"); v != SandboxNote {
		t.Errorf("sandbox Summary sheet A2 = %q, want %q", v, SandboxNote)
	}
	if !Summarize(run, "out.xlsx").Sandbox {
		t.Error("the JSON summary of a sandbox run does not say sandbox")
	}
}

// TestResultColumnsLayout: in a dry run the id columns, empty, stay narrow
// so the message is on screen; filled, they are wide; the styles we add
// name a font, so LibreOffice does not fall back to a serif.
func TestResultColumnsLayout(t *testing.T) {
	widths := func(run *Run) (msg, cartID float64, family string) {
		out := filepath.Join(t.TempDir(), "out.xlsx")
		if err := WriteWorkbook(context.Background(), run, out); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		rows, _ := f.GetRows(sheet)
		head := rows[run.HeaderLine-1]
		for i, h := range head {
			col, _ := excelize.ColumnNumberToName(i + 1)
			w, _ := f.GetColWidth(sheet, col)
			switch h {
			case "Import Message":
				msg = w
			case "Cart Id":
				cartID = w
				cell, _ := excelize.CoordinatesToCellName(i+1, run.HeaderLine)
				if id, err := f.GetCellStyle(sheet, cell); err == nil {
					if st, err := f.GetStyle(id); err == nil && st.Font != nil {
						family = st.Font.Family
					}
				}
			}
		}
		return msg, cartID, family
	}
	run := runOf(t, "../../samples/monthly-orders-with-mistakes.xlsx")
	msg, cartID, family := widths(run)
	if msg != 60 || cartID > 12 || family == "" {
		t.Errorf("dry run: Import Message %v wide, Cart Id %v, header font %q; want 60, at most 12, a named font", msg, cartID, family)
	}
	run.Outcomes[0].CartID = "f6925d81-e1db-4552-88e2-041d41c1512b"
	if _, cartID, _ := widths(run); cartID != 38 {
		t.Errorf("a filled Cart Id column is %v wide, want 38", cartID)
	}
}

// TestProblemsSheet: every error on a line of its own, its row number a
// link to the row (not a formula), whose it is by name where the sheet has
// one; nothing from the sheet becomes a formula.
func TestProblemsSheet(t *testing.T) {
	out, run := results(t, "../../samples/monthly-orders-with-mistakes.xlsx")
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ok, target, err := f.GetCellHyperLink("Problems", "A2")
	if err != nil || !ok || target != "'Orders'!A4" {
		t.Errorf("A2 links to %q (%v, %v), want 'Orders'!A4", target, ok, err)
	}
	rows, _ := f.GetRows("Problems")
	errs := 0
	for i := range run.Outcomes {
		for _, p := range run.Outcomes[i].Problems {
			if p.Severity == order.Error {
				errs++
			}
		}
	}
	if len(rows)-1 != errs {
		t.Errorf("%d lines, want one per error (%d)", len(rows)-1, errs)
	}
	for r, row := range rows {
		for c := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if fx, _ := f.GetCellFormula("Problems", cell); fx != "" {
				t.Errorf("Problems!%s is a formula: %s", cell, fx)
			}
		}
	}
}

// TestSummaryNotesTable: a run where everything was bought lists no
// problem; its notes (an order still provisioning) have a table of their
// own, named by what they say, not by the kind's engineer name.
func TestSummaryNotesTable(t *testing.T) {
	run := runOf(t, "../../samples/monthly-orders.xlsx")
	run.Submit, run.Mode = true, "submit"
	for i := range run.Outcomes {
		o := &run.Outcomes[i]
		o.Status, o.OrderID = order.StatusOrdered, fmt.Sprintf("order-%d", i)
		if i%4 == 0 {
			o.Problems = append(o.Problems, order.Problem{Kind: "submit: ordered", Severity: order.Note, Message: "order status: pending"})
		}
		if i == 1 || i == 2 {
			o.Problems = append(o.Problems, order.Problem{Kind: "submit: skipped", Severity: order.Note, Message: fmt.Sprintf("already ordered in run r (order order-%d); nothing sent", i)})
		}
	}
	out := filepath.Join(t.TempDir(), "out.xlsx")
	if err := WriteWorkbook(context.Background(), run, out); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Summary")
	tables := map[string][][]string{}
	var in string
	for _, r := range rows {
		switch {
		case len(r) == 0:
			in = ""
		case len(r) >= 2 && r[1] == "Count":
			in = r[0]
		case in != "":
			tables[in] = append(tables[in], r)
		}
	}
	if _, ok := tables["Problem"]; ok {
		t.Errorf("a run where every row was bought has a Problem table: %v", tables["Problem"])
	}
	notes := tables["Note"]
	if len(notes) != 2 || notes[0][0] != "order status: pending" || notes[0][1] != "8" || notes[1][0] != "submit: skipped" {
		t.Errorf("Note table %v, want order status: pending (8 rows), then submit: skipped", notes)
	}
}
