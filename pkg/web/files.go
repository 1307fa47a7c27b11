package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/store"
)

// made are the files a check, purchase or follow-up makes.
var made = []string{store.FileResults, store.FileSummary, store.FileRows}

// work is a folder where the core reads and writes a version's files for
// one check, purchase or follow-up (the core works on files): they are
// fetched from the store into it, and put back when the work is done, so
// every instance of the app sees them, whichever did the work.
type work struct {
	s   *Server
	id  string
	n   int
	dir string
}

// workAge is how old a work folder left behind (its process died) must
// be before a start removes it; no work lasts that long.
const workAge = 7 * 24 * time.Hour

func (s *Server) workRoot() string { return filepath.Join(s.o.Data, "work") }

// newWork makes a work folder for version n of batch id, with the files
// named fetched from the store (those it has not are left out).
func (s *Server) newWork(id string, n int, fetch ...string) (*work, error) {
	if err := os.MkdirAll(s.workRoot(), 0o700); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(s.workRoot(), fmt.Sprintf("%s-v%d-", id, n))
	if err != nil {
		return nil, err
	}
	w := &work{s: s, id: id, n: n, dir: dir}
	for _, name := range fetch {
		data, err := s.o.Store.File(id, n, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			err = w.write(name, data)
		}
		if err != nil {
			w.close()
			return nil, fmt.Errorf("batch %s version %d: %s: %w", id, n, name, err)
		}
	}
	return w, nil
}

// path is where the core finds or writes the file named name.
func (w *work) path(name string) string { return filepath.Join(w.dir, filepath.FromSlash(name)) }

func (w *work) write(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(w.path(name)), 0o700); err != nil {
		return err
	}
	return os.WriteFile(w.path(name), data, 0o600)
}

// put keeps the files named in the store (those the work did not make
// are left as the store has them).
func (w *work) put(names ...string) error {
	for _, name := range names {
		data, err := os.ReadFile(w.path(name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = w.s.o.Store.PutFile(w.id, w.n, name, data)
		}
		if err != nil {
			return fmt.Errorf("batch %s version %d: keeping %s: %w", w.id, w.n, name, err)
		}
	}
	return nil
}

// close removes the work folder.
func (w *work) close() { _ = os.RemoveAll(w.dir) }

// sweepWork removes work folders a process that died left behind.
func (s *Server) sweepWork() {
	entries, err := os.ReadDir(s.workRoot())
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > workAge {
			_ = os.RemoveAll(filepath.Join(s.workRoot(), e.Name()))
		}
	}
}

// file is one of a version's files, from the store.
func (s *Server) file(b *store.Batch, n int, name string) ([]byte, error) {
	return s.o.Store.File(b.ID, n, name)
}

// plan is the plan of version n.
func (s *Server) plan(ctx context.Context, b *store.Batch, n int) (*approval.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := s.file(b, n, store.FilePlan)
	if err != nil {
		return nil, err
	}
	return approval.Parse(fmt.Sprintf("of version %d", n), raw)
}
