package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cspimporter/importer/pkg/submit"
)

// ErrLeaseLost: the run's hold on its batch ended (it could not renew it in
// time, or another run took the batch over); it records, and so sends,
// nothing more.
var ErrLeaseLost = errors.New("this run no longer holds the batch (its lease ran out or was taken over); it sends nothing more: run it again to pick up where the journal stops")

// HeldError: another run holds the batch.
type HeldError struct {
	Batch, Holder string
	Until         time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("batch %s is being sent by %s (its hold lasts until %s unless renewed); wait for it to finish, or run again once it has stopped",
		e.Batch, e.Holder, e.Until.UTC().Format(time.RFC3339))
}

// LeaseOptions say who holds a batch, for how long, and how long to wait
// for another run's hold to end.
type LeaseOptions struct {
	// Holder names the run for whoever finds the batch held: host, process
	// and run id.
	Holder string
	// TTL is how long a hold lasts without renewal (default 20s): after a
	// host dies, another takes its batch over that much later.
	TTL time.Duration
	// Wait is how long to wait for a held batch (0: refuse at once).
	Wait time.Duration
}

// Journal is the submit journal in PostgreSQL, holding one batch: it is
// read as a whole, but written only for its batch and only while the run
// holds the batch's lease, checked in the same transaction as each write.
type Journal struct {
	db    *DB
	batch string
	token int64
	ttl   time.Duration
	lost  atomic.Bool
	// renewed is when the last renewal that succeeded was sent (unix
	// nanoseconds): the lease surely lasts until renewed + ttl.
	renewed atomic.Int64
	stop    context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

var (
	_ submit.Journal = (*Journal)(nil)
	_ submit.Holder  = (*Journal)(nil)
)

// OpenJournal takes the lease of batch (waiting up to o.Wait for another
// run's to end, or to run out) and keeps it renewed until Close.
func (db *DB) OpenJournal(ctx context.Context, batch string, o LeaseOptions) (*Journal, error) {
	if o.TTL <= 0 {
		o.TTL = 20 * time.Second
	}
	deadline := time.Now().Add(o.Wait)
	for {
		sent := time.Now()
		token, held, err := db.acquire(ctx, batch, o)
		if err != nil {
			return nil, fmt.Errorf("state %s: the hold on batch %s: %w", db.name, batch, err)
		}
		if held == nil {
			rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
			j := &Journal{db: db, batch: batch, token: token, ttl: o.TTL, stop: stop, done: make(chan struct{})}
			j.renewed.Store(sent.UnixNano())
			go j.renew(rctx)
			return j, nil
		}
		if !time.Now().Before(deadline) {
			return nil, held
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(time.Second, time.Until(deadline))):
		}
	}
}

