package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxStyleTwins bounds how many of the user's cell styles get a highlighted
// twin; cells with a style past it are highlighted without their format.
const maxStyleTwins = 2000

// copyWorkbook writes a copy of the user's workbook with the results added.
// excelize adds the styles and the Summary sheet to a copy of the archive in
// which the orders sheet is a stub, so it never holds or re-encodes the
// (possibly huge) sheet; the real orders sheet is then streamed from the
// input through rewriteSheet while the rest of the archive is copied raw.
func copyWorkbook(ctx context.Context, run *Run, out string, save saver) error {
	data := run.Data
	if data == nil {
		var err error
		if data, err = os.ReadFile(run.Input); err != nil {
			return err
		}
	}
	in, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	part, err := sheetPart(in, run.Sheet)
	if err != nil {
		return err
	}
	dir := filepath.Dir(out)
	stub, err := tempFile(dir, ".importer-*.stub.tmp")
	if err != nil {
		return err
	}
	defer stub.remove()
	if err := stubArchive(in, stub, part); err != nil {
		return err
	}

	// The stub holds no orders rows, so reading it into memory is cheap.
	if _, err := stub.Seek(0, io.SeekStart); err != nil {
		return err
	}
	f, err := excelize.OpenReader(stub, excelize.Options{UnzipSizeLimit: UnzipLimit, UnzipXMLSizeLimit: min(UnzipLimit, 16<<20)})
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	twins := map[int]int{}
	for id := 0; id < maxStyleTwins; id++ {
		if _, err := f.GetStyle(id); err != nil {
			break
		}
		if twins[id], err = st.highlight(id); err != nil {
			return err
		}
	}
	if err := writeSummarySheet(f, run, out); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if err := writeProblemsSheet(f, run, run.Sheet); err != nil {
		return fmt.Errorf("problems: %w", err)
	}
	stage, err := tempFile(dir, ".importer-*.stage.tmp")
	if err != nil {
		return err
	}
	defer stage.remove()
	if _, err := f.WriteTo(stage); err != nil {
		return err
	}
	edits := buildEdits(run, st, func(s int) int {
		if t, ok := twins[s]; ok {
			return t
		}
		return st.bad
	})
	var sheet *zip.File
	for _, e := range in.File {
		if e.Name == part {
			sheet = e
		}
	}
	return save(func(w io.Writer) error {
		return assemble(ctx, stage.File, w, part, sheet, edits)
	})
}

// stubArchive copies an archive raw, with a tiny empty worksheet in place
// of the part named sheet.
func stubArchive(in *zip.Reader, w io.Writer, sheet string) error {
	zw := zip.NewWriter(w)
	fx := planFixes(in)
	wroteStyles := false
	for _, e := range in.File {
		if e.Name != sheet {
			body, keep, changed := fx.fix(in, e)
			switch {
			case !keep:
			case !changed:
				if err := zw.Copy(e); err != nil {
					return err
				}
			default:
				wroteStyles = wroteStyles || e.Name == fx.stylesPart
				if err := writeEntry(zw, e.Name, body); err != nil {
					return err
				}
			}
			continue
		}
		dst, err := zw.Create(e.Name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(dst, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>`); err != nil {
			return err
		}
	}
	if fx.stylesPart != "" && !wroteStyles {
		if err := writeEntry(zw, fx.stylesPart, minimalStyles); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeEntry(zw *zip.Writer, name, body string) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, body)
	return err
}

// tmpFile is a temporary file that is removed when done with.
type tmpFile struct{ *os.File }

func tempFile(dir, pattern string) (*tmpFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &tmpFile{f}, nil
}

func (t *tmpFile) remove() {
	t.Close()
	os.Remove(t.Name())
}

// buildEdits lays out the result cells and highlights of every row.
func buildEdits(run *Run, st *styles, twin func(int) int) *sheetEdits {
	rcols := resultColumns(run)
	fcols := fieldColumns(run)
	e := &sheetEdits{
		headerLine: run.HeaderLine,
		cells:      map[int][]newCell{},
		highlight:  map[int]map[int]bool{},
		replace:    map[int]bool{},
		twin:       twin,
		blank:      st.bad,
		widths:     map[int]float64{},
		heights:    map[int]float64{},
	}
	for i := range rcols {
		e.widths[rcols[i]] = resultWidth(run, i)
		e.replace[rcols[i]] = true
	}
	head := make([]newCell, len(rcols))
	for i, name := range run.resultNames() {
		head[i] = newCell{col: rcols[i], style: st.resultHeader(name), text: name}
	}
	e.cells[run.HeaderLine] = sortCells(head)
	nameCol := customerNameColumn(run.Columns)
	names := run.resultNames()
	for i := range run.Rows {
		r, o := &run.Rows[i], &run.Outcomes[i]
		failed := o.Failed()
		var cells []newCell
		values := resultValues(run, i, nameCol)
		for j, v := range values {
			c := newCell{col: rcols[j], style: st.result(j, failed), text: v}
			switch {
			case numeric(names[j]):
				c.style, c.num = st.money, true
			case names[j] == "Currency":
				c.style = st.indent
			}
			if v != "" || j == 0 {
				cells = append(cells, c)
			}
		}
		e.cells[r.Line] = sortCells(cells)
		if h := wrappedHeight(values[1], resultWidth(run, 1)); h > 0 {
			e.heights[r.Line] = h
		}
		if cols := offending(o, fcols); len(cols) > 0 {
			hl := map[int]bool{}
			for _, c := range cols {
				hl[c] = true
			}
			e.highlight[r.Line] = hl
		}
	}
	return e
}

func sortCells(c []newCell) []newCell {
	sort.Slice(c, func(i, j int) bool { return c[i].col < c[j].col })
	return c
}

// assemble writes the results workbook: every entry of the staged archive
// copied raw, except the orders sheet, which is streamed from the input
// through rewriteSheet and deflated fast (it is most of the file).
func assemble(ctx context.Context, stage *os.File, w io.Writer, part string, sheet *zip.File, e *sheetEdits) error {
	info, err := stage.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(stage, info.Size())
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, entry := range zr.File {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if entry.Name != part {
			if err := zw.Copy(entry); err != nil {
				return err
			}
			continue
		}
		rc, err := sheet.Open()
		if err != nil {
			return err
		}
		dst, err := zw.CreateHeader(&zip.FileHeader{Name: entry.Name, Method: zip.Deflate, Modified: sheet.Modified})
		if err == nil {
			err = rewriteSheet(dst, rc, e)
		}
		rc.Close()
		if err != nil {
			return fmt.Errorf("orders sheet: %w", err)
		}
	}
	return zw.Close()
}

// sheetPart finds the archive path of a worksheet through workbook.xml and
// its relationships. Attributes are matched by local name, so Strict Open
// XML's namespaces read like the transitional ones.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	var wb struct {
		Sheets []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return "", err
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, s := range wb.Sheets {
		var name, rid string
		for _, a := range s.Attrs {
			switch {
			case a.Name.Local == "name" && a.Name.Space == "":
				name = a.Value
			case a.Name.Local == "id" && strings.HasSuffix(a.Name.Space, "relationships"):
				rid = a.Value
			}
		}
		if name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == rid {
				if strings.HasPrefix(r.Target, "/") {
					return strings.TrimPrefix(r.Target, "/"), nil
				}
				return path.Join("xl", r.Target), nil
			}
		}
	}
	return "", fmt.Errorf("sheet %s not found in the workbook", sheet)
}

func readXMLPart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return xml.NewDecoder(f).Decode(v)
}
