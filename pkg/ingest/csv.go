package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/cspimporter/importer/pkg/order"
)

// readCSV reads a CSV file as Excel writes it: UTF-8 with or without a
// BOM, UTF-16 (with a BOM, or detected), or Windows-1252; ',' ';' or tab
// separated, optionally announced by a "sep=;" first line. Quotes are read
// strictly (see csvParser): a stray quote is an error naming its line, not
// a cell that swallows the rest of the file.
func readCSV(ctx context.Context, data []byte) (*Sheet, error) {
	// An Excel file renamed .csv: say so, not "headers found: PK…".
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return nil, fmt.Errorf("%w: this is an Excel workbook with a .csv name; rename it to .xlsx", ErrUnsupported)
	case bytes.HasPrefix(data, cfbMagic):
		return nil, fmt.Errorf("%w: this is an old Excel .xls workbook (or a password-protected one) with a .csv name; open it in Excel and save it as .xlsx", ErrUnsupported)
	}
	enc := sniffEncoding(data)
	text, err := decode(data, enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	s := &Sheet{Format: CSV, Encoding: enc}
	sep, skip := sniffSeparator(text)
	s.Separator = rune(sep)
	p := &csvParser{s: text[skip:], sep: sep, line: 1, rowSeps: countOutsideQuotes(firstLine(text[skip:]), sep)}
	offset := 0
	if skip > 0 {
		offset = 1
	}
	b := newBuilder(ctx, s, func(_ order.Field, v string) string { return v })
	for {
		rec, line, err := p.record()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line += offset
		probs := cellProblems(rec, enc == encUTF8Bad)
		added := len(s.Rows)
		if err := b.add(line, rec); err != nil {
			return nil, err
		}
		if len(s.Rows) > added && len(probs) > 0 {
			b.annotate(&s.Rows[added], probs)
		}
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// cellProblem is something wrong with one cell as read: bytes that are
// not UTF-8 (replaced by U+FFFD), or more characters than Excel can hold.
type cellProblem struct {
	col   int
	bad   bool
	chars int
}

// cellProblems checks (and mends) a record's cells.
func cellProblems(rec []string, checkUTF8 bool) []cellProblem {
	var out []cellProblem
	for i, v := range rec {
		p := cellProblem{col: i}
		if checkUTF8 && !utf8.ValidString(v) {
			rec[i] = strings.ToValidUTF8(v, "\uFFFD")
			p.bad = true
		}
		if n := utf8.RuneCountInString(rec[i]); n > maxCellChars {
			p.chars = n
		}
		if p.bad || p.chars > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Encodings readCSV recognises.
const (
	encUTF8    = "UTF-8"
	encUTF8BOM = "UTF-8 (BOM)"
	encUTF8Bad = "UTF-8 (with bytes that are not UTF-8)"
	encUTF16LE = "UTF-16LE"
	encUTF16BE = "UTF-16BE"
	encCP1252  = "Windows-1252"
)

// sniffEncoding looks at the BOM, then at the pattern of zero bytes (UTF-16
// without a BOM), then at the bytes as UTF-8: valid throughout, it is
// UTF-8; valid in its multi-byte characters but for a few stray bytes, it
// is still UTF-8 (with the stray bytes marked, not the whole file decoded
// as Windows-1252, which turns "Müller" into "MÃ¼ller"); otherwise it is
// Windows-1252, which is what Excel's "CSV" writes on a western-European
// Windows.
func sniffEncoding(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		if utf8.Valid(data) {
			return encUTF8BOM
		}
		return encUTF8Bad
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return encUTF16LE
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return encUTF16BE
	}
	if head := data[:min(len(data), 4096)]; len(head) >= 4 {
		var even, odd int
		for i, c := range head {
			if c == 0 {
				if i%2 == 0 {
					even++
				} else {
					odd++
				}
			}
		}
		half := len(head) / 2
		switch {
		case odd > half*3/4:
			return encUTF16LE
		case even > half*3/4:
			return encUTF16BE
		}
	}
	if utf8.Valid(data) {
		return encUTF8
	}
	multi, bad := 0, 0
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			bad++
		case n > 1:
			multi++
		}
		i += n
	}
	if multi > 0 && multi >= bad {
		return encUTF8Bad
	}
	return encCP1252
}

// decode turns the file into UTF-8 text (bad bytes of a UTF-8 file are
// kept for cellProblems to find and name).
func decode(data []byte, enc string) (string, error) {
	var d *encoding.Decoder
	switch enc {
	case encUTF8BOM:
		return string(data[3:]), nil
	case encUTF8Bad:
		return string(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})), nil
	case encUTF16LE:
		d = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
	case encUTF16BE:
		d = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
	case encCP1252:
		d = charmap.Windows1252.NewDecoder()
	default:
		return string(data), nil
	}
	out, err := d.Bytes(data)
	return string(out), err
}

// sniffSeparator picks the separator that splits the first line into the
// most fields (quotes respected). A "sep=X" line, which Excel honours, wins
// and is skipped: skip is its length with its line end.
func sniffSeparator(text string) (sep byte, skip int) {
	first := firstLine(text)
	if len(first) == 5 && strings.EqualFold(first[:4], "sep=") {
		n := len(first)
		if strings.HasPrefix(text[n:], "\r\n") {
			n += 2
		} else if n < len(text) {
			n++
		}
		return first[4], n
	}
	best, bestN := byte(','), 0
	for _, c := range []byte{',', ';', '\t', '|'} {
		if n := countOutsideQuotes(first, c); n > bestN {
			best, bestN = c, n
		}
	}
	return best, 0
}

func firstLine(text string) string {
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		return text[:i]
	}
	return text
}

func countOutsideQuotes(line string, c byte) int {
	n, quoted := 0, false
	for i := 0; i < len(line); i++ {
		switch b := line[i]; {
		case b == '"':
			quoted = !quoted
		case b == c && !quoted:
			n++
		}
	}
	return n
}
