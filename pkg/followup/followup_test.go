package followup

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
)

func TestStateOf(t *testing.T) {
	tests := []struct {
		status, provisioning string
		known                bool
		want                 State
	}{
		{"completed", "fulfilled", true, Done},
		{"Completed", "Fulfilled", true, Done},
		{"completed", "unfulfilled", true, Pending},
		{"completed", "PreFulfillmentPending", true, Pending},
		{"completed", "", false, Done}, // provisioning not readable (App+User only)
		{"pending", "fulfilled", true, Pending},
		{"pending_review", "", false, Pending},
		{"something_new", "", false, Pending},
		{"cancelled", "", false, Failed},
		{"po_review_rejected", "", false, Failed},
		{"completed", "failed", true, Failed},
	}
	for _, tt := range tests {
		if got := stateOf(tt.status, tt.provisioning, tt.known); got != tt.want {
			t.Errorf("stateOf(%q, %q, %v) = %v, want %v", tt.status, tt.provisioning, tt.known, got, tt.want)
		}
	}
}

// TestSubscriptionFromTheOrdersSubscriptions: an order whose lines do not
// name their subscriptions (Partner Center while provisioning) gets them
// from the subscriptions the order created.
func TestSubscriptionFromTheOrdersSubscriptions(t *testing.T) {
	sb := sandbox.New(sandbox.Config{OmitSubscriptionIDs: true})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tenant, id, secret, _ := sb.Credentials()
	tokens := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret}, srv.URL+"/"+tenant+"/oauth2/token", srv.Client())
	c, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, HTTP: srv.Client(), RequestsPerMinute: 60000, Timeout: 5 * time.Second, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const customer = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"
	yes := true
	cart, _, err := c.CreateCart(ctx, customer, &pc.Cart{PartnerOnRecordAttestationAccepted: &yes, LineItems: []pc.CartLineItem{
		{ID: 0, CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 5, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"},
		{ID: 1, CatalogItemID: "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", Quantity: 3, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"},
	}}, pc.NewID())
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := c.Checkout(ctx, customer, cart.ID, pc.NewID())
	if err != nil || len(res.Orders) != 1 || res.Orders[0].LineItems[0].SubscriptionID != "" {
		t.Fatalf("checkout %+v %v", res, err)
	}
	ref := Ref{Customer: customer, OrderID: res.Orders[0].ID}
	got := Read(ctx, c, []Ref{ref}, 2)[ref]
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	seen := map[string]bool{}
	for _, item := range []struct{ id, qty string }{{"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "5"}, {"CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "3"}} {
		sub, prov, st := got.Line(item.id, item.qty, map[int]bool{})
		if sub == "" || seen[sub] || prov != "fulfilled" || st != Done {
			t.Errorf("%s: subscription %q, provisioning %q, %v", item.id, sub, prov, st)
		}
		seen[sub] = true
	}
}
