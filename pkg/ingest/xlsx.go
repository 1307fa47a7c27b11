package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

// DefaultUnzipLimit caps how much an XLSX may unpack to. A 1,000,000-row
// order sheet unpacks to about 600 MiB; a zip bomb unpacks to far more.
const DefaultUnzipLimit = 1 << 30

var (
	zipMagic = []byte("PK\x03\x04")
	cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// An encrypted OOXML workbook is a compound file with this stream name
	// (UTF-16LE).
	encryptedPackage = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")
)

// checkArchive reads every entry of the archive to its end, so a damaged
// file is refused instead of being read in part: excelize silently returns
// the rows before the damage. It also counts what the entries really unpack
// to, since the sizes a zip declares can lie.
func checkArchive(path string, limit int64) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%w: not a valid XLSX archive (%v)", ErrCorrupt, err)
	}
	defer zr.Close()
	var total int64
	hasWorkbook := false
	for _, e := range zr.File {
		if e.Name == "xl/workbook.xml" {
			hasWorkbook = true
		}
		rc, err := e.Open()
		if err != nil {
			return fmt.Errorf("%w: part %s cannot be read (%v)", ErrCorrupt, e.Name, err)
		}
		tail := &tailWriter{}
		n, err := io.Copy(tail, io.LimitReader(rc, limit-total+1))
		rc.Close()
		total += n
		if total > limit {
			return fmt.Errorf("%w (%d MiB); is it a zip bomb?", ErrTooLarge, limit>>20)
		}
		if err != nil {
			return fmt.Errorf("%w: part %s is cut short or corrupt (%v)", ErrCorrupt, e.Name, err)
		}
		if strings.HasPrefix(e.Name, "xl/worksheets/") && strings.HasSuffix(e.Name, ".xml") &&
			!bytes.HasSuffix(bytes.TrimSpace(tail.buf), []byte("</worksheet>")) {
			return fmt.Errorf("%w: worksheet %s is cut short", ErrCorrupt, e.Name)
		}
	}
	if !hasWorkbook {
		return fmt.Errorf("%w: a zip archive, but not an Excel workbook (no xl/workbook.xml)", ErrUnsupported)
	}
	return nil
}

// tailWriter keeps the last bytes written to it.
type tailWriter struct{ buf []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	const keep = 64
	t.buf = append(t.buf, p[max(0, len(p)-keep):]...)
	if len(t.buf) > keep {
		t.buf = t.buf[len(t.buf)-keep:]
	}
	return len(p), nil
}

// sniffXLSX tells a workbook from a password-protected workbook, an old
// binary .xls and anything else, from the first bytes.
func sniffXLSX(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return nil
	case bytes.HasPrefix(head, cfbMagic):
		whole, err := io.ReadAll(io.LimitReader(f, 64<<20))
		if err != nil {
			return err
		}
		if bytes.Contains(whole, encryptedPackage) {
			return fmt.Errorf("%w: remove the password in Excel (File > Info > Protect Workbook) and save again", ErrEncrypted)
		}
		return fmt.Errorf("%w: this is an old Excel 97-2003 .xls file; save it as .xlsx", ErrUnsupported)
	}
	return fmt.Errorf("%w: the file is not an XLSX workbook", ErrUnsupported)
}

// readXLSX streams one worksheet with raw cell values (formatted values are
// slow and locale-dependent), converting date serials itself.
func readXLSX(path, sheet string, limit int64) (*Sheet, error) {
	if err := sniffXLSX(path); err != nil {
		return nil, err
	}
	if err := checkArchive(path, limit); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    limit,
		UnzipXMLSizeLimit: min(limit, 16<<20),
	})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer f.Close()

	name, err := pickSheet(f.GetSheetList(), sheet)
	if err != nil {
		return nil, err
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}

	rows, err := f.Rows(name)
	if err != nil {
		return nil, fmt.Errorf("%w: sheet %s: %v", ErrCorrupt, name, err)
	}
	defer rows.Close()
	s := &Sheet{Path: path, Format: XLSX, Name: name}
	b := newBuilder(s, func(fd order.Field, v string) string {
		if fd == order.CustomTermEndDate {
			return dateFromSerial(v, date1904)
		}
		return v
	})
	line := 0
	for rows.Next() {
		line++ // Rows() yields skipped row numbers as empty rows
		cells, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("%w: sheet %s, row %d: %v", ErrCorrupt, name, line, err)
		}
		if err := b.add(line, cells); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%w: sheet %s: %v", ErrCorrupt, name, err)
	}
	if err := b.finish(); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", name, err)
	}
	return s, nil
}

// pickSheet chooses the named sheet (exact, then ignoring case), else the
// sheet named Orders, else the first.
func pickSheet(list []string, want string) (string, error) {
	if len(list) == 0 {
		return "", fmt.Errorf("%w: the workbook has no worksheets", ErrEmpty)
	}
	find := func(name string) (string, bool) {
		for _, s := range list {
			if s == name {
				return s, true
			}
		}
		for _, s := range list {
			if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(name)) {
				return s, true
			}
		}
		return "", false
	}
	if want != "" {
		if s, ok := find(want); ok {
			return s, nil
		}
		return "", fmt.Errorf("%w %q; the workbook has: %s", ErrNoSheet, want, strings.Join(list, ", "))
	}
	if s, ok := find("Orders"); ok {
		return s, nil
	}
	return list[0], nil
}

// dateFromSerial turns an Excel date serial into an ISO date; text is left
// for the validator to parse.
func dateFromSerial(v string, date1904 bool) string {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 1 || serial > 2958465 { // 9999-12-31
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, date1904)
	if err != nil {
		return v
	}
	return t.Format("2006-01-02")
}
