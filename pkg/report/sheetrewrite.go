package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// newCell is a cell the importer adds to a row.
type newCell struct {
	col   int
	style int
	text  string
	num   bool // text is a number, written as one
}

// sheetEdits is everything the rewrite changes in the orders sheet.
type sheetEdits struct {
	headerLine int
	cells      map[int][]newCell    // per row: cells to add, by column
	highlight  map[int]map[int]bool // per row: columns to highlight
	replace    map[int]bool         // columns whose old cells are dropped on edited rows
	twin       func(style int) int  // the highlighted variant of a cell style
	blank      int                  // style for a highlighted cell the sheet has no cell for
	widths     map[int]float64
	heights    map[int]float64 // per row: the height its wrapped message needs
}

// rewriteSheet copies a worksheet's XML from r to w, adding the result
// cells, highlighting offending cells, freezing the header row and widening
// the result columns. Everything else is copied byte for byte.
func rewriteSheet(w io.Writer, r io.Reader, e *sheetEdits) error {
	rw := &sheetRewriter{e: e, sc: newXMLScanner(r), w: w}
	for line := range e.cells {
		rw.pending = append(rw.pending, line)
	}
	sort.Ints(rw.pending)
	return rw.run()
}

type sheetRewriter struct {
	e       *sheetEdits
	sc      *xmlScanner
	w       io.Writer
	err     error
	prefix  string
	pending []int // rows still to write, ascending
	lastRow int
	views   bool
	cols    bool
}

func (rw *sheetRewriter) write(b []byte) {
	if rw.err == nil {
		_, rw.err = rw.w.Write(b)
	}
}

func (rw *sheetRewriter) run() error {
	for {
		piece, isTag, err := rw.sc.next()
		if errors.Is(err, io.EOF) {
			return rw.err
		}
		if err != nil {
			return fmt.Errorf("worksheet XML: %w", err)
		}
		if !isTag {
			rw.write(piece)
			continue
		}
		piece = transitional(piece)
		kind, name := parseTag(piece)
		switch {
		case name == "worksheet" && kind == startTag:
			rw.prefix = tagPrefix(piece)
			rw.write(piece)
		case name == "dimension" && kind != endTag:
			rw.write(rw.dimension(piece))
		case name == "sheetViews" && kind == startTag:
			if err := rw.sheetViews(piece); err != nil {
				return err
			}
		case (name == "sheetFormatPr" || name == "cols" || name == "sheetData") && kind != endTag && !rw.views:
			rw.views = true
			rw.write([]byte(rw.el("sheetViews") + ">" + rw.el("sheetView") + ` workbookViewId="0">` + rw.pane() + "</" + rw.prefix + "sheetView></" + rw.prefix + "sheetViews>"))
			if err := rw.tag(kind, name, piece); err != nil {
				return err
			}
		default:
			if err := rw.tag(kind, name, piece); err != nil {
				return err
			}
		}
		if rw.err != nil {
			return rw.err
		}
	}
}

// tag handles the tags from <cols> on.
func (rw *sheetRewriter) tag(kind tagKind, name string, piece []byte) error {
	switch {
	case name == "cols" && kind == startTag:
		rw.cols = true
		return rw.colsSection(piece)
	case name == "sheetData" && kind != endTag:
		if !rw.cols {
			rw.cols = true
			if c := rw.colElements(nil); c != "" {
				rw.write([]byte(rw.el("cols") + ">" + c + "</" + rw.prefix + "cols>"))
			}
		}
		rw.write(openTag(piece))
		if kind == emptyTag {
			rw.flushRows(1 << 30)
			rw.write([]byte("</" + rw.prefix + "sheetData>"))
		}
	case name == "sheetData" && kind == endTag:
		rw.flushRows(1 << 30)
		rw.write(piece)
	case name == "row" && kind != endTag:
		return rw.row(kind, piece)
	default:
		rw.write(piece)
	}
	return nil
}

