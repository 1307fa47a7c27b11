package report

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

// maxStyleTwins bounds how many of the user's cell styles get a highlighted
// twin; cells with a style past it are highlighted without their format.
const maxStyleTwins = 2000

// copyWorkbook writes a copy of the user's workbook with the results added.
// excelize adds the styles and the Summary sheet but never loads the orders
// sheet (that would hold the whole sheet in memory and re-encode it); the
// orders sheet is then rewritten as a stream while the archive is copied.
func copyWorkbook(ctx context.Context, run *Run, out string) error {
	f, err := excelize.OpenFile(run.Input, excelize.Options{UnzipSizeLimit: UnzipLimit, UnzipXMLSizeLimit: min(UnzipLimit, 16<<20)})
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
	stage, err := os.CreateTemp(filepath.Dir(out), ".importer-*.stage.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(stage.Name())
	defer stage.Close()
	if _, err := f.WriteTo(stage); err != nil {
		return err
	}
	edits := buildEdits(run, st, func(s int) int {
		if t, ok := twins[s]; ok {
			return t
		}
		return st.bad
	})
	return writeAtomic(out, func(w io.Writer) error { return rewriteArchive(ctx, stage, w, run.Sheet, edits) })
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
	}
	for i, w := range []float64{10, 60, 40, 38, 38, 38} {
		e.widths[rcols[i]] = w
		e.replace[rcols[i]] = true
	}
	head := make([]newCell, len(order.ResultColumns))
	for i, name := range order.ResultColumns {
		head[i] = newCell{col: rcols[i], style: st.header, text: name}
	}
	e.cells[run.HeaderLine] = sortCells(head)
	for i := range run.Rows {
		r, o := &run.Rows[i], &run.Outcomes[i]
		failed := o.Failed()
		var cells []newCell
		for j, v := range resultValues(o) {
			style := st.message
			switch {
			case j == 0:
				style = st.status(failed)
			case j == 1 && failed:
				style = st.badMessage
			}
			if v != "" || j == 0 {
				cells = append(cells, newCell{col: rcols[j], style: style, text: v})
			}
		}
		e.cells[r.Line] = sortCells(cells)
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
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].col < c[j-1].col; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	return c
}

// rewriteArchive copies every entry of the staged workbook unchanged (raw,
// without recompressing) except the orders sheet, which it rewrites.
func rewriteArchive(ctx context.Context, stage *os.File, w io.Writer, sheet string, e *sheetEdits) error {
	info, err := stage.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(stage, info.Size())
	if err != nil {
		return err
	}
	target, err := sheetPart(zr, sheet)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	found := false
	for _, entry := range zr.File {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if entry.Name != target {
			if err := zw.Copy(entry); err != nil {
				return err
			}
			continue
		}
		found = true
		rc, err := entry.Open()
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: entry.Name, Method: zip.Deflate, Modified: entry.Modified}
		dst, err := zw.CreateHeader(hdr)
		if err == nil {
			err = rewriteSheet(dst, rc, e)
		}
		rc.Close()
		if err != nil {
			return fmt.Errorf("sheet %s: %w", sheet, err)
		}
	}
	if !found {
		return fmt.Errorf("sheet %s: part %s is missing", sheet, target)
	}
	return zw.Close()
}

// sheetPart finds the archive path of a worksheet through workbook.xml and
// its relationships.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
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
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == s.RID {
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
