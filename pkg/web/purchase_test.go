package web

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// failingPuts is the embedded store, whose PutFile fails once failing is
// set (a database that refuses writes, a full disk).
type failingPuts struct {
	*store.Store
	failing atomic.Bool
}

func (f *failingPuts) PutFile(id string, version int, name string, data []byte) error {
	if f.failing.Load() {
		return errors.New("disk full")
	}
	return f.Store.PutFile(id, version, name, data)
}

// TestPurchaseResultsNotKept: a purchase whose results cannot be put into
// the store still records its outcome (the statuses, from the journal's
// run), says on the page that the rows may be out of date without naming
// a folder on the server, and leaves its work folder for an operator.
func TestPurchaseResultsNotKept(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingPuts{Store: st}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	a := newApp(t, Options{Store: fs, Data: st.Dir, Conn: connTo(t, sandbox.New(sandbox.Config{})), Context: ctx})
	up := uploadApproved(t, a, a)
	fs.failing.Store(true)
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	got := statusOn(t, a, up.ID)
	if got.Status != StatusDone || got.Purchase.Statuses["Ordered"] != 30 || !strings.Contains(got.Purchase.Error, "could not be kept (") ||
		strings.Contains(got.Purchase.Error, st.Dir) {
		t.Errorf("the purchase: %s %+v", got.Status, got.Purchase)
	}
	left, _ := os.ReadDir(filepath.Join(st.Dir, "work"))
	if len(left) != 1 {
		t.Fatalf("work folders left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(st.Dir, "work", left[0].Name(), store.FileResults)); err != nil {
		t.Errorf("the results were not left for an operator: %v", err)
	}
}