func (rw *sheetRewriter) el(name string) string { return "<" + rw.prefix + name }

// pane freezes the header row and the first column (usually whom a row is
// for), so both stay in sight while scrolling to the result columns.
func (rw *sheetRewriter) pane() string {
	top := "B" + strconv.Itoa(rw.e.headerLine+1)
	return fmt.Sprintf(`%s xSplit="1" ySplit="%d" topLeftCell="%s" activePane="bottomRight" state="frozen"/>%s pane="bottomRight" activeCell="%s" sqref="%s"/>`,
		rw.el("pane"), rw.e.headerLine, top, rw.el("selection"), top, top)
}

// sheetViews freezes the header row and first column in the first view, unless the user
// froze or split the sheet already.
func (rw *sheetRewriter) sheetViews(start []byte) error {
	rw.views = true
	var buf bytes.Buffer
	buf.Write(start)
	for {
		piece, _, err := rw.sc.next()
		if err != nil {
			return fmt.Errorf("worksheet XML: sheetViews: %w", err)
		}
		buf.Write(piece)
		if kind, name := parseTag(piece); kind == endTag && name == "sheetViews" {
			break
		}
	}
	s := buf.String()
	if findStartTag(s, rw.prefix+"pane") >= 0 {
		rw.write(buf.Bytes())
		return nil
	}
	// The first <sheetView ...> or <sheetView .../>: drop its selections
	// (they would name no pane) and put the frozen pane in.
	i := findStartTag(s, rw.prefix+"sheetView")
	if i < 0 {
		rw.write(buf.Bytes())
		return nil
	}
	j := i + strings.IndexByte(s[i:], '>')
	tag := s[i : j+1]
	var body, rest string
	if strings.HasSuffix(tag, "/>") {
		tag = string(openTag([]byte(tag)))
		rest = "</" + rw.prefix + "sheetView>" + s[j+1:]
	} else {
		end := strings.Index(s[j:], "</"+rw.prefix+"sheetView>")
		body, rest = s[j+1:j+end], s[j+end:]
	}
	body = removeElements(body, rw.prefix+"selection")
	rw.write([]byte(s[:i] + tag + rw.pane() + body + rest))
	return nil
}

// findStartTag finds <name followed by white space, '/' or '>', so that
// "sheetView" does not match "<sheetViews".
func findStartTag(s, name string) int {
	from := 0
	for {
		i := strings.Index(s[from:], "<"+name)
		if i < 0 {
			return -1
		}
		i += from
		if k := i + len(name) + 1; k < len(s) && (isSpace(s[k]) || s[k] == '/' || s[k] == '>') {
			return i
		}
		from = i + 1
	}
}

// removeElements drops <name .../> and <name ...>…</name> from s.
func removeElements(s, name string) string {
	for {
		i := findStartTag(s, name)
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return s
		}
		end := i + j + 1
		if s[i+j-1] != '/' {
			if k := strings.Index(s[end:], "</"+name+">"); k >= 0 {
				end += k + len(name) + 3
			}
		}
		s = s[:i] + s[end:]
	}
}

// colsSection adds widths for the result columns that no existing <col>
// covers (Excel refuses overlapping ranges).
func (rw *sheetRewriter) colsSection(start []byte) error {
	start = append([]byte(nil), start...) // the scanner reuses its buffer
	var buf bytes.Buffer
	var spans [][2]int
	for {
		piece, isTag, err := rw.sc.next()
		if err != nil {
			return fmt.Errorf("worksheet XML: cols: %w", err)
		}
		if isTag {
			kind, name := parseTag(piece)
			if kind == endTag && name == "cols" {
				rw.write(start)
				rw.write(buf.Bytes())
				rw.write([]byte(rw.colElements(spans)))
				rw.write(piece)
				return nil
			}
			if name == "col" && kind != endTag {
				lo, _ := attr(piece, "min")
				hi, _ := attr(piece, "max")
				a, _ := strconv.Atoi(lo)
				b, _ := strconv.Atoi(hi)
				spans = append(spans, [2]int{a, b})
			}
		}
		buf.Write(piece)
	}
}

