package report

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"strings"
)

// The results copy is always a plain workbook: a macro-enabled workbook
// or a template renamed .xlsx would otherwise keep its macro content type
// and vbaProject.bin, and its results would open as a macro workbook (or
// not at all, as .xlsx). These parts and references are left out.
var (
	macroPart  = regexp.MustCompile(`(?i)(^|/)(vbaProject\.bin|vbaProjectSignature\w*\.bin|vbaData\.xml)$`)
	macroType  = regexp.MustCompile(`<(Default|Override)\s[^>]*ContentType="application/vnd\.ms-office\.vba[^"]*"[^>]*(/>|>\s*</(Default|Override)>)`)
	macroRel   = regexp.MustCompile(`<Relationship\s[^>]*Type="[^"]*/(vbaProject|wordVbaData)"[^>]*(/>|>\s*</Relationship>)`)
	mainTypes  = regexp.MustCompile(`application/vnd\.(ms-excel\.(sheet|template)\.macroEnabled|openxmlformats-officedocument\.spreadsheetml\.template)\.main\+xml`)
	plainMain  = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	stylesRel  = regexp.MustCompile(`<Relationship\s[^>]*Type="[^"]*/styles"[^>]*>`)
	targetAttr = regexp.MustCompile(`Target="([^"]*)"`)
)

// HasMacros reports whether a workbook's bytes hold macros that the
// results copy leaves out.
func HasMacros(data []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	for _, e := range zr.File {
		if macroPart.MatchString(e.Name) {
			return true
		}
	}
	return false
}

// minimalStyles is a styles part with the one font, fill, border and cell
// format every workbook needs: what a workbook without styles (some
// generators write none, or an empty part) gets, since excelize cannot add
// styles to nothing.
const minimalStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
	`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// packageFixes are the edits the stub archive gets: macros out, and a
// styles part where there is none to speak of.
type packageFixes struct {
	stylesPart  string // the styles part to write; "" if the workbook's will do
	addStyleRel bool   // the workbook has no styles relationship
}

// planFixes looks at the input archive and decides its fixes.
func planFixes(in *zip.Reader) packageFixes {
	rels := readSmall(in, "xl/_rels/workbook.xml.rels")
	var fx packageFixes
	rel := stylesRel.FindString(rels)
	if rel == "" {
		fx.stylesPart, fx.addStyleRel = "xl/styles.xml", true
		return fx
	}
	target := "styles.xml"
	if m := targetAttr.FindStringSubmatch(rel); m != nil {
		target = m[1]
	}
	part := strings.TrimPrefix(target, "/")
	if !strings.HasPrefix(target, "/") {
		part = "xl/" + target
	}
	if strings.TrimSpace(readSmall(in, part)) == "" {
		fx.stylesPart = part
	}
	return fx
}

// fix returns an entry's new content, or keep=false to leave it out;
// unchanged entries are copied raw (changed=false).
func (fx packageFixes) fix(in *zip.Reader, e *zip.File) (body string, keep, changed bool) {
	switch {
	case macroPart.MatchString(e.Name):
		return "", false, false
	case e.Name == "[Content_Types].xml":
		s := string(transitional([]byte(readSmall(in, e.Name))))
		s = macroType.ReplaceAllString(s, "")
		s = mainTypes.ReplaceAllString(s, plainMain)
		if fx.stylesPart != "" && !strings.Contains(s, `PartName="/`+fx.stylesPart+`"`) {
			s = strings.Replace(s, "</Types>", `<Override PartName="/`+fx.stylesPart+`" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`, 1)
		}
		return s, true, true
	case e.Name == "xl/_rels/workbook.xml.rels":
		s := macroRel.ReplaceAllString(string(transitional([]byte(readSmall(in, e.Name)))), "")
		if fx.addStyleRel {
			s = strings.Replace(s, "</Relationships>", `<Relationship Id="rIdImporterStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`, 1)
		}
		return s, true, true
	case e.Name == fx.stylesPart:
		return minimalStyles, true, true
	case strings.HasSuffix(e.Name, ".xml") || strings.HasSuffix(e.Name, ".rels"):
		if b := readAll(e); bytes.Contains(b, purl) {
			return string(transitional(b)), true, true
		}
	}
	return "", true, false
}

func readAll(e *zip.File) []byte {
	rc, err := e.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// readSmall reads a small part whole ("" if it is missing).
func readSmall(in *zip.Reader, name string) string {
	f, err := in.Open(name)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 16<<20))
	return string(b)
}

// Strict Open XML (Excel's "Strict Open XML Spreadsheet") names the same
// parts with other namespaces. The results copy is written in the
// transitional ones throughout: excelize writes the parts it touches that
// way, and one package must not mix the two.
var strictNamespaces = strings.NewReplacer(
	"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
	"http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
	"http://purl.oclc.org/ooxml/officeDocument/relationships", "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
	"http://purl.oclc.org/ooxml/officeDocument/extendedProperties", "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
	"http://purl.oclc.org/ooxml/officeDocument/customProperties", "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
	"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes", "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
	"http://purl.oclc.org/ooxml/officeDocument/sharedTypes", "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
	"http://purl.oclc.org/ooxml/spreadsheetml/main", "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
	"http://purl.oclc.org/ooxml/drawingml/main", "http://schemas.openxmlformats.org/drawingml/2006/main",
	"http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing", "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
	"http://purl.oclc.org/ooxml/drawingml/chart", "http://schemas.openxmlformats.org/drawingml/2006/chart",
	` conformance="strict"`, "",
)

var purl = []byte("purl.oclc.org/ooxml")

// transitional rewrites a part (or a tag) of a Strict workbook.
func transitional(b []byte) []byte {
	if !bytes.Contains(b, purl) {
		return b
	}
	return []byte(strictNamespaces.Replace(string(b)))
}
