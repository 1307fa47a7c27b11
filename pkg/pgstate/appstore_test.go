package pgstate_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/store/storetest"
)

func appStore(t *testing.T) *pgstate.AppStore {
	db, err := pgstate.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db.AppStore()
}

// TestAppStoreConformance: the app's store in PostgreSQL passes the suite
// the embedded one passes.
func TestAppStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return appStore(t) })
}

// TestAppStoreReservesAcrossInstances: uploads of one new batch at once
// (on any instance) make one batch and get distinct version numbers.
func TestAppStoreReservesAcrossInstances(t *testing.T) {
	s := appStore(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids, numbers := map[string]bool{}, map[int]bool{}
	for range 8 {
		wg.Go(func() {
			b, n, err := s.Reserve("november", time.Now(), func(*store.Batch) error { return nil })
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[b.ID], numbers[n] = true, true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != 1 || len(numbers) != 8 {
		t.Errorf("%d batches and %d numbers for 8 uploads at once, want 1 and 8", len(ids), len(numbers))
	}
}