// acquire takes the batch's lease if nobody holds it (or their hold ran
// out), with a token above every earlier holder's.
func (db *DB) acquire(ctx context.Context, batch string, o LeaseOptions) (int64, *HeldError, error) {
	var token int64
	// A run in the middle of a write holds the lease row a moment: wait
	// that long, not for a run paused mid-write (the server ends its
	// session after idle_in_transaction_session_timeout).
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '2s'"); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
INSERT INTO journal_leases (batch, token, holder, expires) VALUES ($1, 1, $2, now() + make_interval(secs => $3))
ON CONFLICT (batch) DO UPDATE SET token = journal_leases.token + 1, holder = EXCLUDED.holder, expires = EXCLUDED.expires
WHERE journal_leases.expires < now()
RETURNING token`, batch, o.Holder, o.TTL.Seconds()).Scan(&token)
	})
	if err == nil {
		return token, nil, nil
	}
	var pe *pgconn.PgError
	locked := errors.As(err, &pe) && pe.Code == "55P03"
	if !errors.Is(err, pgx.ErrNoRows) && !locked {
		return 0, nil, err
	}
	held := &HeldError{Batch: batch}
	if err := db.pool.QueryRow(ctx, "SELECT holder, expires FROM journal_leases WHERE batch = $1", batch).Scan(&held.Holder, &held.Until); err != nil {
		return 0, nil, err
	}
	return 0, held, nil
}

// renew keeps the lease until Close, three times a TTL; once it finds the
// lease gone (run out, or taken over), the journal refuses every write.
func (j *Journal) renew(ctx context.Context) {
	defer close(j.done)
	t := time.NewTicker(j.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, j.ttl/3)
		sent := time.Now()
		tag, err := j.db.pool.Exec(c, `UPDATE journal_leases SET expires = now() + make_interval(secs => $3)
WHERE batch = $1 AND token = $2 AND expires > now()`, j.batch, j.token, j.ttl.Seconds())
		cancel()
		if err == nil && tag.RowsAffected() == 0 {
			j.lost.Store(true)
			return
		}
		if err == nil {
			j.renewed.Store(sent.UnixNano())
		}
		// An error (the database away for a moment): try again at the next
		// tick; if the lease runs out meanwhile, writes find out.
	}
}

var errLost = errors.New("lease lost")

// Holds says whether the run surely still holds its batch: its lease was
// not found gone, and was last renewed less than a lease ago (by this
// host's clock, counted from before the renewal was sent). A run that
// stalled (a paused process, a suspended machine) finds out here before
// it sends anything more.
func (j *Journal) Holds() error {
	if j.lost.Load() || time.Since(time.Unix(0, j.renewed.Load())) >= j.ttl {
		return fmt.Errorf("state %s, batch %s: %w", j.db.name, j.batch, ErrLeaseLost)
	}
	return nil
}

// write runs f in a transaction that first checks the lease (fencing: a
// run whose lease ended, or was taken over, writes nothing). A write the
// database did not answer is tried again, for up to a TTL: every write is
// an upsert, so one that did commit before its answer was lost is
// harmless to repeat.
func (j *Journal) write(batch string, f func(context.Context, pgx.Tx) error) error {
	if batch != j.batch {
		return fmt.Errorf("state %s: this run holds batch %s, not %s", j.db.name, j.batch, batch)
	}
	return j.retry(func(ctx context.Context) error {
		if j.lost.Load() {
			return fmt.Errorf("state %s, batch %s: %w", j.db.name, batch, ErrLeaseLost)
		}
		err := pgx.BeginFunc(ctx, j.db.pool, func(tx pgx.Tx) error {
			var ok bool
			err := tx.QueryRow(ctx, "SELECT true FROM journal_leases WHERE batch = $1 AND token = $2 AND expires > now() FOR SHARE", batch, j.token).Scan(&ok)
			if errors.Is(err, pgx.ErrNoRows) {
				return errLost
			}
			if err != nil {
				return err
			}
			return f(ctx, tx)
		})
		if errors.Is(err, errLost) {
			j.lost.Store(true)
			return fmt.Errorf("state %s, batch %s: %w", j.db.name, batch, ErrLeaseLost)
		}
		return err
	})
}

// retry runs f until it succeeds, fails for good, or a TTL has passed:
// it gives up only once an attempt begun at the deadline or after it has
// failed too, as a pause of the process (stopped, suspended) may have
// passed the deadline with no attempt made; that last one then finds out
// whether the run still holds its batch.
func (j *Journal) retry(f func(context.Context) error) error {
	deadline := time.Now().Add(j.ttl)
	wait := 50 * time.Millisecond
	for {
		started := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), j.ttl/2)
		err := f(ctx)
		cancel()
		if err == nil || !transient(err) {
			return err
		}
		if !started.Before(deadline) {
			return fmt.Errorf("state %s: the database did not answer for %s: %w", j.db.name, j.ttl, err)
		}
		time.Sleep(max(0, min(wait, time.Until(deadline))))
		wait = min(2*wait, 2*time.Second)
	}
}

// transient: the database was away (the connection dropped, the server
// restarting or failing over, a serialization conflict), not the request
// refused.
func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 25P03 and 57P05: the server ended a session left idle (a
		// process paused mid-transaction); nothing of it was kept.
		return pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "57P05" || pe.Code == "25P03" ||
			pe.Code == "40001" || pe.Code == "40P01"
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// Close gives the batch up: its lease ends at once (its token stays, so
// the next holder's is higher).
func (j *Journal) Close() error {
	var err error
	j.once.Do(func() {
		j.stop()
		<-j.done
		if j.lost.Load() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = j.db.pool.Exec(ctx, "UPDATE journal_leases SET expires = now() - interval '1 second' WHERE batch = $1 AND token = $2", j.batch, j.token)
	})
	return err
}

// Bind ties the database to the remote it records.
func (j *Journal) Bind(remote string) error {
	return j.retry(func(ctx context.Context) error { return j.db.bind(ctx, remote) })
}

// Bind ties the database to the remote it records (RemotePartnerCenter or
// RemoteSandbox), refusing it for another.
func (db *DB) Bind(ctx context.Context, remote string) error { return db.bind(ctx, remote) }

func (db *DB) bind(ctx context.Context, remote string) error {
	if _, err := db.pool.Exec(ctx, "INSERT INTO journal_meta (key, value) VALUES ('remote', $1) ON CONFLICT (key) DO NOTHING", remote); err != nil {
		return err
	}
	var bound string
	if err := db.pool.QueryRow(ctx, "SELECT value FROM journal_meta WHERE key = 'remote'").Scan(&bound); err != nil {
		return err
	}
	if bound != remote {
		return fmt.Errorf("%w: %s records runs against %s, not %s; use another --state", submit.ErrOtherRemote, db.name, bound, remote)
	}
	return nil
}

// PutAttempt records an attempt.
func (j *Journal) PutAttempt(a *submit.Attempt) error {
	a.Updated = time.Now().UTC()
	return j.write(a.Batch, func(ctx context.Context, tx pgx.Tx) error { return putAttempt(ctx, tx, a) })
}

func putAttempt(ctx context.Context, tx pgx.Tx, a *submit.Attempt) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO journal_attempts (batch, id, record, updated) VALUES ($1, $2, $3, now())
ON CONFLICT (batch, id) DO UPDATE SET record = EXCLUDED.record, updated = now()`, a.Batch, a.ID, raw)
	return err
}

