package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// maxEntries bounds the parts of a workbook; a real one has dozens.
const maxEntries = 10000

// archive is an XLSX's zip, checked: no two parts with one name (which part
// a reader takes would be a guess), no part outside the package, and what
// is unpacked counted against a limit, since declared sizes can lie.
type archive struct {
	zr     *zip.Reader
	parts  map[string]*zip.File // by lower-case name: OPC part names ignore case
	limit  int64
	used   int64
	opened map[string]bool
}

func openArchive(data []byte, limit int64) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a valid XLSX archive (%v)", ErrCorrupt, err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("%w: the archive has %d parts (at most %d)", ErrCorrupt, len(zr.File), maxEntries)
	}
	a := &archive{zr: zr, parts: map[string]*zip.File{}, limit: limit, opened: map[string]bool{}}
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0 {
			continue // a directory entry
		}
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") ||
			path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("%w: the archive has a part named %q, outside the workbook", ErrCorrupt, name)
		}
		key := strings.ToLower(name)
		if a.parts[key] != nil {
			return nil, fmt.Errorf("%w: the archive has two parts named %s", ErrCorrupt, name)
		}
		a.parts[key] = f
	}
	return a, nil
}

// has reports whether the archive has a part.
func (a *archive) has(name string) bool { return a.parts[strings.ToLower(name)] != nil }

// open opens a part for reading to its end: the reader counts against the
// limit and fails with ErrCorrupt at a bad checksum or a cut-short part.
func (a *archive) open(name string) (io.ReadCloser, error) {
	f := a.parts[strings.ToLower(name)]
	if f == nil {
		return nil, fmt.Errorf("%w: the workbook has no part %s", ErrCorrupt, name)
	}
	a.opened[strings.ToLower(name)] = true
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: part %s cannot be read (%v)", ErrCorrupt, name, err)
	}
	return &partReader{rc: rc, a: a, name: name}, nil
}

// checkRest reads every part not read yet to its end, so a damaged part is
// found even where the importer does not look.
func (a *archive) checkRest() error {
	for _, f := range a.zr.File {
		key := strings.ToLower(f.Name)
		if a.opened[key] || a.parts[key] != f {
			continue
		}
		rc, err := a.open(f.Name)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

type partReader struct {
	rc   io.ReadCloser
	a    *archive
	name string
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.a.used += int64(n)
	if p.a.used > p.a.limit {
		return n, fmt.Errorf("%w (%d MiB); is it a zip bomb?", ErrTooLarge, p.a.limit>>20)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("%w: part %s is cut short or corrupt (%v)", ErrCorrupt, p.name, err)
	}
	return n, err
}

func (p *partReader) Close() error { return p.rc.Close() }
