package main

import (
	"fmt"
	"strings"
	"unicode"
)

// printable shows s safely on a terminal: control characters (ESC, BEL, a
// newline that would forge a line of the summary), DEL and the Unicode
// marks that reorder text are shown escaped, as Go writes them ("\x1b",
// "\n", "\u202e"), so no cell or file name can drive the terminal or
// pass itself off as the tool's own output.
func printable(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !unsafeRune(r) {
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// printableLines is printable for a message of several lines joined by
// "\n  " (the tool's own layout of a list in an error): each line is
// escaped, the layout kept.
func printableLines(s string) string {
	lines := strings.Split(s, "\n  ")
	for i, l := range lines {
		lines[i] = printable(l)
	}
	return strings.Join(lines, "\n  ")
}
