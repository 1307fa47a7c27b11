package pgstate_test

import (
	"context"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/store/storetest"
)

func appStore(t *testing.T) *pgstate.AppStore {
	db, err := pgstate.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db.AppStore()
}

// TestAppStoreConformance: the app's store in PostgreSQL passes the suite
// the embedded one passes.
func TestAppStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return appStore(t) })
}

// TestAppStoreReservesAcrossInstances: uploads of one new batch at once
// (on any instance) make one batch and get distinct version numbers.
func TestAppStoreReservesAcrossInstances(t *testing.T) {
	s := appStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids, numbers := map[string]bool{}, map[int]bool{}
	for range 8 {
		wg.Go(func() {
			b, n, err := s.Reserve("november", time.Now(), func(*store.Batch) error { return nil })
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[b.ID], numbers[n] = true, true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != 1 || len(numbers) != 8 {
		t.Errorf("%d batches and %d numbers for 8 uploads at once, want 1 and 8", len(ids), len(numbers))
	}
}

// TestAppStoreCopies: records copied from a data directory are added
// once; where the store has a record of its own in their place (the same
// name, another id; the same token name), the store's is kept.
func TestAppStoreCopies(t *testing.T) {
	s := appStore(t)
	day := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	mine, _, err := s.Reserve("december", day, func(*store.Batch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken("ci", []string{"buyer"}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutFile(mine.ID, 1, "plan.json", []byte("mine")))
	nov := &store.Batch{ID: "b1", Name: "november", Created: day, Versions: []store.Version{{N: 1, File: "sheet/n.xlsx"}}}
	dec := &store.Batch{ID: "b2", Name: "december", Created: day, Versions: []store.Version{{N: 1}}}
	e := store.Entry{Seq: 7, At: day, Who: "alice", Action: "upload", Batch: "b1"}
	for round := range 2 {
		var batches, files, audit, tokens pgstate.Copied
		must(s.CopyBatch(nov, &batches))
		must(s.CopyBatch(dec, &batches))
		must(s.CopyFile("b1", 1, "plan.json", []byte("plan"), &files))
		must(s.CopyFile(mine.ID, 1, "plan.json", []byte("theirs"), &files))
		must(s.CopyAudit(e, &audit))
		must(s.CopyToken(store.Token{Name: "ci", Hash: "h1", Roles: []string{"admin"}}, &tokens))
		must(s.CopyToken(store.Token{Name: "old", Hash: "h2", Roles: []string{"submitter"}}, &tokens))
		want := map[int][4]pgstate.Copied{
			0: {{Added: 1, Kept: 1}, {Added: 1, Kept: 1}, {Added: 1}, {Added: 1, Kept: 1}},
			1: {{Same: 1, Kept: 1}, {Same: 1, Kept: 1}, {Same: 1}, {Same: 1, Kept: 1}},
		}[round]
		if got := [4]pgstate.Copied{batches, files, audit, tokens}; got != want {
			t.Errorf("round %d: %+v, want %+v", round, got, want)
		}
	}
	if b, err := s.Batch("b1"); err != nil || b.Name != "november" {
		t.Errorf("the copied batch: %+v %v", b, err)
	}
	if b, err := s.Batch("b2"); err == nil {
		t.Errorf("a batch whose name the store had was added: %+v", b)
	}
	log, _ := s.AuditLog()
	if len(log) != 1 || log[0].Who != "alice" || !log[0].At.Equal(day) {
		t.Errorf("audit log: %+v", log)
	}
	if f, _ := s.File(mine.ID, 1, "plan.json"); string(f) != "mine" {
		t.Errorf("the store's own file became %q", f)
	}
	ts, _ := s.Tokens()
	if len(ts) != 2 || ts[0].Name != "ci" || ts[0].Roles[0] != "buyer" {
		t.Errorf("tokens: %+v", ts)
	}
}

// TestAppStoreOutlivesEndedConnections: after the database ends the app's
// connections (an administrator, a failover), its next reads and writes
// are made on new ones, each once.
func TestAppStoreOutlivesEndedConnections(t *testing.T) {
	conn := pgtest.URL(t)
	db, err := pgstate.Open(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	s := db.AppStore()
	b, _, err := s.Reserve("november", time.Now(), func(*store.Batch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddVersion(b.ID, store.Version{N: 1}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(conn)
	admin, err := pgx.Connect(context.Background(), os.Getenv("IMPORTER_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	for round := range 3 {
		var ended int
		if err := admin.QueryRow(context.Background(), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
			u.Query().Get("application_name")).Scan(&ended); err != nil || ended == 0 {
			t.Fatalf("round %d: ended %d connections: %v", round, ended, err)
		}
		if _, err := s.UpdateBatch(b.ID, func(b *store.Batch) error { b.Reserved++; return nil }); err != nil {
			t.Fatalf("round %d: a write after the connections ended: %v", round, err)
		}
		if err := s.Audit(store.Entry{Who: "alice", Action: "upload"}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	got, err := s.Batch(b.ID)
	if err != nil || got.Reserved != 4 {
		t.Errorf("the batch: %+v %v, want reserved 4 (1 + each write once)", got, err)
	}
	if log, err := s.AuditLog(); err != nil || len(log) != 3 {
		t.Errorf("audit log: %d entries, %v, want 3", len(log), err)
	}
}
