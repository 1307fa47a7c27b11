package store_test

import (
	"testing"

	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/store/storetest"
)

// TestConformance: the embedded store passes the store suite.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		st, err := store.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
