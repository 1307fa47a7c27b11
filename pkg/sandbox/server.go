// Package sandbox is an in-process simulator of the part of Partner Center
// the importer talks to: the token endpoint, carts, checkout, orders and
// catalog reads, with Partner Center's inconvenient behaviour (per-line
// errors in a 201, 429s with Retry-After, request-id idempotency, expiring
// carts and tokens) and injectable faults. Tests use it through httptest;
// `importer sandbox` serves it on loopback.
package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// Config sets up a sandbox. The zero value works: default credentials, the
// built-in catalog, no rate limit, no faults.
type Config struct {
	TenantID     string // the partner tenant in the token URL
	ClientID     string
	ClientSecret string
	RefreshToken string // accepted for grant_type=refresh_token (App+User)

	TokenLifetime time.Duration // default 1h
	CartLifetime  time.Duration // default 7 days, as Partner Center

	Catalog *Catalog // default BuiltinCatalog()

	// PartnerRPM and CustomerRPM are requests per minute per partner tenant
	// and per customer; 0 means unlimited.
	PartnerRPM, CustomerRPM int

	Faults Faults
	Seed   uint64 // seeds ids and faults, for repeatable runs

	// AttestationOptional accepts carts without
	// PartnerOnRecordAttestationAccepted, as the documents' older examples
	// were; by default a cart without it gets 400 (900206), as the 2023
	// create-cart document requires.
	AttestationOptional bool

	// CheckoutTime is how long a checkout takes; meanwhile another checkout
	// of the same cart gets 409 (800064), as Partner Center answers.
	CheckoutTime time.Duration

	// OmitSubscriptionIDs leaves subscriptionId out of checkout responses,
	// as Partner Center does while provisioning is still running.
	OmitSubscriptionIDs bool

	// ForgetRequestIDs and RefuseRepeatCheckout model a less forgiving
	// Partner Center than its documents promise (the reference notes call
	// both UNCERTAIN): a create, update or checkout sent again with the same
	// MS-RequestId is carried out again, and a checkout of a cart already
	// ordered gets 400 (800065) instead of the first result.
	ForgetRequestIDs     bool
	RefuseRepeatCheckout bool

	// ReadTimeout bounds how long Serve waits for a request's headers and
	// body (default 30s), so stalled clients cannot hold connections open.
	ReadTimeout time.Duration

	Now func() time.Time // default time.Now

	// Users are the people the demo identity provider signs in (default
	// DemoUsers).
	Users []DemoUser

	// StatePath, with Open, is the file the sandbox keeps its carts,
	// orders, replayed answers and ledger in, so that a later sandbox on
	// the same file carries on where this one stopped (see state.go).
	StatePath string
	// ProvisioningDelay is how long after checkout an order is provisioned:
	// until then it is pending and its lines unfulfilled (orders of
	// perpetual software and reservations are pending at checkout even
	// without a delay), then completed and fulfilled.
	ProvisioningDelay time.Duration

	// ReadOnly, with StatePath, reads the state without ever writing it:
	// for reads beside a run that may hold the file (validate --online).
	ReadOnly bool
}

// Default credentials the sandbox accepts when Config leaves them empty.
const (
	DefaultTenantID     = "8a6f7d2e-0b1c-4d3e-9f40-5a6b7c8d9e0f"
	DefaultClientID     = "sandbox-client"
	DefaultClientSecret = "sandbox-secret"
	DefaultRefreshToken = "sandbox-refresh-token"
	Resource            = "https://api.partnercenter.microsoft.com"
)

// Server is the sandbox: an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu        sync.Mutex
	rng       *mrand.Rand
	tokens    map[string]time.Time // access token -> expiry
	issued    []string             // every access token ever issued, for /_sandbox/tokens
	carts     map[string]*cartState
	orders    map[string]*orderState
	replays   map[string]*recorded     // method path request-id -> first response
	inflight  map[string]chan struct{} // same key, while the first is running
	ledger    []LedgerEntry
	partner   *rate.Limiter
	customers map[string]*rate.Limiter
	bursts    map[string]time.Time // op -> end of an injected 429 burst
	serverID  string
	state     *os.File // the state file, with Config.StatePath
	saveErr   error    // why a change could not be saved
	idp       idp      // the demo identity provider (idp.go)
}

