package importer

import (
	"fmt"
	"time"

	"github.com/cspimporter/importer/pkg/store"
)

// The statuses of a batch the app keeps: where it stands between upload and
// purchase. An approval, a request for one and a purchase each count only
// for the plan they were of, so a new version starts again from invalid or
// ready.
const (
	BatchInvalid  = "invalid"           // has invalid rows
	BatchReady    = "ready"             // every row valid
	BatchAwaiting = "awaiting-approval" // someone asked for a decision on the plan
	BatchApproved = "approved"          // the current plan is approved
	BatchRejected = "rejected"          // the current plan is rejected
	BatchBuying   = "buying"
	BatchDone     = "done"                   // every row ordered
	BatchProblems = "finished-with-problems" // some rows not ordered
	BatchFailed   = "failed"                 // the purchase could not run
)

// BatchStatuses lists every status, in the order a batch goes through them.
var BatchStatuses = []string{BatchInvalid, BatchReady, BatchAwaiting, BatchApproved, BatchRejected, BatchBuying, BatchDone, BatchProblems, BatchFailed}

// Decisions on a plan.
const (
	Approve = "approve"
	Reject  = "reject"
)

// A Refusal is a rule of the approval process saying no; front ends map
// its kind to their own answer (the app: 403, 409, 400).
type Refusal struct {
	Kind RefusalKind
	Msg  string
}

func (r *Refusal) Error() string { return r.Msg }

// RefusalKind is why something is refused.
type RefusalKind int

const (
	// NotYou: the rule is about who asks (four eyes).
	NotYou RefusalKind = iota + 1
	// NotNow: the batch is not where it would have to be.
	NotNow
	// BadInput: what was asked for makes no sense.
	BadInput
)

func refuse(k RefusalKind, format string, a ...any) error {
	return &Refusal{Kind: k, Msg: fmt.Sprintf(format, a...)}
}

// BatchStatus is where b stands.
func BatchStatus(b *store.Batch) string {
	v := b.Current()
	if v == nil {
		return BatchInvalid
	}
	if p := b.Purchase; p != nil && p.PlanSHA256 == v.PlanSHA256 {
		return p.State
	}
	if a := b.Approval; a != nil && a.PlanSHA256 == v.PlanSHA256 {
		if a.Decision == Approve {
			return BatchApproved
		}
		return BatchRejected
	}
	if v.Invalid > 0 {
		return BatchInvalid
	}
	if q := b.Requested; q != nil && q.PlanSHA256 == v.PlanSHA256 {
		return BatchAwaiting
	}
	return BatchReady
}

// MayUpload refuses a new version of b while b is being bought: the
// purchase is of the version it started with.
func MayUpload(b *store.Batch) error {
	if len(b.Versions) > 0 && BatchStatus(b) == BatchBuying {
		return refuse(NotNow, "batch %s is being bought; upload a new version once it is done", b.Name)
	}
	return nil
}

// AskApproval records that who asks for a decision on b's current plan
// (asked already: nothing changes).
func AskApproval(b *store.Batch, who string, now time.Time) error {
	if BatchStatus(b) == BatchAwaiting {
		return nil
	}
	if err := MayAsk(b); err != nil {
		return err
	}
	b.Requested = &store.Request{By: who, At: now.UTC(), PlanSHA256: b.Current().PlanSHA256}
	return nil
}

// MayAsk: b's current plan is ready for someone to decide on (every row
// valid, nobody asked or decided yet).
func MayAsk(b *store.Batch) error {
	switch st := BatchStatus(b); st {
	case BatchReady:
		return nil
	case BatchInvalid:
		return refuse(NotNow, "the batch has invalid rows: fix them and upload it again first")
	default:
		return refuse(NotNow, "the batch is %s: there is nothing to ask", st)
	}
}

