package ingest

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// maxRun bounds one piece of a part's XML (a run of text, a tag, a comment):
// encoding/xml holds a whole piece in memory, and a cell's text is at most
// 32,767 characters (under 200 KiB even fully escaped), so a longer piece
// is an attack on memory, not a sheet.
const maxRun = 1 << 20

// maxCellChars is Excel's own limit on the text of one cell.
const maxCellChars = 32767

var errRunTooLong = errors.New("a piece of text or a tag over 1 MiB: a cell holds at most 32,767 characters")

// partDecoder reads one part of the archive as XML, strictly: it must parse
// to its end without error (excelize stops silently at the first error and
// returns the rows before it), with no DTD and so no entities but XML's own.
type partDecoder struct {
	*xml.Decoder
	name string
	rc   io.ReadCloser
}

func (a *archive) decoder(name string) (*partDecoder, error) {
	rc, err := a.open(name)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bufio.NewReaderSize(&runGuard{r: rc}, 64<<10))
	d.Strict = true
	// Excel writes UTF-8; other generators sometimes declare it in another
	// spelling, or a Latin-1 encoding. Anything else is refused rather
	// than guessed.
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(strings.ReplaceAll(label, "_", "-")) {
		case "utf8", "ascii", "us-ascii":
			return in, nil
		case "iso-8859-1", "latin1", "latin-1":
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		case "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("the part is in %q; only UTF-8 (and Latin-1) is read", label)
	}
	return &partDecoder{Decoder: d, name: name, rc: rc}, nil
}

// next returns the next token, or io.EOF at the end of a well-formed part.
func (d *partDecoder) next() (xml.Token, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	if dir, ok := tok.(xml.Directive); ok {
		return nil, fmt.Errorf("a <!%.20s…> declaration (DTDs and entity declarations are not allowed in a workbook)", dir)
	}
	return tok, nil
}

func (d *partDecoder) Close() error { return d.rc.Close() }

// fail wraps a parse error with the part's name and, where known, the row.
func (d *partDecoder) fail(err error, row int) error {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTooLarge) {
		return err // already says what is wrong
	}
	where := d.name
	if row > 0 {
		where = fmt.Sprintf("%s, row %d", d.name, row)
	}
	var syntax *xml.SyntaxError
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &syntax) && syntax.Msg == "unexpected EOF" {
		return fmt.Errorf("%w: %s: the XML ends too early (cut short)", ErrCorrupt, where)
	}
	if errors.As(err, &syntax) {
		err = errors.New("the XML is damaged: " + syntax.Msg)
	}
	return fmt.Errorf("%w: %s: %v; open it in Excel and save it again", ErrCorrupt, where, err)
}

// each reads a whole part, calling f for every token; a part that is not
// well-formed XML to its very end is an error.
func (a *archive) each(name string, f func(tok xml.Token) error) error {
	d, err := a.decoder(name)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		tok, err := d.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return d.fail(err, 0)
		}
		if err := f(tok); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

// runGuard fails a stream with a piece of XML (text, tag, comment, CDATA,
// processing instruction) longer than maxRun, before the decoder has to
// hold it.
type runGuard struct {
	r     io.Reader
	state guardState
	quote byte
	run   int
	tail  [2]byte // the two bytes before, for "-->", "]]>" and "?>"
}

type guardState int

const (
	inText guardState = iota
	inTag
	inMarkup // "<!" or "<?": a comment, CDATA, a declaration or a PI
)

func (g *runGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	for _, c := range p[:n] {
		g.run++
		switch g.state {
		case inText:
			if c == '<' {
				g.state, g.run = inTag, 0
			}
		case inTag:
			switch {
			case g.run == 1 && (c == '!' || c == '?'):
				g.state = inMarkup
			case g.quote != 0:
				if c == g.quote {
					g.quote = 0
				}
			case c == '"' || c == '\'':
				g.quote = c
			case c == '>':
				g.state, g.run = inText, 0
			}
		case inMarkup:
			// Comments end at "-->", CDATA at "]]>", PIs at "?>", and a
			// declaration at '>' (refused by the decoder anyway).
			if c == '>' && (g.tail[1] == '-' && g.tail[0] == '-' || g.tail[1] == ']' && g.tail[0] == ']' || g.tail[1] == '?') {
				g.state, g.run = inText, 0
			}
		}
		g.tail[0], g.tail[1] = g.tail[1], c
		if g.run > maxRun {
			return 0, errRunTooLong
		}
	}
	return n, err
}
