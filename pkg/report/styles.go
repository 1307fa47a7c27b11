package report

import (
	"github.com/xuri/excelize/v2"
)

const (
	red      = "FFC7CE"
	darkRed  = "9C0006"
	green    = "C6EFCE"
	darkGrn  = "006100"
	blueGrey = "DDEBF7"
)

func fill(color string) excelize.Fill {
	return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}
}

// styles are the workbook's styles for the cells the importer writes, plus
// highlighted variants of the user's own cell styles, made once each.
type styles struct {
	f                              *excelize.File
	header, valid, invalid         int
	message, wrap, badMessage, bad int
	title, bold                    int
	money                          int // an amount: two decimals, thousands grouped
	// On the Summary sheet: a number column's header over its numbers, and
	// a list set off from the number before it.
	headerRight, headerIndent, indent int
	highlighted                       map[int]int
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{f: f, highlighted: map[int]int{}}
	family, err := f.GetDefaultFont()
	if err != nil || family == "" {
		family = "Calibri"
	}
	for _, def := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(blueGrey)}},
		{&s.valid, excelize.Style{Font: &excelize.Font{Color: darkGrn}, Fill: fill(green)}},
		{&s.invalid, excelize.Style{Font: &excelize.Font{Color: darkRed, Bold: true}, Fill: fill(red)}},
		{&s.message, excelize.Style{}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{WrapText: true}}},
		{&s.badMessage, excelize.Style{Font: &excelize.Font{Color: darkRed}, Alignment: &excelize.Alignment{WrapText: true}}},
		{&s.bad, excelize.Style{Font: &excelize.Font{Color: darkRed}, Fill: fill(red)}},
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.headerRight, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(blueGrey), Alignment: &excelize.Alignment{Horizontal: "right"}}},
		{&s.headerIndent, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(blueGrey), Alignment: &excelize.Alignment{Indent: 1}}},
		{&s.indent, excelize.Style{Alignment: &excelize.Alignment{Indent: 1}}},
		{&s.money, excelize.Style{NumFmt: 4}}, // #,##0.00
	} {
		// A font with no name makes LibreOffice fall back to a serif: name
		// the workbook's own.
		if def.style.Font != nil && def.style.Font.Family == "" {
			def.style.Font.Family = family
		}
		id, err := f.NewStyle(&def.style)
		if err != nil {
			return nil, err
		}
		*def.dst = id
	}
	return s, nil
}

// highlight returns the user's cell style with the problem colours on top,
// keeping its number format, alignment and borders.
func (s *styles) highlight(orig int) (int, error) {
	if id, ok := s.highlighted[orig]; ok {
		return id, nil
	}
	st, err := s.f.GetStyle(orig)
	if err != nil || st == nil {
		st = &excelize.Style{}
	}
	st.Fill = fill(red)
	if st.Font == nil {
		st.Font = &excelize.Font{}
	}
	st.Font.Color = darkRed
	id, err := s.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	s.highlighted[orig] = id
	return id, nil
}

// result is the style of result column j (see order.ResultColumns).
func (s *styles) result(j int, failed bool) int {
	switch {
	case j == 0 && failed:
		return s.invalid
	case j == 0:
		return s.valid
	case j == 1 && failed:
		return s.badMessage
	case j == 1:
		return s.wrap
	}
	return s.message
}

// resultHeader is the style of a result column's header: over a number,
// it stands right, over it; Currency, beside one, is set off from it.
func (s *styles) resultHeader(name string) int {
	switch {
	case numeric(name):
		return s.headerRight
	case name == "Currency":
		return s.headerIndent
	}
	return s.header
}
