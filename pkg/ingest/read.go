package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
// The file is read once, whole, into Sheet.Data: everything after (the
// plan's hash, the results copy) works from those bytes, never from the
// path again, so a sheet edited or deleted mid-run cannot change what the
// results say was read. Errors name the file. Ending ctx stops the read
// (a file on a slow share, a sheet of a million rows) with ctx's error.
func Read(ctx context.Context, path string, opt Options) (*Sheet, error) {
	limit := opt.UnzipLimit
	if limit <= 0 {
		limit = DefaultUnzipLimit
	}
	s, err := read(ctx, path, opt.Sheet, limit)
	if errors.Is(err, fs.ErrNotExist) {
		dir, _ := filepath.Abs(filepath.Dir(path))
		return nil, &NoFileError{Name: filepath.Base(path), Dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func read(ctx context.Context, path, sheet string, limit int64) (*Sheet, error) {
	var parse func(data []byte) (*Sheet, error)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		parse = func(data []byte) (*Sheet, error) { return readXLSX(ctx, data, sheet, limit) }
	case ".csv", ".txt", ".tsv":
		parse = func(data []byte) (*Sheet, error) { return readCSV(ctx, data) }
	default:
		return nil, fmt.Errorf("%w: use an .xlsx workbook or a .csv file", ErrUnsupported)
	}
	data, err := readFile(ctx, path, limit)
	if err != nil {
		return nil, err
	}
	s, err := parse(data)
	if err != nil {
		return nil, err
	}
	s.Path, s.Data = path, data
	sum := sha256.Sum256(data)
	s.SHA256 = hex.EncodeToString(sum[:])
	return s, nil
}

// readFile reads a whole file, refusing one larger than limit.
func readFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (%d MiB)", ErrTooLarge, limit>>20)
	}
	return data, nil
}

// ctxReader stops a read once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// NoFileError: there is no sheet at the path given, said as a person would
// look for it: the name, in a folder.
type NoFileError struct{ Name, Dir string }

func (e *NoFileError) Error() string {
	return fmt.Sprintf("there is no file %s in %s; check the name and the folder", e.Name, e.Dir)
}

func (e *NoFileError) Unwrap() error { return fs.ErrNotExist }
