package submit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// cart buys the rows of one cart that are not bought yet. It returns an
// error only when the journal fails.
func (r *runner) cart(ctx context.Context, c *order.Cart) error {
	log := r.opt.Log.WithFields(logrus.Fields{"batch": r.opt.Batch, "customer": c.Key.CustomerID, "cart_group": c.Key.Group})
	lineOf := map[int]order.LineItem{}
	rowOf := map[string]int{}
	var keys []string
	for n, i := range c.Rows {
		key := r.keys[i]
		rec, err := r.j.Row(r.opt.Batch, key)
		if err != nil {
			return err
		}
		if rec != nil && rec.Status == string(order.StatusOrdered) {
			fill := func(o *order.Outcome) {
				o.CartID, o.OrderID, o.SubscriptionID, o.RequestID, o.CorrelationID = rec.CartID, rec.OrderID, rec.SubscriptionID, rec.RequestID, rec.CorrelationID
			}
			if rec.RunID == r.opt.RunID {
				// This run, taken up again after it was cut short (the web
				// app's purchase whose instance died): ordered by it.
				r.set([]int{i}, order.StatusOrdered, order.Note, rec.Message, fill)
				continue
			}
			r.set([]int{i}, order.StatusSkipped, order.Note, fmt.Sprintf("already ordered in run %s (order %s); nothing sent", rec.RunID, rec.OrderID), fill)
			continue
		}
		if e := r.plan.Rows[i].Earlier; e.Ordered() {
			// Whatever the journal says (it may have been wiped): the sheet
			// itself is evidence.
			r.set([]int{i}, order.StatusSkipped, order.Note, fmt.Sprintf("ordered earlier: order %s (the sheet says so); nothing sent", e.OrderID),
				func(o *order.Outcome) { o.CartID, o.OrderID, o.SubscriptionID = e.CartID, e.OrderID, e.SubscriptionID })
			continue
		}
		if rec != nil && rec.Status == string(order.StatusUnknown) {
			// Checked out, but the answer did not say what became of the
			// row: sending it again could buy it twice.
			r.set([]int{i}, order.StatusUnknown, order.Error, fmt.Sprintf("cart %s was checked out in run %s, but Partner Center's answer did not say whether this row was ordered (%s); "+
				"check the customer's orders in Partner Center; nothing is sent for it again in this batch (to order it anyway, submit it in a new --batch)", rec.CartID, rec.RunID, rec.Message),
				func(o *order.Outcome) {
					o.CartID, o.RequestID, o.CorrelationID = rec.CartID, rec.RequestID, rec.CorrelationID
				})
			continue
		}
		if a := r.unsettled[key]; a != nil {
			r.set([]int{i}, order.StatusUnknown, order.Error, fmt.Sprintf("cart %s was checked out by run %s and Partner Center has not answered yet; run the same command again (it asks again and never orders twice), or check the customer's orders in Partner Center", a.CartID, a.RunID),
				func(o *order.Outcome) { o.CartID, o.RequestID = a.CartID, a.CheckoutRequestID })
			continue
		}
		lineOf[i] = c.Request.LineItems[n]
		rowOf[key] = i
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil
	}
	id := attemptID(r.opt.Batch, c.Key.CustomerID, c.Key.Group, keys)
	a, err := r.j.Attempt(r.opt.Batch, id)
	if err != nil {
		return err
	}
	now := r.opt.Now()
	if a == nil || a.State == StateDone || a.State == StateLineErrors || a.State == StateAbandoned ||
		(a.State == StateCreated && now.Add(r.opt.ExpiryMargin).After(a.Expires)) {
		version := 1
		if a != nil {
			version = a.Version + 1
		}
		a = &Attempt{Batch: r.opt.Batch, ID: id, CustomerID: c.Key.CustomerID, CartGroup: c.Key.Group, RowKeys: keys,
			Version: version, State: StateCreateSent, RunID: r.opt.RunID, CreateRequestID: pc.NewID()}
		if err := r.j.PutAttempt(a); err != nil {
			return err
		}
	}
	log = log.WithField("attempt", a.ID)
	// Lines go out in the attempt's own order, so a resent create matches
	// the first one line for line.
	rows := make([]int, len(a.RowKeys))
	lines := make([]order.LineItem, len(a.RowKeys))
	for n, k := range a.RowKeys {
		rows[n] = rowOf[k]
		lines[n] = lineOf[rowOf[k]]
	}

	if a.State == StateCreateSent {
		done, err := r.create(ctx, a, c.Request.PartnerOnRecordAttestationAccepted, lines, rows, log)
		if err != nil || done {
			return err
		}
	}
	if r.opt.CreateOnly {
		r.set(rows, order.StatusCreated, order.Note, fmt.Sprintf("cart created, not checked out (--create-only); it expires %s", a.Expires.Format("2006-01-02 15:04 MST")),
			func(o *order.Outcome) {
				o.CartID, o.RequestID, o.CorrelationID = a.CartID, a.CreateRequestID, a.CreateCorrelationID
			})
		r.cartPrices(a, rows)
		return nil
	}
	switch a.State {
	case StateCreated:
		a.State, a.CheckoutRequestID, a.RunID = StateCheckoutSent, pc.NewID(), r.opt.RunID
		if err := r.j.PutAttempt(a); err != nil { // durable before the checkout is sent
			return err
		}
		return r.checkout(ctx, a, rows, false)
	case StateCheckoutSent:
		return r.checkout(ctx, a, rows, true)
	}
	return nil
}