// New returns a sandbox.
func New(cfg Config) *Server {
	if cfg.TenantID == "" {
		cfg.TenantID = DefaultTenantID
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.RefreshToken == "" {
		cfg.RefreshToken = DefaultRefreshToken
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = time.Hour
	}
	if cfg.CartLifetime <= 0 {
		cfg.CartLifetime = 7 * 24 * time.Hour
	}
	if cfg.Catalog == nil {
		cfg.Catalog = BuiltinCatalog()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:       cfg,
		rng:       mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)),
		tokens:    map[string]time.Time{},
		carts:     map[string]*cartState{},
		orders:    map[string]*orderState{},
		replays:   map[string]*recorded{},
		inflight:  map[string]chan struct{}{},
		customers: map[string]*rate.Limiter{},
		bursts:    map[string]time.Time{},
		serverID:  "sandbox-01",
	}
	if cfg.PartnerRPM > 0 {
		s.partner = perMinute(cfg.PartnerRPM)
	}
	s.routes()
	return s
}

// Credentials returns the tenant, client id and secret the sandbox accepts.
func (s *Server) Credentials() (tenant, clientID, secret, refreshToken string) {
	return s.cfg.TenantID, s.cfg.ClientID, s.cfg.ClientSecret, s.cfg.RefreshToken
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /{tenant}/oauth2/token", s.handleToken)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)
	m.Handle("POST /v1/customers/{customer}/carts", s.api("create", s.handleCreateCart))
	m.Handle("GET /v1/customers/{customer}/carts/{cart}", s.api("get", s.handleGetCart))
	m.Handle("PUT /v1/customers/{customer}/carts/{cart}", s.api("update", s.handleUpdateCart))
	m.Handle("POST /v1/customers/{customer}/carts/{cart}/checkout", s.api("checkout", s.handleCheckout))
	m.Handle("GET /v1/customers/{customer}/orders/{order}", s.api("order", s.handleGetOrder))
	m.Handle("GET /v1/customers/{customer}/orders/{order}/provisioningstatus", s.api("order", s.handleProvisioning))
	m.Handle("GET /v1/customers/{customer}", s.api("customer", s.handleCustomer))
	m.Handle("GET /v1/customers/{customer}/subscriptions", s.api("subscriptions", s.handleSubscriptions))
	m.Handle("GET /v1/products/{product}", s.api("catalog", s.handleProduct))
	m.Handle("GET /v1/products/{product}/skus", s.api("catalog", s.handleSKUs))
	m.Handle("GET /v1/products/{product}/skus/{sku}", s.api("catalog", s.handleSKU))
	m.Handle("GET /v1/products/{product}/skus/{sku}/availabilities", s.api("catalog", s.handleAvailabilities))
	s.idpRoutes(m)
	m.HandleFunc("GET /_sandbox/ledger", s.handleLedger)
	m.HandleFunc("GET /_sandbox/tokens", s.handleTokens)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "The resource is not found: "+r.Method+" "+r.URL.Path)
	})
	s.mux = m
}

// ServeHTTP serves the sandbox.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// now is the sandbox's clock.
func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// newID returns a GUID from the seeded generator. Call with s.mu held.
func (s *Server) newID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// recorded is a response kept for replay.
type recorded struct {
	status int
	header http.Header
	body   []byte
}

// buffer is a ResponseWriter that keeps the response, so the middleware can
// store it for replay or lose it on purpose.
type buffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBuffer() *buffer                      { return &buffer{header: http.Header{}} }
func (b *buffer) Header() http.Header         { return b.header }
func (b *buffer) Write(p []byte) (int, error) { b.WriteHeader(http.StatusOK); return b.body.Write(p) }
func (b *buffer) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (r *recorded) writeTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// writeError writes Partner Center's error body.
func writeError(w http.ResponseWriter, status, code int, description string) {
	body := pc.ErrorBody{Code: pc.NewCode(code), Description: description, Source: "PartnerSandbox"}
	if code == 0 {
		body.Code = pc.Code{Text: fmt.Sprint(status)}
	}
	writeJSON(w, status, body)
}

// isLoopback reports whether a request comes from this machine.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
