package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

func TestTokenEndpoint(t *testing.T) {
	e := start(t, Config{})
	tenant, id, secret, refresh := e.sb.Credentials()
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		errKey string
	}{
		{"v1 client credentials", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "resource": {Resource}}, 200, ""},
		{"v2 scope", "/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {Resource + "/.default"}}, 200, ""},
		{"refresh token (App+User)", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "client_secret": {secret}, "refresh_token": {refresh}, "resource": {Resource}}, 200, ""},
		{"refresh token, wrong secret", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "client_secret": {"guess-Secr3t"}, "refresh_token": {refresh}, "resource": {Resource}}, 401, "invalid_client"},
		{"wrong secret", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"guess-Secr3t"}, "resource": {Resource}}, 401, "invalid_client"},
		{"bad refresh token", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "client_secret": {secret}, "refresh_token": {"stale-Refr3sh"}, "resource": {Resource}}, 400, "invalid_grant"},
		{"graph resource", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "resource": {"https://graph.windows.net"}}, 400, "invalid_resource"},
		{"v2 without scope", "/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, 400, "invalid_scope"},
		{"password grant", "/oauth2/token", url.Values{"grant_type": {"password"}, "resource": {Resource}}, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.PostForm(e.srv.URL+"/"+tenant+tt.path, tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status || (tt.errKey != "" && body["error"] != tt.errKey) {
				t.Fatalf("%d %v, want %d %s", resp.StatusCode, body, tt.status, tt.errKey)
			}
			raw, _ := json.Marshal(body)
			for _, leak := range []string{"guess-Secr3t", "stale-Refr3sh", secret} {
				if strings.Contains(string(raw), leak) {
					t.Errorf("the token endpoint's answer repeats a secret: %s", raw)
				}
			}
			if tt.status == 200 {
				if body["access_token"] == "" || body["token_type"] != "Bearer" {
					t.Errorf("token answer %v", body)
				}
				_, isString := body["expires_in"].(string)
				if v2 := strings.Contains(tt.path, "v2.0"); isString == v2 {
					t.Errorf("expires_in %T: v1 writes a string, v2 a number", body["expires_in"])
				}
			}
		})
	}
	// HTTP Basic client authentication works too.
	req, _ := http.NewRequest("POST", e.srv.URL+"/"+tenant+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "resource": {Resource}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", resp, err)
	}
	if resp, _ := http.PostForm(e.srv.URL+"/other-tenant/oauth2/token", tests[0].form); resp.StatusCode != 400 {
		t.Errorf("unknown tenant: %d", resp.StatusCode)
	}
}

func TestUnauthorized(t *testing.T) {
	e := start(t, Config{TokenLifetime: time.Minute})
	good := e.token
	for _, tok := range []string{"", "not-a-token"} {
		e.token = tok
		r := e.call("POST", cartsPath(customer), "", cart(nce(1)))
		if r.status != 401 || r.code(t) != pc.CodeTokenMissing || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %s", tok, r.status, r.body)
		}
	}
	e.token = good
	if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 201 {
		t.Fatalf("with the token: %d", r.status)
	}
	e.clock.add(61 * time.Second)
	if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 401 {
		t.Errorf("expired token: %d, want 401", r.status)
	}
	e.token = e.newToken()
	if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 201 {
		t.Errorf("after refreshing the token: %d", r.status)
	}
}

func TestHeaders(t *testing.T) {
	e := start(t, Config{})
	r := e.call("POST", cartsPath(customer), "4fa6dad6-a89f-4875-8247-8294a10ae1cf", cart(nce(1)))
	if r.header.Get(pc.HeaderRequestID) != "4fa6dad6-a89f-4875-8247-8294a10ae1cf" || r.header.Get(pc.HeaderCorrelationID) == "" ||
		r.header.Get(pc.HeaderCV) == "" || r.header.Get(pc.HeaderServerID) == "" {
		t.Errorf("headers %v", r.header)
	}
	r = e.call("GET", cartsPath(customer)+"/x", "", nil)
	if !guidRE.MatchString(r.header.Get(pc.HeaderRequestID)) || !guidRE.MatchString(r.header.Get(pc.HeaderCorrelationID)) {
		t.Errorf("generated ids %v", r.header)
	}
}