// create sends (or sends again, with the same request id) the create-cart
// request. done means the rows have their outcome already.
func (r *runner) create(ctx context.Context, a *Attempt, attested bool, lines []order.LineItem, rows []int, log logrus.FieldLogger) (done bool, err error) {
	if err := r.holds(); err != nil {
		return false, err
	}
	cart, call, err := r.api.CreateCart(ctx, a.CustomerID, cartRequest(attested, lines), a.CreateRequestID)
	ids := func(o *order.Outcome) { o.RequestID, o.CorrelationID = call.RequestID, call.CorrelationID }
	if err != nil {
		var auth *pc.AuthError
		if errors.As(err, &auth) {
			// Not the rows' fault, and nothing was done: the run stops.
			r.fail(err)
			r.notSubmitted(rows, "not sent: "+err.Error()+"; nothing was bought; fix the sign-in and run the same command again")
			return true, nil
		}
		var api *pc.APIError
		if errors.As(err, &api) && !api.Transient() {
			a.State = StateAbandoned
			if err := r.j.PutAttempt(a); err != nil {
				return true, err
			}
			log.WithFields(logrus.Fields{"request_id": call.RequestID, "correlation_id": call.CorrelationID}).Warnf("cart refused: %v", err)
			r.set(rows, order.StatusFailed, order.Error, explainErr(err)+"; nothing was bought", ids)
			return true, nil
		}
		// No answer, or only server errors: the cart may or may not exist;
		// nothing is bought either way, and the next run resends this create
		// with the same request id.
		r.notSubmitted(rows, "could not create the cart ("+explainErr(err)+"); nothing was bought; run the same command again")
		for _, i := range rows {
			ids(&r.plan.Outcomes[i])
		}
		return true, nil
	}
	a.CartID, a.CreateCorrelationID = cart.ID, call.CorrelationID
	log = log.WithField("cart_id", cart.ID)
	log.WithFields(logrus.Fields{"request_id": call.RequestID, "correlation_id": call.CorrelationID, "lines": len(cart.LineItems)}).Info("cart created")
	a.Expires = r.opt.Now().Add(7 * 24 * time.Hour)
	if cart.ExpirationTimestamp != nil {
		a.Expires = *cart.ExpirationTimestamp
	}
	a.Lines = a.Lines[:0]
	var refused []string
	for n, l := range cart.LineItems {
		li := LineInfo{OrderGroup: l.OrderGroup, CatalogItemID: l.CatalogItemID, Quantity: l.Quantity, TermDuration: l.TermDuration}
		if l.Pricing != nil {
			li.Priced, li.ListPrice, li.ExtendedPrice, li.Currency = true, l.Pricing.ListPrice, l.Pricing.ExtendedPrice, l.CurrencyCode
		}
		a.Lines = append(a.Lines, li)
		if l.Error != nil && n < len(rows) {
			refused = append(refused, fmt.Sprint(r.plan.Rows[rows[n]].Line))
		}
	}
	if len(refused) == 0 {
		a.State = StateCreated
		return false, r.j.PutAttempt(a)
	}
	a.State = StateLineErrors
	if err := r.j.PutAttempt(a); err != nil {
		return true, err
	}
	for n, i := range rows {
		fill := func(o *order.Outcome) { o.CartID = cart.ID; ids(o) }
		if n < len(cart.LineItems) && cart.LineItems[n].Error != nil {
			e := cart.LineItems[n].Error
			r.set([]int{i}, order.StatusFailed, order.Error, explain(e.ErrorCode, e.ErrorDescription)+"; the cart was not checked out", fill)
		} else {
			r.set([]int{i}, order.StatusFailed, order.Error, "not ordered: Partner Center refused row "+strings.Join(refused, ", ")+" of the same cart, so the cart was not checked out; fix that row and run again", fill)
		}
	}
	return true, nil
}

