package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

type cartState struct {
	customer    string
	cart        pc.Cart
	result      *pc.CartCheckoutResult
	checkingOut bool
	requestID   string
}

type orderState struct {
	customer string
	order    pc.Order
}

// appUser is the lastModifiedUser of carts the sandbox's app creates.
const appUser = "9db12087-fbc3-481c-8965-73d44ff88e27"

// readCart decodes a cart from a create or update request and applies the
// service's rules to it.
func (s *Server) readCart(r *http.Request, now time.Time) (*pc.Cart, *apiError) {
	var c pc.Cart
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20)).Decode(&c); err != nil {
		return nil, badRequest(pc.CodeInvalidInput, "Invalid request input: the body is not a cart (%v).", err)
	}
	if apiErr := s.checkCart(&c, now); apiErr != nil {
		return nil, apiErr
	}
	return &c, nil
}

func (e *apiError) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.description) }

func (s *Server) handleCreateCart(w http.ResponseWriter, r *http.Request) {
	customer := r.PathValue("customer")
	if !guidRE.MatchString(customer) {
		badRequest(pc.CodeInvalidInput, "Invalid request input: customer id '%s' is not a GUID.", customer).write(w)
		return
	}
	if _, ok := s.customer(w, r); !ok {
		return
	}
	now := s.now()
	c, apiErr := s.readCart(r, now)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	s.mu.Lock()
	id := s.newID()
	exp := now.Add(s.cfg.CartLifetime)
	c.ID, c.CreationTimestamp, c.LastModifiedTimestamp, c.ExpirationTimestamp = id, &now, &now, &exp
	c.LastModifiedUser, c.Status = appUser, pc.CartActive
	c.Links = &pc.ResourceLinks{Self: &pc.Link{URI: "/customers/" + customer + "/carts/" + id, Method: "GET", Headers: json.RawMessage("[]")}}
	c.Attributes = &pc.Attributes{ObjectType: "Cart"}
	st := &cartState{customer: strings.ToLower(customer), cart: *c, requestID: r.Header.Get(pc.HeaderRequestID)}
	s.carts[id] = st
	s.save(cartLine(st))
	s.record(LedgerEntry{Kind: LedgerCart, CustomerID: customer, CartID: id, RequestID: st.requestID,
		CorrelationID: r.Header.Get(pc.HeaderCorrelationID), Lines: len(c.LineItems)})
	out := st.cart
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// findCart returns a live cart of the customer, or the 404 Partner Center
// gives for an unknown or expired cart. Call with s.mu held.
func (s *Server) findCart(customer, id string, now time.Time) (*cartState, *apiError) {
	st, ok := s.carts[strings.ToLower(id)]
	if !ok {
		st, ok = s.carts[id]
	}
	if !ok || st.customer != strings.ToLower(customer) ||
		(st.cart.Status == pc.CartActive && now.After(*st.cart.ExpirationTimestamp)) {
		return nil, &apiError{status: http.StatusNotFound, code: pc.CodeCartNotFound, description: fmt.Sprintf("Unable to retrieve cart id %s.", id)}
	}
	return st, nil
}

func (s *Server) handleGetCart(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, apiErr := s.findCart(r.PathValue("customer"), r.PathValue("cart"), s.now())
	var out pc.Cart
	if st != nil {
		out = st.cart
	}
	s.mu.Unlock()
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleUpdateCart replaces the cart's lines (PUT replaces, it does not
// add) and answers 201, as the update-cart document's example does.
func (s *Server) handleUpdateCart(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	c, apiErr := s.readCart(r, now)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.findCart(r.PathValue("customer"), r.PathValue("cart"), now)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	if st.cart.Status != pc.CartActive || st.checkingOut {
		writeError(w, http.StatusBadRequest, pc.CodeCartAlreadySubmitted, "Cannot update an already submitted cart.")
		return
	}
	st.cart.LineItems = c.LineItems
	st.cart.PartnerOnRecordAttestationAccepted = c.PartnerOnRecordAttestationAccepted
	st.cart.LastModifiedTimestamp = &now
	s.save(cartLine(st))
	writeJSON(w, http.StatusCreated, st.cart)
}

// handleCheckout places one order per order group. Checkout is idempotent
// per cart: an ordered cart answers with its first result and nothing new
// is ordered. A cart being checked out answers 409 (800064).
func (s *Server) handleCheckout(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.findCart(r.PathValue("customer"), r.PathValue("cart"), now)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	if st.result != nil {
		if s.cfg.RefuseRepeatCheckout {
			writeError(w, http.StatusBadRequest, pc.CodeCartAlreadySubmitted, fmt.Sprintf("Cannot checkout an already submitted cart %s.", st.cart.ID))
			return
		}
		writeJSON(w, http.StatusCreated, st.result)
		return
	}
	if st.checkingOut {
		writeError(w, http.StatusConflict, pc.CodeCartInProgress, fmt.Sprintf("Cart %s is being processed by another request.", st.cart.ID))
		return
	}
	var bad []string
	for _, l := range st.cart.LineItems {
		if l.Error != nil {
			bad = append(bad, fmt.Sprintf("line item %d: %s", l.ID, l.Error.ErrorDescription))
		}
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, pc.CodeCartLineErrors, "Error in cart item(s): "+strings.Join(bad, "; "))
		return
	}
	if d := s.cfg.CheckoutTime; d > 0 {
		st.checkingOut = true
		s.mu.Unlock()
		time.Sleep(d) // the order is being placed; the client must wait
		s.mu.Lock()
		st.checkingOut = false
	}
	result := s.placeOrders(st, r, now)
	if len(result.Orders) > 0 {
		st.cart.Status = pc.CartOrdered
		st.result = result
		s.save(cartLine(st))
	}
	writeJSON(w, http.StatusCreated, result)
}

// placeOrders orders each order group of a cart. Call with s.mu held.
func (s *Server) placeOrders(st *cartState, r *http.Request, now time.Time) *pc.CartCheckoutResult {
	result := &pc.CartCheckoutResult{Orders: []pc.Order{}, OrderErrors: []pc.OrderError{}, Attributes: &pc.Attributes{ObjectType: "CartCheckoutResult"}}
	var groups []string
	lines := map[string][]pc.CartLineItem{}
	for _, l := range st.cart.LineItems {
		if _, seen := lines[l.OrderGroup]; !seen {
			groups = append(groups, l.OrderGroup)
		}
		lines[l.OrderGroup] = append(lines[l.OrderGroup], l)
	}
	t := true
	for _, g := range groups {
		if e := s.groupError(lines[g]); e != nil {
			e.OrderGroupID = g
			e.Attributes = &pc.Attributes{ObjectType: "OrderError"}
			result.OrderErrors = append(result.OrderErrors, *e)
			continue
		}
		o := pc.Order{
			ID: s.newID(), ReferenceCustomerID: st.customer, BillingCycle: lines[g][0].BillingCycle,
			CurrencyCode: "USD", CurrencySymbol: "$", CreationDate: &now, Status: pc.OrderCompleted,
			TransactionType: "UserPurchase", PartnerOnRecordAttestationAccepted: &t, Attributes: &pc.Attributes{ObjectType: "Order"},
		}
		for n, l := range lines[g] {
			ol := pc.OrderLineItem{
				LineItemNumber: n, OfferID: l.CatalogItemID, TermDuration: l.TermDuration, TransactionType: "New",
				FriendlyName: l.FriendlyName, Quantity: l.Quantity, Pricing: l.Pricing, ProvisioningContext: l.ProvisioningContext,
				RenewsTo: l.RenewsTo, PromotionID: l.PromotionID, CustomTermEndDate: l.CustomTermEndDate, AttestationAccepted: l.AttestationAccepted,
			}
			if !s.cfg.OmitSubscriptionIDs {
				ol.SubscriptionID = s.newID()
			}
			ol.Links = lineLinks(l.CatalogItemID, st.customer, ol.SubscriptionID)
			for _, p := range l.Participants {
				if p.Key == pc.TransactionReseller {
					ol.PartnerIDOnRecord = p.Value
				} else if p.Key == pc.AdditionalTransactionReseller {
					ol.AdditionalPartnerIDsOnRecord = append(ol.AdditionalPartnerIDsOnRecord, p.Value)
				}
			}
			if l.Pricing != nil {
				o.TotalPrice = round2(o.TotalPrice + l.Pricing.ExtendedPrice)
			}
			if it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID); s.cfg.ProvisioningDelay > 0 || ok && (it.Product.Family == "perpetual" || it.Product.Family == "reservation") {
				o.Status = pc.OrderPending // provisioned later
			}
			o.LineItems = append(o.LineItems, ol)
		}
		o.Links = json.RawMessage(fmt.Sprintf(`{"self":{"uri":"/customers/%s/orders/%s","method":"GET","headers":[]}}`, st.customer, o.ID))
		s.orders[o.ID] = &orderState{customer: st.customer, order: o}
		s.save(stateLine{Order: &savedOrder{Customer: st.customer, Order: o}})
		result.Orders = append(result.Orders, o)
		s.record(LedgerEntry{Kind: LedgerOrder, CustomerID: st.customer, CartID: st.cart.ID, OrderID: o.ID, OrderGroup: g,
			RequestID: r.Header.Get(pc.HeaderRequestID), CorrelationID: r.Header.Get(pc.HeaderCorrelationID), Lines: len(o.LineItems)})
	}
	return result
}