func TestRequestIDReplay(t *testing.T) {
	e := start(t, Config{})
	const id = "0b7e1a43-3f5c-4f2a-9d0e-2c6b8a7d9e10"
	first := e.call("POST", cartsPath(customer), id, cart(nce(1)))
	second := e.call("POST", cartsPath(customer), id, cart(nce(1)))
	if first.status != 201 || string(first.body) != string(second.body) {
		t.Fatalf("repeated create: %d / %d\n%s\n%s", first.status, second.status, first.body, second.body)
	}
	var c pc.Cart
	first.decode(t, &c)
	path := cartsPath(customer) + "/" + c.ID + "/checkout"
	a := e.call("POST", path, "b1", nil)
	b := e.call("POST", path, "b1", nil)
	if a.status != 201 || string(a.body) != string(b.body) {
		t.Errorf("repeated checkout: %s / %s", a.body, b.body)
	}
	// A business failure is the first answer too.
	bad := pc.Cart{LineItems: []pc.CartLineItem{nce(1)}}
	if r1, r2 := e.call("POST", cartsPath(customer), "c1", bad), e.call("POST", cartsPath(customer), "c1", cart(nce(1))); r1.status != 400 || r2.status != 400 {
		t.Errorf("request id reused after a 400: %d then %d, want the first answer twice", r1.status, r2.status)
	}
	// Concurrent repeats of one request id create one cart.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.call("POST", cartsPath(customer2), "d1", cart(nce(2))) }()
	}
	wg.Wait()
	carts := 0
	for _, l := range e.sb.Ledger() {
		if l.Kind == LedgerCart && l.CustomerID == customer2 {
			carts++
		}
	}
	// One cart for customer (its create was repeated; "c1" was refused), its
	// one order, and one cart for customer2.
	if n := len(e.sb.Ledger()); carts != 1 || n != 3 {
		t.Errorf("%d carts for customer2 and %d ledger entries, want 1 and 3: %+v", carts, n, e.sb.Ledger())
	}
}

