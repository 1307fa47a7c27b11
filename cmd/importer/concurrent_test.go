package main

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestTwoSubmissionsInOneProcess: two sheets of different batches submitted
// at the same time by one app (as the web app will) share nothing that
// races (run under -race), and each orders its own rows.
func TestTwoSubmissionsInOneProcess(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	// Each caller of the web app gets its own output; here they share one,
	// so it is locked.
	var stdout, stderr syncBuffer
	a := newApp(&stdout, &stderr)
	a.secrets = &redactor{}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, batch := range []string{"november", "december"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := defaultSubmitOptions()
			o.sandbox, o.batch, o.clock = true, batch, "2026-11-21T09:00:00Z"
			o.state = filepath.Join(dir, batch+".journal")
			o.out = filepath.Join(dir, batch+".results.xlsx")
			o.json = true
			o.on = notifyAlways
			sum, err := a.submitWith(context.Background(), filepath.Join(dir, name), o, nil)
			if err == nil && sum.Statuses["Ordered"] != 30 {
				t.Errorf("%s: %v", batch, sum.Statuses)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("submission %d: %v\n%s", i, err, stderr.String())
		}
	}
}
