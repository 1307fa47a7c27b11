package importer

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/submit"
)

// BatchCopied is what copying one batch of a journal file did.
type BatchCopied struct {
	Batch    string
	Attempts int // carts the file records
	Rows     int // rows it records
	pgstate.Copied
}

// CopyState copies the journal file from into the PostgreSQL database to,
// batch by batch, so that a partner moving to shared state keeps what was
// ordered: a run against the database then skips it, as a run against
// the file would. What the database has already is never overwritten, so
// copying twice is harmless. A sandbox's journal is not copied: nothing it
// records was bought.
func CopyState(ctx context.Context, from, to string) ([]BatchCopied, error) {
	if pgstate.IsURL(from) || !pgstate.IsURL(to) {
		return nil, sheetFault(errors.New("copy a journal file (--from FILE) into PostgreSQL (--to postgres://USER@HOST/DB)"))
	}
	if _, err := os.Stat(from); err != nil {
		return nil, sheetFault(fmt.Errorf("journal %s: %w", from, err))
	}
	db, err := pgstate.Open(ctx, to)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer db.Close()
	return copyJournal(ctx, db, from)
}

// copyJournal copies the journal file from into db, batch by batch.
func copyJournal(ctx context.Context, db *pgstate.DB, from string) ([]BatchCopied, error) {
	j, err := submit.OpenJournal(from)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer j.Close()
	remote, err := j.Remote()
	if err != nil {
		return nil, surroundingsFault(err)
	}
	if remote == submit.RemoteSandbox {
		return nil, sheetFault(fmt.Errorf("journal %s records sandbox runs, where nothing was bought; there is nothing to copy", from))
	}
	if err := db.Bind(ctx, submit.RemotePartnerCenter); err != nil {
		return nil, surroundingsFault(err)
	}
	batches, err := j.Batches()
	if err != nil {
		return nil, surroundingsFault(err)
	}
	var out []BatchCopied
	for _, b := range batches {
		attempts, err := j.Attempts(b)
		if err != nil {
			return out, surroundingsFault(err)
		}
		rows, err := j.Rows(b)
		if err != nil {
			return out, surroundingsFault(err)
		}
		c, err := db.CopyBatch(ctx, b, attempts, rows, pgstate.LeaseOptions{Holder: holder("state copy")})
		if err != nil {
			return out, surroundingsFault(fmt.Errorf("batch %s: %w", b, err))
		}
		out = append(out, BatchCopied{Batch: b, Attempts: len(attempts), Rows: len(rows), Copied: c})
	}
	return out, nil
}