func TestRateLimits(t *testing.T) {
	e := start(t, Config{CustomerRPM: 6, PartnerRPM: 18}) // bursts of 1 and 3
	if r := e.call("GET", cartsPath(customer)+"/x", "", nil); r.status != 404 {
		t.Fatalf("first call: %d", r.status)
	}
	r := e.call("GET", cartsPath(customer)+"/x", "", nil)
	var body pc.ThrottleBody
	r.decode(t, &body)
	if r.status != 429 || r.header.Get("Retry-After") != "10" || body.StatusCode != 429 || !strings.Contains(body.Message, "Try again in 10 seconds") {
		t.Errorf("second call for the customer: %d %v %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := e.call("GET", cartsPath(customer2)+"/x", "", nil); r.status != 404 {
		t.Errorf("another customer is not throttled by the first: %d", r.status)
	}
	e.call("GET", "/v1/products/CFQ7TTC0LH0Z?country=US", "", nil)
	if r := e.call("GET", "/v1/products/CFQ7TTC0LH0Z?country=US", "", nil); r.status != 429 {
		t.Errorf("partner-wide limit: %d, want 429", r.status)
	}
	e.clock.add(10 * time.Second)
	if r := e.call("GET", cartsPath(customer)+"/x", "", nil); r.status != 404 {
		t.Errorf("after Retry-After: %d", r.status)
	}
}

func TestParseFaults(t *testing.T) {
	fs, err := ParseFaults("create:500:0.1, checkout:timeout-after-commit:0.05,any:429:0.05,latency:50ms,checkout:latency:1s")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{{"create", "500", 0.1, 0}, {"checkout", FaultLostResponse, 0.05, 0}, {"any", "429", 0.05, 0},
		{"any", FaultLatency, 1, 50 * time.Millisecond}, {"checkout", FaultLatency, 1, time.Second}}
	if fmt.Sprint(fs) != fmt.Sprint(want) {
		t.Errorf("parsed %v\nwant   %v", fs, want)
	}
	for _, bad := range []string{"create:500", "buy:500:0.1", "create:418:0.1", "create:500:2", "latency:fast", "create:500:x"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		kind  string
		check func(t *testing.T, r reply)
	}{
		{Fault500, func(t *testing.T, r reply) {
			if r.status != 500 || r.code(t) != pc.CodeUnexpected {
				t.Errorf("%d %s", r.status, r.body)
			}
		}},
		{Fault503, func(t *testing.T, r reply) {
			if r.status != 503 {
				t.Errorf("%d", r.status)
			}
		}},
		{Fault429, func(t *testing.T, r reply) {
			if r.status != 429 || r.header.Get("Retry-After") == "" {
				t.Errorf("%d %v", r.status, r.header)
			}
		}},
		{FaultDrop, func(t *testing.T, r reply) {
			if r.err == nil {
				t.Errorf("no connection error: %d", r.status)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			e := start(t, Config{Faults: Faults{{Op: "create", Kind: tt.kind, Prob: 1}}})
			tt.check(t, e.call("POST", cartsPath(customer), "", cart(nce(1))))
			if n := len(e.sb.Ledger()); n != 0 {
				t.Errorf("%d ledger entries: the fault struck before the cart was made", n)
			}
			if r := e.call("GET", cartsPath(customer)+"/x", "", nil); r.status != 404 {
				t.Errorf("other operations are untouched: %d", r.status)
			}
		})
	}
	t.Run("429 burst", func(t *testing.T) {
		e := start(t, Config{Faults: Faults{{Op: "create", Kind: Fault429, Prob: 1}}})
		e.call("POST", cartsPath(customer), "", cart(nce(1)))
		e.sb.mu.Lock()
		e.sb.cfg.Faults = nil // the burst outlasts the fault that started it
		e.sb.mu.Unlock()
		if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 429 || r.header.Get("Retry-After") != "1" {
			t.Errorf("inside the burst: %d", r.status)
		}
		e.clock.add(burstLength)
		if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 201 {
			t.Errorf("after the burst: %d", r.status)
		}
	})
	t.Run("401: the token expires now", func(t *testing.T) {
		e := start(t, Config{Faults: Faults{{Op: "create", Kind: Fault401, Prob: 1}}})
		if r := e.call("POST", cartsPath(customer), "", cart(nce(1))); r.status != 401 || r.code(t) != pc.CodeTokenMissing {
			t.Errorf("%d %s", r.status, r.body)
		}
		e.sb.SetFaults(nil)
		if r := e.call("GET", cartsPath(customer)+"/x", "", nil); r.status != 401 {
			t.Errorf("the expired token still works: %d", r.status)
		}
		if n := len(e.sb.Ledger()); n != 0 {
			t.Errorf("%d ledger entries", n)
		}
	})
	t.Run("hang", func(t *testing.T) {
		e := start(t, Config{Faults: Faults{{Op: "get", Kind: FaultHang, Prob: 1}}})
		req, _ := http.NewRequest("GET", e.srv.URL+cartsPath(customer)+"/x", nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		_, err := (&http.Client{Timeout: 200 * time.Millisecond}).Do(req)
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("want a client timeout, got %v", err)
		}
	})
	t.Run("latency", func(t *testing.T) {
		e := start(t, Config{Faults: Faults{{Op: "any", Kind: FaultLatency, Prob: 1, Latency: 150 * time.Millisecond}}})
		begin := time.Now()
		e.call("GET", cartsPath(customer)+"/x", "", nil)
		if d := time.Since(begin); d < 150*time.Millisecond {
			t.Errorf("answered in %v", d)
		}
	})
}

// TestLostResponse is the cruel fault: the checkout is committed, the answer
// is lost. A retry with the same request id gets the first answer; a retry
// with a new one is answered by the cart's idempotent checkout. Either way
// exactly one order exists.
func TestLostResponse(t *testing.T) {
	e := start(t, Config{Faults: Faults{{Op: "checkout", Kind: FaultLostResponse, Prob: 1}}})
	c := e.create(cart(nce(1)))
	path := cartsPath(customer) + "/" + c.ID + "/checkout"
	if r := e.call("POST", path, "req-1", nil); r.err == nil {
		t.Fatalf("the answer arrived: %d", r.status)
	}
	orders := func() int {
		n := 0
		for _, l := range e.sb.Ledger() {
			if l.Kind == LedgerOrder {
				n++
			}
		}
		return n
	}
	if orders() != 1 {
		t.Fatalf("%d orders after the lost answer, want 1 (committed)", orders())
	}
	e.sb.cfg.Faults = nil
	for _, id := range []string{"req-1", "req-2", ""} {
		var res pc.CartCheckoutResult
		r := e.call("POST", path, id, nil)
		r.decode(t, &res)
		if r.status != 201 || len(res.Orders) != 1 {
			t.Errorf("retry with request id %q: %d %s", id, r.status, r.body)
		}
	}
	if orders() != 1 {
		t.Errorf("%d orders after retries, want 1", orders())
	}
}

func TestSeededFaultsRepeat(t *testing.T) {
	outcome := func() string {
		e := start(t, Config{Seed: 42, Faults: Faults{{Op: "get", Kind: Fault500, Prob: 0.5}}})
		var s strings.Builder
		for i := 0; i < 30; i++ {
			fmt.Fprint(&s, e.call("GET", cartsPath(customer)+"/x", "", nil).status/100)
		}
		return s.String()
	}
	a, b := outcome(), outcome()
	if a != b || !strings.Contains(a, "5") || !strings.Contains(a, "4") {
		t.Errorf("seeded runs differ or do not mix: %s / %s", a, b)
	}
}

// TestConcurrentClients: many clients at once, with faults; the ledger
// holds at most one order per cart and order group.
func TestConcurrentClients(t *testing.T) {
	e := start(t, Config{Seed: 7, Faults: Faults{{Op: "create", Kind: Fault503, Prob: 0.2}, {Op: "checkout", Kind: FaultLostResponse, Prob: 0.3}}})
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cust := fmt.Sprintf("%08x-0000-4000-8000-000000000000", i%8)
			// Enough tries that 503s (p=0.2) never exhaust them: five left
			// one client in about 80 runs without a cart.
			for try := 0; try < 40; try++ {
				r := e.call("POST", cartsPath(cust), fmt.Sprintf("create-%d", i), cart(nce(1+i%3)))
				if r.status != 201 {
					continue
				}
				var c pc.Cart
				r.decode(t, &c)
				for k := 0; k < 5; k++ {
					if r := e.call("POST", cartsPath(cust)+"/"+c.ID+"/checkout", fmt.Sprintf("checkout-%d-%d", i, k), nil); r.status == 201 {
						return
					}
				}
				return
			}
		}(i)
	}
	wg.Wait()
	perCart := map[string]int{}
	carts := 0
	for _, l := range e.sb.Ledger() {
		switch l.Kind {
		case LedgerOrder:
			perCart[l.CartID+"/"+l.OrderGroup]++
		case LedgerCart:
			carts++
		}
	}
	if carts != 40 {
		t.Errorf("%d carts, want 40 (one per create request id)", carts)
	}
	for k, n := range perCart {
		if n != 1 {
			t.Errorf("cart/group %s ordered %d times", k, n)
		}
	}
	if len(perCart) != 40 {
		t.Errorf("%d carts ordered, want 40", len(perCart))
	}
}

