package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

const (
	customer  = "d6bf25b7-e0a8-4f2d-a31b-97b55cfc774d"
	customer2 = "932c4101-dc08-461b-b4c1-75d80e905775"
	azureSub  = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
)

// clock is a settable clock for token and cart expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sandbox on a loopback test server and a client for it.
type env struct {
	t     *testing.T
	sb    *Server
	srv   *httptest.Server
	token string
	clock *clock
}

func start(t *testing.T, cfg Config) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	if cfg.Now == nil {
		cfg.Now = c.now
	}
	sb := New(cfg)
	srv := httptest.NewServer(sb) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv, clock: c}
	e.token = e.newToken()
	return e
}

func (e *env) newToken() string {
	e.t.Helper()
	tenant, id, secret, _ := e.sb.Credentials()
	resp, err := http.PostForm(e.srv.URL+"/"+tenant+"/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "resource": {Resource}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tok) != nil || tok.AccessToken == "" {
		e.t.Fatalf("token: %s", resp.Status)
	}
	return tok.AccessToken
}

// reply is an answer read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) code(t *testing.T) int {
	t.Helper()
	var b pc.ErrorBody
	r.decode(t, &b)
	return b.Code.Number
}

// call sends a request with the token; requestID "" sends none.
func (e *env) call(method, path, requestID string, body any) reply {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set(pc.HeaderRequestID, requestID)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func cartsPath(c string) string { return "/v1/customers/" + c + "/carts" }

func yes() *bool { t := true; return &t }

// cart builds a request body.
func cart(lines ...pc.CartLineItem) pc.Cart {
	for i := range lines {
		lines[i].ID = i
	}
	return pc.Cart{PartnerOnRecordAttestationAccepted: yes(), LineItems: lines}
}

func nce(qty int) pc.CartLineItem {
	return pc.CartLineItem{CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: qty, BillingCycle: pc.BillingMonthly, TermDuration: "P1M"}
}

func (e *env) create(c pc.Cart) pc.Cart {
	e.t.Helper()
	r := e.call("POST", cartsPath(customer), "", c)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.status, r.body)
	}
	var out pc.Cart
	r.decode(e.t, &out)
	return out
}

func seedBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "partnercenter", "testdata", "seeds", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return pc.CleanDocJSON(b)
}

// keys lists the JSON paths of a document, with array indexes folded, so
// two documents can be compared by shape.
func keys(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%v in %s", err, doc)
	}
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := prefix + "." + k
				out[p] = true
				walk(p, c)
			}
		case []any:
			for _, c := range x {
				walk(prefix+"[]", c)
			}
		}
	}
	walk("", v)
	return out
}

func missingKeys(want, got map[string]bool) []string {
	var miss []string
	for k := range want {
		if !got[k] {
			miss = append(miss, k)
		}
	}
	return miss
}
