package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

var update = flag.Bool("update", false, "rewrite the hostile corpus in testdata/hostile")

const hostileDir = "testdata/hostile"

// part is one entry of a hand-made workbook; a list (not a map) so that
// tests can repeat a name or choose the order.
type part struct{ name, body string }

const (
	nsMain   = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel    = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkgRel = "http://schemas.openxmlformats.org/package/2006/relationships"
	// Strict Open XML (Excel's "Strict Open XML Spreadsheet").
	nsStrictMain = "http://purl.oclc.org/ooxml/spreadsheetml/main"
	nsStrictRel  = "http://purl.oclc.org/ooxml/officeDocument/relationships"
)

// hostileRows is the body of a 10-row order sheet: row 1 the header, rows
// 2-11 orders, customer names in shared strings 0-9.
func hostileRows(cell func(row int) string) string {
	var b strings.Builder
	b.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>Customer Name</t></is></c><c r="B1" t="inlineStr"><is><t>CustomerId</t></is></c>` +
		`<c r="C1" t="inlineStr"><is><t>CatalogItemId</t></is></c><c r="D1" t="inlineStr"><is><t>Quantity</t></is></c>` +
		`<c r="E1" t="inlineStr"><is><t>BillingCycle</t></is></c></row>`)
	for r := 2; r <= 11; r++ {
		b.WriteString(cell(r))
	}
	return b.String()
}

func orderRow(r int) string {
	return fmt.Sprintf(`<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>%s</t></is></c>`+
		`<c r="C%d" t="inlineStr"><is><t>%s</t></is></c><c r="D%d"><v>%d</v></c><c r="E%d" t="inlineStr"><is><t>monthly</t></is></c></row>`,
		r, r, r-2, r, cust, r, sku, r, r, r)
}

func sheetXML(ns, rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="` + ns + `"><sheetData>` + rows + `</sheetData></worksheet>`
}

func sharedXML(ns string, items []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="%s" count="%d" uniqueCount="%d">`, ns, len(items), len(items))
	for _, it := range items {
		b.WriteString("<si><t>" + it + "</t></si>")
	}
	b.WriteString("</sst>")
	return b.String()
}

func names() []string {
	var n []string
	for i := 0; i < 10; i++ {
		n = append(n, fmt.Sprintf("Customer %d", i))
	}
	return n
}

// baseParts is a minimal, valid workbook as Excel lays it out.
func baseParts(ns, rel string) []part {
	return []part{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="` + nsPkgRel + `"><Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<workbook xmlns="` + ns + `" xmlns:r="` + rel + `"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="` + nsPkgRel + `">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/>` +
			`<Relationship Id="rId3" Type="` + rel + `/styles" Target="styles.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheetXML(ns, hostileRows(orderRow))},
		{"xl/sharedStrings.xml", sharedXML(ns, names())},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<styleSheet xmlns="` + ns + `"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
			`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
			`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
			`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
			`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>`},
	}
}

// edit returns parts with one part's body changed.
func edit(parts []part, name string, f func(string) string) []part {
	out := append([]part(nil), parts...)
	for i := range out {
		if out[i].name == name {
			out[i].body = f(out[i].body)
		}
	}
	return out
}

func replaceIn(name, old, repl string) func([]part) []part {
	return func(p []part) []part {
		return edit(p, name, func(s string) string {
			if !strings.Contains(s, old) {
				panic(fmt.Sprintf("%s has no %q", name, old))
			}
			return strings.Replace(s, old, repl, 1)
		})
	}
}

const sheetPart = "xl/worksheets/sheet1.xml"

func zipParts(t testing.TB, parts []part) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hostile is one file of the corpus and the outcome it must get: rows read
// (and what row 7's name reads as), or an error of a kind naming a place.
type hostile struct {
	name string
	make func(t testing.TB) []byte
	rows int
	want error
	text string
	last int // the last row's line, if not 11
}

func xlsxCase(name string, change func([]part) []part, rows int, want error, text string) hostile {
	return hostile{name: name + ".xlsx", rows: rows, want: want, text: text, make: func(t testing.TB) []byte {
		p := baseParts(nsMain, nsRel)
		if change != nil {
			p = change(p)
		}
		return zipParts(t, p)
	}}
}

