package submit

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/validate"
)

var today = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

type world struct {
	sb     *sandbox.Server
	client *pc.Client
	dir    string
}

func newWorld(t *testing.T, cfg sandbox.Config) *world {
	t.Helper()
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	tenant, id, secret, _ := sb.Credentials()
	tokens := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret},
		pc.TokenURL(srv.URL+"/{tenant}/oauth2/token", tenant), srv.Client())
	c, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, Timeout: 2 * time.Second,
		BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxAttempts: 4})
	if err != nil {
		t.Fatal(err)
	}
	return &world{sb: sb, client: c, dir: t.TempDir()}
}

// plan validates a sheet.
func plan(t *testing.T, path string) *order.Checked {
	t.Helper()
	s, err := ingest.Read(context.Background(), path, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return validate.New(validate.Options{Today: today}).Check(s.Rows)
}

// run submits a fresh validation of path with the world's journal.
func (w *world) run(t *testing.T, path, batch string, mod func(*Options)) *order.Checked {
	t.Helper()
	p := plan(t, path)
	j, err := OpenJournal(filepath.Join(w.dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	opt := Options{Batch: batch, RunID: fmt.Sprintf("run-%d", time.Now().UnixNano()), Concurrency: 4}
	if mod != nil {
		mod(&opt)
	}
	if err := Run(context.Background(), w.client, j, p, opt); err != nil {
		t.Fatal(err)
	}
	return p
}

// runUntil submits the sample as batch "batch" again and again, at most 8
// times, until every row ends with one of the final statuses; every run
// must give every row a status. It returns the last run's plan.
func (w *world) runUntil(t *testing.T, final ...order.Status) *order.Checked {
	t.Helper()
	var p *order.Checked
	for run := 1; run <= 8; run++ {
		p = w.run(t, clean, "batch", nil)
		done := true
		for _, o := range p.Outcomes {
			if o.Status == "" {
				t.Fatalf("run %d: a row has no status", run)
			}
			done = done && slices.Contains(final, o.Status)
		}
		if done {
			break
		}
	}
	return p
}

// orderedLines counts the cart lines the sandbox has ordered, and the
// carts it ordered them in.
func (w *world) orderedLines() (lines int, carts map[string]bool) {
	carts = map[string]bool{}
	for _, e := range w.sb.Ledger() {
		if e.Kind == sandbox.LedgerOrder {
			lines += e.Lines
			carts[e.CartID] = true
		}
	}
	return lines, carts
}

func (w *world) ledger() (carts, orders int, perGroup map[string]int) {
	perGroup = map[string]int{}
	for _, e := range w.sb.Ledger() {
		switch e.Kind {
		case sandbox.LedgerCart:
			carts++
		case sandbox.LedgerOrder:
			orders++
			perGroup[e.CartID+"/"+e.OrderGroup]++
		}
	}
	return carts, orders, perGroup
}

func statuses(p *order.Checked) map[order.Status]int {
	m := map[order.Status]int{}
	for _, o := range p.Outcomes {
		m[o.Status]++
	}
	return m
}

const clean = "../../samples/monthly-orders.xlsx"

func TestSubmitSampleAndRerun(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	p := w.run(t, clean, "november", nil)
	if got := statuses(p); got[order.StatusOrdered] != 30 {
		t.Fatalf("statuses %v", got)
	}
	for i, o := range p.Outcomes {
		if o.CartID == "" || o.OrderID == "" || o.SubscriptionID == "" || o.RequestID == "" || o.CorrelationID == "" {
			t.Errorf("row %d: %+v", p.Rows[i].Line, o)
		}
	}
	carts, orders, perGroup := w.ledger()
	if carts != 9 {
		t.Errorf("%d carts created, want 9 (one per intended cart)", carts)
	}
	for k, n := range perGroup {
		if n != 1 {
			t.Errorf("%s ordered %d times", k, n)
		}
	}
	// Rows of one cart share its id; their orders are the cart's.
	byCart := map[string]string{}
	for i, o := range p.Outcomes {
		name := p.Outcomes[i].Cart
		if id, ok := byCart[name]; ok && id != o.CartID {
			t.Errorf("cart %s has two ids", name)
		}
		byCart[name] = o.CartID
	}

	again := w.run(t, clean, "november", nil)
	if got := statuses(again); got[order.StatusSkipped] != 30 {
		t.Fatalf("rerun statuses %v", got)
	}
	if !strings.Contains(again.Outcomes[0].Problems[0].Message, "already ordered in run") || again.Outcomes[0].OrderID != p.Outcomes[0].OrderID {
		t.Errorf("rerun outcome %+v", again.Outcomes[0])
	}
	if c2, o2, _ := w.ledger(); c2 != carts || o2 != orders {
		t.Errorf("rerun sent something: %d/%d carts, %d/%d orders", c2, carts, o2, orders)
	}
	// The same run taken up again (the app's purchase, resumed by another
	// instance): what it ordered is its own, Ordered, and nothing is sent.
	journal, err := OpenJournal(filepath.Join(w.dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := journal.Rows("november")
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]RowRecord{}
	for key, rec := range recs {
		if len(mine) < 2 {
			rec.RunID = "run-resumed" // ordered by it before it was cut short
			mine[key] = rec
		}
	}
	if err := journal.PutRows("november", mine); err != nil {
		t.Fatal(err)
	}
	journal.Close()
	resumed := w.run(t, clean, "november", func(o *Options) { o.RunID = "run-resumed" })
	if got := statuses(resumed); got[order.StatusOrdered] != 2 || got[order.StatusSkipped] != 28 {
		t.Errorf("the same run, taken up again: %v", got)
	}
	for _, o := range resumed.Outcomes {
		if o.Status == order.StatusOrdered && (o.OrderID == "" || o.CartID == "") {
			t.Errorf("ordered before the run was taken up again: %+v", o)
		}
	}
	if c2, o2, _ := w.ledger(); c2 != carts || o2 != orders {
		t.Errorf("the run taken up again sent something: %d/%d carts, %d/%d orders", c2, carts, o2, orders)
	}
	next := w.run(t, clean, "december", nil)
	if got := statuses(next); got[order.StatusOrdered] != 30 {
		t.Errorf("a new batch orders again: %v", got)
	}
}

// TestFaultsNeverOrderTwice: under every fault the sandbox has, seeded,
// many times: reruns finish the batch, every row ends Ordered, and no cart
// or order group is ordered twice.
func TestFaultsNeverOrderTwice(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorld(t, sandbox.Config{Seed: seed, TokenLifetime: 2 * time.Second, Faults: sandbox.Faults{
				{Op: "create", Kind: sandbox.Fault500, Prob: 0.2},
				{Op: "create", Kind: sandbox.FaultLostResponse, Prob: 0.2},
				{Op: "checkout", Kind: sandbox.FaultLostResponse, Prob: 0.35},
				{Op: "checkout", Kind: sandbox.FaultDrop, Prob: 0.1},
				{Op: "any", Kind: sandbox.Fault429, Prob: 0.03},
			}})
			p := w.runUntil(t, order.StatusOrdered, order.StatusSkipped)
			if s := statuses(p); s[order.StatusOrdered]+s[order.StatusSkipped] != 30 {
				t.Fatalf("not finished after 8 runs: %v", s)
			}
			_, _, perGroup := w.ledger()
			for k, n := range perGroup {
				if n != 1 {
					t.Errorf("%s ordered %d times", k, n)
				}
			}
			ordered := map[string]bool{}
			for k := range perGroup {
				ordered[strings.SplitN(k, "/", 2)[0]] = true
			}
			if len(ordered) != 9 {
				t.Errorf("%d carts ordered, want 9", len(ordered))
			}
			if lines, _ := w.orderedLines(); lines != 30 {
				t.Errorf("%d lines ordered, want 30 (each row once)", lines)
			}
		})
	}
}

// TestStricterServerNeverOrdersTwice: against a Partner Center that
// forgets request ids and refuses repeated checkouts (800065), lost
// answers cannot be recovered, but still nothing is ordered twice: the
// rows of a checkout whose answer was lost end Unknown, are never sent
// again, and were in fact ordered exactly once.
func TestStricterServerNeverOrdersTwice(t *testing.T) {
	seeds := 10
	if testing.Short() {
		seeds = 3
	}
	unknown := 0 // rows that met a refused repeat checkout, over all seeds
	defer func() {
		if unknown == 0 {
			t.Error("no seed lost a checkout answer: the test did not exercise 800065")
		}
	}()
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorld(t, sandbox.Config{Seed: seed, ForgetRequestIDs: true, RefuseRepeatCheckout: true, Faults: sandbox.Faults{
				{Op: "create", Kind: sandbox.FaultLostResponse, Prob: 0.2},
				{Op: "create", Kind: sandbox.Fault503, Prob: 0.1},
				{Op: "checkout", Kind: sandbox.FaultLostResponse, Prob: 0.3},
				{Op: "checkout", Kind: sandbox.FaultDrop, Prob: 0.1},
				{Op: "any", Kind: sandbox.Fault429, Prob: 0.03},
			}})
			finals := []order.Status{order.StatusOrdered, order.StatusSkipped, order.StatusUnknown}
			final := func(st order.Status) bool { return slices.Contains(finals, st) }
			p := w.runUntil(t, finals...)
			lines, bought := w.orderedLines()
			if lines != 30 {
				t.Errorf("%d lines ordered, want 30 (each row exactly once)", lines)
			}
			for i, o := range p.Outcomes {
				if !final(o.Status) {
					t.Errorf("row %d not finished: %s %v", p.Rows[i].Line, o.Status, o.Problems)
				}
				if o.Status == order.StatusUnknown {
					unknown++
				}
				if o.Status == order.StatusUnknown && !bought[o.CartID] {
					t.Errorf("row %d is Unknown but its cart %s was never ordered: it should be sent again", p.Rows[i].Line, o.CartID)
				}
			}
			t.Logf("statuses %v", statuses(p))
			// Once more: nothing is sent, the Unknown rows stay Unknown.
			before := len(w.sb.Ledger())
			again := w.run(t, clean, "batch", nil)
			for i, o := range again.Outcomes {
				if (p.Outcomes[i].Status == order.StatusUnknown) != (o.Status == order.StatusUnknown) {
					t.Errorf("row %d: %s, then %s", p.Rows[i].Line, p.Outcomes[i].Status, o.Status)
				}
			}
			if n := len(w.sb.Ledger()); n != before {
				t.Errorf("a finished batch sent %d new carts or orders", n-before)
			}
		})
	}
}

