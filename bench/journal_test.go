package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/submit"
)

func fileJournal(tb testing.TB, _ string) submit.Journal {
	j, err := submit.OpenJournal(filepath.Join(tb.TempDir(), "journal"))
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// postgresJournal is a PostgreSQL journal holding batch, in a schema of its
// own on IMPORTER_TEST_POSTGRES's server (skipped without one).
func postgresJournal(tb testing.TB, batch string) submit.Journal {
	db, err := pgstate.Open(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	j, err := db.OpenJournal(context.Background(), batch, pgstate.LeaseOptions{Holder: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

// BenchmarkJournalWrites measures journal writes a second (each durable
// before it returns), one writer and five at once (a submission's
// concurrency), in a file and in PostgreSQL on this machine.
func BenchmarkJournalWrites(b *testing.B) {
	for _, kind := range []struct {
		name string
		open func(testing.TB, string) submit.Journal
	}{{"file", fileJournal}, {"postgres", postgresJournal}} {
		for _, writers := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s-%d-writers", kind.name, writers), func(b *testing.B) {
				j := kind.open(b, "bench")
				defer j.Close()
				const perWriter = 200
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					var wg sync.WaitGroup
					for w := range writers {
						wg.Go(func() {
							for n := range perWriter {
								a := &submit.Attempt{Batch: "bench", ID: fmt.Sprintf("%d-%d-%d", i, w, n), State: submit.StateCreateSent, RowKeys: []string{"r"}}
								if err := j.PutAttempt(a); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*writers*perWriter)/time.Since(start).Seconds(), "writes/s")
			})
		}
	}
}