func csvCase(name, body string, rows int, want error, text string) hostile {
	return hostile{name: name + ".csv", rows: rows, want: want, text: text, make: func(testing.TB) []byte { return []byte(body) }}
}

func csvRows(n int, line func(i int) string) string {
	var b strings.Builder
	b.WriteString("Customer Name,CustomerId,CatalogItemId,Quantity,BillingCycle\r\n")
	for i := 2; i <= n+1; i++ {
		b.WriteString(line(i) + "\r\n")
	}
	return b.String()
}

func csvLine(i int) string { return fmt.Sprintf("Customer %d,%s,%s,%d,monthly", i-2, cust, sku, i) }

var hostileCases = []hostile{
	xlsxCase("valid", nil, 10, nil, ""),
	// Damaged sheet XML: excelize returned the rows before the damage.
	xlsxCase("bare-ampersand", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="inlineStr"><is><t>AT&T</t></is></c>`), 0, ErrCorrupt, "row 7"),
	xlsxCase("bare-less-than", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="inlineStr"><is><t>a < b</t></is></c>`), 0, ErrCorrupt, "row 7"),
	xlsxCase("control-character", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, "<c r=\"A7\" t=\"inlineStr\"><is><t>bell\x07</t></is></c>"), 0, ErrCorrupt, "row 7"),
	xlsxCase("mismatched-tag", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="s"><v>5</t></c>`), 0, ErrCorrupt, "row 7"),
	xlsxCase("entity-declaration", replaceIn(sheetPart, `<worksheet`, `<!DOCTYPE worksheet [<!ENTITY boom "Customer">]><worksheet`), 0, ErrCorrupt, "DTDs and entity declarations are not allowed"),
	xlsxCase("entity-reference", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="inlineStr"><is><t>&nbsp;</t></is></c>`), 0, ErrCorrupt, "row 7"),
	xlsxCase("rows-out-of-order", replaceIn(sheetPart, `<row r="7">`, `<row r="5">`), 0, ErrCorrupt, "row 5 comes after row 6"),
	xlsxCase("row-repeated", replaceIn(sheetPart, `<row r="8">`, `<row r="7">`), 0, ErrCorrupt, "row 7 comes after row 7"),
	xlsxCase("row-negative", replaceIn(sheetPart, `<row r="7">`, `<row r="-7">`), 0, ErrCorrupt, `a row numbered "-7"`),
	xlsxCase("cell-of-another-row", replaceIn(sheetPart, `<c r="B7"`, `<c r="B9"`), 0, ErrCorrupt, `row 7: a cell "B9"`),
	xlsxCase("worksheet-cut-short", func(p []part) []part {
		return edit(p, sheetPart, func(s string) string { return s[:strings.Index(s, `<row r="7">`)+20] })
	}, 0, ErrCorrupt, "cut short"),
	xlsxCase("missing-shared-string", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="s"><v>99</v></c>`), 0, ErrCorrupt, "row 7, column A: the cell refers to shared string"),
	xlsxCase("shared-strings-damaged", replaceIn("xl/sharedStrings.xml", "Customer 5", "AT&T"), 0, ErrCorrupt, "xl/sharedStrings.xml"),
	xlsxCase("workbook-damaged", replaceIn("xl/workbook.xml", "<sheets>", "<sheets><oops>"), 0, ErrCorrupt, "xl/workbook.xml"),
	xlsxCase("relationships-damaged", replaceIn("xl/_rels/workbook.xml.rels", "</Relationships>", ""), 0, ErrCorrupt, "workbook.xml.rels"),
	// The results copy carries the styles over: damaged, they are refused
	// before anything is sent.
	xlsxCase("styles-damaged", replaceIn("xl/styles.xml", "<fonts", "<fonts&"), 0, ErrCorrupt, "xl/styles.xml"),
	// Huge cells: Excel holds at most 32,767 characters in a cell.
	xlsxCase("long-shared-string", replaceIn("xl/sharedStrings.xml", "Customer 5", strings.Repeat("x", 40000)), 0, ErrCorrupt, "row 7, column A: the cell holds 40000 characters"),
	xlsxCase("long-unused-shared-string", func(p []part) []part {
		return edit(p, "xl/sharedStrings.xml", func(s string) string {
			return strings.Replace(s, "</sst>", "<si><t>"+strings.Repeat("x", 40000)+"</t></si></sst>", 1)
		})
	}, 10, nil, ""),
	xlsxCase("long-inline-string", replaceIn(sheetPart, `<c r="A7" t="s"><v>5</v></c>`, `<c r="A7" t="inlineStr"><is><t>`+strings.Repeat("y", 40000)+`</t></is></c>`), 0, ErrCorrupt, "row 7, column A: the cell holds more than the 32,767 characters"),
	xlsxCase("huge-shared-string", replaceIn("xl/sharedStrings.xml", "Customer 5", strings.Repeat("z", 3<<20)), 0, ErrCorrupt, "a cell holds at most 32,767 characters"),
	// Archive tricks.
	{name: "duplicate-entry.xlsx", want: ErrCorrupt, text: "two parts named xl/worksheets/sheet1.xml", make: func(t testing.TB) []byte {
		p := baseParts(nsMain, nsRel)
		return zipParts(t, append(p, part{sheetPart, sheetXML(nsMain, hostileRows(func(r int) string { return "" }))}))
	}},
	{name: "dot-dot-entry.xlsx", want: ErrCorrupt, text: "outside the workbook", make: func(t testing.TB) []byte {
		return zipParts(t, append(baseParts(nsMain, nsRel), part{"xl/../../evil.xml", "<x/>"}))
	}},
	// Variants that must be read.
	xlsxCase("prefixed-namespace", func(p []part) []part {
		return edit(p, sheetPart, func(s string) string {
			s = strings.ReplaceAll(s, "<", "<x:")
			s = strings.ReplaceAll(s, "<x:/", "</x:")
			s = strings.Replace(s, "<x:?xml", "<?xml", 1)
			return strings.Replace(s, `xmlns="`, `xmlns:x="`, 1)
		})
	}, 10, nil, ""),
	{name: "strict-open-xml.xlsx", rows: 10, make: func(t testing.TB) []byte { return zipParts(t, baseParts(nsStrictMain, nsStrictRel)) }},
	xlsxCase("no-styles", func(p []part) []part {
		var out []part
		for _, x := range p {
			if x.name != "xl/styles.xml" {
				out = append(out, x)
			}
		}
		return out
	}, 10, nil, ""),
	xlsxCase("empty-styles", func(p []part) []part { return edit(p, "xl/styles.xml", func(string) string { return "" }) }, 10, nil, ""),
	xlsxCase("macro-enabled", func(p []part) []part {
		p = edit(p, "[Content_Types].xml", func(s string) string {
			s = strings.Replace(s, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml", 1)
			return strings.Replace(s, "</Types>", `<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>`, 1)
		})
		p = edit(p, "xl/_rels/workbook.xml.rels", func(s string) string {
			return strings.Replace(s, "</Relationships>", `<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>`, 1)
		})
		return append(p, part{"xl/vbaProject.bin", "\xd0\xcf\x11\xe0 not really a macro"})
	}, 10, nil, ""),
	xlsxCase("column-xfd", replaceIn(sheetPart, `</c></row><row r="8">`, `</c><c r="XFD7" t="inlineStr"><is><t>far right</t></is></c></row><row r="8">`), 10, nil, ""),
	// CSV.
	csvCase("valid", csvRows(10, csvLine), 10, nil, ""),
	csvCase("stray-quote", csvRows(10, func(i int) string {
		if i == 5 {
			return fmt.Sprintf(`"Customer 3,%s,%s,5,monthly`, cust, sku)
		}
		return csvLine(i)
	}), 0, ErrCorrupt, "line 5: a quote"),
	csvCase("quote-open-at-end", csvRows(10, csvLine)+`Customer x,"unfinished`, 0, ErrCorrupt, "line 12: a quote"),
	csvCase("lone-cr", strings.Replace(csvRows(10, csvLine), "\r\n", "\r", 3), 10, nil, ""),
	func() hostile {
		// CSV rows are numbered by the line they start on.
		h := csvCase("multi-line-note", strings.Replace(csvRows(10, csvLine), "Customer 4,", "\"Customer 4\nsecond line, with a comma\",", 1), 10, nil, "")
		h.last = 12
		return h
	}(),
	csvCase("utf8-with-bad-bytes", strings.Replace(strings.Replace(csvRows(10, csvLine), "Customer 0", "Müller", 1), "Customer 2", "Bad \xff byte", 1), 10, nil, ""),
	csvCase("long-cell", strings.Replace(csvRows(10, csvLine), "Customer 5", strings.Repeat("w", 40000), 1), 10, nil, ""),
}