// colElements returns <col> elements for result columns past every
// existing range (Excel also wants them in ascending order).
func (rw *sheetRewriter) colElements(spans [][2]int) string {
	last := 0
	for _, s := range spans {
		last = max(last, s[1])
	}
	cols := make([]int, 0, len(rw.e.widths))
	for c := range rw.e.widths {
		if c > last {
			cols = append(cols, c)
		}
	}
	sort.Ints(cols)
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, `%s min="%d" max="%d" width="%g" customWidth="1"/>`, rw.el("col"), c, c, rw.e.widths[c])
	}
	return b.String()
}

func (rw *sheetRewriter) dimension(tag []byte) []byte {
	ref, ok := attr(tag, "ref")
	if !ok {
		return tag
	}
	lastCol, lastRow := 0, 0
	for c := range rw.e.widths {
		lastCol = max(lastCol, c)
	}
	for _, l := range rw.pending {
		lastRow = max(lastRow, l)
	}
	parts := strings.Split(ref, ":")
	endCol, endRow, ok := cellRef(parts[len(parts)-1])
	if !ok {
		return tag
	}
	startRef := parts[0]
	newEnd, err := excelize.CoordinatesToCellName(max(endCol, lastCol), max(endRow, lastRow))
	if err != nil {
		return tag
	}
	return setAttr(tag, "ref", startRef+":"+newEnd)
}

// flushRows writes the added rows that come before row n and were not in
// the sheet.
func (rw *sheetRewriter) flushRows(before int) {
	for len(rw.pending) > 0 && rw.pending[0] < before {
		line := rw.pending[0]
		rw.pending = rw.pending[1:]
		rw.write(rw.rowHeight(line, []byte(fmt.Sprintf(`%s r="%d">`, rw.el("row"), line))))
		rw.writeCells(line, nil)
		rw.write([]byte("</" + rw.prefix + "row>"))
	}
}

// cell is one existing <c> of a row, whole.
type cell struct {
	col int
	raw []byte
}

// row copies a row, or rebuilds it when it has edits: old result cells out,
// highlights in, new cells merged in column order.
func (rw *sheetRewriter) row(kind tagKind, start []byte) error {
	line := rw.lastRow + 1
	if r, ok := attr(start, "r"); ok {
		if n, err := strconv.Atoi(r); err == nil {
			line = n
		}
	}
	rw.lastRow = line
	rw.flushRows(line)
	_, edited := rw.e.cells[line]
	if len(rw.pending) > 0 && rw.pending[0] == line {
		rw.pending = rw.pending[1:]
	}
	if !edited {
		rw.write(start)
		if kind == emptyTag {
			return nil
		}
		return rw.copyUntilRowEnd()
	}
	rw.write(rw.rowHeight(line, removeAttr(openTag(start), "spans")))
	var cells []cell
	var tail [][]byte // anything else in the row (extLst)
	col := 0
	if kind == startTag {
		for {
			piece, isTag, err := rw.sc.next()
			if err != nil {
				return fmt.Errorf("worksheet XML: row %d: %w", line, err)
			}
			if !isTag {
				continue // white space between cells
			}
			k, name := parseTag(piece)
			if k == endTag && name == "row" {
				break
			}
			if name != "c" {
				tail = append(tail, append([]byte(nil), piece...))
				continue
			}
			raw := append([]byte(nil), piece...)
			col++
			if r, ok := attr(piece, "r"); ok {
				if c, _, ok := cellRef(r); ok {
					col = c
				}
			}
			if k == startTag {
				for {
					p, _, err := rw.sc.next()
					if err != nil {
						return fmt.Errorf("worksheet XML: row %d: %w", line, err)
					}
					raw = append(raw, p...)
					if k2, n2 := parseTag(p); k2 == endTag && n2 == "c" {
						break
					}
				}
			}
			cells = append(cells, cell{col: col, raw: raw})
		}
	}
	rw.writeCells(line, cells)
	for _, t := range tail {
		rw.write(t)
	}
	rw.write([]byte("</" + rw.prefix + "row>"))
	return nil
}

