// Package journaltest is the conformance suite of submit.Journal: the file
// journal and PostgreSQL's both pass it, so exactly-once rests on the same
// behaviour whichever keeps the journal.
package journaltest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/submit"
)

// Batch is the batch the suite writes (a journal that holds one batch at
// a time must be opened for it).
const Batch = "november"

// Opener makes a fresh, empty store for one test and returns how to open
// its journal; it may be called again after Close, and opens the same one.
type Opener func(t *testing.T) (open func() submit.Journal)

// Run runs the suite.
func Run(t *testing.T, newStore Opener) {
	tests := []struct {
		name string
		f    func(t *testing.T, open func() submit.Journal)
	}{
		{"empty", empty},
		{"attempts", attempts},
		{"finish", finish},
		{"rows", rows},
		{"bind", bind},
		{"durable", durable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f(t, newStore(t))
		})
	}
}

func attempt(id, state string) *submit.Attempt {
	return &submit.Attempt{Batch: Batch, ID: id, CustomerID: "c-" + id, RowKeys: []string{"r1", "r2"}, Version: 2, State: state, RunID: "run-1",
		CreateRequestID: "req-" + id, CartID: "cart-" + id, Expires: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Lines: []submit.LineInfo{{OrderGroup: "0", CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 25, TermDuration: "P1M", Priced: true, ListPrice: 12.5, ExtendedPrice: 312.5, Currency: "USD"}}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func same(t *testing.T, got, want *submit.Attempt) {
	t.Helper()
	if got == nil {
		t.Fatalf("attempt %s: none", want.ID)
	}
	g, w := *got, *want
	g.Updated, w.Updated = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("attempt %s:\n got %+v\nwant %+v", want.ID, g, w)
	}
	if got.Updated.IsZero() {
		t.Errorf("attempt %s: no time of update", want.ID)
	}
}

func empty(t *testing.T, open func() submit.Journal) {
	j := open()
	defer j.Close()
	a, err := j.Attempt(Batch, "a")
	must(t, err)
	all, err := j.Attempts(Batch)
	must(t, err)
	r, err := j.Row(Batch, "r1")
	must(t, err)
	has, err := j.HasBatch(Batch)
	must(t, err)
	if a != nil || len(all) != 0 || r != nil || has {
		t.Errorf("an empty journal: %v %v %v %v", a, all, r, has)
	}
}

func attempts(t *testing.T, open func() submit.Journal) {
	j := open()
	defer j.Close()
	b, a := attempt("b", submit.StateCreateSent), attempt("a", submit.StateCreateSent)
	must(t, j.PutAttempt(b))
	must(t, j.PutAttempt(a))
	a.State = submit.StateCheckoutSent
	must(t, j.PutAttempt(a))
	got, err := j.Attempt(Batch, "a")
	must(t, err)
	same(t, got, a)
	all, err := j.Attempts(Batch)
	must(t, err)
	if len(all) != 2 || all[0].ID != "a" || all[1].ID != "b" {
		t.Fatalf("attempts: %+v", all)
	}
	same(t, all[1], b)
	if other, err := j.Attempts(Batch + "-other"); err != nil || len(other) != 0 {
		t.Errorf("another batch's attempts: %v %v", other, err)
	}
	if has, err := j.HasBatch(Batch); err != nil || !has {
		t.Errorf("HasBatch after an attempt: %v %v", has, err)
	}
	if has, err := j.HasBatch("nov"); err != nil || has {
		t.Errorf("HasBatch of a prefix of the batch: %v %v", has, err)
	}
}

func finish(t *testing.T, open func() submit.Journal) {
	j := open()
	defer j.Close()
	a := attempt("a", submit.StateCheckoutSent)
	must(t, j.PutAttempt(a))
	a.State = submit.StateDone
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	rows := map[string]submit.RowRecord{
		"r1": {Status: "Ordered", OrderID: "o-1", CartID: "cart-a", RunID: "run-1", At: at},
		"r2": {Status: "Failed", Message: "refused", RunID: "run-1", At: at},
	}
	must(t, j.Finish(a, rows))
	got, err := j.Attempt(Batch, "a")
	must(t, err)
	same(t, got, a)
	for k, want := range rows {
		r, err := j.Row(Batch, k)
		must(t, err)
		if r == nil || !reflect.DeepEqual(*r, want) {
			t.Errorf("row %s: %+v, want %+v", k, r, want)
		}
	}
}

func rows(t *testing.T, open func() submit.Journal) {
	j := open()
	defer j.Close()
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	must(t, j.PutRows(Batch, map[string]submit.RowRecord{"r1": {Status: "Unknown", RunID: "run-1", At: at}}))
	if has, err := j.HasBatch(Batch); err != nil || !has {
		t.Errorf("HasBatch after a row: %v %v", has, err)
	}
	want := submit.RowRecord{Status: "Ordered", OrderID: "o-1", RunID: "run-2", At: at, OrderStatus: "completed", Provisioning: "fulfilled"}
	must(t, j.PutRows(Batch, map[string]submit.RowRecord{"r1": want}))
	r, err := j.Row(Batch, "r1")
	must(t, err)
	if r == nil || !reflect.DeepEqual(*r, want) {
		t.Errorf("row r1: %+v, want %+v", r, want)
	}
	if r, err := j.Row(Batch+"-other", "r1"); err != nil || r != nil {
		t.Errorf("another batch's row: %+v %v", r, err)
	}
}

func bind(t *testing.T, open func() submit.Journal) {
	j := open()
	must(t, j.Bind(submit.RemoteSandbox))
	must(t, j.Bind(submit.RemoteSandbox))
	if err := j.Bind(submit.RemotePartnerCenter); !errors.Is(err, submit.ErrOtherRemote) {
		t.Errorf("bound to the sandbox, bound to Partner Center: %v", err)
	}
	must(t, j.Close())
	j = open()
	defer j.Close()
	if err := j.Bind(submit.RemotePartnerCenter); !errors.Is(err, submit.ErrOtherRemote) {
		t.Errorf("reopened: %v", err)
	}
}

func durable(t *testing.T, open func() submit.Journal) {
	j := open()
	a := attempt("a", submit.StateDone)
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	must(t, j.Finish(a, map[string]submit.RowRecord{"r1": {Status: "Ordered", RunID: "run-1", At: at}}))
	must(t, j.Close())
	j = open()
	defer j.Close()
	got, err := j.Attempt(Batch, "a")
	must(t, err)
	same(t, got, a)
	if r, err := j.Row(Batch, "r1"); err != nil || r == nil || r.Status != "Ordered" {
		t.Errorf("row r1 after reopening: %+v %v", r, err)
	}
}
