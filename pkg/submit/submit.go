// Package submit buys what a validated order sheet asks for: it creates and
// checks out one cart per customer (and cart group), concurrently and within
// the client's rate limit, exactly once: every step is journaled before it
// is sent, so a rerun after any failure or crash picks up where the last
// run stopped and never orders twice.
package submit

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sync/errgroup"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// API is what submit needs of Partner Center.
type API interface {
	CreateCart(ctx context.Context, customer string, cart *pc.Cart, requestID string) (*pc.Cart, pc.Call, error)
	Checkout(ctx context.Context, customer, cartID, requestID string) (*pc.CartCheckoutResult, pc.Call, error)
}

// Options tune a submission.
type Options struct {
	Batch       string
	RunID       string
	Concurrency int  // carts in flight; default 5
	CreateOnly  bool // create carts, never check out
	SkipInvalid bool // hold back carts with an invalid row, submit the rest
	// ExpiryMargin: a journaled cart expiring sooner than this is recreated
	// rather than checked out. Default 1h.
	ExpiryMargin time.Duration
	Log          logrus.FieldLogger
	Now          func() time.Time
	// CartDone, if set, is told the rows of each cart once they have their
	// outcome (also a cart held back or not started), from the goroutine
	// that set them: it may read those rows' outcomes.
	CartDone func(rows []int)
}

// Run submits the sheet's carts and sets every row's outcome. It returns an
// error only when the run as a whole could not go on (the journal failed);
// a refused row or cart is an outcome. When ctx ends, no new cart is
// started; carts in flight are finished (their requests are not cut off,
// so no answer is lost) and the rest are marked Not submitted.
func Run(ctx context.Context, api API, j Journal, plan *order.Checked, opt Options) error {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 5
	}
	if opt.ExpiryMargin <= 0 {
		opt.ExpiryMargin = time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		opt.Log = l
	}
	r := &runner{api: api, j: j, plan: plan, opt: opt, keys: RowKeys(plan.Rows, plan.Carts)}
	// In-flight work runs on a context that the interrupt does not cancel.
	work := context.WithoutCancel(ctx)

	if err := r.settle(ctx, work); err != nil {
		return err
	}
	g := new(errgroup.Group)
	g.SetLimit(opt.Concurrency)
	done := func(rows []int) {
		if opt.CartDone != nil {
			opt.CartDone(rows)
		}
	}
	for _, c := range plan.Carts {
		if reason := r.heldBack(c); reason != "" {
			r.hold(c, reason)
			done(c.Rows)
			continue
		}
		interrupted := func() bool {
			switch {
			case ctx.Err() != nil:
				r.notSubmitted(c.Rows, "the run was interrupted before this cart was sent; run the same command again")
			case r.fatal() != nil:
				r.notSubmitted(c.Rows, "not sent: the run stopped ("+r.fatal().Error()+"); nothing was bought for this cart; fix that and run the same command again")
			default:
				return false
			}
			done(c.Rows)
			return true
		}
		if interrupted() {
			continue
		}
		g.Go(func() error {
			// The interrupt may have come while this cart waited for a slot.
			if interrupted() {
				return nil
			}
			defer done(c.Rows)
			return r.guard(c.Rows, func() error { return r.cart(work, c) })
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return r.fatal()
}

type runner struct {
	api  API
	j    Journal
	plan *order.Checked
	opt  Options
	keys map[int]string

	// unsettled are the rows of checkouts sent but still unanswered after
	// settle: they must not go into a new cart.
	unsettled map[string]*Attempt

	mu       sync.Mutex
	fatalErr error
}

func (r *runner) fail(err error) {
	r.mu.Lock()
	if r.fatalErr == nil {
		r.fatalErr = err
	}
	r.mu.Unlock()
}

func (r *runner) fatal() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatalErr
}

// guard turns a panic in one cart into that cart's rows failing, and a
// journal error into the run's error, so one cart cannot take down others.
func (r *runner) guard(rows []int, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.opt.Log.WithField("panic", p).Errorf("internal error: %s", debug.Stack())
			r.set(rows, order.StatusUnknown, order.Error, fmt.Sprintf("internal error (%v); run the same command again to learn the outcome", p), nil)
		}
	}()
	if err := f(); err != nil {
		r.fail(err)
		r.set(rows, order.StatusUnknown, order.Error, "the journal could not be written ("+err.Error()+"); nothing more was sent for this cart; fix the problem and run again", nil)
	}
	return nil
}

// set gives rows an outcome.
func (r *runner) set(rows []int, status order.Status, sev order.Severity, msg string, fill func(o *order.Outcome)) {
	for _, i := range rows {
		o := &r.plan.Outcomes[i]
		o.Status = status
		if msg != "" {
			o.Problems = append(o.Problems, order.Problem{Kind: "submit: " + strings.ToLower(string(status)), Message: msg, Severity: sev})
		}
		if fill != nil {
			fill(o)
		}
	}
}

func (r *runner) notSubmitted(rows []int, msg string) {
	r.set(rows, order.StatusNotSubmitted, order.Error, msg, nil)
}

// heldBack says why a cart is not sent: one of its rows is invalid.
func (r *runner) heldBack(c *order.Cart) string {
	for _, i := range c.Rows {
		if r.plan.Outcomes[i].Status == order.StatusInvalid {
			return fmt.Sprintf("not sent: row %d of this cart is invalid", r.plan.Rows[i].Line)
		}
	}
	return ""
}

func (r *runner) hold(c *order.Cart, reason string) {
	var valid []int
	for _, i := range c.Rows {
		if r.plan.Outcomes[i].Status != order.StatusInvalid {
			valid = append(valid, i)
		}
	}
	r.set(valid, order.StatusSkipped, order.Error, reason, nil)
}

// settle finishes what earlier runs left between sending a checkout and
// recording its answer: the checkout is sent again with the same cart id
// and request id, which Partner Center answers with the first result.
func (r *runner) settle(ctx, work context.Context) error {
	attempts, err := r.j.Attempts(r.opt.Batch)
	if err != nil {
		return err
	}
	g := new(errgroup.Group)
	g.SetLimit(r.opt.Concurrency)
	for _, a := range attempts {
		if a.State != StateCheckoutSent || r.opt.CreateOnly {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r.opt.Log.WithFields(logrus.Fields{"batch": a.Batch, "customer": a.CustomerID, "cart_id": a.CartID, "request_id": a.CheckoutRequestID}).
				Info("settling a checkout an earlier run sent")
			return r.checkout(work, a, nil, true)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	attempts, err = r.j.Attempts(r.opt.Batch)
	if err != nil {
		return err
	}
	r.unsettled = map[string]*Attempt{}
	for _, a := range attempts {
		if a.State == StateCheckoutSent {
			for _, k := range a.RowKeys {
				r.unsettled[k] = a
			}
		}
	}
	return nil
}