func TestLedgerOverHTTP(t *testing.T) {
	e := start(t, Config{})
	e.create(cart(nce(1)))
	resp, err := http.Get(e.srv.URL + "/_sandbox/ledger")
	if err != nil {
		t.Fatal(err)
	}
	var entries []LedgerEntry
	_ = json.NewDecoder(resp.Body).Decode(&entries)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(entries) != 1 || entries[0].Kind != LedgerCart || entries[0].RequestID == "" {
		t.Errorf("ledger: %d %+v", resp.StatusCode, entries)
	}
	forbiddenToRemote(t, e, "/_sandbox/ledger")
}

// forbiddenToRemote: path is refused to a client that is not on loopback.
func forbiddenToRemote(t *testing.T, e *env, path string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "192.0.2.10:4000" // documentation range: never a real peer; no traffic is sent
	w := httptest.NewRecorder()
	e.sb.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Errorf("%s to a remote client: %d, want 403", path, w.Code)
	}
}

func TestTokensOverHTTP(t *testing.T) {
	e := start(t, Config{})
	second := e.newToken()
	resp, err := http.Get(e.srv.URL + "/_sandbox/tokens")
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(tokens) != 2 || tokens[0] != e.token || tokens[1] != second {
		t.Errorf("tokens: %d %q, want the two issued", resp.StatusCode, tokens)
	}
	forbiddenToRemote(t, e, "/_sandbox/tokens")
}

