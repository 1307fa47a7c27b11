package pgstate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cspimporter/importer/pkg/submit"
	"github.com/cspimporter/importer/pkg/submit/journaltest"
)

// TestJournalConformance: PostgreSQL's journal passes the suite the file
// journal passes.
func TestJournalConformance(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) func() submit.Journal {
		db := openDB(t, testURL(t))
		return func() submit.Journal {
			j, err := db.OpenJournal(context.Background(), journaltest.Batch, LeaseOptions{Holder: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
	})
}

// TestMigrationNotHeldByAStoppedInstance: an instance that stopped in the
// middle of migrating (a stopped process: its transaction idle, its lock
// held) keeps the others waiting only until the server ends its session;
// an instance migrating another schema does not wait at all.
func TestMigrationNotHeldByAStoppedInstance(t *testing.T) {
	conn, other := testURL(t), testURL(t)
	ctx := context.Background()
	stopped, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer stopped.Close(ctx)
	for _, q := range []string{"SET idle_in_transaction_session_timeout = 1000", "BEGIN", "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))"} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, migrateLock)
		}
		if _, err := stopped.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	db, err := Open(ctx, other)
	if err != nil || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("another schema's migration: %v after %s", err, time.Since(start))
	}
	db.Close()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if db, err = Open(wait, conn); err != nil {
		t.Fatalf("after the stopped instance's session ended: %v", err)
	}
	db.Close()
}

// TestMigrate: instances starting together apply each migration once; a
// database migrated by a newer importer is refused, untouched.
func TestMigrate(t *testing.T) {
	conn := testURL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := Open(context.Background(), conn)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db := openDB(t, conn)
	var n int
	if err := db.pool.QueryRow(context.Background(), "SELECT count(*) FROM importer_schema").Scan(&n); err != nil || n != Latest() {
		t.Fatalf("%d migrations recorded (%v), want %d, once each", n, err, Latest())
	}
	if _, err := db.pool.Exec(context.Background(), "INSERT INTO importer_schema (version) VALUES ($1)", Latest()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), conn); !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("a newer database: %v", err)
	}
}

// TestLease: one run holds a batch at a time; another is told who holds it,
// or waits for it; other batches go on in parallel; a batch given up is
// taken at once, with a higher token.
func TestLease(t *testing.T) {
	db := openDB(t, testURL(t))
	ctx := context.Background()
	a, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "host-a pid 1 run r1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.OpenJournal(ctx, "november", LeaseOptions{Holder: "host-b pid 2 run r2"})
	var held *HeldError
	if !errors.As(err, &held) || held.Holder != "host-a pid 1 run r1" || !strings.Contains(err.Error(), "batch november is being sent by host-a pid 1 run r1") {
		t.Fatalf("a held batch: %v", err)
	}
	other, err := db.OpenJournal(ctx, "december", LeaseOptions{Holder: "host-b pid 2 run r2"})
	if err != nil {
		t.Fatalf("another batch: %v", err)
	}
	other.Close()
	got := make(chan *Journal, 1)
	go func() {
		b, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "host-b pid 2 run r3", Wait: 10 * time.Second})
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	time.Sleep(300 * time.Millisecond)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := <-got
	if b == nil {
		t.FailNow()
	}
	defer b.Close()
	if b.token <= a.token {
		t.Errorf("token %d after %d", b.token, a.token)
	}
	if err := b.PutAttempt(&submit.Attempt{Batch: "november", ID: "x", State: submit.StateCreateSent}); err != nil {
		t.Error(err)
	}
	if err := b.PutAttempt(&submit.Attempt{Batch: "december", ID: "x", State: submit.StateCreateSent}); err == nil {
		t.Error("a write for a batch the run does not hold")
	}
}

// TestFencing: a run that stalls past its lease writes nothing more, once
// its lease has run out and once another run took the batch over.
func TestFencing(t *testing.T) {
	db := openDB(t, testURL(t))
	ctx := context.Background()
	a, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "a", TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutAttempt(&submit.Attempt{Batch: "november", ID: "1", State: submit.StateCreateSent}); err != nil {
		t.Fatal(err)
	}
	if err := a.Holds(); err != nil {
		t.Fatalf("a fresh lease: %v", err)
	}
	a.stop() // the host stalls: no more renewals
	<-a.done
	time.Sleep(1200 * time.Millisecond)
	if err := a.Holds(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a lease a stall outlived: %v", err)
	}
	if err := a.PutAttempt(&submit.Attempt{Batch: "november", ID: "2", State: submit.StateCreateSent}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a write after the lease ran out: %v", err)
	}
	b, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "b", TTL: time.Second})
	if err != nil {
		t.Fatalf("taking the batch over: %v", err)
	}
	defer b.Close()
	if err := a.PutAttempt(&submit.Attempt{Batch: "november", ID: "3", State: submit.StateCreateSent}); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a write after the takeover: %v", err)
	}
	all, _ := b.Attempts("november")
	if len(all) != 1 || all[0].ID != "1" {
		t.Errorf("attempts: %+v", all)
	}
	if err := b.PutAttempt(&submit.Attempt{Batch: "november", ID: "4", State: submit.StateCreateSent}); err != nil {
		t.Error(err)
	}
}

