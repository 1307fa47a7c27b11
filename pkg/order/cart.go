package order

import "strings"

// Participant types, as the cart API spells them.
const (
	KeyTransactionReseller           = "transaction_reseller"
	KeyAdditionalTransactionReseller = "additional_transaction_reseller"
)

// Participant is a partner of record on a line.
type Participant struct {
	Key   string
	Value string
}

// Renewal is the renewsTo object of a line.
type Renewal struct {
	TermDuration string
}

// LineItem is one cart line, with what the create-cart request takes (see
// the Partner Center create-cart guide). It carries no wire format: each
// file or request that holds lines (the request, a plan, a journal key, the
// summary) has its own shape, so renaming a field here changes none.
type LineItem struct {
	ID                  int
	CatalogItemID       string
	FriendlyName        string
	Quantity            int
	BillingCycle        string
	TermDuration        string
	RenewsTo            *Renewal
	PromotionID         string
	CustomTermEndDate   string
	ProvisioningContext map[string]string
	AttestationAccepted *bool
	Participants        []Participant
}

// CartRequest is the body of a create-cart request.
type CartRequest struct {
	PartnerOnRecordAttestationAccepted bool
	LineItems                          []LineItem
}

// CartKey identifies a cart within a sheet: one cart per customer and
// CartGroup.
type CartKey struct {
	CustomerID string // lower-cased: tenant ids are case-insensitive
	Group      string
}

// Cart is the set of rows that are bought together for one customer.
// Rows[i] (an index into the sheet's rows) is the source of Request.LineItems[i].
type Cart struct {
	Key     CartKey
	Name    string
	Rows    []int
	Request CartRequest
}

// KeyOf returns the cart a row belongs to.
func KeyOf(r *Row) CartKey {
	return CartKey{
		CustomerID: strings.ToLower(r.Get(CustomerID)),
		Group:      r.Get(CartGroup),
	}
}

// cartName is how the results workbook refers to a cart: the customer id
// as the sheet writes it on the cart's first row, and the CartGroup.
func cartName(r *Row) string {
	if g := r.Get(CartGroup); g != "" {
		return r.Get(CustomerID) + " / " + g
	}
	return r.Get(CustomerID)
}

// Group puts rows into carts, one per CartKey, in order of first
// appearance; rows keep their sheet order inside a cart. Rows without a
// customer id get no cart (index -1 in the returned slice).
func Group(rows []Row) (carts []*Cart, cartOf []int) {
	cartOf = make([]int, len(rows))
	index := map[CartKey]int{}
	for i := range rows {
		if rows[i].Get(CustomerID) == "" {
			cartOf[i] = -1
			continue
		}
		k := KeyOf(&rows[i])
		n, ok := index[k]
		if !ok {
			n = len(carts)
			index[k] = n
			carts = append(carts, &Cart{Key: k, Name: cartName(&rows[i])})
		}
		carts[n].Rows = append(carts[n].Rows, i)
		cartOf[i] = n
	}
	return carts, cartOf
}
