package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cspimporter/importer/pkg/store"
)

// AppStore is the web app's store in PostgreSQL (serve --store), which
// several app instances share; it is what pkg/store is on one machine, and
// passes the same suite (pkg/store/storetest).
type AppStore struct {
	db *DB
}

// AppStore is the database's app store.
func (db *DB) AppStore() *AppStore { return &AppStore{db: db} }

// opTimeout bounds one store operation: a request waits no longer.
const opTimeout = 15 * time.Second

// tx runs f in a transaction. One that failed before its commit was sent
// (a connection the database ended, or a restart) changed nothing, so it
// is tried again, on a new connection, within opTimeout; a commit whose
// answer was lost is not, as it may have been applied.
func (s *AppStore) tx(f func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		committing, err := s.try(ctx, f)
		if err == nil || committing || !transient(err) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func (s *AppStore) try(ctx context.Context, f func(ctx context.Context, tx pgx.Tx) error) (committing bool, err error) {
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	if err := f(ctx, tx); err != nil {
		_ = tx.Rollback(ctx)
		return false, err
	}
	return true, tx.Commit(ctx)
}

// rows reads the first column of a query's rows.
func (s *AppStore) rows(query string, args ...any) ([][]byte, error) {
	var out [][]byte
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err == nil {
			out, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
		}
		return err
	})
	return out, err
}

// locked reads a batch row for update (nil: none).
func locked(ctx context.Context, tx pgx.Tx, where string, arg any) (*store.Batch, error) {
	var raw []byte
	err := tx.QueryRow(ctx, "SELECT record FROM app_batches WHERE "+where+" = $1 FOR UPDATE", arg).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var b store.Batch
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("batch %v: %w", arg, err)
	}
	return &b, nil
}

