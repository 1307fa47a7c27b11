package importer

import (
	"errors"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/store"
)

var decidedAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// batchAt is a batch by alice whose version 1 (plan p, invalid rows) is
// where the test wants it.
func batchAt(invalid int, set func(*store.Batch)) *store.Batch {
	b := &store.Batch{Name: "november", Versions: []store.Version{{N: 1, PlanSHA256: "p", UploadedBy: "alice", Invalid: invalid}}}
	if set != nil {
		set(b)
	}
	return b
}

func approved(b *store.Batch) {
	b.Approval = &store.Approval{Decision: Approve, By: "bob", PlanSHA256: "p", Version: 1}
}

func bought(state string) func(*store.Batch) {
	return func(b *store.Batch) {
		approved(b)
		b.Purchase = &store.Purchase{State: state, PlanSHA256: "p", Version: 1}
	}
}

func TestBatchStatus(t *testing.T) {
	tests := []struct {
		name string
		b    *store.Batch
		want string
	}{
		{"every row valid", batchAt(0, nil), BatchReady},
		{"invalid rows", batchAt(3, nil), BatchInvalid},
		{"asked", batchAt(0, func(b *store.Batch) { b.Requested = &store.Request{PlanSHA256: "p"} }), BatchAwaiting},
		{"asked of an older plan", batchAt(0, func(b *store.Batch) { b.Requested = &store.Request{PlanSHA256: "old"} }), BatchReady},
		{"approved", batchAt(0, approved), BatchApproved},
		{"an older plan approved", batchAt(0, func(b *store.Batch) { b.Approval = &store.Approval{Decision: Approve, PlanSHA256: "old"} }), BatchReady},
		{"rejected", batchAt(2, func(b *store.Batch) { b.Approval = &store.Approval{Decision: Reject, PlanSHA256: "p"} }), BatchRejected},
		{"buying", batchAt(0, bought(BatchBuying)), BatchBuying},
		{"done", batchAt(0, bought(BatchDone)), BatchDone},
		{"failed", batchAt(0, bought(BatchFailed)), BatchFailed},
	}
	for _, tt := range tests {
		if got := BatchStatus(tt.b); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// refused is the kind of err's refusal (0: none).
func refused(err error) RefusalKind {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Kind
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestDecide: four eyes, bound to the plan seen, never approving invalid
// rows, never deciding on a plan bought.
func TestDecide(t *testing.T) {
	tests := []struct {
		name, who, decision, plan string
		b                         *store.Batch
		want                      RefusalKind
	}{
		{"bob approves", "bob", Approve, "p", batchAt(0, nil), 0},
		{"bob rejects", "bob", Reject, "p", batchAt(0, nil), 0},
		{"bob changes his mind", "bob", Reject, "p", batchAt(0, approved), 0},
		{"alice approves her own", "alice", Approve, "p", batchAt(0, nil), NotYou},
		{"alice rejects her own", "alice", Reject, "p", batchAt(0, nil), NotYou},
		{"a plan no longer current", "bob", Approve, "old", batchAt(0, nil), NotNow},
		{"invalid rows approved", "bob", Approve, "p", batchAt(2, nil), NotNow},
		{"invalid rows rejected", "bob", Reject, "p", batchAt(2, nil), 0},
		{"a plan being bought", "bob", Reject, "p", batchAt(0, bought(BatchBuying)), NotNow},
		{"a plan bought", "carol", Reject, "p", batchAt(0, bought(BatchDone)), NotNow},
		{"no decision", "bob", "maybe", "p", batchAt(0, nil), BadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decide(tt.b, tt.who, tt.decision, tt.plan, "as agreed", decidedAt)
			if got := refused(err); got != tt.want {
				t.Fatalf("%v (kind %d), want kind %d", err, got, tt.want)
			}
			if a := tt.b.Approval; err == nil && (a == nil || a.Decision != tt.decision || a.By != tt.who || a.PlanSHA256 != "p" || a.Comment != "as agreed" || len(tt.b.History) != 1) {
				t.Errorf("recorded %+v %+v", a, tt.b.History)
			}
		})
	}
}

// TestAskAndBuy: asking for a decision, starting a purchase (once per
// approved plan; again only after it could not run), a new version while
// buying, and a follow-up.
func TestAskAndBuy(t *testing.T) {
	tests := []struct {
		name string
		b    *store.Batch
		ask  RefusalKind
		buy  RefusalKind
		// started: a purchase starts (else nothing changes, or refused)
		started  bool
		upload   RefusalKind
		followUp RefusalKind
	}{
		{"ready", batchAt(0, nil), 0, NotNow, false, 0, NotNow},
		{"invalid", batchAt(1, nil), NotNow, NotNow, false, 0, NotNow},
		{"awaiting", batchAt(0, func(b *store.Batch) { b.Requested = &store.Request{PlanSHA256: "p"} }), 0, NotNow, false, 0, NotNow},
		{"rejected", batchAt(0, func(b *store.Batch) { b.Approval = &store.Approval{Decision: Reject, PlanSHA256: "p"} }), NotNow, NotNow, false, 0, NotNow},
		{"approved", batchAt(0, approved), NotNow, 0, true, 0, NotNow},
		{"buying", batchAt(0, bought(BatchBuying)), NotNow, 0, false, NotNow, NotNow},
		{"done", batchAt(0, bought(BatchDone)), NotNow, 0, false, 0, 0},
		{"finished with problems", batchAt(0, bought(BatchProblems)), NotNow, 0, false, 0, 0},
		{"could not run", batchAt(0, bought(BatchFailed)), NotNow, 0, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refused(MayUpload(tt.b)); got != tt.upload {
				t.Errorf("upload: kind %d, want %d", got, tt.upload)
			}
			if got := refused(MayFollowUp(tt.b)); got != tt.followUp {
				t.Errorf("follow-up: kind %d, want %d", got, tt.followUp)
			}
			asked := *tt.b
			if got := refused(AskApproval(&asked, "alice", decidedAt)); got != tt.ask {
				t.Errorf("ask: kind %d, want %d", got, tt.ask)
			} else if got == 0 && BatchStatus(&asked) != BatchAwaiting {
				t.Errorf("asked: %s", BatchStatus(&asked))
			}
			started, err := StartPurchase(tt.b, "bob", decidedAt)
			if got := refused(err); started != tt.started || got != tt.buy {
				t.Errorf("buy: started %v, kind %d; want %v, %d", started, got, tt.started, tt.buy)
			}
			if started && (BatchStatus(tt.b) != BatchBuying || tt.b.Purchase.By != "bob" || tt.b.Purchase.PlanSHA256 != "p") {
				t.Errorf("the purchase: %+v", tt.b.Purchase)
			}
		})
	}
}

func TestPurchaseState(t *testing.T) {
	if PurchaseState(&Submitted{}, nil) != BatchDone || PurchaseState(&Submitted{}, errors.New("rows")) != BatchProblems || PurchaseState(nil, errors.New("no")) != BatchFailed {
		t.Error("the states a purchase ends in")
	}
}

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
		{"being bought", bought(BatchBuying, nil), 2 * time.Hour, false},
		{"could not run", bought(BatchFailed, nil), 2 * time.Hour, false},
		{"a new version since", &store.Batch{Versions: []store.Version{{N: 1, PlanSHA256: "p"}, {N: 2, PlanSHA256: "q"}},
			Purchase: &store.Purchase{State: BatchDone, PlanSHA256: "p", Finished: end}}, 2 * time.Hour, false},
		{"just bought", bought(BatchDone, nil), 30 * time.Minute, false},
		{"bought an hour ago", bought(BatchDone, nil), time.Hour, true},
		{"bought with problems", bought(BatchProblems, nil), time.Hour, true},
		{"pending, asked recently", bought(BatchDone, &store.FollowUp{At: end.Add(90 * time.Minute), Pending: 3}), 2 * time.Hour, false},
		{"pending, asked an hour ago", bought(BatchDone, &store.FollowUp{At: end.Add(time.Hour), Pending: 3}), 2 * time.Hour, true},
		{"unanswered, asked an hour ago", bought(BatchDone, &store.FollowUp{At: end.Add(time.Hour), Error: "timeout"}), 2 * time.Hour, true},
		{"settled", bought(BatchDone, &store.FollowUp{At: end.Add(time.Hour), Done: 28, Failed: 2}), 5 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FollowUpDue(tt.b, end.Add(tt.after), time.Hour); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