// TestHostileCorpus: every file of the corpus is read whole or refused
// with an error naming the place; none is read in part.
func TestHostileCorpus(t *testing.T) {
	if *update {
		writeHostile(t)
	}
	for _, h := range hostileCases {
		t.Run(h.name, func(t *testing.T) {
			path := filepath.Join(hostileDir, h.name)
			want := h.make(t)
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s is missing or stale (go test ./pkg/ingest -run TestHostileCorpus -update)", path)
			}
			s, err := Read(context.Background(), path, Options{})
			if h.want != nil {
				if !errors.Is(err, h.want) || !strings.Contains(err.Error(), h.text) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v; want %v, one line naming %q", err, h.want, h.text)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Rows) != h.rows {
				t.Fatalf("%d rows read, want %d", len(s.Rows), h.rows)
			}
			last, line := s.Rows[len(s.Rows)-1], 11
			if h.last != 0 {
				line = h.last
			}
			if last.Line != line || last.Get(order.CustomerID) != cust || last.Get(order.Quantity) != "11" {
				t.Errorf("last row read as line %d %q", last.Line, last.Values)
			}
		})
	}
}

func writeHostile(t *testing.T) {
	if err := os.MkdirAll(hostileDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(hostileDir, "*.*"))
	for _, p := range old {
		os.Remove(p)
	}
	var lines []string
	for _, h := range hostileCases {
		if err := os.WriteFile(filepath.Join(hostileDir, h.name), h.make(t), 0o644); err != nil {
			t.Fatal(err)
		}
		outcome := fmt.Sprintf("read: %d rows", h.rows)
		if h.want != nil {
			outcome = fmt.Sprintf("refused (%v): %q", h.want, h.text)
		}
		lines = append(lines, fmt.Sprintf("| `%s` | %s |", h.name, outcome))
	}
	sort.Strings(lines)
	doc := "# Hostile files\n\nGenerated by `go test ./pkg/ingest -run TestHostileCorpus -update` from hostile_test.go, which\n" +
		"says what each one is. Each must be read whole or refused with an error naming the place; they also\nseed the fuzz targets (pkg/ingest/fuzz).\n\n" +
		"| file | outcome |\n|---|---|\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(hostileDir, "README.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadXLSXCellKinds: what each kind of cell reads as.
func TestReadXLSXCellKinds(t *testing.T) {
	row := `<row r="2"><c r="A2" t="inlineStr"><is><r><t>Con</t></r><r><t>toso</t></r><rPh><t>コントソ</t></rPh></is></c>` +
		`<c r="B2" t="str"><f>A1</f><v>` + cust + `</v></c><c r="C2" t="inlineStr"><is><t>` + sku + `</t></is></c>` +
		`<c r="D2"><v> 7 </v></c><c r="E2" t="inlineStr"><is><t>monthly</t></is></c>` +
		`<c r="F2" t="d"><v>2027-03-31T00:00:00Z</v></c><c r="G2" t="b"><v>1</v></c><c r="H2" t="e"><v>#N/A</v></c>` +
		`<c r="I2" t="inlineStr"><is><t>line_x000D_break</t></is></c></row>`
	head := `<row r="1"><c r="A1" t="inlineStr"><is><t>Customer Name</t></is></c><c r="B1" t="inlineStr"><is><t>CustomerId</t></is></c>` +
		`<c r="C1" t="inlineStr"><is><t>CatalogItemId</t></is></c><c r="D1" t="inlineStr"><is><t>Quantity</t></is></c>` +
		`<c r="E1" t="inlineStr"><is><t>BillingCycle</t></is></c><c r="F1" t="inlineStr"><is><t>CustomTermEndDate</t></is></c>` +
		`<c r="G1" t="inlineStr"><is><t>Flag</t></is></c><c r="H1" t="inlineStr"><is><t>Err</t></is></c><c r="I1" t="inlineStr"><is><t>Note</t></is></c></row>`
	parts := edit(baseParts(nsMain, nsRel), sheetPart, func(string) string { return sheetXML(nsMain, head+row) })
	parts = edit(parts, "xl/workbook.xml", func(s string) string {
		return strings.Replace(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"", "<?xml version=\"1.0\" encoding=\"utf8\"", 1)
	})
	p := filepath.Join(t.TempDir(), "kinds.xlsx")
	if err := os.WriteFile(p, zipParts(t, parts), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Read(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Contoso", cust, sku, " 7 ", "monthly", "2027-03-31", "1", "#N/A", "line\rbreak"}
	if got := s.Rows[0].Cells; !slices.Equal(got, want) {
		t.Errorf("cells %q, want %q", got, want)
	}
	if q := s.Rows[0].Get(order.Quantity); q != "7" {
		t.Errorf("Quantity %q", q)
	}
}

// TestCSVCellProblems: bytes that are not UTF-8 make their row Invalid,
// naming the column, while the rest of the file reads as UTF-8; a cell too
// long for Excel gets a Note.
func TestCSVCellProblems(t *testing.T) {
	s, err := Read(context.Background(), filepath.Join(hostileDir, "utf8-with-bad-bytes.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Encoding != encUTF8Bad || s.Rows[0].Cells[0] != "Müller" {
		t.Errorf("read as %s: %q", s.Encoding, s.Rows[0].Cells[0])
	}
	bad := s.Rows[2]
	if bad.Cells[0] != "Bad \uFFFD byte" || len(bad.Problems) != 1 || bad.Problems[0].Severity != order.Error ||
		!strings.Contains(bad.Problems[0].Message, "column Customer Name: the cell has bytes that are not UTF-8") {
		t.Errorf("row %d: %q %+v", bad.Line, bad.Cells[0], bad.Problems)
	}
	for i, r := range s.Rows {
		if i != 2 && len(r.Problems) > 0 {
			t.Errorf("row %d has problems: %+v", r.Line, r.Problems)
		}
	}

	s, err = Read(context.Background(), filepath.Join(hostileDir, "long-cell.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	long := s.Rows[5]
	if len(long.Problems) != 1 || long.Problems[0].Severity != order.Note ||
		!strings.Contains(long.Problems[0].Message, "the cell has 40000 characters; an Excel cell holds at most 32,767") {
		t.Errorf("row %d: %+v", long.Line, long.Problems)
	}
}

// TestReadsWhatExcelizeReads: on well-formed workbooks the strict reader
// reads every cell exactly as excelize's Rows() with raw values did, so a
// row's identity (and the journal's keys) did not change with the reader.
func TestReadsWhatExcelizeReads(t *testing.T) {
	for _, p := range []string{"../../samples/monthly-orders.xlsx", "../../samples/monthly-orders-with-mistakes.xlsx", filepath.Join(hostileDir, "valid.xlsx")} {
		s, err := Read(context.Background(), p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(p, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.Rows(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		byLine := map[int][]string{}
		for line := 1; rows.Next(); line++ {
			cells, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			for len(cells) > 0 && cells[len(cells)-1] == "" {
				cells = cells[:len(cells)-1]
			}
			byLine[line] = cells
		}
		rows.Close()
		f.Close()
		for _, r := range s.Rows {
			if want := byLine[r.Line]; !slices.Equal(r.Cells, want) {
				t.Errorf("%s row %d: %q, excelize read %q", filepath.Base(p), r.Line, r.Cells, want)
			}
		}
	}
}
