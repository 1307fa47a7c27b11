// Package followup asks Partner Center what became of the orders a batch
// placed, until their subscriptions exist: each order's status, each
// line's subscription and provisioning (../shared/reference/partner-center-live.md §4).
package followup

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// API is what the follow-up reads (the client).
type API interface {
	GetOrder(ctx context.Context, customer, orderID string) (*pc.Order, pc.Call, error)
	GetProvisioningStatus(ctx context.Context, customer, orderID string) ([]pc.ProvisioningItem, error)
	OrderSubscriptions(ctx context.Context, customer, orderID string) ([]pc.Subscription, error)
}

// Ref is an order of a customer.
type Ref struct{ Customer, OrderID string }

// Order is what Partner Center said of an order.
type Order struct {
	Status string
	Lines  []pc.OrderLineItem
	// Provisioning by line number; nil when it could not be read (the
	// documents make it App+User only): the order's status decides then.
	Provisioning map[int]string
	Err          error // the order could not be read
}

// Read asks about every order, conc at a time.
func Read(ctx context.Context, api API, refs []Ref, conc int) map[Ref]*Order {
	out := map[Ref]*Order{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, conc))
	for _, ref := range refs {
		g.Go(func() error {
			o := read(ctx, api, ref)
			mu.Lock()
			out[ref] = o
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func read(ctx context.Context, api API, ref Ref) (o *Order) {
	defer func() {
		if p := recover(); p != nil {
			o = &Order{Err: fmt.Errorf("internal error: %v\n%s", p, debug.Stack())}
		}
	}()
	got, _, err := api.GetOrder(ctx, ref.Customer, ref.OrderID)
	if err != nil {
		return &Order{Err: err}
	}
	o = &Order{Status: got.Status, Lines: got.LineItems}
	// Lines without their subscription: the order's subscriptions say it.
	for n := range o.Lines {
		if o.Lines[n].SubscriptionID != "" {
			continue
		}
		subs, err := api.OrderSubscriptions(ctx, ref.Customer, ref.OrderID)
		if err != nil {
			break // the status and provisioning still count
		}
		fillSubscriptions(o.Lines, subs)
		break
	}
	if items, err := api.GetProvisioningStatus(ctx, ref.Customer, ref.OrderID); err == nil {
		o.Provisioning = map[int]string{}
		for _, it := range items {
			o.Provisioning[it.LineItemNumber] = it.Status
		}
	}
	return o
}

// State is where a row's order stands.
type State int

// States of a row's order.
const (
	Pending State = iota // not settled yet: ask again later
	Done                 // completed, its line provisioned
	Failed               // cancelled, refused or failed: it will not provision
)

// Apply writes what was read into the rows' outcomes (Order Status,
// Provisioning, a Subscription Id the checkout did not have) and returns
// each ordered row's state.
func Apply(c *order.Checked, orders map[Ref]*Order) map[int]State {
	states := map[int]State{}
	taken := map[Ref]map[int]bool{} // order lines already matched to a row
	for i := range c.Outcomes {
		o := &c.Outcomes[i]
		if o.OrderID == "" || (o.Status != order.StatusOrdered && o.Status != order.StatusSkipped) {
			continue
		}
		if c.CartOf[i] < 0 {
			continue
		}
		ref := Ref{c.Carts[c.CartOf[i]].Key.CustomerID, o.OrderID}
		got := orders[ref]
		if got == nil {
			continue
		}
		if got.Err != nil {
			states[i] = Pending
			o.Problems = append(o.Problems, order.Problem{Kind: "status: not read", Severity: order.Note,
				Message: fmt.Sprintf("Partner Center did not say what became of order %s (%v); run importer status again", o.OrderID, got.Err)})
			continue
		}
		if taken[ref] == nil {
			taken[ref] = map[int]bool{}
		}
		sub, prov, st := got.Line(c.Rows[i].Get(order.CatalogItemID), c.Rows[i].Get(order.Quantity), taken[ref])
		o.OrderStatus = got.Status
		if sub != "" {
			o.SubscriptionID = sub
		}
		if prov != "" {
			o.Provisioning = prov
		}
		states[i] = st
	}
	return states
}

// Line is what the order says of the line that buys item (a catalog item
// id) in quantity: its subscription, its provisioning, and where it
// stands. taken holds the lines other rows matched already.
func (got *Order) Line(item, quantity string, taken map[int]bool) (subscription, provisioning string, st State) {
	known := false
	if l := match(got.Lines, item, quantity, taken); l != nil {
		subscription = l.SubscriptionID
		provisioning, known = got.Provisioning[l.LineItemNumber]
	}
	return subscription, provisioning, stateOf(got.Status, provisioning, known)
}

// match finds the order line of a row: the same catalog item and
// quantity, not taken by another row; else the same item.
func match(lines []pc.OrderLineItem, item, qty string, taken map[int]bool) *pc.OrderLineItem {
	item, qty = strings.TrimSpace(item), strings.TrimSpace(qty)
	var loose *pc.OrderLineItem
	for n := range lines {
		l := &lines[n]
		if taken[n] || !strings.EqualFold(l.OfferID, item) {
			continue
		}
		if fmt.Sprint(l.Quantity) == qty {
			taken[n] = true
			return l
		}
		if loose == nil {
			loose = l
		}
	}
	return loose
}

// stateOf reads Partner Center's words leniently: unknown ones are
// pending, never an error.
func stateOf(status, provisioning string, knowProvisioning bool) State {
	s, p := fold(status), fold(provisioning)
	switch {
	case strings.Contains(s, "cancel") || strings.Contains(s, "reject") || s == "error" || s == "failed" || strings.Contains(p, "fail"):
		return Failed
	case s == "completed" && (p == "fulfilled" || !knowProvisioning):
		return Done
	}
	return Pending
}

func fold(s string) string {
	return strings.NewReplacer("_", "", " ", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// fillSubscriptions gives the lines without a subscription id the order's
// subscription of the same offer and quantity (else of the same offer),
// each subscription to one line.
func fillSubscriptions(lines []pc.OrderLineItem, subs []pc.Subscription) {
	used := map[string]bool{}
	for _, exact := range []bool{true, false} {
		for n := range lines {
			l := &lines[n]
			if l.SubscriptionID != "" {
				continue
			}
			for _, s := range subs {
				if !used[s.ID] && strings.EqualFold(s.OfferID, l.OfferID) && (!exact || s.Quantity == l.Quantity) {
					used[s.ID], l.SubscriptionID = true, s.ID
					break
				}
			}
		}
	}
}
