// Package pgtest gives a test a PostgreSQL database of its own.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// URL is a connection string to a schema of the test's own on the
// server IMPORTER_TEST_POSTGRES names (dropped afterwards), so tests and
// runs never see each other. Without the variable, outside CI, the test is
// skipped; with CI=true it fails.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("IMPORTER_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("IMPORTER_TEST_POSTGRES is not set: PostgreSQL tests need a server (.ci/run sets it)")
		}
		t.Skip("IMPORTER_TEST_POSTGRES is not set: the PostgreSQL tests are skipped (CI runs them)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("IMPORTER_TEST_POSTGRES: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			admin.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