func TestCatalogReads(t *testing.T) {
	e := start(t, Config{})
	var p pc.Product
	r := e.call("GET", "/v1/products/DZH318Z0BQ36?country=US", "", nil)
	r.decode(t, &p)
	if r.status != 200 || p.ProductType.ID != "Azure" || p.ProductType.SubType == nil || p.ProductType.SubType.ID != "VirtualMachines" {
		t.Errorf("product: %d %s", r.status, r.body)
	}
	var skus pc.Collection[pc.SKU]
	e.call("GET", "/v1/products/CFQ7TTC0HHS9/skus?country=US", "", nil).decode(t, &skus)
	if skus.TotalCount != 1 || !skus.Items[0].AttestationProperties.EnforceAttestation || skus.Items[0].MaximumQuantity != 300 {
		t.Errorf("skus %+v", skus)
	}
	var av pc.Collection[pc.Availability]
	e.call("GET", "/v1/products/CFQ7TTC0LH0Z/skus/0001/availabilities?country=us", "", nil).decode(t, &av)
	if av.TotalCount != 1 || av.Items[0].CatalogItemID != "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P" || av.Items[0].Country != "US" {
		t.Errorf("availabilities %+v", av)
	}
	// One term per duration and billing cycle the SKU offers for it.
	var pairs []string
	for _, term := range av.Items[0].Terms {
		pairs = append(pairs, term.Duration+"/"+string(term.BillingCycle))
	}
	if got := strings.Join(pairs, " "); got != "P1M/monthly P1Y/monthly P1Y/annual P3Y/monthly P3Y/annual P3Y/triennial" {
		t.Errorf("terms %s", got)
	}
	e.call("GET", "/v1/products/DZH318Z0BPS6/skus/0001/availabilities?country=US", "", nil).decode(t, &av)
	if len(av.Items[0].Terms) != 0 {
		t.Errorf("the Azure plan has terms: %+v", av.Items[0])
	}
	for path, want := range map[string]int{
		"/v1/products/CFQ7TTC0LH0Z":                      400,
		"/v1/products/NOPE00000000?country=US":           404,
		"/v1/products/CFQ7TTC0LH0Z/skus/9999?country=US": 404,
	} {
		if r := e.call("GET", path, "", nil); r.status != want {
			t.Errorf("%s: %d, want %d", path, r.status, want)
		}
	}
}

