package sandbox

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// TestSeedRequestsAnsweredInTheirShape sends the create-cart guide's own
// request bodies and checks the answers have every field of the guide's
// own responses.
func TestSeedRequestsAnsweredInTheirShape(t *testing.T) {
	tests := []struct{ request, response string }{
		{"request-attestation-resellers", "response-attestation-resellers"},
		{"request-all-types", "response-all-types"},
		{"request-nce-pascalcase", "response-nce"},
	}
	// The two older examples predate the attestation requirement; the
	// clock is the guide's own date, so its coterm date is in the future.
	e := start(t, Config{AttestationOptional: true, Now: func() time.Time { return time.Date(2021, 8, 18, 17, 29, 52, 0, time.UTC) }})
	for _, tt := range tests {
		t.Run(tt.request, func(t *testing.T) {
			r := e.call("POST", cartsPath(customer), "", seedBody(t, tt.request))
			if r.status != http.StatusCreated {
				t.Fatalf("%d %s", r.status, r.body)
			}
			want, got := keys(t, seedBody(t, tt.response)), keys(t, r.body)
			// customTermEndDate and renewsTo appear only on lines that have them.
			if miss := missingKeys(want, got); len(miss) > 0 {
				sort.Strings(miss)
				t.Errorf("answer lacks %v\n%s", miss, r.body)
			}
			var c pc.Cart
			r.decode(t, &c)
			if c.Status != pc.CartActive || c.ExpirationTimestamp.Sub(*c.CreationTimestamp) != 7*24*time.Hour {
				t.Errorf("status %s, expiry %v after creation", c.Status, c.ExpirationTimestamp.Sub(*c.CreationTimestamp))
			}
			for _, l := range c.LineItems {
				if l.Error != nil || l.OrderGroup == "" || l.CurrencyCode != "USD" {
					t.Errorf("line %d: %+v", l.ID, l)
				}
			}
		})
	}
	strict := start(t, Config{Now: func() time.Time { return time.Date(2021, 8, 18, 17, 29, 52, 0, time.UTC) }})
	if r := strict.call("POST", cartsPath(customer), "", seedBody(t, "request-nce-pascalcase")); r.status != 400 || r.code(t) != pc.CodePartnerAttestation {
		t.Errorf("no attestation on a default sandbox: %d %s, want 400 900206", r.status, r.body)
	}
	if r := strict.call("POST", cartsPath(customer), "", seedBody(t, "request-attestation-resellers")); r.status != http.StatusCreated {
		t.Errorf("the attested example on a default sandbox: %d %s", r.status, r.body)
	}
}

func TestOrderGroups(t *testing.T) {
	e := start(t, Config{AttestationOptional: true})
	var c pc.Cart
	r := e.call("POST", cartsPath(customer), "", seedBody(t, "request-all-types"))
	r.decode(t, &c)
	// Legacy Azure, 2 reservations, perpetual software, SaaS, SaaS trial.
	want := []string{"OMS-0", "0", "0", "1", "2", "3"}
	for i, l := range c.LineItems {
		if l.OrderGroup != want[i] {
			t.Errorf("line %d (%s): group %q, want %q", i, l.CatalogItemID, l.OrderGroup, want[i])
		}
	}
	c = e.create(cart(nce(2), pc.CartLineItem{CatalogItemID: "DZH318Z0BPS6:0001:DZH318Z0BML6", Quantity: 1, BillingCycle: pc.BillingOneTime}))
	if c.LineItems[0].OrderGroup == c.LineItems[1].OrderGroup || c.LineItems[0].Pricing == nil || c.LineItems[1].Pricing != nil {
		t.Errorf("license and Azure plan lines: %+v", c.LineItems)
	}
	if p := c.LineItems[0].Pricing; p.Price != 6 || p.ExtendedPrice != 12 {
		t.Errorf("pricing %+v, want 6 a month, 12 for 2 seats over P1M", p)
	}
}