// groupError is the failure of an order group whose items cannot be
// fulfilled (the catalog marks them).
func (s *Server) groupError(lines []pc.CartLineItem) *pc.OrderError {
	for _, l := range lines {
		if it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID); ok && it.Availability.CheckoutError != nil {
			ce := it.Availability.CheckoutError
			return &pc.OrderError{Code: pc.NewCode(ce.Code), Description: ce.Description}
		}
	}
	return nil
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	if o, ok := s.order(w, r); ok {
		writeJSON(w, http.StatusOK, o)
	}
}

// order is the request's order as it is now: provisioned once
// ProvisioningDelay has passed since it was placed; or 404.
func (s *Server) order(w http.ResponseWriter, r *http.Request) (pc.Order, bool) {
	s.mu.Lock()
	st, ok := s.orders[strings.ToLower(r.PathValue("order"))]
	var out pc.Order
	if ok && st.customer == strings.ToLower(r.PathValue("customer")) {
		out = st.order
		out.LineItems = append([]pc.OrderLineItem(nil), st.order.LineItems...)
	} else {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, 0, "Order "+r.PathValue("order")+" was not found for this customer.")
		return pc.Order{}, false
	}
	if s.provisioned(&out) {
		out.Status = pc.OrderCompleted
	}
	return out, true
}