// MayDecide: who may decide on b's current plan now (four eyes: never the
// person who uploaded it).
func MayDecide(b *store.Batch, who string) error {
	v := b.Current()
	if v.UploadedBy == who {
		return refuse(NotYou, "four eyes: you uploaded this version, so someone else decides on it")
	}
	if p := b.Purchase; p != nil && p.PlanSHA256 == v.PlanSHA256 {
		return refuse(NotNow, "this plan is bought already (%s)", p.State)
	}
	return nil
}

// Decide records who's decision on b's plan planSHA256, which must be the
// current one: an approval is bound to the plan that was seen. A plan with
// invalid rows may be rejected, never approved.
func Decide(b *store.Batch, who, decision, planSHA256, comment string, now time.Time) error {
	if decision != Approve && decision != Reject {
		return refuse(BadInput, "decision is approve or reject")
	}
	if err := MayDecide(b, who); err != nil {
		return err
	}
	v := b.Current()
	if planSHA256 != v.PlanSHA256 {
		return refuse(NotNow, "the batch changed: its plan is now %s; look at it again and decide on that one", v.PlanSHA256)
	}
	if decision == Approve && v.Invalid > 0 {
		return refuse(NotNow, "%d rows of this version are invalid, so it cannot be approved: reject it, or wait for a corrected version", v.Invalid)
	}
	a := store.Approval{Decision: decision, By: who, At: now.UTC(), Comment: comment, PlanSHA256: v.PlanSHA256, Version: v.N}
	b.Approval = &a
	b.History = append(b.History, a)
	return nil
}

// StartPurchase records that who starts buying b's approved plan. It
// answers false, changing nothing, when that purchase has started (or
// ended) already: one purchase per approved plan, however often asked. A
// purchase that could not run may be started again.
func StartPurchase(b *store.Batch, who string, now time.Time) (bool, error) {
	v := b.Current()
	if p := b.Purchase; p != nil && p.PlanSHA256 == v.PlanSHA256 && p.State != BatchFailed {
		return false, nil
	}
	if err := MayBuy(b); err != nil {
		return false, err
	}
	b.Purchase = &store.Purchase{State: BatchBuying, By: who, Started: now.UTC(), Version: v.N, PlanSHA256: v.PlanSHA256, RunID: NewRunID()}
	return true, nil
}

// MayBuy: b's current plan is approved, and not bought yet (or its
// purchase could not run, and may be started again).
func MayBuy(b *store.Batch) error {
	if st := BatchStatus(b); st != BatchApproved && st != BatchFailed {
		return refuse(NotNow, "only an approved batch is bought; this one is %s", st)
	}
	return nil
}

// PurchaseState is the status a purchase ends in: done when every row was
// ordered, finished-with-problems when it ran but some were not, failed
// when it could not run.
func PurchaseState(done *Submitted, err error) string {
	switch {
	case err == nil:
		return BatchDone
	case done != nil:
		return BatchProblems
	}
	return BatchFailed
}

// MayFollowUp: b's current version was bought and the purchase has ended,
// so there are orders to ask Partner Center about.
func MayFollowUp(b *store.Batch) error {
	v, p := b.Current(), b.Purchase
	switch {
	case p == nil || p.PlanSHA256 != v.PlanSHA256:
		return refuse(NotNow, "this version is not bought, so it has no orders to follow")
	case p.State == BatchBuying:
		return refuse(NotNow, "the purchase is still running; ask about its orders when it has finished")
	}
	return nil
}

// FollowUpDue: b's purchase has ended with orders to follow, Partner
// Center has not yet said every order is settled, and the last look (or
// the purchase's end) is every ago.
func FollowUpDue(b *store.Batch, now time.Time, every time.Duration) bool {
	v, p := b.Current(), b.Purchase
	if p == nil || v == nil || p.PlanSHA256 != v.PlanSHA256 || (p.State != BatchDone && p.State != BatchProblems) {
		return false
	}
	last := p.Finished
	if f := p.FollowUp; f != nil {
		if f.Pending == 0 && f.Error == "" {
			return false // every order provisioned or failed
		}
		last = f.At
	}
	return now.Sub(last) >= every
}
