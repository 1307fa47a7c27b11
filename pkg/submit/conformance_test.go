package submit_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/submit"
	"github.com/cspimporter/importer/pkg/submit/journaltest"
)

// TestFileJournalConformance: the file journal passes the journal suite
// PostgreSQL's passes too (pkg/pgstate).
func TestFileJournalConformance(t *testing.T) {
	journaltest.Run(t, func(t *testing.T) func() submit.Journal {
		path := filepath.Join(t.TempDir(), "november.journal")
		return func() submit.Journal {
			j, err := submit.OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
	})
}

// TestFileJournalListing: what state copy reads of a file: its remote, its
// batches (in order, each once) and each batch's rows.
func TestFileJournalListing(t *testing.T) {
	j, err := submit.OpenJournal(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if r, err := j.Remote(); err != nil || r != "" {
		t.Errorf("an unbound journal's remote: %q %v", r, err)
	}
	if err := j.Bind(submit.RemotePartnerCenter); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if err := j.PutAttempt(&submit.Attempt{Batch: "nov", ID: "a", State: submit.StateDone}); err != nil {
		t.Fatal(err)
	}
	if err := j.PutRows("dec", map[string]submit.RowRecord{"r1": {Status: "Ordered", At: at}, "r2": {Status: "Failed", At: at}}); err != nil {
		t.Fatal(err)
	}
	if err := j.PutRows("nov", map[string]submit.RowRecord{"r9": {Status: "Ordered", At: at}}); err != nil {
		t.Fatal(err)
	}
	r, _ := j.Remote()
	batches, _ := j.Batches()
	rows, _ := j.Rows("dec")
	if r != submit.RemotePartnerCenter || strings.Join(batches, ",") != "dec,nov" || len(rows) != 2 || rows["r2"].Status != "Failed" {
		t.Errorf("remote %q, batches %v, rows %+v", r, batches, rows)
	}
}
