package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// TestSharedJournalTwoApps: two instances of the app, each with its own
// store, journal their purchases in one PostgreSQL database; the same
// batch, approved in both, is bought in both at once: one buys it, the
// other waits for the batch and finds every row ordered. Partner Center
// (the sandbox) placed each order once.
func TestSharedJournalTwoApps(t *testing.T) {
	state := pgtest.URL(t)
	sb := sandbox.New(sandbox.Config{Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: 20 * time.Millisecond}}})
	pc := httptest.NewServer(sb)
	defer pc.Close()
	tenant, id, secret, _ := sb.Credentials()
	creds := map[string]string{importer.EnvTenant: tenant, importer.EnvClient: id, importer.EnvSecret: secret}
	co := importer.DefaultConnectOptions()
	co.Endpoint, co.TokenURL, co.Rate, co.Getenv = pc.URL, pc.URL+"/{tenant}/oauth2/token", 60000, func(k string) string { return creds[k] }
	conn := importer.NewConnection(co)
	defer conn.Close()
	apps := []*app{}
	ctx, stop := context.WithCancel(context.Background())
	for range 2 {
		a := newApp(t, Options{Conn: conn, Context: ctx, State: state, Lease: 3 * time.Second, WaitForBatch: 30 * time.Second})
		_, b := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
		if code, msg := a.approve("bob", b.ID, "approve", b.Plan["sha256"]); code != 200 {
			t.Fatalf("approve: %d %s", code, msg)
		}
		apps = append(apps, a)
		t.Cleanup(func() { a.srv.Config.Handler.(*Server).Wait() })
	}
	t.Cleanup(stop) // before the Waits: the apps' background work ends with it
	ids := make([]string, 2)
	for i, a := range apps {
		all, _ := a.st.Batches()
		ids[i] = all[0].ID
	}
	for i, a := range apps {
		go func() {
			if code, raw := a.do("bob", "POST", "/api/v1/batches/"+ids[i]+"/submission", nil, ""); code != http.StatusAccepted {
				t.Errorf("submission: %d %s", code, raw)
			}
		}()
	}
	ordered := 0
	for i, a := range apps {
		got := statusOn(t, a, ids[i])
		if got.Status != StatusDone || got.Purchase.Statuses["Ordered"]+got.Purchase.Statuses["Skipped"] != 30 {
			t.Fatalf("app %d: %s %+v", i, got.Status, got.Purchase)
		}
		ordered += got.Purchase.Statuses["Ordered"]
	}
	orders := sandbox.Orders(sb.Ledger())
	if ordered != 30 || orders != 21 {
		t.Errorf("%d rows ordered between the two apps, %d orders placed; want 30 and the sample's 21, once each", ordered, orders)
	}
}

// sharedApps are two instances of the app on one PostgreSQL store and
// journal, each with a data folder of its own, buying from sb; set may
// change both's options. stop ends both instances' background work.
func sharedApps(t *testing.T, sb *sandbox.Server, set func(*Options)) (a, b *app, stop context.CancelFunc) {
	t.Helper()
	url := pgtest.URL(t)
	db, err := pgstate.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	conn := connTo(t, sb)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	o := Options{Store: db.AppStore(), Data: t.TempDir(), Conn: conn, Context: ctx, State: url, Lease: 3 * time.Second, WaitForBatch: 30 * time.Second}
	if set != nil {
		set(&o)
	}
	a = newApp(t, o)
	o.Data = t.TempDir()
	return a, a.twin(o), stop
}

// connTo is a connection to sb, served on loopback for the test.
func connTo(t *testing.T, sb *sandbox.Server) *importer.Connection {
	t.Helper()
	pc := httptest.NewServer(sb)
	t.Cleanup(pc.Close)
	tenant, id, secret, _ := sb.Credentials()
	creds := map[string]string{importer.EnvTenant: tenant, importer.EnvClient: id, importer.EnvSecret: secret}
	co := importer.DefaultConnectOptions()
	co.Endpoint, co.TokenURL, co.Rate, co.Getenv = pc.URL, pc.URL+"/{tenant}/oauth2/token", 60000, func(k string) string { return creds[k] }
	conn := importer.NewConnection(co)
	t.Cleanup(conn.Close)
	return conn
}

// uploadApproved is the sample uploaded by alice on up and approved by bob
// on by.
func uploadApproved(t *testing.T, up, by *app) batchView {
	t.Helper()
	_, v := up.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
	if code, msg := by.approve("bob", v.ID, "approve", v.Plan["sha256"]); code != 200 {
		t.Fatalf("approve: %d %s", code, msg)
	}
	return v
}

