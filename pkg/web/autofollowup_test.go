package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/store"
)

func TestFollowUpDue(t *testing.T) {
	end := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	bought := func(state string, f *store.FollowUp) *store.Batch {
		return &store.Batch{Versions: []store.Version{{N: 1, PlanSHA256: "p"}},
			Purchase: &store.Purchase{State: state, PlanSHA256: "p", Finished: end, FollowUp: f}}
	}
	tests := []struct {
		name  string
		b     *store.Batch
		after time.Duration
		want  bool
	}{
		{"never bought", &store.Batch{Versions: []store.Version{{N: 1, PlanSHA256: "p"}}}, 2 * time.Hour, false},
		{"being bought", bought(StatusBuying, nil), 2 * time.Hour, false},
		{"could not run", bought(StatusFailed, nil), 2 * time.Hour, false},
		{"a new version since", &store.Batch{Versions: []store.Version{{N: 1, PlanSHA256: "p"}, {N: 2, PlanSHA256: "q"}},
			Purchase: &store.Purchase{State: StatusDone, PlanSHA256: "p", Finished: end}}, 2 * time.Hour, false},
		{"just bought", bought(StatusDone, nil), 30 * time.Minute, false},
		{"bought an hour ago", bought(StatusDone, nil), time.Hour, true},
		{"bought with problems", bought(StatusProblems, nil), time.Hour, true},
		{"pending, asked recently", bought(StatusDone, &store.FollowUp{At: end.Add(90 * time.Minute), Pending: 3}), 2 * time.Hour, false},
		{"pending, asked an hour ago", bought(StatusDone, &store.FollowUp{At: end.Add(time.Hour), Pending: 3}), 2 * time.Hour, true},
		{"unanswered, asked an hour ago", bought(StatusDone, &store.FollowUp{At: end.Add(time.Hour), Error: "timeout"}), 2 * time.Hour, true},
		{"settled", bought(StatusDone, &store.FollowUp{At: end.Add(time.Hour), Done: 28, Failed: 2}), 5 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := followUpDue(tt.b, end.Add(tt.after), time.Hour); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

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
