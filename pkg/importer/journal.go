package importer

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/submit"
)

// journalAt says where a batch's journal is and who holds it: a file, or
// (State a postgres:// URL) PostgreSQL, where the run leases the batch.
type journalAt struct {
	Path    string
	Batch   string
	Sandbox bool
	Reset   bool
	Lease   pgstate.LeaseOptions
}

// openJournal opens the batch's journal: PostgreSQL's for a postgres://
// state, else the file's.
func openJournal(ctx context.Context, at journalAt) (submit.Journal, error) {
	if !pgstate.IsURL(at.Path) {
		return openFileJournal(at.Path, at.Sandbox, at.Reset)
	}
	if at.Sandbox {
		return nil, errors.New("--sandbox keeps its state beside a journal file, so it cannot share a PostgreSQL --state: serve the simulator on its own (importer sandbox) and give its address as --endpoint")
	}
	db, err := pgstate.Open(ctx, at.Path)
	if err != nil {
		return nil, err
	}
	j, err := db.OpenJournal(ctx, at.Batch, at.Lease)
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := j.Bind(submit.RemotePartnerCenter); err != nil {
		_ = j.Close()
		db.Close()
		return nil, err
	}
	return &sharedJournal{Journal: j, db: db}, nil
}

// sharedJournal is a PostgreSQL journal with its own connections.
type sharedJournal struct {
	*pgstate.Journal
	db *pgstate.DB
}

func (j *sharedJournal) Close() error {
	err := j.Journal.Close()
	j.db.Close()
	return err
}

// shownState is a journal's place as logs and results may show it: a
// PostgreSQL URL without its password.
func shownState(path string) string {
	if pgstate.IsURL(path) {
		return pgstate.Redact(path)
	}
	return path
}

// holder names this run for whoever finds its batch held.
func holder(runID string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s (process %d, run %s)", host, os.Getpid(), runID)
}
