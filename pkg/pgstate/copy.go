package pgstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cspimporter/importer/pkg/submit"
)

// Copied says what copying a batch's records into the database did:
// records added, records the database had already (the same), and records
// the database had otherwise and kept (it may know more: another host ran
// the batch since).
type Copied struct {
	Added, Same, Kept int
}

// CopyBatch puts a journal file's records of batch into the database,
// holding the batch's lease meanwhile (refused while a run holds it). A
// record the database has already is never overwritten, so copying twice
// changes nothing.
func (db *DB) CopyBatch(ctx context.Context, batch string, attempts []*submit.Attempt, rows map[string]submit.RowRecord, o LeaseOptions) (Copied, error) {
	j, err := db.OpenJournal(ctx, batch, o)
	if err != nil {
		return Copied{}, err
	}
	defer j.Close()
	var c Copied
	err = j.write(batch, func(ctx context.Context, tx pgx.Tx) error {
		c = Copied{}
		for _, a := range attempts {
			if err := copyRecord(ctx, tx, &c, "journal_attempts", "id", batch, a.ID, a, sameAttempt); err != nil {
				return err
			}
		}
		for k, r := range rows {
			if err := copyRecord(ctx, tx, &c, "journal_rows", "row_key", batch, k, r, sameRow); err != nil {
				return err
			}
		}
		return nil
	})
	return c, err
}

func copyRecord[T any](ctx context.Context, tx pgx.Tx, c *Copied, table, keyCol, batch, key string, v T, same func(T, []byte) bool) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return addOrCount(ctx, tx, c,
		fmt.Sprintf("INSERT INTO %s (batch, %s, record) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", table, keyCol), []any{batch, key, raw},
		fmt.Sprintf("SELECT record FROM %s WHERE batch = $1 AND %s = $2", table, keyCol), []any{batch, key},
		func(had []byte) bool { return same(v, had) })
}

// addOrCount adds a record with insert (which does nothing where the
// database has one in its place) and counts it; else it reads the
// database's with had (no row: one of another key is in its place) and
// counts it the same, or kept.
func addOrCount(ctx context.Context, tx pgx.Tx, c *Copied, insert string, args []any, had string, hadArgs []any, same func(had []byte) bool) error {
	tag, err := tx.Exec(ctx, insert, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		c.Added++
		return nil
	}
	var raw []byte
	if err := tx.QueryRow(ctx, had, hadArgs...).Scan(&raw); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if raw != nil && same(raw) {
		c.Same++
	} else {
		c.Kept++
	}
	return nil
}

// sameAttempt: the database's attempt says what a is (when each was last
// written aside).
func sameAttempt(a *submit.Attempt, had []byte) bool {
	var b submit.Attempt
	if json.Unmarshal(had, &b) != nil {
		return false
	}
	x := *a
	x.Updated = b.Updated
	return sameJSON(&x, &b)
}

func sameRow(r submit.RowRecord, had []byte) bool {
	var b submit.RowRecord
	return json.Unmarshal(had, &b) == nil && sameJSON(r, b)
}

func sameJSON(x, y any) bool {
	a, err1 := json.Marshal(x)
	b, err2 := json.Marshal(y)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
