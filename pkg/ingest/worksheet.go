package ingest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Excel's own bounds of a sheet.
const (
	maxSheetRows = 1048576
	maxSheetCols = 16384
)

// sheetReader streams one worksheet's rows to a callback: cells as text
// (raw values: numbers as written, shared strings looked up, booleans as
// 1/0), indexed by column. Rows and cells must come in order, as Excel
// writes them; anything else is refused rather than read in some order.
type sheetReader struct {
	d       *partDecoder
	strings *sharedStrings
	sheet   string

	row   int      // the row being read
	cells []string // its cells so far
	col   int      // the last cell's column
	// The cell being read.
	inCell  bool
	cellCol int
	kind    string // the t attribute
	value   strings.Builder
	chars   int
	in      string // "v", "t" (inline text) or "" (ignore text)
	inRPh   bool
}

func (a *archive) readSheet(ref sheetRef, ss *sharedStrings, row func(line int, cells []string) error) error {
	d, err := a.decoder(ref.part)
	if err != nil {
		return err
	}
	defer d.Close()
	d.name = fmt.Sprintf("sheet %s (%s)", ref.name, ref.part)
	r := &sheetReader{d: d, strings: ss, sheet: ref.name}
	sawWorksheet := false
	for {
		tok, err := d.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d.fail(err, r.row)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "worksheet" {
			sawWorksheet = true
		}
		if err := r.token(tok, row); err != nil {
			return err
		}
	}
	if !sawWorksheet {
		return fmt.Errorf("%w: %s is not a worksheet", ErrCorrupt, ref.part)
	}
	return nil
}

func (r *sheetReader) failAt(format string, args ...any) error {
	return fmt.Errorf("%w: sheet %s, row %d: %s", ErrCorrupt, r.sheet, r.row, fmt.Sprintf(format, args...))
}

func (r *sheetReader) token(tok xml.Token, emit func(int, []string) error) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return r.start(t)
	case xml.EndElement:
		switch t.Name.Local {
		case "row":
			line, cells := r.row, r.cells
			r.cells = nil
			return emit(line, cells)
		case "c":
			return r.endCell()
		case "v", "t":
			r.in = ""
		case "rPh":
			r.inRPh = false
		}
	case xml.CharData:
		if r.in == "" || !r.inCell {
			return nil
		}
		r.chars += utf8.RuneCount(t)
		if r.chars > maxCellChars {
			return r.cellError("holds more than the 32,767 characters an Excel cell can")
		}
		r.value.Write(t)
	}
	return nil
}

func (r *sheetReader) start(t xml.StartElement) error {
	switch t.Name.Local {
	case "row":
		line := r.row + 1
		if v, ok := attrOf(t, "r"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxSheetRows {
				return r.failAt("a row numbered %q", v)
			}
			line = n
		}
		if line <= r.row {
			return fmt.Errorf("%w: sheet %s: row %d comes after row %d (rows out of order or repeated); open it in Excel and save it again",
				ErrCorrupt, r.sheet, line, r.row)
		}
		r.row, r.col, r.cells = line, 0, nil
	case "c":
		col := r.col + 1
		if v, ok := attrOf(t, "r"); ok {
			c, rw, ok := splitRef(v)
			if !ok || rw != r.row {
				return r.failAt("a cell %q in row %d", v, r.row)
			}
			col = c
		}
		if col <= r.col || col > maxSheetCols {
			return r.failAt("cells out of order (column %s after %s)", columnName(col), columnName(r.col))
		}
		r.inCell, r.cellCol, r.col, r.chars = true, col, col, 0
		r.kind, _ = attrOf(t, "t")
		r.value.Reset()
	case "v":
		r.in = "v"
	case "t":
		if r.inCell && !r.inRPh && r.kind == "inlineStr" {
			r.in = "t"
		}
	case "rPh":
		r.inRPh = true
	}
	return nil
}

// endCell turns the cell just read into its text.
func (r *sheetReader) endCell() error {
	r.inCell, r.in = false, ""
	raw := r.value.String()
	var v string
	switch r.kind {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(raw))
		if raw == "" {
			break
		}
		s, long, ok := r.strings.get(i)
		if err != nil || !ok {
			return r.cellError("refers to shared string %q, which the workbook does not have", raw)
		}
		if long > 0 {
			return r.cellError("holds %d characters, more than the 32,767 an Excel cell can", long)
		}
		v = s
	case "inlineStr", "str":
		v = unescapeX(raw)
	case "d": // an ISO 8601 date (Strict workbooks): the date is what a sheet means
		v = raw
		if len(raw) >= 10 {
			if _, err := time.Parse("2006-01-02", raw[:10]); err == nil {
				v = raw[:10]
			}
		}
	default: // numbers, booleans (1/0), errors (#N/A), ISO dates ("d")
		v = raw
	}
	if v == "" {
		return nil
	}
	for len(r.cells) < r.cellCol-1 {
		r.cells = append(r.cells, "")
	}
	r.cells = append(r.cells, v)
	return nil
}

func (r *sheetReader) cellError(format string, args ...any) error {
	return fmt.Errorf("%w: sheet %s, row %d, column %s: the cell %s", ErrCorrupt, r.sheet, r.row, columnName(r.cellCol), fmt.Sprintf(format, args...))
}

func attrOf(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// splitRef splits "AB12" into column 28 and row 12.
func splitRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		if col > maxSheetCols {
			return 0, 0, false
		}
		i++
	}
	if i == 0 || i == len(ref) || ref[i] == '0' {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	return col, row, err == nil && row >= 1 && row <= maxSheetRows
}

// columnName is a column's letters: 28 -> "AB".
func columnName(col int) string {
	if col <= 0 {
		return "(none)"
	}
	var b []byte
	for ; col > 0; col = (col - 1) / 26 {
		b = append([]byte{byte('A' + (col-1)%26)}, b...)
	}
	return string(b)
}
