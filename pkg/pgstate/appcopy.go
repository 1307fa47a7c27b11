package pgstate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/cspimporter/importer/pkg/store"
)

// What importer state copy puts into the app's store from a data
// directory: each record is added unless the store has one in its place,
// which is kept as it is (it may know more), so copying twice is harmless.

// CopyBatch adds a batch, with its versions, decisions and purchase,
// unless the store has a batch of its id or its name.
func (s *AppStore) CopyBatch(b *store.Batch, c *Copied) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		return addOrCount(ctx, tx, c,
			"INSERT INTO app_batches (id, name, created, record) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", []any{b.ID, b.Name, b.Created, raw},
			"SELECT record FROM app_batches WHERE id = $1", []any{b.ID},
			func(had []byte) bool { return sameAs(b, had) })
	})
}

// CopyFile adds one of a version's files unless the store has it.
func (s *AppStore) CopyFile(id string, version int, name string, data []byte, c *Copied) error {
	if _, err := store.CleanFileName(name); err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		return addOrCount(ctx, tx, c,
			"INSERT INTO app_files (batch, version, name, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", []any{id, version, name, data},
			"SELECT data FROM app_files WHERE batch = $1 AND version = $2 AND name = $3", []any{id, version, name},
			func(had []byte) bool { return bytes.Equal(had, data) })
	})
}

// CopyAudit appends an entry of another audit log, once: it is numbered
// after the entries the store has, and keeps its time.
func (s *AppStore) CopyAudit(e store.Entry, c *Copied) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	h := sha256.Sum256(raw)
	sum := hex.EncodeToString(h[:])
	e.Seq = 0 // the store numbers it
	if raw, err = json.Marshal(e); err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		return addOrCount(ctx, tx, c,
			"INSERT INTO app_audit (record, copied) VALUES ($1, $2) ON CONFLICT (copied) DO NOTHING", []any{raw, sum},
			"SELECT record FROM app_audit WHERE copied = $1", []any{sum},
			func([]byte) bool { return true })
	})
}

// CopyToken adds an API token (its hash: the secret was never kept)
// unless the store has a token of its name or its secret.
func (s *AppStore) CopyToken(t store.Token, c *Copied) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		return addOrCount(ctx, tx, c,
			"INSERT INTO app_tokens (name, hash, record) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", []any{t.Name, t.Hash, raw},
			"SELECT record FROM app_tokens WHERE name = $1", []any{t.Name},
			func(had []byte) bool { return sameAs(&t, had) })
	})
}

// sameAs: had, the store's record, says what v does.
func sameAs[T any](v *T, had []byte) bool {
	var h T
	return json.Unmarshal(had, &h) == nil && sameJSON(v, &h)
}
