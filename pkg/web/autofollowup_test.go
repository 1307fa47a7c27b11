package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
)

// TestAutomaticFollowUp: an hour after a purchase, the app asks Partner
// Center about its orders by itself, once they are all provisioned it
// stops asking, and Wait returns once the server's context ends.
func TestAutomaticFollowUp(t *testing.T) {
	co := importer.DefaultConnectOptions()
	co.Sandbox, co.Rate = true, 60000
	conn := importer.NewConnection(co)
	defer conn.Close()
	var clock atomic.Int64
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	clock.Store(start.UnixNano())
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	o := Options{Conn: conn, Context: ctx, FollowUp: time.Hour, followUpTick: 10 * time.Millisecond,
		Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }}
	a := newApp(t, o)
	_, b := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
	if code, msg := a.approve("bob", b.ID, "approve", b.Plan["sha256"]); code != 200 {
		t.Fatalf("approve: %d %s", code, msg)
	}
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+b.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	get := func() batchView {
		var got batchView
		_, raw := a.do("alice", "GET", "/api/v1/batches/"+b.ID, nil, "")
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	wait := func(what string, ok func(batchView) bool) batchView {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if got := get(); ok(got) {
				return got
			} else if time.Now().After(deadline) {
				t.Fatalf("%s: %+v", what, got)
			}
		}
	}
	wait("the purchase", func(v batchView) bool { return v.Status == StatusDone })
	time.Sleep(100 * time.Millisecond) // ten looks: too early for any
	if f := get().Purchase.FollowUp; f != nil {
		t.Fatalf("asked before an hour had passed: %+v", f)
	}
	clock.Add(int64(time.Hour))
	got := wait("the follow-up", func(v batchView) bool { return v.Purchase.FollowUp != nil })
	if f := got.Purchase.FollowUp; f.By != "importer" || f.Done != 30 || f.Pending != 0 {
		t.Errorf("the follow-up: %+v", f)
	}
	clock.Add(int64(3 * time.Hour))
	time.Sleep(100 * time.Millisecond)
	log, _ := a.st.AuditLog()
	n := 0
	for _, e := range log {
		if e.Action == "follow-up" {
			n++
			if e.Who != "importer" || e.Detail != "30 rows provisioned, 0 pending, 0 failed" {
				t.Errorf("audited: %+v", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d follow-ups audited, want 1 (settled orders are not asked about again)", n)
	}
	stop()
	done := make(chan struct{})
	go func() { a.srv.Config.Handler.(*Server).Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("Wait did not return after the context ended")
	}
}
