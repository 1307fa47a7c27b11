package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// reopen starts a sandbox on the state file at path, as a later process
// would.
func reopen(t *testing.T, path string) *env {
	t.Helper()
	sb, err := Open(Config{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv}
	e.token = e.newToken()
	return e
}

// TestStateCarriesOver: what one sandbox process did, the next one knows,
// as Partner Center would: the cart, its checkout's result (a second
// checkout orders nothing new), the answer to a request id, the ledger;
// and its new ids are not the old ones.
func TestStateCarriesOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "batch.sandbox")
	first := reopen(t, path)
	r := first.call("POST", cartsPath(customer), "create-1", cart(nce(3)))
	var made pc.Cart
	r.decode(t, &made)
	kept := first.call("POST", cartsPath(customer), "create-2", cart(nce(1)))
	var open pc.Cart
	kept.decode(t, &open)
	co := first.call("POST", cartsPath(customer)+"/"+made.ID+"/checkout", "checkout-1", nil)
	var bought pc.CartCheckoutResult
	co.decode(t, &bought)
	if co.status != http.StatusCreated || len(bought.Orders) != 1 {
		t.Fatalf("checkout: %d %s", co.status, co.body)
	}
	first.srv.Close()
	_ = first.sb.Close()

	second := reopen(t, path)
	if g := second.call("GET", cartsPath(customer)+"/"+open.ID, "", nil); g.status != http.StatusOK {
		t.Errorf("the cart created before is unknown after: %d %s", g.status, g.body)
	}
	again := second.call("POST", cartsPath(customer)+"/"+made.ID+"/checkout", "checkout-2", nil)
	var same pc.CartCheckoutResult
	again.decode(t, &same)
	if again.status != http.StatusCreated || len(same.Orders) != 1 || same.Orders[0].ID != bought.Orders[0].ID {
		t.Errorf("a second checkout after a restart: %d %s, want the first order %s", again.status, again.body, bought.Orders[0].ID)
	}
	if o := second.call("GET", "/v1/customers/"+customer+"/orders/"+bought.Orders[0].ID, "", nil); o.status != http.StatusOK {
		t.Errorf("the order is unknown after a restart: %d", o.status)
	}
	replay := second.call("POST", cartsPath(customer), "create-1", cart(nce(3)))
	var replayed pc.Cart
	replay.decode(t, &replayed)
	if replayed.ID != made.ID {
		t.Errorf("a create sent again with its request id made cart %s, want the first answer %s", replayed.ID, made.ID)
	}
	fresh := second.call("POST", cartsPath(customer), "create-3", cart(nce(2)))
	var another pc.Cart
	fresh.decode(t, &another)
	if another.ID == made.ID || another.ID == open.ID {
		t.Errorf("a new cart got an old cart's id %s", another.ID)
	}
	var carts, orders int
	for _, l := range second.sb.Ledger() {
		switch l.Kind {
		case LedgerCart:
			carts++
		case LedgerOrder:
			orders++
		}
	}
	if carts != 3 || orders != 1 {
		t.Errorf("ledger: %d carts and %d orders, want 3 and 1: %+v", carts, orders, second.sb.Ledger())
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.sandbox")
	e := reopen(t, path)
	var c pc.Cart
	e.call("POST", cartsPath(customer), "", cart(nce(3))).decode(t, &c)
	e.srv.Close()
	_ = e.sb.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// A kill while a line was written leaves it unfinished: it is dropped,
	// and the rest is read.
	if err := os.WriteFile(path, append(append([]byte{}, whole...), `{"cart":{"customer":"`...), 0o600); err != nil {
		t.Fatal(err)
	}
	if g := reopen(t, path).call("GET", cartsPath(customer)+"/"+c.ID, "", nil); g.status != http.StatusOK {
		t.Errorf("after a torn last line: %d %s", g.status, g.body)
	}

	// Damage before the end is refused, not half read.
	bad := strings.Replace(string(whole), `"cart":`, `"cart":!`, 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Config{StatePath: path}); !errors.Is(err, ErrStateDamaged) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("damaged state: %v", err)
	}

	// Without a state file, nothing is written.
	sb, err := Open(Config{})
	if err != nil || sb.state != nil {
		t.Errorf("Open without a path: %v, state %v", err, sb.state)
	}
}

// TestUnsavableStateFailsTheRequest: a change the sandbox cannot keep is
// not reported as done.
func TestUnsavableStateFailsTheRequest(t *testing.T) {
	e := reopen(t, filepath.Join(t.TempDir(), "b.sandbox"))
	e.sb.mu.Lock()
	_ = e.sb.state.Close() // every later write fails
	e.sb.mu.Unlock()
	r := e.call("POST", cartsPath(customer), "x", cart(nce(1)))
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "could not save its state") {
		t.Errorf("create with an unsavable state: %d %s", r.status, r.body)
	}
}
