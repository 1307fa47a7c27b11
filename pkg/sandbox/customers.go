package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// handleCustomer answers GET /v1/customers/{customer}: the billing profile
// carries the country; the company profile too (as with delegated access).
func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.customer(w, r)
	if !ok {
		return
	}
	addr := &pc.Address{Country: c.Country}
	writeJSON(w, http.StatusOK, pc.Customer{
		ID: c.ID, CommerceID: c.ID, RelationshipToPartner: "reseller", AllowDelegatedAccess: true,
		CompanyProfile: &pc.CompanyProfile{TenantID: c.ID, CompanyName: c.CompanyName, Address: addr},
		BillingProfile: &pc.BillingProfile{CompanyName: c.CompanyName, DefaultAddress: addr},
		Attributes:     &pc.Attributes{ObjectType: "Customer"},
	})
}

// customer resolves the request's customer, or answers 404 as Partner
// Center does for a customer that is unknown or not the partner's.
func (s *Server) customer(w http.ResponseWriter, r *http.Request) (Customer, bool) {
	id := r.PathValue("customer")
	c, ok := s.cfg.Catalog.Customer(id)
	if !ok || !guidRE.MatchString(id) {
		writeError(w, http.StatusNotFound, pc.CodeCustomerNotFound, "Customer "+id+" was not found.")
		return Customer{}, false
	}
	return c, true
}

// handleSubscriptions lists what the customer has: its seeded
// subscriptions, and one for every order line the sandbox provisioned.
func (s *Server) handleSubscriptions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.customer(w, r)
	if !ok {
		return
	}
	out := pc.Collection[pc.Subscription]{Items: []pc.Subscription{}, Attributes: &pc.Attributes{ObjectType: "Collection"}}
	for i, seeded := range c.Subscriptions {
		sub := pc.Subscription{ID: seededID(c.ID, i), OfferID: seeded.OfferID, OfferName: seeded.FriendlyName, FriendlyName: seeded.FriendlyName,
			Quantity: seeded.Quantity, Status: seeded.Status, BillingCycle: pc.BillingCycle(seeded.BillingCycle), TermDuration: seeded.TermDuration,
			Attributes: &pc.Attributes{ObjectType: "Subscription"}}
		if t, err := time.Parse("2006-01-02", seeded.CommitmentEndDate); err == nil {
			sub.CommitmentEndDate = pc.LenientTime{Time: t}
		}
		out.Items = append(out.Items, sub)
	}
	byOrder := r.URL.Query().Get("order_id")
	if byOrder != "" {
		out.Items = out.Items[:0] // only the order's
	}
	s.mu.Lock()
	for _, o := range s.orders {
		if o.customer == strings.ToLower(c.ID) && (byOrder == "" || strings.EqualFold(o.order.ID, byOrder)) {
			ord := o.order
			if s.provisioned(&ord) {
				ord.Status = pc.OrderCompleted
			}
			out.Items = append(out.Items, orderSubscriptions(&ord)...)
		}
	}
	s.mu.Unlock()
	out.TotalCount = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

// orderSubscriptions are the subscriptions an order's lines created.
func orderSubscriptions(o *pc.Order) []pc.Subscription {
	var out []pc.Subscription
	status := "active"
	if !strings.EqualFold(o.Status, pc.OrderCompleted) {
		status = "pending"
	}
	for _, l := range o.LineItems {
		id := l.SubscriptionID
		if id == "" {
			// The order does not say (OmitSubscriptionIDs), as Partner
			// Center's does not while provisioning: the subscription says
			// which order made it.
			id = derivedID(o.ID, l.LineItemNumber)
		}
		sub := pc.Subscription{ID: id, OfferID: l.OfferID, FriendlyName: l.FriendlyName, Quantity: l.Quantity, Status: status,
			BillingCycle: o.BillingCycle, TermDuration: l.TermDuration, OrderID: o.ID, AutoRenewEnabled: true,
			Attributes: &pc.Attributes{ObjectType: "Subscription"}}
		if o.CreationDate != nil {
			sub.CreationDate = pc.LenientTime{Time: *o.CreationDate}
			if end, ok := termEnd(*o.CreationDate, l.TermDuration); ok {
				sub.CommitmentEndDate = pc.LenientTime{Time: end}
			}
		}
		out = append(out, sub)
	}
	return out
}

// termEnd is the last day of a term that starts at start.
func termEnd(start time.Time, term string) (time.Time, bool) {
	switch strings.ToUpper(term) {
	case "P1M":
		return start.AddDate(0, 1, -1), true
	case "P1Y":
		return start.AddDate(1, 0, -1), true
	case "P3Y":
		return start.AddDate(3, 0, -1), true
	}
	return time.Time{}, false
}

// seededID is a seeded subscription's id, the same every time.
func seededID(customer string, i int) string {
	id := strings.ToLower(strings.ReplaceAll(customer, "-", ""))
	return fmt.Sprintf("%s-5eed-4000-8000-%012d", id[:8], i)
}

// derivedID is a subscription id made from its order and line, the same
// every time it is asked for.
func derivedID(orderID string, line int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", orderID, line)))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}
