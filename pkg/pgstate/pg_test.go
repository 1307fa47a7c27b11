package pgstate

import (
	"context"
	"testing"

	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
)

func testURL(t *testing.T) string { return pgtest.URL(t) }

func openDB(t *testing.T, conn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}