// TestWritesOutliveADroppedConnection: the server ends the journal's
// connections (pg_terminate_backend) mid-run; the next write reconnects
// and is recorded.
func TestWritesOutliveADroppedConnection(t *testing.T) {
	conn := testURL(t)
	db := openDB(t, conn)
	ctx := context.Background()
	j, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.PutAttempt(&submit.Attempt{Batch: "november", ID: "1", State: submit.StateCreateSent}); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, os.Getenv("IMPORTER_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	app := db.pool.Config().ConnConfig.RuntimeParams["application_name"]
	var ended int
	if err := admin.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("ended %d connections: %v", ended, err)
	}
	if err := j.PutAttempt(&submit.Attempt{Batch: "november", ID: "2", State: submit.StateCreateSent}); err != nil {
		t.Fatalf("a write after the connections ended: %v", err)
	}
	if all, err := j.Attempts("november"); err != nil || len(all) != 2 {
		t.Errorf("attempts: %d %v", len(all), err)
	}
}

// TestPasswordNeverShown: errors and names of a database never carry its
// password.
func TestPasswordNeverShown(t *testing.T) {
	for _, conn := range []string{"postgres://importer:s3cret-pw@127.0.0.1:1/x?connect_timeout=1", "postgres://importer@127.0.0.1:1/x?password=s3cret-pw&connect_timeout=1"} {
		_, err := Open(context.Background(), conn)
		if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("%v", err)
		}
		if strings.Contains(Redact(conn), "s3cret-pw") {
			t.Errorf("Redact: %s", Redact(conn))
		}
	}
}

// TestCopyBatch: records the database lacks are added, the same ones are
// left, and ones it has otherwise are kept as it has them (it may know
// more); a batch a run holds is not copied into.
func TestCopyBatch(t *testing.T) {
	db := openDB(t, testURL(t))
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	attempts := []*submit.Attempt{{Batch: "november", ID: "a", State: submit.StateCheckoutSent}, {Batch: "november", ID: "b", State: submit.StateDone}}
	rows := map[string]submit.RowRecord{"r1": {Status: "Unknown", RunID: "1", At: at}, "r2": {Status: "Ordered", RunID: "1", At: at}}
	j, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "host-b"})
	if err != nil {
		t.Fatal(err)
	}
	newer := &submit.Attempt{Batch: "november", ID: "a", State: submit.StateDone}
	if err := j.Finish(newer, map[string]submit.RowRecord{"r1": {Status: "Ordered", RunID: "2", At: at}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CopyBatch(ctx, "november", attempts, rows, LeaseOptions{Holder: "copy"}); !errors.As(err, new(*HeldError)) {
		t.Errorf("copying into a held batch: %v", err)
	}
	j.Close()
	c, err := db.CopyBatch(ctx, "november", attempts, rows, LeaseOptions{Holder: "copy"})
	if err != nil || c != (Copied{Added: 2, Kept: 2}) {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := db.CopyBatch(ctx, "november", attempts, rows, LeaseOptions{Holder: "copy"}); err != nil || c != (Copied{Same: 2, Kept: 2}) {
		t.Errorf("again: %+v %v", c, err)
	}
	j, _ = db.OpenJournal(ctx, "november", LeaseOptions{Holder: "check"})
	defer j.Close()
	if a, _ := j.Attempt("november", "a"); a == nil || a.State != submit.StateDone {
		t.Errorf("the database's attempt was overwritten: %+v", a)
	}
	if r, _ := j.Row("november", "r1"); r == nil || r.Status != "Ordered" {
		t.Errorf("the database's row was overwritten: %+v", r)
	}
}

// TestTakeoverPastAPausedWrite: a host paused in the middle of a write
// holds the lease row locked; once its lease has run out, another host
// still takes the batch over (the server ends the paused session) rather
// than waiting for it for ever.
func TestTakeoverPastAPausedWrite(t *testing.T) {
	db := openDB(t, testURL(t))
	ctx := context.Background()
	a, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "a", TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.stop()
	<-a.done
	paused, err := db.pool.Begin(ctx) // as a's write would, and never ends
	if err != nil {
		t.Fatal(err)
	}
	defer paused.Rollback(ctx)
	if _, err := paused.Exec(ctx, "SELECT true FROM journal_leases WHERE batch = 'november' FOR SHARE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	b, err := db.OpenJournal(ctx, "november", LeaseOptions{Holder: "b", TTL: time.Second, Wait: 20 * time.Second})
	if err != nil {
		t.Fatalf("after %s: %v", time.Since(start), err)
	}
	defer b.Close()
	if b.token <= a.token || time.Since(start) > 15*time.Second {
		t.Errorf("token %d after %d, in %s", b.token, a.token, time.Since(start))
	}
}

// TestTransient: what is tried again on a new connection (the database
// away, or a session it ended, as a paused process's idle transaction) and
// what is an answer.
func TestTransient(t *testing.T) {
	for code, want := range map[string]bool{
		"08006": true, "57P01": true, "57P03": true, "25P03": true, "57P05": true, "40001": true,
		"23505": false, "28P01": false, "42P01": false,
	} {
		if got := transient(fmt.Errorf("write: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("%s: %v, want %v", code, got, want)
		}
	}
}
