package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/submit"
)

// AppCopied is what copying a web app's data directory did, by kind of
// record.
type AppCopied struct {
	Journals                      []BatchCopied // the purchases' journals
	Batches, Files, Audit, Tokens pgstate.Copied
}

// CopyApp copies the data directory of an app that ran with the embedded
// store (serve --data dir) into the PostgreSQL database to, so that app
// instances on it (serve --store) carry on from where it was: the
// purchases' journals first (so no purchase can be taken up before what
// it bought is known), then the batches with every version's files,
// decisions and purchases, the audit log and the API tokens. Sessions are
// not copied: people sign in again. What the database has is never
// overwritten, so copying twice is harmless. The app must be stopped; a
// data directory used with --sandbox, where nothing was bought, is refused.
func CopyApp(ctx context.Context, dir, to string) (*AppCopied, error) {
	if !pgstate.IsURL(to) {
		return nil, sheetFault(errors.New("copy a data directory (--from DIR) into PostgreSQL (--to postgres://USER@HOST/DB)"))
	}
	if _, err := os.Stat(filepath.Join(dir, "importer.db")); err != nil {
		return nil, sheetFault(fmt.Errorf("%s is not the data directory of an app (it has no importer.db): give serve's --data", dir))
	}
	journals, err := filepath.Glob(filepath.Join(dir, "journals", "*.journal"))
	if err != nil {
		return nil, sheetFault(err)
	}
	for _, j := range journals {
		if sandbox, err := sandboxJournal(j); err != nil || sandbox {
			if err == nil {
				err = sheetFault(fmt.Errorf("data directory %s was used with --sandbox (%s records sandbox runs, where nothing was bought); there is nothing to copy", dir, filepath.Base(j)))
			}
			return nil, err
		}
	}
	st, err := store.Open(dir)
	if errors.Is(err, store.ErrLocked) {
		return nil, surroundingsFault(fmt.Errorf("%w: stop the app (importer serve) before copying its data directory", err))
	}
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer st.Close()
	db, err := pgstate.Open(ctx, to)
	if err != nil {
		return nil, surroundingsFault(err)
	}
	defer db.Close()
	out := &AppCopied{}
	for _, j := range journals {
		done, err := copyJournal(ctx, db, j)
		out.Journals = append(out.Journals, done...)
		if err != nil {
			return out, err
		}
	}
	if err := copyAppStore(st, db.AppStore(), out); err != nil {
		return out, surroundingsFault(err)
	}
	return out, nil
}

// sandboxJournal: the journal file records sandbox runs.
func sandboxJournal(path string) (bool, error) {
	j, err := submit.OpenJournal(path)
	if err != nil {
		return false, surroundingsFault(err)
	}
	defer j.Close()
	remote, err := j.Remote()
	if err != nil {
		return false, surroundingsFault(err)
	}
	return remote == submit.RemoteSandbox, nil
}

// copyAppStore copies the embedded store's batches (with their files),
// audit log and tokens.
func copyAppStore(from *store.Store, to *pgstate.AppStore, out *AppCopied) error {
	batches, err := from.Batches()
	if err != nil {
		return err
	}
	for _, b := range batches {
		if err := copyBatchFiles(from, to, b, &out.Files); err != nil {
			return err
		}
		for i := range b.Versions {
			b.Versions[i].File = b.Versions[i].SheetFile() // not a path on this host
		}
		if err := to.CopyBatch(b, &out.Batches); err != nil {
			return fmt.Errorf("batch %s: %w", b.Name, err)
		}
	}
	log, err := from.AuditLog()
	if err != nil {
		return err
	}
	for _, e := range log {
		if err := to.CopyAudit(e, &out.Audit); err != nil {
			return fmt.Errorf("audit entry %d: %w", e.Seq, err)
		}
	}
	tokens, err := from.Tokens()
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if err := to.CopyToken(t, &out.Tokens); err != nil {
			return fmt.Errorf("token %s: %w", t.Name, err)
		}
	}
	return nil
}

// copyBatchFiles copies the files of b's versions (before b itself, so a
// batch the database shows has its files).
func copyBatchFiles(from *store.Store, to *pgstate.AppStore, b *store.Batch, c *pgstate.Copied) error {
	for _, v := range b.Versions {
		for _, name := range v.Files() {
			data, err := from.File(b.ID, v.N, name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err == nil {
				err = to.CopyFile(b.ID, v.N, name, data, c)
			}
			if err != nil {
				return fmt.Errorf("batch %s version %d: %s: %w", b.Name, v.N, name, err)
			}
		}
	}
	return nil
}
