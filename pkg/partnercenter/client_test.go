package partnercenter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
)

const customer = "d6bf25b7-e0a8-4f2d-a31b-97b55cfc774d"

// recorder remembers what the client sent.
type recorder struct {
	mu       sync.Mutex
	requests []*http.Request
	before   func(w http.ResponseWriter, r *http.Request) bool // true: answered here
	next     http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.requests = append(rec.requests, r.Clone(context.Background()))
	before := rec.before
	rec.mu.Unlock()
	if before != nil && before(w, r) {
		return
	}
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) api() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []*http.Request
	for _, r := range rec.requests {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			out = append(out, r)
		}
	}
	return out
}

type fixture struct {
	sb     *sandbox.Server
	rec    *recorder
	client *pc.Client
	url    string
}

func setup(t *testing.T, cfg sandbox.Config, opt pc.Options) *fixture {
	t.Helper()
	sb := sandbox.New(cfg)
	rec := &recorder{next: sb}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	tenant, id, secret, _ := sb.Credentials()
	if opt.Tokens == nil {
		opt.Tokens = pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret},
			pc.TokenURL(srv.URL+"/{tenant}/oauth2/token", tenant), srv.Client())
	}
	opt.Endpoint = srv.URL
	if opt.BaseDelay == 0 {
		opt.BaseDelay, opt.MaxDelay = time.Millisecond, 10*time.Millisecond
	}
	if opt.Timeout == 0 {
		opt.Timeout = 2 * time.Second
	}
	c, err := pc.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sb: sb, rec: rec, client: c, url: srv.URL}
}

func yes() *bool { b := true; return &b }

