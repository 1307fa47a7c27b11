package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	secret, err := CreateToken(dir, "ci", []string{"approver", "buyer"})
	if err != nil || !strings.HasPrefix(secret, "imp_") {
		t.Fatalf("%q %v", secret, err)
	}
	if _, err := CreateToken(dir, "ci", nil); !errors.Is(err, ErrExists) {
		t.Errorf("a name twice: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "tokens.json"))
	if strings.Contains(string(raw), secret) {
		t.Error("the secret is stored")
	}
	if info, err := os.Stat(filepath.Join(dir, "tokens.json")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("tokens.json: %v %v", info.Mode(), err)
	}
	tok, err := TokenBySecret(dir, secret)
	if err != nil || tok.Name != "ci" || strings.Join(tok.Roles, ",") != "approver,buyer" {
		t.Errorf("%+v %v", tok, err)
	}
	if _, err := TokenBySecret(dir, secret+"x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a wrong secret: %v", err)
	}
	if err := RevokeToken(dir, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := TokenBySecret(dir, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("a revoked token: %v", err)
	}
	if err := RevokeToken(dir, "ci"); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
}

func TestBatchesAndAudit(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Errorf("a second open: %v", err)
	}
	b := &Batch{ID: NewID(), Name: "nov", Versions: []Version{{N: 1, PlanSHA256: "a"}}}
	if err := s.PutBatch(b); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("no")
	if _, err := s.UpdateBatch(b.ID, func(b *Batch) error { b.Name = "changed"; return refused }); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if got, _ := s.Batch(b.ID); got.Name != "nov" {
		t.Errorf("a refused update was written: %+v", got)
	}
	if _, err := s.Batch("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("%v", err)
	}
	for _, a := range []string{"upload", "approve", "download"} {
		if err := s.Audit(Entry{Who: "token:x", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(dir) // kept across a restart
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.AuditLog()
	if err != nil || len(log) != 3 || log[0].Action != "upload" || log[2].Seq != 3 {
		t.Errorf("audit %+v %v", log, err)
	}
	if got, err := s.Batch(b.ID); err != nil || got.Current().PlanSHA256 != "a" {
		t.Errorf("%+v %v", got, err)
	}
}

// TestSheetFile: a version's sheet is kept under sheet/NAME; versions kept
// before the store held files named it by its path in the data directory,
// where it lay under the same name.
func TestSheetFile(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"sheet/november.xlsx", "sheet/november.xlsx"},
		{"/var/lib/importer/batches/0a1b/v2/sheet/november.xlsx", "sheet/november.xlsx"},
	} {
		v := Version{File: tt.file}
		if got := v.SheetFile(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.file, got, tt.want)
		}
		if files := v.Files(); files[0] != tt.want || len(files) != 5 {
			t.Errorf("%s: files %v", tt.file, files)
		}
	}
}
