package ingest

import (
	"fmt"
	"io"
	"strings"
)

// csvParser splits CSV text into records. It differs from encoding/csv
// where Excel's files need it to: CR, LF and CRLF outside quotes all end a
// line (encoding/csv keeps a lone CR, merging two rows); a quote inside an
// unquoted cell is just a character; and a quoted cell must close. A quote
// still open at the end of the file, or one that runs on over lines that
// look like rows of their own (as many separators as the first line), is
// an error naming the line where it opened: with encoding/csv's lazy quotes
// a stray quote swallowed the rest of the file into one cell.
type csvParser struct {
	s       string
	i       int
	sep     byte
	line    int // the physical line at i, from 1
	rowSeps int // separators on the first line: what a row looks like
}

// record returns the next record and the line it starts on; io.EOF at the
// end.
func (p *csvParser) record() ([]string, int, error) {
	if p.i >= len(p.s) {
		return nil, 0, io.EOF
	}
	start := p.line
	var rec []string
	for {
		field, err := p.field()
		if err != nil {
			return nil, 0, err
		}
		rec = append(rec, field)
		if p.i < len(p.s) && p.s[p.i] == p.sep {
			p.i++
			continue
		}
		p.lineEnd()
		return rec, start, nil
	}
}

// field reads one cell, up to (not including) a separator or line end.
func (p *csvParser) field() (string, error) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		end := p.i
		for end < len(p.s) && p.s[end] != p.sep && p.s[end] != '\r' && p.s[end] != '\n' {
			end++
		}
		f := p.s[p.i:end]
		p.i = end
		return f, nil
	}
	opened := p.line
	p.i++
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.unclosed(opened, "the file ends")
		}
		switch c := p.s[p.i]; c {
		case '"':
			if p.i+1 < len(p.s) && p.s[p.i+1] == '"' {
				b.WriteByte('"')
				p.i += 2
				continue
			}
			p.i++
			// Text after the closing quote ("ab"c) is kept, as Excel does.
			for p.i < len(p.s) && p.s[p.i] != p.sep && p.s[p.i] != '\r' && p.s[p.i] != '\n' {
				b.WriteByte(p.s[p.i])
				p.i++
			}
			return b.String(), nil
		case '\r', '\n':
			p.lineEnd()
			b.WriteByte('\n')
			if p.looksLikeRow() {
				return "", p.unclosed(opened, fmt.Sprintf("line %d, which looks like a row of its own, would be read into the cell", p.line))
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

// lineEnd consumes one line end (CRLF, LF or CR) at i, if there is one.
func (p *csvParser) lineEnd() {
	if p.i >= len(p.s) {
		return
	}
	switch p.s[p.i] {
	case '\r':
		p.i++
		if p.i < len(p.s) && p.s[p.i] == '\n' {
			p.i++
		}
	case '\n':
		p.i++
	default:
		return
	}
	p.line++
}

// looksLikeRow: does the line at i have as many separators as a row, and
// no quote that could close the open cell?
func (p *csvParser) looksLikeRow() bool {
	if p.rowSeps < 2 {
		return false
	}
	line := p.s[p.i:]
	if j := strings.IndexAny(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	return !strings.Contains(line, `"`) && strings.Count(line, string(p.sep)) >= p.rowSeps
}

func (p *csvParser) unclosed(opened int, what string) error {
	return fmt.Errorf("%w: line %d: a quote (\") opens a cell that is never closed (%s); is there a stray \" in line %d? Remove it, or double it (\"\") to keep it",
		ErrCorrupt, opened, what, opened)
}