// checkout sends (or, resumed, sends again with the same cart and request
// id) the checkout, and maps its orders and order errors back to the rows.
// rows are plan row indexes by line; nil when settling an earlier run's
// checkout, whose rows only get journal records.
func (r *runner) checkout(ctx context.Context, a *Attempt, rows []int, resumed bool) error {
	if err := r.holds(); err != nil {
		return err
	}
	res, call, err := r.api.Checkout(ctx, a.CustomerID, a.CartID, a.CheckoutRequestID)
	ids := func(o *order.Outcome) {
		o.CartID, o.RequestID, o.CorrelationID = a.CartID, call.RequestID, call.CorrelationID
	}
	log := r.opt.Log.WithFields(logrus.Fields{"batch": a.Batch, "customer": a.CustomerID, "cart_group": a.CartGroup, "attempt": a.ID,
		"cart_id": a.CartID, "request_id": call.RequestID, "correlation_id": call.CorrelationID})
	if err != nil {
		defer func() { log.Warnf("checkout: %v", err) }()
		var api *pc.APIError
		isAPI := errors.As(err, &api)
		if isAPI && api.Code.Number == pc.CodeCartAlreadySubmitted {
			return r.alreadySubmitted(a, rows, call, err)
		}
		if errors.As(err, new(*pc.AuthError)) {
			// An earlier attempt may have been sent: the attempt stays
			// checkout-sent, and the run stops until sign-in works again.
			r.fail(err)
			r.set(rows, order.StatusUnknown, order.Error, "the checkout could not be completed: "+err.Error()+
				"; fix the sign-in and run the same command again: it asks again with the same request and never orders twice", ids)
			return nil
		}
		refused := isAPI && (api.Status == 400 || api.Status == 403 || (api.Status == 404 && !resumed))
		if refused {
			a.State = StateAbandoned
			if err := r.j.PutAttempt(a); err != nil {
				return err
			}
			r.set(rows, order.StatusFailed, order.Error, explainErr(err)+"; nothing was bought", ids)
			return nil
		}
		// No answer that settles it: it may have been ordered. The attempt
		// stays checkout-sent; the next run asks again with the same ids.
		r.set(rows, order.StatusUnknown, order.Error, "checkout was sent but its outcome is not known ("+explainErr(err)+
			"); run the same command again: it asks again with the same request and never orders twice", ids)
		return nil
	}
	a.CheckoutCorrelationID = call.CorrelationID
	outcomes := mapCheckout(a, res)
	tally := logrus.Fields{"orders": len(res.Orders)}
	for _, lo := range outcomes {
		k := strings.ReplaceAll(strings.ToLower(string(lo.status)), " ", "_")
		n, _ := tally[k].(int)
		tally[k] = n + 1
	}
	log.WithFields(tally).Info("checked out")
	records := map[string]RowRecord{}
	at := r.opt.Now().UTC()
	for n, key := range a.RowKeys {
		lo := outcomes[n]
		records[key] = RowRecord{Status: string(lo.status), Message: lo.message, CartID: a.CartID, OrderID: lo.orderID,
			SubscriptionID: lo.subscriptionID, RequestID: call.RequestID, CorrelationID: call.CorrelationID, RunID: a.RunID, At: at}
	}
	a.State = StateDone
	if err := r.j.Finish(a, records); err != nil {
		return err
	}
	for n, i := range rows {
		lo := outcomes[n]
		sev := order.Note
		if lo.status != order.StatusOrdered {
			sev = order.Error
		}
		r.set([]int{i}, lo.status, sev, lo.message, func(o *order.Outcome) {
			ids(o)
			o.OrderID, o.SubscriptionID = lo.orderID, lo.subscriptionID
		})
	}
	return nil
}