// Finish records an attempt and its rows in one transaction.
func (j *Journal) Finish(a *submit.Attempt, rows map[string]submit.RowRecord) error {
	a.Updated = time.Now().UTC()
	return j.write(a.Batch, func(ctx context.Context, tx pgx.Tx) error {
		if err := putAttempt(ctx, tx, a); err != nil {
			return err
		}
		return putRows(ctx, tx, a.Batch, rows)
	})
}

// PutRows records rows' outcomes.
func (j *Journal) PutRows(batch string, rows map[string]submit.RowRecord) error {
	return j.write(batch, func(ctx context.Context, tx pgx.Tx) error { return putRows(ctx, tx, batch, rows) })
}

func putRows(ctx context.Context, tx pgx.Tx, batch string, rows map[string]submit.RowRecord) error {
	for k, r := range rows {
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO journal_rows (batch, row_key, record) VALUES ($1, $2, $3)
ON CONFLICT (batch, row_key) DO UPDATE SET record = EXCLUDED.record`, batch, k, raw); err != nil {
			return err
		}
	}
	return nil
}

// Attempt returns the attempt with id, or nil.
func (j *Journal) Attempt(batch, id string) (*submit.Attempt, error) {
	raw, err := j.record("SELECT record FROM journal_attempts WHERE batch = $1 AND id = $2", batch, id)
	if raw == nil || err != nil {
		return nil, err
	}
	return decodeAttempt(raw)
}

// record is the one record a query finds (nil: none).
func (j *Journal) record(query string, args ...any) ([]byte, error) {
	var raw []byte
	err := j.retry(func(ctx context.Context) error {
		raw = nil
		err := j.db.pool.QueryRow(ctx, query, args...).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return raw, err
}

// Attempts lists a batch's attempts, in the order of their ids.
func (j *Journal) Attempts(batch string) ([]*submit.Attempt, error) {
	var out []*submit.Attempt
	err := j.retry(func(ctx context.Context) error {
		out = nil
		rows, err := j.db.pool.Query(ctx, `SELECT record FROM journal_attempts WHERE batch = $1 ORDER BY id COLLATE "C"`, batch)
		if err != nil {
			return err
		}
		raws, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		for _, raw := range raws {
			a, err := decodeAttempt(raw)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func decodeAttempt(raw []byte) (*submit.Attempt, error) {
	var a submit.Attempt
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("%w: an attempt: %v", submit.ErrCorrupt, err)
	}
	return &a, a.Validate()
}

// Row returns a row's record, or nil.
func (j *Journal) Row(batch, rowKey string) (*submit.RowRecord, error) {
	raw, err := j.record("SELECT record FROM journal_rows WHERE batch = $1 AND row_key = $2", batch, rowKey)
	if raw == nil || err != nil {
		return nil, err
	}
	var r submit.RowRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%w: row %s/%s: %v", submit.ErrCorrupt, batch, rowKey, err)
	}
	return &r, r.Validate(batch, rowKey)
}

// HasBatch reports whether the journal holds anything of a batch.
func (j *Journal) HasBatch(batch string) (bool, error) {
	var found bool
	err := j.retry(func(ctx context.Context) error {
		return j.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM journal_attempts WHERE batch = $1)
OR EXISTS (SELECT 1 FROM journal_rows WHERE batch = $1)`, batch).Scan(&found)
	})
	return found, err
}
