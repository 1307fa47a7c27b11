package ingest

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Options tune Read.
type Options struct {
	// Sheet is the worksheet to read; default Orders, else the first.
	Sheet string
	// UnzipLimit caps what an XLSX may unpack to; default DefaultUnzipLimit.
	UnzipLimit int64
}

// Read reads an order sheet, choosing the reader by the file's extension.
// Errors name the file.
func Read(path string, opt Options) (*Sheet, error) {
	limit := opt.UnzipLimit
	if limit <= 0 {
		limit = DefaultUnzipLimit
	}
	var (
		s   *Sheet
		err error
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		s, err = readXLSX(path, opt.Sheet, limit)
	case ".csv", ".txt", ".tsv":
		s, err = readCSV(path)
	default:
		err = fmt.Errorf("%w: use an .xlsx workbook or a .csv file", ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
