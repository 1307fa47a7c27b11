package partnercenter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// TestLenientReads: answers with unknown fields, unknown enum values,
// other cases and missing optional fields are read, never refused.
func TestLenientReads(t *testing.T) {
	answers := map[string]string{
		"/v1/customers/" + customer: `{"Id":"` + customer + `","companyProfile":{"CompanyName":"Contoso"},"BillingProfile":{"defaultAddress":{"Country":"de"}},"newField":{"x":1}}`,
		"/v1/products/P/skus/S": `{"ID":"S","productId":"P","minimumQuantity":1,"MaximumQuantity":50,"isTrial":false,
			"supportedBillingCycles":["Monthly","OneTime","quarterly"],"dynamicAttributes":{"IsAddon":"true","prerequisiteSkus":[{"productId":"B","skuId":"0001"},"C:0002"],"somethingNew":[1,2]}}`,
		"/v1/products/P/skus/S/availabilities": `{"totalCount":1,"items":[{"id":"A","catalogItemId":"P:S:A","isPurchasable":true,
			"terms":[{"duration":"P1Y","billingCycle":"Annual","cancellationPolicies":[]},{"Duration":"P1M"}],"defaultCurrency":{"code":"EUR"}}]}`,
	}
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		if b, ok := answers[r.URL.Path]; ok {
			_, _ = w.Write([]byte(b))
			return
		}
		http.NotFound(w, r)
	})
	ctx := context.Background()
	cu, err := c.GetCustomer(ctx, customer)
	if err != nil || cu.Country() != "DE" || cu.Name() != "Contoso" {
		t.Errorf("customer %+v, %v", cu, err)
	}
	sku, err := c.GetSKU(ctx, "P", "S", "DE")
	if err != nil || sku.MaximumQuantity != 50 || !sku.DynamicAttributes.IsAddon() ||
		strings.Join(sku.DynamicAttributes.PrerequisiteSKUs(), ",") != "B:0001,C:0002" {
		t.Fatalf("sku %+v, %v", sku, err)
	}
	if got := sku.SupportedBillingCycles; len(got) != 3 || got[0] != pc.BillingMonthly || got[1] != pc.BillingOneTime || got[2] != "quarterly" {
		t.Errorf("billing cycles %v", got)
	}
	av, err := c.GetAvailabilities(ctx, "P", "S", "DE")
	if err != nil || len(av) != 1 || av[0].Terms[0].BillingCycle != pc.BillingAnnual || av[0].Terms[1].Duration != "P1M" || av[0].Currency.Code != "EUR" {
		t.Errorf("availabilities %+v, %v", av, err)
	}
	if _, err := c.GetSKU(ctx, "P", "NOPE", "DE"); !pc.IsNotFound(err) {
		t.Errorf("a missing SKU: %v, want a 404", err)
	}
}

func TestSubscriptionDates(t *testing.T) {
	for in, want := range map[string]string{
		`"2027-03-31"`:                   "2027-03-31",
		`"2027-03-31T00:00:00Z"`:         "2027-03-31",
		`"2027-03-31T00:00:00.1234567Z"`: "2027-03-31",
		`"2027-03-31T00:00:00"`:          "2027-03-31",
		`"31/03/2027"`:                   "0001-01-01",
		`null`:                           "0001-01-01",
		`12`:                             "0001-01-01",
	} {
		var s pc.Subscription
		if err := json.Unmarshal([]byte(`{"id":"x","offerId":"P:S:A","status":"Active","commitmentEndDate":`+in+`}`), &s); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := s.CommitmentEndDate.Format("2006-01-02"); got != want || !s.Active() || s.ProductSKU() != "P:S" {
			t.Errorf("%s: %s active %v %s, want %s", in, got, s.Active(), s.ProductSKU(), want)
		}
	}
}

// TestSubscriptionPages: a collection is followed through its next links,
// with the headers they name (the continuation token).
func TestSubscriptionPages(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Query().Get("seek") == "" && r.Header.Get("MS-ContinuationToken") == "":
			_, _ = w.Write([]byte(`{"totalCount":2,"items":[{"id":"a","offerId":"P:S:A","status":"active"}],
				"links":{"next":{"uri":"/customers/` + customer + `/subscriptions?seek=1","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"tok"}]}}}`))
		case r.Header.Get("MS-ContinuationToken") == "tok" && strings.HasPrefix(r.URL.Path, "/v1/customers/"):
			_, _ = w.Write([]byte(`{"totalCount":2,"items":[{"id":"b","offerId":"P:S:A","status":"suspended"}]}`))
		default:
			http.Error(w, "unexpected "+r.URL.String(), http.StatusBadRequest)
		}
	})
	subs, err := c.ListSubscriptions(context.Background(), customer)
	if err != nil || len(subs) != 2 || subs[1].ID != "b" || subs[1].Active() {
		t.Errorf("subscriptions %+v, %v", subs, err)
	}
}

// fake is a client of a Partner Center that answers with h (and a token).
func fake(t *testing.T, h http.HandlerFunc) *pc.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
			_, _ = w.Write([]byte(`{"access_token":"tok-123456","token_type":"Bearer","expires_in":3600}`))
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	tokens := pc.NewTokens(pc.Credentials{TenantID: "t", ClientID: "c", ClientSecret: "s"}, srv.URL+"/t/oauth2/token", srv.Client())
	c, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, HTTP: srv.Client(), RequestsPerMinute: 60000, Timeout: 5 * time.Second, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
