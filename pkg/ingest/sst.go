package ingest

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on the shared strings table, which is held in memory: a monthly
// order sheet of 100,000 rows has about 12 MiB of it.
const (
	maxSharedText    = 128 << 20
	maxSharedStrings = 8 << 20
)

// sharedStrings is the workbook's table of strings, packed into one
// buffer. A string longer than Excel allows is kept as its length only, so
// a cell using it is refused by name while one that does not is no harm.
type sharedStrings struct {
	text    []byte
	ends    []uint32
	tooLong map[int]int // index -> characters
}

func (s *sharedStrings) get(i int) (string, int, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", 0, false
	}
	if n, ok := s.tooLong[i]; ok {
		return "", n, true
	}
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return string(s.text[start:s.ends[i]]), 0, true
}

func (a *archive) readSharedStrings(part string) (*sharedStrings, error) {
	s := &sharedStrings{tooLong: map[int]int{}}
	if part == "" {
		return s, nil
	}
	var (
		stack []string
		cur   strings.Builder
		chars int
		inSI  bool
	)
	err := a.each(part, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if t.Name.Local == "si" {
				inSI, chars = true, 0
				cur.Reset()
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if t.Name.Local != "si" {
				return nil
			}
			inSI = false
			if len(s.ends) >= maxSharedStrings {
				return fmt.Errorf("%w: more than %d shared strings; an order sheet has far fewer", ErrTooLarge, maxSharedStrings)
			}
			if chars > maxCellChars {
				s.tooLong[len(s.ends)] = chars
			} else {
				s.text = append(s.text, unescapeX(cur.String())...)
				if len(s.text) > maxSharedText {
					return fmt.Errorf("%w: its shared strings hold more than %d MiB of text; an order sheet has far less", ErrTooLarge, maxSharedText>>20)
				}
			}
			s.ends = append(s.ends, uint32(len(s.text)))
		case xml.CharData:
			// The text of <si><t> and of rich-text runs <si><r><t>; not
			// phonetic hints (<rPh><t>).
			n := len(stack)
			if !inSI || n < 2 || stack[n-1] != "t" || (stack[n-2] != "si" && stack[n-2] != "r") {
				return nil
			}
			chars += utf8.RuneCount(t)
			if chars <= maxCellChars {
				cur.Write(t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// unescapeX undoes OOXML's escapes of characters XML cannot hold:
// "_x000D_" is a carriage return, "_x005F_" an underscore.
func unescapeX(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(v))
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
