package importer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/inbox"
)

var clock = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// sample copies a sample sheet into dir as name.
func sample(t *testing.T, dir, sample, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", sample))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tree lists the files under dir, relative, sorted (the watcher's own lock,
// job and follow-up markers left out).
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Name() != ".lock" && info.Name() != inbox.Marker && info.Name() != FollowUpMarker {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// sandboxOptions connect to a fresh in-process sandbox, fast.
func sandboxOptions() ConnectOptions {
	o := DefaultConnectOptions()
	o.Sandbox, o.Rate = true, 60000
	return o
}
