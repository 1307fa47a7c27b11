package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCredentialsFileOwner: a credentials file must be the user's own, as
// ssh requires of its keys; a symlink to someone else's is no better.
func TestCredentialsFileOwner(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("giving a file to another user needs root, which CI has")
		}
		t.Skip("giving a file to another user needs root; skipped")
	}
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine")
	theirs := filepath.Join(dir, "theirs")
	link := filepath.Join(dir, "link")
	for _, p := range []string{mine, theirs} {
		if err := os.WriteFile(p, []byte(EnvTenant+"=t\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil { // nobody
		t.Fatal(err)
	}
	if err := os.Symlink(theirs, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckCredentialsFile(mine); err != nil {
		t.Errorf("own file: %v", err)
	}
	for _, p := range []string{theirs, link} {
		if err := CheckCredentialsFile(p); err == nil || !strings.Contains(err.Error(), "belongs to user 65534, not to you") {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
}
