package ingest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"

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

// sniffXLSX tells a workbook from a password-protected workbook, an old
// binary .xls and anything else, from the first bytes.
func sniffXLSX(data []byte) error {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return nil
	case bytes.HasPrefix(data, cfbMagic):
		if bytes.Contains(data[:min(len(data), 64<<20)], encryptedPackage) {
			return fmt.Errorf("%w: remove the password in Excel (File > Info > Protect Workbook) and save again", ErrEncrypted)
		}
		return fmt.Errorf("%w: this is an old Excel 97-2003 .xls file; save it as .xlsx", ErrUnsupported)
	}
	return fmt.Errorf("%w: the file is not an XLSX workbook", ErrUnsupported)
}

// readXLSX reads one worksheet, strictly, with a reader of our own:
// excelize stops at the first damaged byte of a sheet and returns the rows
// before it as if they were all, so every part read here (relationships,
// workbook, shared strings, the sheet) must parse to its end, and every
// other part must unpack to its end, or the workbook is refused.
func readXLSX(ctx context.Context, data []byte, sheet string, limit int64) (*Sheet, error) {
	if err := sniffXLSX(data); err != nil {
		return nil, err
	}
	a, err := openArchive(data, limit)
	if err != nil {
		return nil, err
	}
	wb, err := a.readWorkbook()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	name, err := pickSheet(names, sheet)
	if err != nil {
		return nil, err
	}
	ref := wb.sheets[slices.Index(names, name)]
	if !ref.worksheet {
		return nil, fmt.Errorf("%w: sheet %s is a chart or dialog sheet, not a sheet of cells; choose another with --sheet", ErrUnsupported, name)
	}
	// The reader takes no style, but the results copy carries the styles
	// over: a damaged styles part is refused now, not after buying. (A
	// missing or empty one is fine: the copy gets plain styles.)
	if wb.styles != "" && a.has(wb.styles) && a.parts[strings.ToLower(wb.styles)].UncompressedSize64 > 0 {
		if err := a.each(wb.styles, func(xml.Token) error { return nil }); err != nil {
			return nil, err
		}
	}
	ss, err := a.readSharedStrings(wb.strings)
	if err != nil {
		return nil, err
	}
	s := &Sheet{Format: XLSX, Name: name}
	b := newBuilder(ctx, s, func(fd order.Field, v string) string {
		if fd == order.CustomTermEndDate {
			return dateFromSerial(v, wb.date1904)
		}
		return v
	})
	if err := a.readSheet(ref, ss, b.add); err != nil {
		return nil, err
	}
	if err := a.checkRest(); err != nil {
		return nil, err
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
	return excelTime(serial, date1904).Format("2006-01-02")
}