func oneLine(qty int) *pc.Cart {
	return &pc.Cart{PartnerOnRecordAttestationAccepted: yes(), LineItems: []pc.CartLineItem{
		{ID: 0, CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: qty, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"}}}
}

func orders(sb *sandbox.Server) int { return sandbox.Orders(sb.Ledger()) }

func TestCreateAndCheckout(t *testing.T) {
	f := setup(t, sandbox.Config{}, pc.Options{})
	ctx := context.Background()
	cart, call, err := f.client.CreateCart(ctx, customer, oneLine(3), "req-create")
	if err != nil {
		t.Fatal(err)
	}
	if cart.ID == "" || call.RequestID != "req-create" || call.CorrelationID == "" || call.Status != 201 || call.Attempts != 1 {
		t.Errorf("cart %s call %+v", cart.ID, call)
	}
	res, _, err := f.client.Checkout(ctx, customer, cart.ID, "req-checkout")
	if err != nil || len(res.Orders) != 1 {
		t.Fatalf("checkout: %+v %v", res, err)
	}
	got, _, err := f.client.GetCart(ctx, customer, cart.ID)
	if err != nil || got.Status != pc.CartOrdered {
		t.Errorf("get cart: %+v %v", got, err)
	}
	o, _, err := f.client.GetOrder(ctx, customer, res.Orders[0].ID)
	if err != nil || o.ID != res.Orders[0].ID {
		t.Errorf("get order: %v", err)
	}
	for _, r := range f.rec.api() {
		for h, want := range map[string]string{"Accept": "application/json", "Content-Type": "application/json"} {
			if r.Header.Get(h) != want {
				t.Errorf("%s %s: %s = %q", r.Method, r.URL.Path, h, r.Header.Get(h))
			}
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || r.Header.Get(pc.HeaderRequestID) == "" || r.Header.Get(pc.HeaderCorrelationID) == "" {
			t.Errorf("%s %s: headers %v", r.Method, r.URL.Path, r.Header)
		}
	}
}

func TestRetriesKeepTheRequestID(t *testing.T) {
	f := setup(t, sandbox.Config{Seed: 5, Faults: sandbox.Faults{{Op: "create", Kind: sandbox.Fault503, Prob: 0.6}, {Op: "create", Kind: sandbox.FaultDrop, Prob: 0.3}}},
		pc.Options{MaxAttempts: 30})
	for i := 0; i < 10; i++ {
		id := pc.NewID()
		if _, _, err := f.client.CreateCart(context.Background(), customer, oneLine(1), id); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	ids := map[string]int{}
	for _, r := range f.rec.api() {
		ids[r.Header.Get(pc.HeaderRequestID)]++
	}
	retried := 0
	for _, n := range ids {
		if n > 1 {
			retried++
		}
	}
	if len(ids) != 10 || retried == 0 {
		t.Errorf("%d request ids for 10 logical requests (%d retried)", len(ids), retried)
	}
	carts := 0
	for _, e := range f.sb.Ledger() {
		if e.Kind == sandbox.LedgerCart {
			carts++
		}
	}
	if carts != 10 {
		t.Errorf("%d carts for 10 creates", carts)
	}
}

func TestLostCheckoutResponseIsRecovered(t *testing.T) {
	f := setup(t, sandbox.Config{Seed: 1, Faults: sandbox.Faults{{Op: "checkout", Kind: sandbox.FaultLostResponse, Prob: 0.7}}}, pc.Options{MaxAttempts: 20})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		cart, _, err := f.client.CreateCart(ctx, customer, oneLine(1), pc.NewID())
		if err != nil {
			t.Fatal(err)
		}
		res, call, err := f.client.Checkout(ctx, customer, cart.ID, pc.NewID())
		if err != nil || len(res.Orders) != 1 {
			t.Fatalf("checkout: %v (%+v)", err, call)
		}
	}
	if n := orders(f.sb); n != 5 {
		t.Errorf("%d orders for 5 carts", n)
	}
}

func TestThrottling(t *testing.T) {
	// The sandbox allows 120/min per customer (a burst of 20); the client
	// without its own limit gets 429s and waits them out.
	f := setup(t, sandbox.Config{CustomerRPM: 120}, pc.Options{})
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < 24; i++ {
		if _, _, err := f.client.GetCart(ctx, customer, "3e22b548-647d-4223-9675-1fcb6cb57665"); err == nil {
			t.Fatal("an unknown cart was found")
		} else if api := new(pc.APIError); !errors.As(err, &api) || api.Status != 404 {
			t.Fatalf("want 404 after waiting out 429s, got %v", err)
		}
	}
	if time.Since(start) < time.Second {
		t.Errorf("finished in %v: the 429s' Retry-After was not honoured", time.Since(start))
	}
	if sent := len(f.rec.api()); sent <= 24 {
		t.Errorf("%d requests for 24 calls: expected some 429s to be retried", sent)
	}

	// With its rate set under the sandbox's limit, no 429 at all.
	g := setup(t, sandbox.Config{CustomerRPM: 600}, pc.Options{RequestsPerMinute: 540})
	for i := 0; i < 30; i++ {
		g.client.GetCart(ctx, customer, "3e22b548-647d-4223-9675-1fcb6cb57665")
	}
	if n := len(g.rec.api()); n != 30 {
		t.Errorf("%d requests for 30 calls under the limit: 429s happened", n)
	}
}

// TestUnauthorizedSignsInAgain: a 401 says the request was not processed:
// the client signs in again and resends, within the request's attempts;
// a Partner Center that refuses every token is a sign-in failure
// (*AuthError), never a refusal of the request.
func TestUnauthorizedSignsInAgain(t *testing.T) {
	f := setup(t, sandbox.Config{}, pc.Options{})
	calls := 0
	f.rec.before = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			return false
		}
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	}
	if _, _, err := f.client.CreateCart(context.Background(), customer, oneLine(1), "x"); err != nil {
		t.Fatalf("one 401 then success: %v", err)
	}
	f.rec.before = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	}
	_, call, err := f.client.CreateCart(context.Background(), customer, oneLine(1), "y")
	var auth *pc.AuthError
	if !errors.As(err, &auth) || call.Attempts != pc.DefaultMaxAttempts {
		t.Errorf("401s only: %v after %d attempts, want a sign-in error after %d", err, call.Attempts, pc.DefaultMaxAttempts)
	}
}

func TestTokenExpiryMidRun(t *testing.T) {
	f := setup(t, sandbox.Config{TokenLifetime: 1500 * time.Millisecond}, pc.Options{})
	for i := 0; i < 4; i++ {
		if _, _, err := f.client.CreateCart(context.Background(), customer, oneLine(1), pc.NewID()); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		time.Sleep(700 * time.Millisecond)
	}
	var tokens int
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	for _, r := range f.rec.requests {
		if strings.HasSuffix(r.URL.Path, "/oauth2/token") {
			tokens++
		}
	}
	if tokens < 2 {
		t.Errorf("%d token requests over a run longer than a token's life", tokens)
	}
}

func TestNotRetried(t *testing.T) {
	f := setup(t, sandbox.Config{}, pc.Options{})
	bad := oneLine(1)
	bad.PartnerOnRecordAttestationAccepted = nil
	_, call, err := f.client.CreateCart(context.Background(), customer, bad, "z")
	var api *pc.APIError
	if !errors.As(err, &api) || api.Status != 400 || api.Code.Number != pc.CodePartnerAttestation || call.Attempts != 1 {
		t.Errorf("400: %v after %d attempts", err, call.Attempts)
	}
	if !strings.Contains(err.Error(), "900206") {
		t.Errorf("message %q lacks the code", err)
	}
}

func TestUnknownOutcome(t *testing.T) {
	f := setup(t, sandbox.Config{Faults: sandbox.Faults{{Op: "create", Kind: sandbox.FaultLostResponse, Prob: 1}}}, pc.Options{MaxAttempts: 3})
	_, call, err := f.client.CreateCart(context.Background(), customer, oneLine(1), "lost")
	var unknown *pc.UnknownOutcomeError
	if !errors.As(err, &unknown) || call.Attempts != 3 {
		t.Errorf("%v after %d attempts, want an unknown outcome after 3", err, call.Attempts)
	}
	// The sandbox made the cart once, whatever the client saw.
	carts := 0
	for _, e := range f.sb.Ledger() {
		if e.Kind == sandbox.LedgerCart {
			carts++
		}
	}
	if carts != 1 {
		t.Errorf("%d carts", carts)
	}
}

func TestSignInErrors(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tenant, id, secret, refresh := sb.Credentials()
	tokURL := pc.TokenURL(srv.URL+"/{tenant}/oauth2/token", tenant)
	bad := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: "wr0ng-Secret"}, tokURL, srv.Client())
	_, err := bad.Token(context.Background())
	var ae *pc.AuthError
	if !errors.As(err, &ae) || ae.Code != "invalid_client" || strings.Contains(err.Error(), "wr0ng-Secret") {
		t.Errorf("bad secret: %v", err)
	}
	appUser := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret, RefreshToken: refresh}, tokURL, srv.Client())
	if tok, err := appUser.Token(context.Background()); err != nil || tok == "" {
		t.Errorf("App+User refresh: %v", err)
	}
}

