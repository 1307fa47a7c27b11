package report

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestWrappedHeight(t *testing.T) {
	tests := []struct {
		text  string
		width float64
		want  float64
	}{
		{"", 60, 0},
		{"short", 60, 0},
		{strings.Repeat("x", 63), 60, 0},
		{strings.Repeat("x", 64), 60, 30},
		{strings.Repeat("x", 200), 60, 60},
		{"one\ntwo\nthree", 60, 45},
		{strings.Repeat("é", 63), 60, 0}, // characters, not bytes
		{strings.Repeat("x", 10000), 60, lineHeight * mostLines},
	}
	for _, tt := range tests {
		if got := wrappedHeight(tt.text, tt.width); got != tt.want {
			t.Errorf("wrappedHeight(%d chars, %v) = %v, want %v", len(tt.text), tt.width, got, tt.want)
		}
	}
}

// TestImportMessageWraps: the message is wrapped, and a row whose message
// needs more lines is made tall enough for them (not drawn over the next
// row), from a workbook (the rewritten copy) and from a CSV (a new
// workbook) alike; a row the sheet made taller keeps its height.
func TestImportMessageWraps(t *testing.T) {
	for _, input := range []string{"../../samples/monthly-orders-with-mistakes.xlsx", "../../samples/monthly-orders-with-mistakes.csv"} {
		t.Run(input[strings.LastIndex(input, ".")+1:], func(t *testing.T) {
			out, run := results(t, input)
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheet := f.GetSheetList()[0]
			rows, _ := f.GetRows(sheet)
			msgCol := -1
			for i, h := range rows[run.HeaderLine-1] {
				if h == "Import Message" {
					msgCol = i + 1
				}
			}
			tall, short := 0, 0
			for i := range run.Rows {
				line := run.Rows[i].Line
				cell, _ := excelize.CoordinatesToCellName(msgCol, line)
				msg, _ := f.GetCellValue(sheet, cell)
				id, _ := f.GetCellStyle(sheet, cell)
				st, err := f.GetStyle(id)
				if msg != "" && (err != nil || st.Alignment == nil || !st.Alignment.WrapText) {
					t.Errorf("row %d: the Import Message is not wrapped (%+v)", line, st)
				}
				h, _ := f.GetRowHeight(sheet, line)
				want := wrappedHeight(msg, 60)
				switch {
				case want > 0 && h != want:
					t.Errorf("row %d: height %v, want %v for a %d-character message", line, h, want, len(msg))
				case want > 0:
					tall++
				case h > 20:
					t.Errorf("row %d: height %v for a one-line message", line, h)
				default:
					short++
				}
			}
			if tall == 0 || short == 0 {
				t.Errorf("%d rows made taller and %d left: the sample should have both", tall, short)
			}
		})
	}
}

func TestTallerRowKeepsItsHeight(t *testing.T) {
	rw := &sheetRewriter{e: &sheetEdits{heights: map[int]float64{7: 45}}}
	for tag, want := range map[string]string{
		`<row r="7">`:                          `<row r="7" ht="45" customHeight="1">`,
		`<row r="7" ht="15">`:                  `<row r="7" ht="45" customHeight="1">`,
		`<row r="7" ht="60" customHeight="1">`: `<row r="7" ht="60" customHeight="1">`,
		`<row r="8" ht="15" customHeight="1">`: `<row r="8" ht="15" customHeight="1">`,
	} {
		line := 7
		if strings.Contains(tag, `r="8"`) {
			line = 8
		}
		if got := string(rw.rowHeight(line, []byte(tag))); got != want {
			t.Errorf("rowHeight(%s) = %s, want %s", tag, got, want)
		}
	}
}
