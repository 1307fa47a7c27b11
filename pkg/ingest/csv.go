package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/cspimporter/importer/pkg/order"
)

// readCSV streams a CSV file as Excel writes it: UTF-8 with or without a
// BOM, UTF-16 (with a BOM, or detected), or Windows-1252; ',' ';' or tab
// separated, optionally announced by a "sep=;" first line.
func readCSV(path string) (*Sheet, error) {
	enc, err := sniffEncoding(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	r := bufio.NewReaderSize(decoder(f, enc), 64<<10)
	s := &Sheet{Path: path, Format: CSV, Encoding: enc}
	line := 1
	sep, skipped, err := sniffSeparator(r)
	if err != nil {
		return nil, err
	}
	if skipped {
		line = 2
	}
	s.Separator = sep

	cr := csv.NewReader(r)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	b := newBuilder(s, func(_ order.Field, v string) string { return v })
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		at, _ := cr.FieldPos(0)
		if err := b.add(at+line-1, rec); err != nil {
			return nil, err
		}
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// Encodings readCSV recognises.
const (
	encUTF8    = "UTF-8"
	encUTF8BOM = "UTF-8 (BOM)"
	encUTF16LE = "UTF-16LE"
	encUTF16BE = "UTF-16BE"
	encCP1252  = "Windows-1252"
)

// sniffEncoding looks at the BOM, then at the pattern of zero bytes (UTF-16
// without a BOM), then checks that the whole file is valid UTF-8; anything
// else is taken as Windows-1252, which is what Excel's "CSV" writes on a
// western-European Windows.
func sniffEncoding(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(4096)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8BOM, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, nil
	}
	if len(head) >= 4 {
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
			return encUTF16LE, nil
		case even > half*3/4:
			return encUTF16BE, nil
		}
	}
	valid, err := validUTF8(br)
	if err != nil {
		return "", err
	}
	if valid {
		return encUTF8, nil
	}
	return encCP1252, nil
}

// validUTF8 checks a stream in chunks, carrying an incomplete rune over.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		end := n
		// Hold back a rune cut in two by the chunk boundary.
		if start := lastRuneStart(buf[:end]); start < end && !utf8.FullRune(buf[start:end]) {
			end = start
		}
		if !utf8.Valid(buf[:end]) {
			return false, nil
		}
		carry = copy(buf, buf[end:n])
		if errors.Is(err, io.EOF) {
			return carry == 0 || utf8.Valid(buf[:carry]), nil
		}
		if err != nil {
			return false, err
		}
	}
}

func lastRuneStart(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return len(b)
}

func decoder(r io.Reader, enc string) io.Reader {
	switch enc {
	case encUTF8BOM:
		return transform.NewReader(r, unicode.UTF8BOM.NewDecoder())
	case encUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case encUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	case encCP1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	}
	return r
}

// sniffSeparator picks the separator that splits the first line into the
// most fields (quotes respected). A "sep=X" line, which Excel honours, wins
// and is consumed.
func sniffSeparator(r *bufio.Reader) (sep rune, skippedLine bool, err error) {
	head, err := r.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, false, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	first := head
	if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
		first = head[:i]
	}
	if len(first) == 5 && bytes.EqualFold(first[:4], []byte("sep=")) {
		sep := rune(first[4])
		// Consume the line and its line ending.
		n := len(first)
		for n < len(head) && (head[n] == '\r' || head[n] == '\n') && n < len(first)+2 {
			n++
		}
		_, _ = r.Discard(n)
		return sep, true, nil
	}
	best, bestN := ',', 0
	for _, c := range []rune{',', ';', '\t', '|'} {
		if n := countOutsideQuotes(first, byte(c)); n > bestN {
			best, bestN = c, n
		}
	}
	return best, false, nil
}

func countOutsideQuotes(line []byte, c byte) int {
	n, quoted := 0, false
	for _, b := range line {
		switch {
		case b == '"':
			quoted = !quoted
		case b == c && !quoted:
			n++
		}
	}
	return n
}