// TestCatalogCoversTheSeeds: every catalog item id in the documents'
// examples can be bought from the built-in catalog.
func TestCatalogCoversTheSeeds(t *testing.T) {
	c := BuiltinCatalog()
	for _, name := range []string{"request-attestation-resellers", "request-all-types", "request-nce-pascalcase", "response-nce"} {
		var cart pc.Cart
		if err := json.Unmarshal(seedBody(t, name), &cart); err != nil {
			t.Fatal(err)
		}
		for _, l := range cart.LineItems {
			_, item := c.Lookup(l.CatalogItemID)
			_, legacy := c.Legacy(l.CatalogItemID)
			if !item && !legacy {
				t.Errorf("%s: %s is not in the built-in catalog", name, l.CatalogItemID)
			}
		}
	}
	for _, fam := range []string{"license", "azure-plan", "reservation", "perpetual", "software-subscription", "saas"} {
		found := false
		for _, p := range c.Products {
			found = found || p.Family == fam
		}
		if !found {
			t.Errorf("no %s product", fam)
		}
	}
}

func TestCustomerReads(t *testing.T) {
	e := start(t, Config{})
	const contoso, unknown = "4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60", "00000000-0000-4000-8000-000000000404"
	var c pc.Customer
	e.call("GET", "/v1/customers/"+contoso, "", nil).decode(t, &c)
	if c.Country() != "US" || c.Name() != "Contoso Ltd" {
		t.Errorf("customer %+v", c)
	}
	e.call("GET", "/v1/customers/"+customer2, "", nil).decode(t, &c)
	if c.Country() != "US" {
		t.Errorf("a customer the catalog does not name: %+v", c)
	}
	for _, path := range []string{"/v1/customers/" + unknown, "/v1/customers/" + unknown + "/subscriptions", "/v1/customers/not-a-guid"} {
		if r := e.call("GET", path, "", nil); r.status != 404 {
			t.Errorf("%s: %d, want 404", path, r.status)
		}
	}
	if r := e.call("POST", cartsPath(unknown), "", cart(nce(1))); r.status != 404 {
		t.Errorf("a cart for an unknown customer: %d %s", r.status, r.body)
	}

	// Seeded subscriptions, then one for each line the sandbox orders.
	var subs pc.Collection[pc.Subscription]
	e.call("GET", "/v1/customers/"+contoso+"/subscriptions", "", nil).decode(t, &subs)
	if subs.TotalCount != 1 || !subs.Items[0].Active() || subs.Items[0].ProductSKU() != "CFQ7TTC0LFLS:0002" || subs.Items[0].CommitmentEndDate.Format("2006-01-02") != "2027-03-31" {
		t.Errorf("seeded subscriptions %+v", subs)
	}
	made := e.create(cart(nce(7)))
	if r := e.call("POST", cartsPath(customer)+"/"+made.ID+"/checkout", "", nil); r.status != 201 {
		t.Fatalf("checkout: %d %s", r.status, r.body)
	}
	e.call("GET", "/v1/customers/"+customer+"/subscriptions", "", nil).decode(t, &subs)
	if subs.TotalCount != 1 || subs.Items[0].Quantity != 7 || !subs.Items[0].Active() || subs.Items[0].TermDuration != "P1M" {
		t.Errorf("subscriptions after a checkout %+v", subs)
	}

	// An add-on names its prerequisites; an availability sold in some
	// countries only is not listed elsewhere.
	var sku pc.SKU
	e.call("GET", "/v1/products/CFQ7TTC0LFK5/skus/0001?country=DE", "", nil).decode(t, &sku)
	if !sku.DynamicAttributes.IsAddon() || strings.Join(sku.DynamicAttributes.PrerequisiteSKUs(), ",") != "CFQ7TTC0LFLS:0002" {
		t.Errorf("add-on %+v", sku)
	}
	var av pc.Collection[pc.Availability]
	e.call("GET", "/v1/products/CFQ7TTC0HHS9/skus/0001/availabilities?country=DE", "", nil).decode(t, &av)
	if av.TotalCount != 0 {
		t.Errorf("Windows 365 in DE: %+v", av)
	}
}