// rowHeight makes a row tall enough for its wrapped message, unless the
// sheet has it taller already.
func (rw *sheetRewriter) rowHeight(line int, tag []byte) []byte {
	h := rw.e.heights[line]
	if h == 0 {
		return tag
	}
	if old, ok := attr(tag, "ht"); ok {
		if v, err := strconv.ParseFloat(old, 64); err == nil && v >= h {
			return tag
		}
	}
	return setAttr(setAttr(tag, "ht", strconv.FormatFloat(h, 'f', -1, 64)), "customHeight", "1")
}

func (rw *sheetRewriter) copyUntilRowEnd() error {
	for {
		piece, isTag, err := rw.sc.next()
		if err != nil {
			return fmt.Errorf("worksheet XML: row %d: %w", rw.lastRow, err)
		}
		rw.write(piece)
		if isTag {
			if k, name := parseTag(piece); k == endTag && name == "row" {
				return nil
			}
		}
	}
}

// writeCells writes a row's old cells (edited) and new cells, by column. An
// offending cell that is blank, and so absent from the XML, is added empty
// with the highlight, so the user sees where the missing value goes.
func (rw *sheetRewriter) writeCells(line int, old []cell) {
	add := rw.e.cells[line]
	hl := rw.e.highlight[line]
	if len(hl) > 0 {
		have := map[int]bool{}
		for _, c := range old {
			have[c.col] = true
		}
		for col := range hl {
			if !have[col] && !rw.e.replace[col] {
				add = append(add, newCell{col: col, style: rw.e.blank})
			}
		}
		add = sortCells(append([]newCell(nil), add...))
	}
	i := 0
	for _, c := range old {
		if rw.e.replace[c.col] {
			continue
		}
		for i < len(add) && add[i].col < c.col {
			rw.writeNew(line, add[i])
			i++
		}
		raw := c.raw
		if hl[c.col] {
			s := 0
			if v, ok := attr(raw, "s"); ok {
				s, _ = strconv.Atoi(v)
			}
			tagEnd := bytes.IndexByte(raw, '>') + 1
			tag := setAttr(raw[:tagEnd], "s", strconv.Itoa(rw.e.twin(s)))
			raw = append(tag, raw[tagEnd:]...)
		}
		rw.write(raw)
	}
	for ; i < len(add); i++ {
		rw.writeNew(line, add[i])
	}
}

// writeNew writes an inline-string cell: text, never a formula, and no
// change to the shared strings.
func (rw *sheetRewriter) writeNew(line int, c newCell) {
	ref, _ := excelize.CoordinatesToCellName(c.col, line)
	var b bytes.Buffer
	fmt.Fprintf(&b, `%s r="%s" s="%d"`, rw.el("c"), ref, c.style)
	if c.text == "" {
		b.WriteString("/>")
		rw.write(b.Bytes())
		return
	}
	if c.num {
		fmt.Fprintf(&b, ">%s>%s</%sv></%sc>", rw.el("v"), c.text, rw.prefix, rw.prefix)
		rw.write(b.Bytes())
		return
	}
	fmt.Fprintf(&b, ` t="inlineStr">%s>%s xml:space="preserve">`, rw.el("is"), rw.el("t"))
	_ = xml.EscapeText(&b, []byte(c.text))
	fmt.Fprintf(&b, "</%st></%sis></%sc>", rw.prefix, rw.prefix, rw.prefix)
	rw.write(b.Bytes())
}
