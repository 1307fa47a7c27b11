package report

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
)

// xmlScanner splits an XML stream into tags and the text between them,
// without decoding: what it does not change is copied byte for byte, and
// memory stays flat however large the worksheet. Comments and CDATA are
// returned whole, so a '>' inside them does not end them.
type xmlScanner struct {
	r   *bufio.Reader
	buf []byte
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next piece and whether it is a tag. The slice is valid
// until the next call.
func (s *xmlScanner) next() ([]byte, bool, error) {
	s.buf = s.buf[:0]
	peek, err := s.r.Peek(1)
	if err != nil {
		return nil, false, err
	}
	if peek[0] != '<' {
		// Text up to the next tag, read a buffer at a time.
		for {
			chunk, err := s.r.ReadSlice('<')
			switch {
			case err == nil:
				s.buf = append(s.buf, chunk[:len(chunk)-1]...)
				_ = s.r.UnreadByte()
				return s.buf, false, nil
			case errors.Is(err, bufio.ErrBufferFull):
				s.buf = append(s.buf, chunk...)
			case errors.Is(err, io.EOF):
				s.buf = append(s.buf, chunk...)
				return s.buf, false, nil
			default:
				return nil, false, err
			}
		}
	}
	if head, _ := s.r.Peek(9); bytes.HasPrefix(head, []byte("<!--")) {
		return s.until([]byte("-->"))
	} else if bytes.HasPrefix(head, []byte("<![CDATA[")) {
		return s.until([]byte("]]>"))
	}
	// A tag ends at the first '>' outside quotes.
	for {
		chunk, err := s.r.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, false, io.ErrUnexpectedEOF
		}
		s.buf = append(s.buf, chunk...)
		if err == nil && balancedQuotes(s.buf) {
			return s.buf, true, nil
		}
	}
}

// balancedQuotes reports whether a tag so far has no quote left open.
func balancedQuotes(tag []byte) bool {
	var quote byte
	for _, b := range tag {
		switch {
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			quote = b
		}
	}
	return quote == 0
}

func (s *xmlScanner) until(end []byte) ([]byte, bool, error) {
	for len(s.buf) <= len(end) || !bytes.HasSuffix(s.buf, end) {
		b, err := s.r.ReadByte()
		if err != nil {
			return nil, false, io.ErrUnexpectedEOF
		}
		s.buf = append(s.buf, b)
	}
	return s.buf, true, nil
}

// tagKind tells a start tag, an end tag and a self-closing tag apart.
type tagKind int

const (
	startTag tagKind = iota
	endTag
	emptyTag
	otherTag // <?xml?>, comments, CDATA
)

// parseTag returns a tag's kind and its local name (without a prefix).
func parseTag(tag []byte) (tagKind, string) {
	if len(tag) < 3 || tag[1] == '?' || tag[1] == '!' {
		return otherTag, ""
	}
	kind, i := startTag, 1
	if tag[1] == '/' {
		kind, i = endTag, 2
	} else if bytes.HasSuffix(tag, []byte("/>")) {
		kind = emptyTag
	}
	j := i
	for j < len(tag) && !isSpace(tag[j]) && tag[j] != '/' && tag[j] != '>' {
		j++
	}
	name := tag[i:j]
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return kind, string(name)
}

// tagPrefix returns "x:" for <x:worksheet ...>, "" for <worksheet ...>.
func tagPrefix(tag []byte) string {
	j := 1
	for j < len(tag) && !isSpace(tag[j]) && tag[j] != '/' && tag[j] != '>' {
		j++
	}
	if k := bytes.IndexByte(tag[1:j], ':'); k >= 0 {
		return string(tag[1 : k+2])
	}
	return ""
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func compileAttrRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `\s*=\s*("[^"]*"|'[^']*')`)
}

// attrREs holds the attributes the rewriter reads; read-only after init.
var attrREs = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, n := range []string{"r", "s", "ref", "spans", "min", "max"} {
		m[n] = compileAttrRE(n)
	}
	return m
}()

func attrRE(name string) *regexp.Regexp {
	if re, ok := attrREs[name]; ok {
		return re
	}
	return compileAttrRE(name)
}

// attr returns an attribute's value.
func attr(tag []byte, name string) (string, bool) {
	m := attrRE(name).FindSubmatch(tag)
	if m == nil {
		return "", false
	}
	return string(m[1][1 : len(m[1])-1]), true
}

// setAttr returns the tag with the attribute set (added if missing).
func setAttr(tag []byte, name, value string) []byte {
	re := attrRE(name)
	repl := []byte(" " + name + `="` + value + `"`)
	if re.Match(tag) {
		return re.ReplaceAllLiteral(tag, repl)
	}
	end := len(tag) - 1
	if bytes.HasSuffix(tag, []byte("/>")) {
		end--
	}
	out := make([]byte, 0, len(tag)+len(repl))
	out = append(out, tag[:end]...)
	out = append(out, repl...)
	return append(out, tag[end:]...)
}

func removeAttr(tag []byte, name string) []byte {
	return attrRE(name).ReplaceAllLiteral(tag, nil)
}

// openTag turns <x .../> into <x ...>.
func openTag(tag []byte) []byte {
	if !bytes.HasSuffix(tag, []byte("/>")) {
		return tag
	}
	out := append([]byte(nil), bytes.TrimRight(tag[:len(tag)-2], " ")...)
	return append(out, '>')
}

// cellRef splits "AB12" into column 28 and row 12.
func cellRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		i++
	}
	if i == 0 || i == len(ref) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	return col, row, err == nil
}
