// Package atomicfile writes files so that a reader never sees half of
// one: the content goes to a temporary file beside the target, is synced,
// and is renamed over it. A failed write leaves nothing behind.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes path with write. The file gets the permissions a plain
// os.Create would give it (0666 less the umask), so the people who drop a
// sheet into a shared folder can read its results; os.CreateTemp would
// make it 0600, readable by the importer's user alone.
func Write(path string, write func(io.Writer) error) error {
	return writeTemp(path, write, func(tmp string) error { return os.Rename(tmp, path) })
}

// Try writes what Write would, to a temporary file beside path, and
// removes it: it proves, before anything depends on it, that the file can
// be produced and that its folder takes it. path itself is not touched.
func Try(path string, write func(io.Writer) error) error {
	return writeTemp(path, write, func(string) error { return nil })
}

// writeTemp writes and syncs a temporary file beside path, then calls
// finish with its name; the temporary file is removed unless finish
// renamed it.
func writeTemp(path string, write func(io.Writer) error, finish func(tmp string) error) error {
	tmp, err := create(path)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return finish(tmp.Name())
}

// create makes a new temporary file beside path.
func create(path string) (*os.File, error) {
	for range 100 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(b[:])+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "create temporary file for", Path: path, Err: fs.ErrExist}
}
