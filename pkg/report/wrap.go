package report

import (
	"strings"
	"unicode/utf8"
)

// A wrapped cell shows all its text only in a row tall enough for it, and
// neither Excel nor LibreOffice makes a row taller for a cell written into
// a sheet (they fit rows when a person edits them): the row's height is
// set when the cell is written, from how many lines the text needs.

// lineHeight is the height in points of a line of the default 11-point
// font, Excel's default row height.
const lineHeight = 15

// mostLines caps a row's height: the whole text is in the cell (and every
// problem on the Problems sheet) however tall the row.
const mostLines = 10

// charsPerWidth is how many characters of ordinary text fit in a column
// one width unit wide (a unit is a digit's width; letters are narrower,
// word wrapping loses some), as LibreOffice and Excel render the samples.
const charsPerWidth = 1.05

// wrappedHeight is the row height that shows text wrapped in a column of
// width, or 0 when one line does: the row keeps its own height then.
func wrappedHeight(text string, width float64) float64 {
	perLine := max(1, int(width*charsPerWidth))
	lines := 0
	for l := range strings.SplitSeq(text, "\n") {
		lines += max(1, (utf8.RuneCountInString(l)+perLine-1)/perLine)
	}
	if lines <= 1 {
		return 0
	}
	return lineHeight * float64(min(lines, mostLines))
}