// TestSignInOutlastsTransientErrors: the identity provider's own trouble
// (5xx, 429, temporarily_unavailable) is tried again; refused credentials
// are not. A transient error used to stop a whole run as a sign-in failure.
func TestSignInOutlastsTransientErrors(t *testing.T) {
	transient := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { http.Error(w, "busy", http.StatusServiceUnavailable) },
		func(w http.ResponseWriter) { http.Error(w, "slow down", http.StatusTooManyRequests) },
		func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred."}`))
		},
	}
	for _, tc := range []struct {
		name     string
		answers  []func(w http.ResponseWriter)
		requests int
		ok       bool
	}{
		{"transient, then a token", transient, 4, true},
		{"refused", []func(w http.ResponseWriter){func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`))
		}}, 1, false},
		{"transient every time", append(append(transient, transient...), transient...), 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				n := requests
				requests++
				mu.Unlock()
				if n < len(tc.answers) {
					tc.answers[n](w)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"access_token":"tok-123456","token_type":"Bearer","expires_in":3600}`))
			}))
			defer srv.Close()
			tokens := pc.NewTokens(pc.Credentials{TenantID: "t", ClientID: "c", ClientSecret: "s"}, srv.URL, srv.Client())
			tok, err := tokens.Token(context.Background())
			if (err == nil) != tc.ok || (tc.ok && tok != "tok-123456") {
				t.Errorf("token %q, error %v; want ok %v", tok, err, tc.ok)
			}
			if err != nil && !errors.As(err, new(*pc.AuthError)) {
				t.Errorf("%T is not an *AuthError", err)
			}
			if requests != tc.requests {
				t.Errorf("%d requests, want %d", requests, tc.requests)
			}
		})
	}
}

func TestEndpointMustBeSecure(t *testing.T) {
	tok := &pc.Tokens{}
	for endpoint, ok := range map[string]bool{
		"https://api.partnercenter.microsoft.com": true,
		"http://127.0.0.1:8080":                   true,
		"http://localhost:9000":                   true,
		"http://api.partnercenter.microsoft.com":  false,
		"http://10.1.2.3:80":                      false,
		"ftp://example.com":                       false,
	} {
		_, err := pc.NewClient(pc.Options{Endpoint: endpoint, Tokens: tok})
		if (err == nil) != ok {
			t.Errorf("%s: %v", endpoint, err)
		}
	}
}

// TestInProgressIsWaitedOut: a checkout slower than the client's timeout
// is asked again; while it runs the sandbox answers 409 (800064), which the
// client waits out without spending its attempts, until the first result
// comes back. One order.
func TestInProgressIsWaitedOut(t *testing.T) {
	f := setup(t, sandbox.Config{CheckoutTime: 600 * time.Millisecond, ForgetRequestIDs: true},
		pc.Options{Timeout: 150 * time.Millisecond, MaxAttempts: 2, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	ctx := context.Background()
	cart, _, err := f.client.CreateCart(ctx, customer, oneLine(2), pc.NewID())
	if err != nil {
		t.Fatal(err)
	}
	res, call, err := f.client.Checkout(ctx, customer, cart.ID, "req-slow")
	if err != nil || len(res.Orders) != 1 {
		t.Fatalf("checkout: %v %+v", err, call)
	}
	for _, r := range f.rec.api() {
		if strings.HasSuffix(r.URL.Path, "/checkout") && r.Header.Get(pc.HeaderRequestID) != "req-slow" {
			t.Errorf("a retry changed the request id to %s", r.Header.Get(pc.HeaderRequestID))
		}
	}
	// The first attempt timed out and the last was answered: any between
	// met the checkout in progress.
	if call.Attempts < 3 {
		t.Errorf("%d attempts: the test never met a 409", call.Attempts)
	}
	if n := orders(f.sb); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}