// statusOn waits until the batch is no longer buying (or approved) on a,
// and returns it.
func statusOn(t *testing.T, a *app, id string) batchView {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var got batchView
		_, raw := a.do("alice", "GET", "/api/v1/batches/"+id, nil, "")
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if (got.Status != StatusApproved && got.Status != StatusBuying) || time.Now().After(deadline) {
			return got
		}
	}
}

// TestEveryInstanceShowsAll: with a shared store, the instance that did not
// buy a batch shows its purchase's progress while it is bought, and its
// rows, results workbook and summary once it is done: the instances share
// no folder.
func TestEveryInstanceShowsAll(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: 500 * time.Millisecond}}})
	a, b, stop := sharedApps(t, sb, nil)
	defer stop()
	up := uploadApproved(t, a, b) // approved on the second, from the plan the first made
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	var seen *progressView
	for deadline := time.Now().Add(30 * time.Second); seen == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var got batchView
		_, raw := b.do("alice", "GET", "/api/v1/batches/"+up.ID, nil, "")
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusBuying && got.Status != StatusApproved {
			break
		}
		if p := got.Progress; p != nil && p.CartsDone > 0 && p.CartsDone < p.Carts && p.Rows == 30 {
			seen = p
		}
	}
	if seen == nil {
		t.Fatal("the other instance never showed the purchase's progress")
	}
	if got := statusOn(t, b, up.ID); got.Status != StatusDone || got.Progress != nil {
		t.Fatalf("bought: %s %+v", got.Status, got.Progress)
	}
	_, raw := b.do("alice", "GET", "/api/v1/batches/"+up.ID+"/rows", nil, "")
	var rows struct{ Rows []rowView }
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	ordered := 0
	for _, r := range rows.Rows {
		if r.Status == "Ordered" {
			ordered++
		}
	}
	if ordered != 30 {
		t.Errorf("rows on the other instance: %d ordered, want 30", ordered)
	}
	code, sum := b.do("alice", "GET", "/api/v1/batches/"+up.ID+"/summary.json", nil, "")
	var summary struct {
		Statuses map[string]int `json:"statuses"`
	}
	if err := json.Unmarshal(sum, &summary); code != 200 || err != nil || summary.Statuses["Ordered"] != 30 {
		t.Errorf("summary on the other instance: %d %s", code, sum)
	}
	code, wb := b.do("alice", "GET", "/api/v1/batches/"+up.ID+"/results.xlsx", nil, "")
	if code != 200 || !bytes.HasPrefix(wb, []byte("PK")) {
		t.Errorf("results on the other instance: %d, %d bytes", code, len(wb))
	}
	stop()
	for _, in := range []*app{a, b} {
		s := in.srv.Config.Handler.(*Server)
		s.Wait()
		if left, _ := os.ReadDir(s.workRoot()); len(left) > 0 {
			t.Errorf("work folders were left: %v", left)
		}
	}
	if n := sandbox.Orders(sb.Ledger()); n != 21 {
		t.Errorf("%d orders placed, want 21", n)
	}
}

// TestAutomaticFollowUpOnceAcrossInstances: with a shared store, a
// follow-up that falls due is taken up by one instance of the app, not by
// each.
func TestAutomaticFollowUpOnceAcrossInstances(t *testing.T) {
	// Asking takes longer than the instances take to look again.
	sb := sandbox.New(sandbox.Config{Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: 50 * time.Millisecond}}})
	a, b, stop := sharedApps(t, sb, func(o *Options) {
		o.FollowUp, o.followUpTick, o.Now = time.Hour, 20*time.Millisecond, time.Now // the same clock on both
	})
	defer stop()
	up := uploadApproved(t, a, b)
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	if got := statusOn(t, b, up.ID); got.Status != StatusDone {
		t.Fatalf("bought: %s", got.Status)
	}
	st := a.srv.Config.Handler.(*Server).o.Store
	if _, err := st.UpdateBatch(up.ID, func(b *store.Batch) error {
		b.Purchase.Finished = time.Now().Add(-2 * time.Hour) // due, for both at once
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if got, _ := st.Batch(up.ID); got.Purchase.FollowUp != nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("never followed up")
		}
	}
	time.Sleep(300 * time.Millisecond) // many more looks, on each instance
	log, _ := st.AuditLog()
	n := 0
	for _, e := range log {
		if e.Action == "follow-up" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d follow-ups, want 1 between the two instances", n)
	}
	for i, in := range []*app{a, b} {
		if in.srv.Config.Handler.(*Server).buying.isFollowing(up.ID) {
			t.Errorf("instance %d is asking (or waiting to ask) about the orders again", i+1)
		}
	}
}

