package ingest

import (
	"encoding/xml"
	"fmt"
	"path"
	"strings"
)

// workbookInfo is what reading a sheet needs of the workbook: its sheets
// and where they are, the shared strings part, and the date system.
type workbookInfo struct {
	sheets   []sheetRef
	strings  string // part name of the shared strings, "" if none
	styles   string // part name of the styles, "" if none
	date1904 bool
}

type sheetRef struct {
	name, part string
	worksheet  bool // a chart sheet or dialog sheet has no cells to read
}

// relationship is one entry of a .rels part. Types are matched by their
// last segment, so Strict Open XML's purl.oclc.org types read like the
// transitional ones.
type relationship struct {
	id, kind, target string
	external         bool
}

// readRels reads the relationships of a part (its _rels/NAME.rels).
func (a *archive) readRels(of string) (map[string]relationship, error) {
	dir, file := path.Split(of)
	name := dir + "_rels/" + file + ".rels"
	rels := map[string]relationship{}
	if !a.has(name) {
		return rels, nil
	}
	err := a.each(name, func(tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			return nil
		}
		r := relationship{}
		for _, at := range se.Attr {
			switch at.Name.Local {
			case "Id":
				r.id = at.Value
			case "Type":
				r.kind = at.Value[strings.LastIndexByte(at.Value, '/')+1:]
			case "Target":
				r.target = at.Value
			case "TargetMode":
				r.external = strings.EqualFold(at.Value, "External")
			}
		}
		if !r.external {
			r.target = resolve(dir, r.target)
		}
		rels[r.id] = r
		return nil
	})
	return rels, err
}

// resolve turns a relationship's target into a part name.
func resolve(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+dir+target), "/")
}

// readWorkbook finds the workbook part through the package relationships
// (xl/workbook.xml, in every workbook Excel writes) and reads its sheets.
func (a *archive) readWorkbook() (*workbookInfo, error) {
	pkg, err := a.readRels("")
	if err != nil {
		return nil, err
	}
	part := ""
	for _, r := range pkg {
		if r.kind == "officeDocument" && !r.external {
			part = r.target
		}
	}
	if part == "" {
		part = "xl/workbook.xml"
	}
	// Another Office file renamed .xlsx: say what it is.
	for prefix, what := range map[string]string{"word/": "a Word document", "ppt/": "a PowerPoint presentation"} {
		if strings.HasPrefix(strings.ToLower(part), prefix) || a.has(prefix+"document.xml") || a.has(prefix+"presentation.xml") {
			return nil, fmt.Errorf("%w: this is %s, not an Excel workbook; open the order sheet itself (an .xlsx saved from Excel)", ErrUnsupported, what)
		}
	}
	if !a.has(part) {
		return nil, fmt.Errorf("%w: a zip archive, but not an Excel workbook (no %s)", ErrUnsupported, part)
	}
	rels, err := a.readRels(part)
	if err != nil {
		return nil, err
	}
	wb := &workbookInfo{}
	for _, r := range rels {
		if r.kind == "sharedStrings" && !r.external {
			wb.strings = r.target
		}
		if r.kind == "styles" && !r.external {
			wb.styles = r.target
		}
	}
	err = a.each(part, func(tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch se.Name.Local {
		case "workbookPr":
			for _, at := range se.Attr {
				if at.Name.Local == "date1904" {
					wb.date1904 = at.Value == "1" || strings.EqualFold(at.Value, "true")
				}
			}
		case "sheet":
			var name, id string
			for _, at := range se.Attr {
				switch {
				case at.Name.Local == "name":
					name = at.Value
				case at.Name.Local == "id" && strings.HasSuffix(at.Name.Space, "relationships"):
					id = at.Value
				}
			}
			r, ok := rels[id]
			if !ok || r.external {
				return fmt.Errorf("%w: sheet %q has no part in the workbook", ErrCorrupt, name)
			}
			wb.sheets = append(wb.sheets, sheetRef{name: name, part: r.target, worksheet: r.kind == "worksheet"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wb, nil
}