func putBatch(ctx context.Context, tx pgx.Tx, b *store.Batch) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO app_batches (id, name, created, record) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record`, b.ID, b.Name, b.Created, raw)
	return err
}

// Reserve gives an upload of the batch named name its version number.
func (s *AppStore) Reserve(name string, now time.Time, check func(*store.Batch) error) (*store.Batch, int, error) {
	var out *store.Batch
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		fresh := &store.Batch{ID: store.NewID(), Name: name, Created: now}
		raw, err := json.Marshal(fresh)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO app_batches (id, name, created, record) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
			fresh.ID, name, now, raw)
		if err != nil {
			return err
		}
		b, err := locked(ctx, tx, "name", name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if err := check(b); err != nil {
				return err
			}
		}
		b.Reserved = max(b.Reserved, len(b.Versions)) + 1
		out = b
		return putBatch(ctx, tx, b)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, out.Reserved, nil
}

// AddVersion adds a checked version to its batch, in order of number.
func (s *AppStore) AddVersion(id string, v store.Version) (*store.Batch, error) {
	return s.update(id, true, func(b *store.Batch) error {
		b.Versions = append(b.Versions, v)
		sort.Slice(b.Versions, func(i, j int) bool { return b.Versions[i].N < b.Versions[j].N })
		return nil
	})
}

// UpdateBatch changes a batch under its row's lock.
func (s *AppStore) UpdateBatch(id string, f func(*store.Batch) error) (*store.Batch, error) {
	return s.update(id, false, f)
}

func (s *AppStore) update(id string, empty bool, f func(*store.Batch) error) (*store.Batch, error) {
	var out *store.Batch
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		b, err := locked(ctx, tx, "id", id)
		if err != nil {
			return err
		}
		if b == nil || (len(b.Versions) == 0 && !empty) {
			return store.ErrNotFound
		}
		if err := f(b); err != nil {
			return err
		}
		out = b
		return putBatch(ctx, tx, b)
	})
	return out, err
}

// Batch returns a batch (ErrNotFound while its first version is checked).
func (s *AppStore) Batch(id string) (*store.Batch, error) {
	all, err := s.batches("WHERE id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, store.ErrNotFound
	}
	return all[0], nil
}

// Batches lists every batch, newest first.
func (s *AppStore) Batches() ([]*store.Batch, error) { return s.batches("") }

func (s *AppStore) batches(where string, args ...any) ([]*store.Batch, error) {
	raws, err := s.rows("SELECT record FROM app_batches "+where+" ORDER BY created DESC, id", args...)
	if err != nil {
		return nil, err
	}
	var out []*store.Batch
	for _, raw := range raws {
		var b store.Batch
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		if len(b.Versions) > 0 { // else its first upload is still being checked
			out = append(out, &b)
		}
	}
	return out, nil
}

// Audit appends to the audit log.
func (s *AppStore) Audit(e store.Entry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO app_audit (record) VALUES ($1)", raw)
		return err
	})
}

// AuditLog lists the audit log, oldest first.
func (s *AppStore) AuditLog() ([]store.Entry, error) {
	var out []store.Entry
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, "SELECT seq, record FROM app_audit ORDER BY seq")
		if err != nil {
			return err
		}
		var seq int64
		var raw []byte
		_, err = pgx.ForEachRow(rows, []any{&seq, &raw}, func() error {
			var e store.Entry
			if err := json.Unmarshal(raw, &e); err != nil {
				return err
			}
			e.Seq = uint64(seq)
			out = append(out, e)
			return nil
		})
		return err
	})
	return out, err
}

// CreateToken makes an API token and returns its secret, kept nowhere.
func (s *AppStore) CreateToken(name string, roles []string) (string, error) {
	secret := store.NewTokenSecret()
	t := store.Token{Name: name, Hash: store.Hash(secret), Roles: roles, Created: time.Now().UTC()}
	raw, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	err = s.tx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO app_tokens (name, hash, record) VALUES ($1, $2, $3)", name, t.Hash, raw)
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return "", fmt.Errorf("token %q: %w", name, store.ErrExists)
	}
	return secret, err
}

// TokenBySecret finds the token a secret is, or ErrNotFound.
func (s *AppStore) TokenBySecret(secret string) (*store.Token, error) {
	ts, err := s.tokens("WHERE hash = $1", store.Hash(secret))
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, store.ErrNotFound
	}
	return &ts[0], nil
}

// Tokens lists the API tokens by name.
func (s *AppStore) Tokens() ([]store.Token, error) { return s.tokens("") }

func (s *AppStore) tokens(where string, args ...any) ([]store.Token, error) {
	raws, err := s.rows("SELECT record FROM app_tokens "+where+" ORDER BY name", args...)
	if err != nil {
		return nil, err
	}
	out := make([]store.Token, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RevokeToken removes a token.
func (s *AppStore) RevokeToken(name string) error {
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM app_tokens WHERE name = $1", name)
		if err == nil && tag.RowsAffected() == 0 {
			return fmt.Errorf("token %q: %w", name, store.ErrNotFound)
		}
		return err
	})
}

// PutSession keeps the session of the cookie value id (under its hash).
func (s *AppStore) PutSession(id string, sess store.Session) error {
	return s.putExpiring("app_sessions", id, sess.Expires, sess)
}

// Session is the session of the cookie value id, or ErrNotFound (none, or
// ended by now, and removed).
func (s *AppStore) Session(id string, now time.Time) (*store.Session, error) {
	var sess store.Session
	if err := s.one(&sess, "SELECT record FROM app_sessions WHERE hash = $1", store.Hash(id)); err != nil {
		return nil, err
	}
	if now.After(sess.Expires) {
		_ = s.DeleteSession(id)
		return nil, store.ErrNotFound
	}
	return &sess, nil
}

// putExpiring keeps v in table (app_sessions, app_signins) under the hash
// of its secret key, until it expires.
func (s *AppStore) putExpiring(table, key string, expires time.Time, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO "+table+` (hash, expires, record) VALUES ($1, $2, $3)
ON CONFLICT (hash) DO UPDATE SET expires = EXCLUDED.expires, record = EXCLUDED.record`, store.Hash(key), expires, raw)
		return err
	})
}

// one reads into v the JSON record the query returns (store.ErrNotFound:
// none).
func (s *AppStore) one(v any, query string, args ...any) error {
	var raw []byte
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error { return tx.QueryRow(ctx, query, args...).Scan(&raw) })
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// DeleteSession ends the session of the cookie value id.
func (s *AppStore) DeleteSession(id string) error {
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM app_sessions WHERE hash = $1", store.Hash(id))
		return err
	})
}

// DropExpiredSessions removes the sessions that ended before now, and the
// sign-ins nobody finished.
func (s *AppStore) DropExpiredSessions(now time.Time) error {
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM app_sessions WHERE expires < $1", now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM app_signins WHERE expires < $1", now)
		return err
	})
}

// PutSignIn keeps a sign-in under way, under a hash of its state.
func (s *AppStore) PutSignIn(state string, in store.SignIn) error {
	return s.putExpiring("app_signins", state, in.Expires, in)
}

// TakeSignIn is the sign-in of state, removed so that it is used once
// (ErrNotFound: none, or it ended by now).
func (s *AppStore) TakeSignIn(state string, now time.Time) (*store.SignIn, error) {
	var in store.SignIn
	if err := s.one(&in, "DELETE FROM app_signins WHERE hash = $1 RETURNING record", store.Hash(state)); err != nil {
		return nil, err
	}
	if now.After(in.Expires) {
		return nil, store.ErrNotFound
	}
	return &in, nil
}

// PutFile keeps one of a version's files, replacing the one it had under
// that name.
func (s *AppStore) PutFile(id string, version int, name string, data []byte) error {
	if _, err := store.CleanFileName(name); err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO app_files (batch, version, name, data) VALUES ($1, $2, $3, $4)
ON CONFLICT (batch, version, name) DO UPDATE SET data = EXCLUDED.data`, id, version, name, data)
		return err
	})
}

// File is one of a version's files, or store.ErrNotFound.
func (s *AppStore) File(id string, version int, name string) ([]byte, error) {
	var data []byte
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT data FROM app_files WHERE batch = $1 AND version = $2 AND name = $3", id, version, name).Scan(&data)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("batch %s version %d: %s: %w", id, version, name, store.ErrNotFound)
	}
	return data, err
}