func TestCreateRefusals(t *testing.T) {
	e := start(t, Config{})
	no := false
	ri := func(ctx map[string]string) pc.CartLineItem {
		return pc.CartLineItem{CatalogItemID: "DZH318Z0BQ36:004G:DZH318Z08C0S", Quantity: 1, BillingCycle: pc.BillingOneTime, TermDuration: "P1Y", ProvisioningContext: ctx}
	}
	tests := []struct {
		name string
		body any
		code int
	}{
		{"not JSON", []byte(`{"lineItems": [`), pc.CodeInvalidInput},
		{"no lines", pc.Cart{PartnerOnRecordAttestationAccepted: yes()}, pc.CodeInvalidInput},
		{"attestation false", pc.Cart{PartnerOnRecordAttestationAccepted: &no, LineItems: []pc.CartLineItem{nce(1)}}, pc.CodePartnerAttestation},
		{"attestation missing", pc.Cart{LineItems: []pc.CartLineItem{nce(1)}}, pc.CodePartnerAttestation},
		{"billing longer than term", cart(pc.CartLineItem{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 1, BillingCycle: pc.BillingAnnual, TermDuration: "P1M"}), pc.CodeBillingLongerThanTerm},
		{"term not offered", cart(pc.CartLineItem{CatalogItemID: "DZH318Z0C0WF:0001:DZH318Z0BP69", Quantity: 1, BillingCycle: pc.BillingNone}), pc.CodeTermNotSupported},
		{"term on an Azure plan", cart(pc.CartLineItem{CatalogItemID: "DZH318Z0BPS6:0001:DZH318Z0BML6", Quantity: 1, BillingCycle: pc.BillingOneTime, TermDuration: "P1Y"}), pc.CodeTermNotSupported},
		{"quantity 0", cart(nce(0)), pc.CodeQuantityOutOfRange},
		{"reseller not digits", cart(func() pc.CartLineItem {
			l := nce(1)
			l.Participants = []pc.Participant{{Key: pc.TransactionReseller, Value: "MPN123"}}
			return l
		}()), pc.CodeResellerInvalid},
		{"six additional resellers", cart(func() pc.CartLineItem {
			l := nce(1)
			for _, id := range []string{"1", "2", "3", "4", "5", "6"} {
				l.Participants = append(l.Participants, pc.Participant{Key: pc.AdditionalTransactionReseller, Value: id})
			}
			return l
		}()), pc.CodeInvalidInput},
		{"reservation without scope", cart(ri(map[string]string{"subscriptionId": azureSub})), 900312},
		{"reservation without subscription", cart(ri(map[string]string{"scope": "shared"})), 900318},
		{"unknown billing enum", []byte(`{"PartnerOnRecordAttestationAccepted":true,"lineItems":[{"id":0,"catalogItemId":"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P","quantity":1,"billingCycle":"fortnightly","termDuration":"P1M"}]}`), 900126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call("POST", cartsPath(customer), "", tt.body)
			if r.status != http.StatusBadRequest || r.code(t) != tt.code {
				t.Fatalf("%d %s, want 400 with code %d", r.status, r.body, tt.code)
			}
		})
	}
	if n := len(e.sb.Ledger()); n != 0 {
		t.Errorf("%d ledger entries after refused requests", n)
	}
}

