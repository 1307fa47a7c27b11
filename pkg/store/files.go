package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cspimporter/importer/pkg/atomicfile"
)

// A version's files (its sheet, plan, results workbook, summary and rows)
// are kept in the data directory, under batches/<id>/v<N>/<name>, where the
// app has always kept them.

// The files of a version besides its sheet: those made from it.
const (
	FilePlan    = "plan.json"
	FileResults = "results.xlsx"
	FileSummary = "summary.json"
	FileRows    = "rows.json"
)

// Files names every file of v the app keeps.
func (v *Version) Files() []string {
	return []string{v.SheetFile(), FilePlan, FileResults, FileSummary, FileRows}
}

// SheetFile is the name the version's sheet is kept under: it has a folder
// of its own, so that a sheet named results.xlsx or plan.json is still not
// one of the files made from it. Versions kept before the store held files
// named the sheet by its path in the data directory.
func (v *Version) SheetFile() string {
	if strings.HasPrefix(v.File, "sheet/") {
		return v.File
	}
	return "sheet/" + filepath.Base(v.File)
}

// CleanFileName checks the name a version's file is kept under: a
// relative, slash-separated path that stays within the version ("plan.json",
// "sheet/november.xlsx").
func CleanFileName(name string) (string, error) {
	c := path.Clean(name)
	if name == "" || c != name || path.IsAbs(c) || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(c, `\`) {
		return "", fmt.Errorf("%q is not the name of a version's file", name)
	}
	return c, nil
}

func (s *Store) filePath(id string, version int, name string) (string, error) {
	c, err := CleanFileName(name)
	if err != nil {
		return "", err
	}
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("%q is not a batch id", id)
	}
	return filepath.Join(s.Dir, "batches", id, "v"+strconv.Itoa(version), filepath.FromSlash(c)), nil
}

// PutFile keeps one of a version's files, replacing the one it had under
// that name: a reader sees the old file or the new one, never part of one
// (the data directory is the app's alone: 0700).
func (s *Store) PutFile(id string, version int, name string, data []byte) error {
	p, err := s.filePath(id, version, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(p, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// File is one of a version's files, or ErrNotFound.
func (s *Store) File(id string, version int, name string) ([]byte, error) {
	p, err := s.filePath(id, version, name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("batch %s version %d: %s: %w", id, version, name, ErrNotFound)
	}
	return data, err
}