// provisioned: the order was placed ProvisioningDelay ago or more.
func (s *Server) provisioned(o *pc.Order) bool {
	return o.CreationDate != nil && !s.now().Before(o.CreationDate.Add(s.cfg.ProvisioningDelay))
}

// handleProvisioning answers GET …/orders/{order}/provisioningstatus:
// each line fulfilled once the order is provisioned, else unfulfilled.
func (s *Server) handleProvisioning(w http.ResponseWriter, r *http.Request) {
	o, ok := s.order(w, r)
	if !ok {
		return
	}
	status := "unfulfilled"
	if s.provisioned(&o) {
		status = "fulfilled"
	}
	out := pc.Collection[pc.ProvisioningItem]{Items: []pc.ProvisioningItem{}, Attributes: &pc.Attributes{ObjectType: "Collection"}}
	for _, l := range o.LineItems {
		out.Items = append(out.Items, pc.ProvisioningItem{LineItemNumber: l.LineItemNumber, Status: status})
	}
	out.TotalCount = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

// lineLinks are an order line's links to its catalog item and subscription.
func lineLinks(catalogItemID, customer, subscription string) json.RawMessage {
	parts := strings.Split(catalogItemID, ":")
	links := map[string]pc.Link{}
	if len(parts) == 3 {
		links["product"] = pc.Link{URI: "/products/" + parts[0] + "?country=US", Method: "GET", Headers: json.RawMessage("[]")}
		links["sku"] = pc.Link{URI: "/products/" + parts[0] + "/skus/" + parts[1] + "?country=US", Method: "GET", Headers: json.RawMessage("[]")}
		links["availability"] = pc.Link{URI: "/products/" + parts[0] + "/skus/" + parts[1] + "/availabilities/" + parts[2] + "?country=US", Method: "GET", Headers: json.RawMessage("[]")}
	}
	if subscription != "" {
		links["subscription"] = pc.Link{URI: "/customers/" + customer + "/subscriptions/" + subscription, Method: "GET", Headers: json.RawMessage("[]")}
	}
	b, _ := json.Marshal(links)
	return b
}
