package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func edits() *sheetEdits {
	return &sheetEdits{
		headerLine: 1,
		cells: map[int][]newCell{
			1: {{col: 3, style: 7, text: "Import Status"}},
			2: {{col: 3, style: 8, text: "Invalid <&> \"x\""}},
			4: {{col: 3, style: 8, text: "Valid"}},
		},
		highlight: map[int]map[int]bool{2: {1: true, 2: true}},
		replace:   map[int]bool{3: true},
		twin:      func(s int) int { return s + 100 },
		blank:     99,
		widths:    map[int]float64{3: 10},
	}
}

func rewrite(t *testing.T, in string) string {
	t.Helper()
	var b bytes.Buffer
	if err := rewriteSheet(&b, strings.NewReader(in), edits()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	d := xml.NewDecoder(strings.NewReader(out))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("output is not well-formed XML: %v\n%s", err, out)
		}
	}
	return out
}

const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

func TestRewriteSheet(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		notWant []string
	}{
		{
			name: "Excel's own layout",
			in: head + `<worksheet xmlns="m" xmlns:x14ac="y"><dimension ref="A1:B2"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"><selection activeCell="B2" sqref="B2"/></sheetView></sheetViews>` +
				`<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="1" max="2" width="20" customWidth="1"/></cols><sheetData>` +
				`<row r="1" spans="1:2" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
				`<row r="2" spans="1:2"><c r="A2" s="3" t="s"><v>2</v></c><c r="B2"><f>1>0</f><v>1</v></c></row>` +
				`<row r="4"><c r="A4"><v>5</v></c></row></sheetData><mergeCells count="1"><mergeCell ref="A9:B9"/></mergeCells></worksheet>`,
			want: []string{
				`<dimension ref="A1:C4"/>`,
				`<sheetView tabSelected="1" workbookViewId="0"><pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/><selection pane="bottomRight" activeCell="B2" sqref="B2"/></sheetView>`,
				`<col min="1" max="2" width="20" customWidth="1"/><col min="3" max="3" width="10" customWidth="1"/></cols>`,
				`<row r="1" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" s="7" t="inlineStr"><is><t xml:space="preserve">Import Status</t></is></c></row>`,
				`<c r="A2" s="103" t="s"><v>2</v></c><c r="B2" s="100"><f>1>0</f><v>1</v></c><c r="C2" s="8" t="inlineStr"><is><t xml:space="preserve">Invalid &lt;&amp;&gt; &#34;x&#34;</t></is></c>`,
				`<mergeCells count="1"><mergeCell ref="A9:B9"/></mergeCells>`,
			},
			notWant: []string{`spans=`, `<selection activeCell="B2" sqref="B2"/>`},
		},
		{
			name: "prefixed namespace, no sheetViews, no cols, rows and cells without r",
			in: `<x:worksheet xmlns:x="m"><x:sheetData><x:row><x:c t="s"><x:v>0</x:v></x:c></x:row>` +
				`<x:row><x:c><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
			want: []string{
				`<x:sheetViews><x:sheetView workbookViewId="0"><x:pane `,
				`<x:cols><x:col min="3" max="3" width="10" customWidth="1"/></x:cols><x:sheetData>`,
				`<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c r="C1" s="7" t="inlineStr"><x:is><x:t xml:space="preserve">Import Status</x:t></x:is></x:c></x:row>`,
				// Row 2: A2 highlighted, B2 absent so added empty with the highlight.
				`<x:c s="100"><x:v>1</x:v></x:c><x:c r="B2" s="99"/><x:c r="C2" s="8"`,
				// Row 4 was not in the sheet: added in order.
				`</x:row><x:row r="4"><x:c r="C4" s="8" t="inlineStr">`,
			},
		},
		{
			name: "the user's own freeze is kept; old result cells are replaced; overlapping cols get no width",
			in: `<worksheet><sheetViews><sheetView workbookViewId="0"><pane ySplit="2" state="frozen"/></sheetView></sheetViews>` +
				`<cols><col min="1" max="16384" width="9"/></cols><sheetData>` +
				`<row r="1"><c r="A1"/><c r="C1" t="s"><v>3</v></c><c r="D1"><v>9</v></c></row>` +
				`<row r="2"><c r="C2" t="s"><v>4</v></c></row></sheetData></worksheet>`,
			want: []string{
				`<pane ySplit="2" state="frozen"/>`,
				`<cols><col min="1" max="16384" width="9"/></cols>`,
				`<row r="1"><c r="A1"/><c r="C1" s="7" t="inlineStr"><is><t xml:space="preserve">Import Status</t></is></c><c r="D1"><v>9</v></c></row>`,
			},
			notWant: []string{`<v>3</v>`, `<v>4</v>`, `topLeftCell`},
		},
		{
			name: "self-closing sheetView and sheetData, comments and CDATA",
			in:   `<worksheet><!-- a > b --><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData/><extLst><![CDATA[x > y]]></extLst></worksheet>`,
			want: []string{
				`<sheetView workbookViewId="0"><pane `,
				`</sheetView></sheetViews>`,
				`<sheetData><row r="1"><c r="C1"`,
				`<row r="4"><c r="C4" s="8"`,
				`<!-- a > b -->`, `<![CDATA[x > y]]>`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := rewrite(t, tt.in)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output still has %s\n%s", w, out)
				}
			}
		})
	}
}

func TestRewriteSheetRefusesCutXML(t *testing.T) {
	var b bytes.Buffer
	err := rewriteSheet(&b, strings.NewReader(`<worksheet><sheetData><row r="1"><c r="A1`), edits())
	if err == nil {
		t.Fatal("a worksheet cut inside a tag was accepted")
	}
}

func TestFindStartTag(t *testing.T) {
	s := `<sheetViews><sheetView a="1"/>`
	if i := findStartTag(s, "sheetView"); i != 12 {
		t.Errorf("findStartTag = %d, want 12", i)
	}
	if i := findStartTag(s, "pane"); i != -1 {
		t.Errorf("findStartTag(pane) = %d", i)
	}
}