func TestCreateOnlyThenCheckout(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	p := w.run(t, clean, "b", func(o *Options) { o.CreateOnly = true })
	if got := statuses(p); got[order.StatusCreated] != 30 {
		t.Fatalf("create-only statuses %v", got)
	}
	if c, o, _ := w.ledger(); c != 9 || o != 0 {
		t.Fatalf("create-only: %d carts, %d orders", c, o)
	}
	p = w.run(t, clean, "b", nil)
	if got := statuses(p); got[order.StatusOrdered] != 30 {
		t.Fatalf("then submit: %v", got)
	}
	if c, o, _ := w.ledger(); c != 9 || o == 0 {
		t.Errorf("the created carts were not reused: %d carts, %d orders", c, o)
	}
}

// sheet writes a CSV order sheet.
func sheet(t *testing.T, dir string, lines ...string) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("s%d.csv", time.Now().UnixNano()))
	body := "CustomerId,CatalogItemId,Quantity,BillingCycle,TermDuration,ProvisioningContext,PartnerOnRecordAttestationAccepted\n" + strings.Join(lines, "\n") + "\n"
	if err := writeFile(p, body); err != nil {
		t.Fatal(err)
	}
	return p
}

const cust = "4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60"

func TestLineErrorsAndPartialCheckout(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	s := sheet(t, w.dir,
		cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,301,monthly,P1M,,yes", // above the SKU's 300 seats: a line error
		cust+",CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,2,monthly,P1M,,yes")
	p := w.run(t, s, "b", nil)
	if p.Outcomes[0].Status != order.StatusFailed || !strings.Contains(p.Outcomes[0].Problems[0].Message, "10015") ||
		p.Outcomes[1].Status != order.StatusFailed || !strings.Contains(p.Outcomes[1].Problems[0].Message, "refused row 2") {
		t.Errorf("line error outcomes %+v / %+v", p.Outcomes[0], p.Outcomes[1])
	}
	if _, o, _ := w.ledger(); o != 0 {
		t.Errorf("%d orders for a cart with a refused line", o)
	}
	// The corrected sheet in the same batch orders both rows.
	fixed := sheet(t, w.dir,
		cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,300,monthly,P1M,,yes",
		cust+",CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,2,monthly,P1M,,yes")
	p = w.run(t, fixed, "b", nil)
	if got := statuses(p); got[order.StatusOrdered] != 2 {
		t.Errorf("corrected sheet: %v", got)
	}

	partial := sheet(t, w.dir,
		"7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes",
		"7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d,DZH318Z0BQ36:004K:DZH318Z08C1T,1,one_time,P1Y,subscriptionId=aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e;scope=single,yes")
	p = w.run(t, partial, "b", nil)
	if p.Outcomes[0].Status != order.StatusOrdered || p.Outcomes[1].Status != order.StatusFailed ||
		!strings.Contains(p.Outcomes[1].Problems[len(p.Outcomes[1].Problems)-1].Message, "800010") {
		t.Errorf("partial checkout: %+v / %+v", p.Outcomes[0], p.Outcomes[1])
	}
	// Rerun: the ordered row is skipped, the failed one tried again (and
	// failing again, since the sandbox still has no capacity).
	p = w.run(t, partial, "b", nil)
	if p.Outcomes[0].Status != order.StatusSkipped || p.Outcomes[1].Status != order.StatusFailed {
		t.Errorf("rerun of a partial checkout: %s / %s", p.Outcomes[0].Status, p.Outcomes[1].Status)
	}
	_, _, perGroup := w.ledger()
	for k, n := range perGroup {
		if n != 1 {
			t.Errorf("%s ordered %d times", k, n)
		}
	}
}