// alreadySubmitted: Partner Center says the cart was checked out before
// (800065) but does not repeat the orders. The rows were bought, or are
// being bought; they must never go into another cart, so they are recorded
// as Unknown, which no later run of the batch sends again.
func (r *runner) alreadySubmitted(a *Attempt, rows []int, call pc.Call, err error) error {
	msg := fmt.Sprintf("Partner Center says cart %s was already checked out (%s) but did not repeat its orders; check the customer's orders in Partner Center", a.CartID, explainErr(err))
	records := map[string]RowRecord{}
	at := r.opt.Now().UTC()
	for _, key := range a.RowKeys {
		records[key] = RowRecord{Status: string(order.StatusUnknown), Message: msg, CartID: a.CartID,
			RequestID: call.RequestID, CorrelationID: call.CorrelationID, RunID: a.RunID, At: at}
	}
	a.State = StateDone
	if err := r.j.Finish(a, records); err != nil {
		return err
	}
	r.set(rows, order.StatusUnknown, order.Error, msg+"; nothing is sent for these rows again in this batch", func(o *order.Outcome) {
		o.CartID, o.RequestID, o.CorrelationID = a.CartID, call.RequestID, call.CorrelationID
	})
	return nil
}

type lineOutcome struct {
	status                  order.Status
	message                 string
	orderID, subscriptionID string
}

// mapCheckout maps a checkout result to the cart's lines: failed order
// groups through orderGroupId, orders by matching their lines (offer,
// quantity, term) to the cart's lines of the groups that did not fail.
func mapCheckout(a *Attempt, res *pc.CartCheckoutResult) []lineOutcome {
	out := make([]lineOutcome, len(a.RowKeys))
	failed := map[string]pc.OrderError{}
	for _, e := range res.OrderErrors {
		failed[e.OrderGroupID] = e
	}
	taken := make([]bool, len(a.Lines))
	match := func(ol pc.OrderLineItem, strict bool) int {
		for n, l := range a.Lines {
			if taken[n] || n >= len(out) {
				continue
			}
			if _, bad := failed[l.OrderGroup]; bad {
				continue
			}
			if !strings.EqualFold(l.CatalogItemID, ol.OfferID) {
				continue
			}
			if strict && (l.Quantity != ol.Quantity || !strings.EqualFold(l.TermDuration, ol.TermDuration)) {
				continue
			}
			return n
		}
		return -1
	}
	for _, o := range res.Orders {
		for _, ol := range o.LineItems {
			n := match(ol, true)
			if n < 0 {
				n = match(ol, false)
			}
			if n < 0 {
				continue
			}
			taken[n] = true
			msg := ""
			if st := strings.ToLower(o.Status); st != "" && st != pc.OrderCompleted {
				msg = "order status: " + o.Status
			}
			if ol.SubscriptionID == "" {
				msg = strings.TrimPrefix(msg+"; subscription id not given yet (provisioning); see the order in Partner Center", "; ")
			}
			out[n] = lineOutcome{status: order.StatusOrdered, message: msg, orderID: o.ID, subscriptionID: ol.SubscriptionID}
		}
	}
	for n := range out {
		if out[n].status != "" {
			continue
		}
		if n < len(a.Lines) {
			if e, bad := failed[a.Lines[n].OrderGroup]; bad {
				out[n] = lineOutcome{status: order.StatusFailed, message: explain(e.Code, e.Description) + "; this line's order group was not ordered"}
				continue
			}
		}
		out[n] = lineOutcome{status: order.StatusUnknown, message: "the checkout's answer names no order for this line; check the customer's orders in Partner Center"}
	}
	return out
}

// cartPrices gives the rows of a created cart the prices Partner Center
// gave its lines, in place of the price list's: a note says whose they are.
func (r *runner) cartPrices(a *Attempt, rows []int) {
	for n, i := range rows {
		if n >= len(a.Lines) || !a.Lines[n].Priced || a.Lines[n].Quantity <= 0 {
			continue
		}
		l, o := a.Lines[n], &r.plan.Outcomes[i]
		o.Price = &order.Price{Unit: l.ExtendedPrice / float64(l.Quantity), Currency: l.Currency, Cost: l.ExtendedPrice, PartnerCenter: true}
		o.Problems = append(o.Problems, order.Problem{Kind: "price: Partner Center's", Severity: order.Note,
			Message: fmt.Sprintf("the price is Partner Center's for this cart line, not the price list's: %.2f %s for the term (list price %.2f)", l.ExtendedPrice, l.Currency, l.ListPrice)})
	}
}

// holds: the journal surely still holds the batch (a journal that holds
// it for a time), asked just before a request goes out, so that a run
// that stalled past its hold sends nothing more.
func (r *runner) holds() error {
	if h, ok := r.j.(Holder); ok {
		return h.Holds()
	}
	return nil
}