// TestOrphanedPurchaseResumed: with a shared store and journal, a purchase
// left buying by an instance that died (its heartbeat stopped) is resumed
// by another instance; while an instance is buying, the others leave its
// purchase alone, and do not record it again once it is done. Each order
// is placed once, and each purchase is recorded done once.
func TestOrphanedPurchaseResumed(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: 30 * time.Millisecond}}})
	a, b, stop := sharedApps(t, sb, func(o *Options) { o.orphanTick = 200 * time.Millisecond })
	defer stop()
	up := uploadApproved(t, a, a)
	// The first instance is buying it: the second, looking for orphans
	// every 200 ms, leaves it alone (and so does the first).
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+up.ID+"/submission", nil, ""); code != http.StatusAccepted {
		t.Fatalf("submission: %d %s", code, raw)
	}
	if got := statusOn(t, b, up.ID); got.Status != StatusDone || got.Purchase.Statuses["Ordered"] != 30 {
		t.Fatalf("bought on the first instance: %s %+v", got.Status, got.Purchase)
	}
	// A second batch, whose instance died as it started buying: the
	// purchase is recorded, nothing was sent.
	_, up2 := a.upload("alice", "december.xlsx", sample(t, "monthly-orders.xlsx"), map[string]string{"batch": "december"})
	if code, msg := a.approve("bob", up2.ID, "approve", up2.Plan["sha256"]); code != 200 {
		t.Fatalf("approve: %d %s", code, msg)
	}
	st := a.srv.Config.Handler.(*Server).o.Store
	if _, err := st.UpdateBatch(up2.ID, func(b *store.Batch) error {
		_, err := importer.StartPurchase(b, "token:bob", time.Now().Add(-time.Minute))
		b.Purchase.Heartbeat = time.Now().Add(-time.Minute) // its last sign of life
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := statusOn(t, b, up2.ID); got.Status != StatusDone || got.Purchase.Statuses["Ordered"] != 30 {
		t.Fatalf("the orphaned purchase: %s %+v", got.Status, got.Purchase)
	}
	stop()
	a.srv.Config.Handler.(*Server).Wait()
	b.srv.Config.Handler.(*Server).Wait()
	log, _ := st.AuditLog()
	done := map[string]int{}
	for _, e := range log {
		if strings.HasPrefix(e.Action, "purchase ") {
			done[e.Batch+" "+e.Action]++
		}
	}
	if done[up.ID+" purchase done"] != 1 || done[up2.ID+" purchase done"] != 1 || len(done) != 2 {
		t.Errorf("purchases recorded: %v", done)
	}
	if n := sandbox.Orders(sb.Ledger()); n != 42 {
		t.Errorf("%d orders placed, want the sample's 21 for each batch, once each", n)
	}
}

// TestSignInAnswerReachesAnotherInstance: with a shared store, a sign-in
// started on one instance may come back (from Entra ID) to another behind
// the same address, and the session it makes is known to both.
func TestSignInAnswerReachesAnotherInstance(t *testing.T) {
	db, err := pgstate.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) { o.Store, o.Data = db.AppStore(), t.TempDir() })
	other := httptest.NewServer(New(s.o)) // the same options: the same store and public callback address
	defer other.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/auth/callback" {
			return http.ErrUseLastResponse // the load balancer sends it elsewhere
		}
		return nil
	}}
	resp, err := c.Get(s.app + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"user": {"alice@contoso.example"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	resp, err = c.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	answer, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || answer.Path != "/auth/callback" {
		t.Fatalf("the provider's answer: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	at, _ := url.Parse(other.URL)
	answer.Host = at.Host
	req, _ := http.NewRequest(http.MethodGet, answer.String(), nil)
	app, _ := url.Parse(s.app + "/auth/callback")
	for _, ck := range jar.Cookies(app) {
		req.AddCookie(ck)
	}
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			session = ck
		}
	}
	if resp.StatusCode != http.StatusFound || session == nil {
		t.Fatalf("the answer on the other instance: %d, session %v", resp.StatusCode, session)
	}
	for _, base := range []string{s.app, other.URL} {
		req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
		req.AddCookie(session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(got), "Signed in as <strong>alice@contoso.example</strong>") {
			t.Errorf("%s does not know the session:\n%.400s", base, got)
		}
	}
}
