package importer

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/order"
)

// countProgress counts what it is told.
type countProgress struct {
	started, finished   atomic.Int32
	carts, rows, bought atomic.Int32
}

func (p *countProgress) Start(int, int) { p.started.Add(1) }
func (p *countProgress) CartDone(rows, bought int) {
	p.carts.Add(1)
	p.rows.Add(int32(rows))
	p.bought.Add(int32(bought))
}
func (p *countProgress) Finish() { p.finished.Add(1) }

// TestTwoSubmissionsInOneProcess: two sheets of different batches submitted
// at the same time in one process (as the web app will) share nothing that
// races (run under -race), each orders its own rows, and each run's
// progress and log are its own.
func TestTwoSubmissionsInOneProcess(t *testing.T) {
	dir := t.TempDir()
	input := sample(t, dir, "monthly-orders.xlsx", "orders.xlsx")
	var wg sync.WaitGroup
	batches := []string{"november", "december"}
	done := make([]*Submitted, len(batches))
	errs := make([]error, len(batches))
	progress := make([]*countProgress, len(batches))
	for i, batch := range batches {
		progress[i] = &countProgress{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := logrus.New()
			log.SetOutput(&syncDiscard{})
			conn := NewConnection(sandboxOptions())
			defer conn.Close()
			co := CheckOptions{Now: clock, Results: filepath.Join(dir, batch+".results.xlsx"), Log: log}
			o := SubmitOptions{Batch: batch, State: filepath.Join(dir, batch+".journal"), Concurrency: 5, Log: log, Progress: progress[i]}
			done[i], errs[i] = SubmitSheet(context.Background(), input, co, o, conn)
		}()
	}
	wg.Wait()
	for i, batch := range batches {
		if errs[i] != nil {
			t.Fatalf("%s: %v", batch, errs[i])
		}
		if n := done[i].Run.Count(order.StatusOrdered); n != 30 || done[i].Summary.Batch != batch {
			t.Errorf("%s: %d ordered in batch %s, want 30", batch, n, done[i].Summary.Batch)
		}
		p := progress[i]
		if p.started.Load() != 1 || p.finished.Load() != 1 || p.carts.Load() != 9 || p.rows.Load() != 30 || p.bought.Load() != 30 {
			t.Errorf("%s: progress started %d finished %d, %d carts, %d rows, %d bought; want 1, 1, 9, 30, 30",
				batch, p.started.Load(), p.finished.Load(), p.carts.Load(), p.rows.Load(), p.bought.Load())
		}
	}
}

type syncDiscard struct{ mu sync.Mutex }

func (d *syncDiscard) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(b), nil
}

// TestOutcomesAreTyped: each way a run can end says whose fault it was, so
// that every front end maps it alike.
func TestOutcomesAreTyped(t *testing.T) {
	dir := t.TempDir()
	good := sample(t, dir, "monthly-orders.xlsx", "good.xlsx")
	bad := sample(t, dir, "monthly-orders-with-mistakes.csv", "bad.csv")
	noCreds := DefaultConnectOptions()
	noCreds.Getenv = func(string) string { return "" }
	for _, tc := range []struct {
		name     string
		input    string
		conn     ConnectOptions
		o        SubmitOptions
		want     Fault
		finished bool
	}{
		{"every row bought", good, sandboxOptions(), SubmitOptions{Concurrency: 5, State: filepath.Join(dir, "a.journal")}, 0, true},
		{"invalid rows: nothing sent", bad, noCreds, SubmitOptions{Concurrency: 5}, FaultRows, true},
		{"no such sheet", filepath.Join(dir, "missing.xlsx"), noCreds, SubmitOptions{Concurrency: 5}, FaultSheet, false},
		{"differs from its plan", good, noCreds, SubmitOptions{Concurrency: 5, Plan: filepath.Join(dir, "missing.plan.json")}, FaultSheet, false},
		{"no credentials", good, noCreds, SubmitOptions{Concurrency: 5, State: filepath.Join(dir, "b.journal")}, FaultSurroundings, false},
		{"bad options", good, noCreds, SubmitOptions{}, FaultSheet, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := NewConnection(tc.conn)
			defer conn.Close()
			co := CheckOptions{Now: clock, Results: filepath.Join(t.TempDir(), "out.results.xlsx")}
			done, err := SubmitSheet(context.Background(), tc.input, co, tc.o, conn)
			if got := FaultOf(err); got != tc.want {
				t.Errorf("fault %v (%v), want %v", got, err, tc.want)
			}
			if (done != nil) != tc.finished {
				t.Errorf("finished %v, want %v", done != nil, tc.finished)
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Errorf("%T is not an *Error", err)
			}
		})
	}
}
