// Package atomicfile writes files so that a reader never sees half of
// one: the content goes to a temporary file beside the target, is synced,
// and is renamed over it. A failed write leaves nothing behind.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes path with write.
func Write(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
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
	return os.Rename(tmp.Name(), path)
}
