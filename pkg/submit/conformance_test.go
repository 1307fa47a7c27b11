package submit_test

import (
	"path/filepath"
	"testing"

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