func TestLineErrorsComeBackInA201(t *testing.T) {
	e := start(t, Config{})
	past := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	future := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	lines := []pc.CartLineItem{
		{CatalogItemID: "CFQ7TTC0ZZZZ:0001:CFQ7TTC0ZZZZ", Quantity: 1, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"},
		{CatalogItemID: "CFQ7TTC0HHS9:0001:CFQ7TTC0HX4T", Quantity: 1, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"},
		{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 1, BillingCycle: pc.BillingBiennial, TermDuration: "P3Y"},
		{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 301, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"},
		{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 1, BillingCycle: pc.BillingMonthly, TermDuration: "P1Y", CustomTermEndDate: &past},
		{CatalogItemID: "DG7GMGF0DWTL:0001:DG7GMGF0DSFM", Quantity: 1, BillingCycle: pc.BillingOneTime, CustomTermEndDate: &future},
		{CatalogItemID: "CFQ7TTC0HHS9:0001:CFQ7TTC0HX4T", Quantity: 1, BillingCycle: pc.BillingMonthly, TermDuration: "P1M", AttestationAccepted: yes()},
		{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 1, BillingCycle: pc.BillingMonthly, TermDuration: "P1Y", CustomTermEndDate: &future},
	}
	want := []int{pc.ErrCatalogItemIDNotValid, pc.ErrAttestationNotAccepted, pc.ErrBillingPlanNotSupported, pc.ErrMaxSeatsExceeded,
		pc.ErrInvalidCustomTermEndDate, pc.ErrInvalidCustomTermEndDateProd, 0, 0}
	c := e.create(cart(lines...))
	for i, l := range c.LineItems {
		got := 0
		if l.Error != nil {
			got = l.Error.ErrorCode.Number
		}
		if got != want[i] {
			t.Errorf("line %d: error %+v, want code %d", i, l.Error, want[i])
		}
		if (l.Error == nil) == (l.OrderGroup == "") {
			t.Errorf("line %d: order group %q with error %v", i, l.OrderGroup, l.Error)
		}
	}
	r := e.call("POST", cartsPath(customer)+"/"+c.ID+"/checkout", "", nil)
	if r.status != http.StatusBadRequest || r.code(t) != pc.CodeCartLineErrors {
		t.Errorf("checkout of a cart with line errors: %d %s", r.status, r.body)
	}
}

func TestGetUpdateAndExpiry(t *testing.T) {
	e := start(t, Config{})
	c := e.create(cart(nce(1)))
	path := cartsPath(customer) + "/" + c.ID
	var got pc.Cart
	r := e.call("GET", path, "", nil)
	r.decode(t, &got)
	if r.status != 200 || got.ID != c.ID || len(got.LineItems) != 1 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if r := e.call("GET", cartsPath(customer2)+"/"+c.ID, "", nil); r.status != 404 || r.code(t) != pc.CodeCartNotFound {
		t.Errorf("another customer's cart: %d", r.status)
	}
	if r := e.call("GET", cartsPath(customer)+"/3e22b548-647d-4223-9675-1fcb6cb57665", "", nil); r.status != 404 || r.code(t) != pc.CodeCartNotFound {
		t.Errorf("unknown cart: %d %s", r.status, r.body)
	}
	r = e.call("PUT", path, "", cart(nce(3), nce(4)))
	r.decode(t, &got)
	if r.status != http.StatusCreated || len(got.LineItems) != 2 || got.LineItems[1].Quantity != 4 {
		t.Errorf("put replaces the lines: %d %s", r.status, r.body)
	}
	e.clock.add(7*24*time.Hour + time.Second)
	e.token = e.newToken()
	for _, m := range []string{"GET", "POST"} {
		p := path
		if m == "POST" {
			p += "/checkout"
		}
		if r := e.call(m, p, "", nil); r.status != 404 || r.code(t) != pc.CodeCartNotFound {
			t.Errorf("%s an expired cart: %d %s, want 404 800008", m, r.status, r.body)
		}
	}
}

func TestCheckout(t *testing.T) {
	e := start(t, Config{})
	rsv := pc.CartLineItem{CatalogItemID: "DZH318Z0BQ36:004G:DZH318Z08C0S", Quantity: 2, BillingCycle: pc.BillingOneTime, TermDuration: "P1Y",
		ProvisioningContext: map[string]string{"subscriptionId": azureSub, "scope": "shared"}}
	reseller := nce(5)
	reseller.Participants = []pc.Participant{{Key: pc.TransactionReseller, Value: "5357564"}, {Key: pc.AdditionalTransactionReseller, Value: "517285"}}
	c := e.create(cart(reseller, rsv, nce(1)))
	path := cartsPath(customer) + "/" + c.ID + "/checkout"
	r := e.call("POST", path, "", nil)
	if r.status != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.status, r.body)
	}
	var res pc.CartCheckoutResult
	r.decode(t, &res)
	if len(res.Orders) != 2 || len(res.OrderErrors) != 0 {
		t.Fatalf("want 2 orders (license, Azure), got %+v", res)
	}
	lic := res.Orders[0]
	if len(lic.LineItems) != 2 || lic.LineItems[0].OfferID != "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P" || lic.LineItems[0].SubscriptionID == "" ||
		lic.LineItems[0].PartnerIDOnRecord != "5357564" || lic.LineItems[0].AdditionalPartnerIDsOnRecord[0] != "517285" || lic.Status != pc.OrderCompleted {
		t.Errorf("license order %+v", lic)
	}
	if res.Orders[1].Status != pc.OrderPending || res.Orders[1].LineItems[0].TermDuration != "P1Y" {
		t.Errorf("reservation order %+v", res.Orders[1])
	}
	// Checking out again answers the first result and orders nothing.
	again := e.call("POST", path, "", nil)
	if again.status != http.StatusCreated || string(again.body) != string(r.body) {
		t.Errorf("second checkout: %d\n%s\nfirst:\n%s", again.status, again.body, r.body)
	}
	if orders := e.orders(); orders != 2 {
		t.Errorf("%d orders in the ledger, want 2", orders)
	}
	var got pc.Cart
	e.call("GET", cartsPath(customer)+"/"+c.ID, "", nil).decode(t, &got)
	if got.Status != pc.CartOrdered {
		t.Errorf("cart status %s after checkout", got.Status)
	}
	if r := e.call("PUT", cartsPath(customer)+"/"+c.ID, "", cart(nce(1))); r.status != 400 || r.code(t) != pc.CodeCartAlreadySubmitted {
		t.Errorf("update of an ordered cart: %d %s", r.status, r.body)
	}
	var o pc.Order
	r = e.call("GET", "/v1/customers/"+customer+"/orders/"+lic.ID, "", nil)
	r.decode(t, &o)
	if r.status != 200 || o.ID != lic.ID {
		t.Errorf("get order: %d %s", r.status, r.body)
	}
	if r := e.call("GET", "/v1/customers/"+customer2+"/orders/"+lic.ID, "", nil); r.status != 404 {
		t.Errorf("another customer's order: %d", r.status)
	}
}

func TestPartialCheckout(t *testing.T) {
	e := start(t, Config{OmitSubscriptionIDs: true})
	noCapacity := pc.CartLineItem{CatalogItemID: "DZH318Z0BQ36:004K:DZH318Z08C1T", Quantity: 1, BillingCycle: pc.BillingOneTime, TermDuration: "P1Y",
		ProvisioningContext: map[string]string{"subscriptionId": azureSub, "scope": "single"}}
	c := e.create(cart(nce(1), noCapacity))
	var res pc.CartCheckoutResult
	r := e.call("POST", cartsPath(customer)+"/"+c.ID+"/checkout", "", nil)
	r.decode(t, &res)
	if r.status != http.StatusCreated || len(res.Orders) != 1 || len(res.OrderErrors) != 1 ||
		res.OrderErrors[0].OrderGroupID != c.LineItems[1].OrderGroup || res.OrderErrors[0].Code.Number != 800010 {
		t.Fatalf("partial checkout: %d %s", r.status, r.body)
	}
	if res.Orders[0].LineItems[0].SubscriptionID != "" {
		t.Error("subscriptionId present although provisioning is pending")
	}
}

func TestConcurrentCheckoutOfOneCart(t *testing.T) {
	e := start(t, Config{CheckoutTime: 300 * time.Millisecond})
	c := e.create(cart(nce(1)))
	path := cartsPath(customer) + "/" + c.ID + "/checkout"
	first := make(chan reply)
	go func() { first <- e.call("POST", path, "", nil) }()
	time.Sleep(100 * time.Millisecond)
	r := e.call("POST", path, "", nil)
	if r.status != http.StatusConflict || r.code(t) != pc.CodeCartInProgress {
		t.Errorf("checkout while another runs: %d %s, want 409 800064", r.status, r.body)
	}
	if r := <-first; r.status != http.StatusCreated {
		t.Fatalf("first checkout: %d %s", r.status, r.body)
	}
	if r := e.call("POST", path, "", nil); r.status != http.StatusCreated {
		t.Errorf("checkout after it finished: %d", r.status)
	}
	if orders := e.orders(); orders != 1 {
		t.Errorf("%d orders, want 1", orders)
	}
}

func TestCustomCatalog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "catalog.json")
	data := `{"products":[{"id":"ABCDEF123456","title":"Only product","productType":"OnlineServicesNCE","family":"license",` +
		`"skus":[{"id":"0001","title":"x","minimumQuantity":1,"maximumQuantity":5,"supportedBillingCycles":["monthly"],` +
		`"availabilities":[{"id":"ABCDEF654321","terms":["P1M"],"price":1}]}]}]}`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(p)
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, Config{Catalog: cat})
	c := e.create(cart(pc.CartLineItem{CatalogItemID: "ABCDEF123456:0001:ABCDEF654321", Quantity: 2, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"}, nce(1)))
	if c.LineItems[0].Error != nil || c.LineItems[1].Error == nil || c.LineItems[1].Error.ErrorCode.Number != pc.ErrCatalogItemIDNotValid {
		t.Errorf("custom catalog: %+v / %+v", c.LineItems[0].Error, c.LineItems[1].Error)
	}
	if err := os.WriteFile(p, []byte(`{"products":[{"id":"X"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCatalog(p); err == nil {
		t.Error("a product without a family was accepted")
	}
}

// TestCheckoutShape: the answer carries the fields the checkout reference
// (../shared/seeds/checkout-cart-reference.txt) lists for CartCheckoutResult,
// Order, OrderLineItem and OrderError.
func TestCheckoutShape(t *testing.T) {
	e := start(t, Config{})
	noCapacity := pc.CartLineItem{CatalogItemID: "DZH318Z0BQ36:004K:DZH318Z08C1T", Quantity: 1, BillingCycle: pc.BillingOneTime, TermDuration: "P1Y",
		ProvisioningContext: map[string]string{"subscriptionId": azureSub, "scope": "single"}}
	c := e.create(cart(nce(1), noCapacity))
	r := e.call("POST", cartsPath(customer)+"/"+c.ID+"/checkout", "", nil)
	got := keys(t, r.body)
	var want []string
	for _, k := range []string{"orders", "orderErrors", "attributes"} {
		want = append(want, "."+k)
	}
	for _, k := range []string{"attributes", "billingCycle", "creationDate", "currencyCode", "currencySymbol", "id", "lineItems", "links",
		"referenceCustomerId", "status", "totalPrice", "transactionType"} {
		want = append(want, ".orders[]."+k)
	}
	for _, k := range []string{"lineItemNumber", "offerId", "quantity", "subscriptionId", "termDuration", "transactionType", "pricing",
		"provisioningContext", "links"} {
		want = append(want, ".orders[].lineItems[]."+k)
	}
	for _, k := range []string{"orderGroupId", "code", "description", "attributes"} {
		want = append(want, ".orderErrors[]."+k)
	}
	for _, k := range want {
		if !got[k] {
			t.Errorf("checkout answer lacks %s", k)
		}
	}
	if t.Failed() {
		t.Logf("%s", r.body)
	}
}

// TestStricterPartnerCenter: with request ids forgotten, a repeated create
// makes a second cart; with repeat checkouts refused, checking an ordered
// cart out again gets 400 (800065) and orders nothing.
func TestStricterPartnerCenter(t *testing.T) {
	e := start(t, Config{ForgetRequestIDs: true, RefuseRepeatCheckout: true})
	body := cart(nce(1))
	first := e.call("POST", cartsPath(customer), "req-1", body)
	second := e.call("POST", cartsPath(customer), "req-1", body)
	var a, b pc.Cart
	first.decode(t, &a)
	second.decode(t, &b)
	if a.ID == "" || a.ID == b.ID {
		t.Errorf("the same request id twice: carts %q and %q, want two", a.ID, b.ID)
	}
	path := cartsPath(customer) + "/" + a.ID + "/checkout"
	if r := e.call("POST", path, "co-1", nil); r.status != http.StatusCreated {
		t.Fatalf("checkout: %d %s", r.status, r.body)
	}
	if r := e.call("POST", path, "co-1", nil); r.status != http.StatusBadRequest || r.code(t) != pc.CodeCartAlreadySubmitted {
		t.Errorf("repeated checkout: %d %s, want 400 800065", r.status, r.body)
	}
	if orders := e.orders(); orders != 1 {
		t.Errorf("%d orders, want 1", orders)
	}
}

// orders counts the orders in the ledger.
func (e *env) orders() int {
	n := 0
	for _, l := range e.sb.Ledger() {
		if l.Kind == LedgerOrder {
			n++
		}
	}
	return n
}