func TestHeldBackAndInterrupted(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	s := sheet(t, w.dir,
		cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,0,monthly,P1M,,yes", // invalid
		cust+",CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,2,monthly,P1M,,yes",
		"7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes")
	p := w.run(t, s, "b", func(o *Options) { o.SkipInvalid = true })
	if p.Outcomes[0].Status != order.StatusInvalid || p.Outcomes[1].Status != order.StatusSkipped ||
		!strings.Contains(p.Outcomes[1].Problems[0].Message, "row 2 of this cart is invalid") || p.Outcomes[2].Status != order.StatusOrdered {
		t.Errorf("held back: %s %s %s", p.Outcomes[0].Status, p.Outcomes[1].Status, p.Outcomes[2].Status)
	}

	j, err := OpenJournal(filepath.Join(w.dir, "j2.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p = plan(t, clean)
	if err := Run(ctx, w.client, j, p, Options{Batch: "x", RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	if got := statuses(p); got[order.StatusNotSubmitted] != 30 {
		t.Errorf("interrupted before starting: %v", got)
	}
}

func TestJournalLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := OpenJournal(path); !errors.Is(err, ErrLocked) {
		t.Errorf("second open: %v, want ErrLocked", err)
	}
}

// TestUnansweredCheckoutBlocksItsRows: rows of a checkout that is still
// without an answer are never put into a new cart, even from a changed
// sheet; a later run settles them.
func TestUnansweredCheckoutBlocksItsRows(t *testing.T) {
	w := newWorld(t, sandbox.Config{Faults: sandbox.Faults{{Op: "checkout", Kind: sandbox.FaultLostResponse, Prob: 1}}})
	s := sheet(t, w.dir, cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes")
	p := w.run(t, s, "b", nil)
	if p.Outcomes[0].Status != order.StatusUnknown {
		t.Fatalf("lost checkout answer: %s", p.Outcomes[0].Status)
	}
	// The same row with a second row added: a different cart, same row.
	s2 := sheet(t, w.dir, cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes", cust+",CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,1,monthly,P1M,,yes")
	p = w.run(t, s2, "b", nil)
	if p.Outcomes[0].Status != order.StatusUnknown {
		t.Errorf("the unanswered row was sent again in a new cart: %s", p.Outcomes[0].Status)
	}
	if p.Outcomes[1].Status != order.StatusUnknown { // its own checkout lost its answer too
		t.Errorf("the new row: %s", p.Outcomes[1].Status)
	}
	w.sb.SetFaults(nil)
	p = w.run(t, s2, "b", nil)
	for i, o := range p.Outcomes {
		if o.Status != order.StatusSkipped || o.OrderID == "" || !strings.Contains(o.Problems[0].Message, "already ordered") {
			t.Errorf("row %d after the answers came: %s %+v", i, o.Status, o.Problems)
		}
	}
	if _, orders, _ := w.ledger(); orders != 2 {
		t.Errorf("%d orders, want 2 (one per cart)", orders)
	}
	_, _, perGroup := w.ledger()
	for k, n := range perGroup {
		if n != 1 {
			t.Errorf("%s ordered %d times", k, n)
		}
	}
}

// TestServerErrorsOnCreateAreNotFailures: a create that only ever gets 503
// leaves its rows Not submitted (to run again), not Failed (to fix), and
// the next run sends that very request again.
func TestServerErrorsOnCreateAreNotFailures(t *testing.T) {
	w := newWorld(t, sandbox.Config{Faults: sandbox.Faults{{Op: "create", Kind: sandbox.Fault503, Prob: 1}}})
	s := sheet(t, w.dir, cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes")
	p := w.run(t, s, "b", nil)
	o := p.Outcomes[0]
	if o.Status != order.StatusNotSubmitted || !strings.Contains(o.Problems[0].Message, "run the same command again") || o.RequestID == "" {
		t.Fatalf("after 503s: %s %+v", o.Status, o.Problems)
	}
	w.sb.SetFaults(nil)
	p = w.run(t, s, "b", nil)
	if p.Outcomes[0].Status != order.StatusOrdered {
		t.Fatalf("rerun: %s %+v", p.Outcomes[0].Status, p.Outcomes[0].Problems)
	}
	for _, e := range w.sb.Ledger() {
		if e.Kind == sandbox.LedgerCart && e.RequestID != o.RequestID {
			t.Errorf("the rerun created the cart with request id %s, not the first run's %s", e.RequestID, o.RequestID)
		}
	}
}

// TestOrderReferenceIdentifiesRows: with an OrderReference column, a row
// is that reference: ordered once, it stays ordered even if its other
// cells change; a new reference is a new row.
func TestOrderReferenceIdentifiesRows(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	write := func(lines ...string) string {
		p := filepath.Join(w.dir, fmt.Sprintf("r%d.csv", time.Now().UnixNano()))
		body := "OrderReference,CustomerId,CatalogItemId,Quantity,BillingCycle,TermDuration,PartnerOnRecordAttestationAccepted\n" + strings.Join(lines, "\n") + "\n"
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := w.run(t, write("PO-1,"+cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,yes"), "b", nil)
	if p.Outcomes[0].Status != order.StatusOrdered {
		t.Fatalf("first run: %s", p.Outcomes[0].Status)
	}
	p = w.run(t, write(
		"PO-1,"+cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,5,monthly,P1M,yes", // quantity edited after ordering
		"PO-2,7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,yes"), "b", nil)
	if p.Outcomes[0].Status != order.StatusSkipped || p.Outcomes[1].Status != order.StatusOrdered {
		t.Errorf("second run: %s, %s; want Skipped (PO-1 is ordered), Ordered (PO-2 is new)", p.Outcomes[0].Status, p.Outcomes[1].Status)
	}
	if lines, _ := w.orderedLines(); lines != 2 {
		t.Errorf("%d lines ordered, want 2", lines)
	}
}

// TestExpiringCartIsRecreated: a cart created by an earlier run is checked
// out while it has time to live; one about to expire is left alone and a
// new cart is made for its rows.
func TestExpiringCartIsRecreated(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	s := sheet(t, w.dir, cust+",CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M,,yes")
	first := w.run(t, s, "b", func(o *Options) { o.CreateOnly = true })
	if first.Outcomes[0].Status != order.StatusCreated {
		t.Fatalf("create-only: %s", first.Outcomes[0].Status)
	}
	// Seven days less half an hour later: inside the hour's margin.
	later := time.Now().Add(7*24*time.Hour - 30*time.Minute)
	p := w.run(t, s, "b", func(o *Options) { o.Now = func() time.Time { return later } })
	if p.Outcomes[0].Status != order.StatusOrdered || p.Outcomes[0].CartID == first.Outcomes[0].CartID {
		t.Errorf("after expiry: %s in cart %s (the first cart was %s)", p.Outcomes[0].Status, p.Outcomes[0].CartID, first.Outcomes[0].CartID)
	}
	if carts, orders, _ := w.ledger(); carts != 2 || orders != 1 {
		t.Errorf("%d carts, %d orders; want 2 carts (the expiring one left alone), 1 order", carts, orders)
	}
}

// TestCartDone: every cart is reported once, after its rows have their
// outcome, whether it was sent or held back.
func TestCartDone(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	var mu sync.Mutex
	seen := map[int]int{} // row -> times reported
	p := plan(t, "../../samples/monthly-orders-with-mistakes.csv")
	for i := range p.Outcomes {
		if p.Outcomes[i].Status != order.StatusInvalid {
			p.Outcomes[i].Status = "" // as yet unknown, so a report too early shows
		}
	}
	j, err := OpenJournal(filepath.Join(w.dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	err = Run(context.Background(), w.client, j, p, Options{Batch: "b", RunID: "r", Concurrency: 4, SkipInvalid: true, CartDone: func(rows []int) {
		mu.Lock()
		defer mu.Unlock()
		for _, i := range rows {
			seen[i]++
			if p.Outcomes[i].Status == "" {
				t.Errorf("row %d reported before it had an outcome", i)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	inCart := 0
	for _, c := range p.Carts {
		inCart += len(c.Rows)
		for _, i := range c.Rows {
			if seen[i] != 1 {
				t.Errorf("row %d reported %d times", i, seen[i])
			}
		}
	}
	if len(seen) != inCart || inCart == 0 {
		t.Errorf("%d rows reported, %d in carts", len(seen), inCart)
	}
}
