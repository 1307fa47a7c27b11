package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/pgstate/pgtest"
	"github.com/cspimporter/importer/pkg/sandbox"
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
	for range 2 {
		a := newApp(t, Options{Conn: conn, State: state, Lease: 3 * time.Second, WaitForBatch: 30 * time.Second})
		_, b := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
		if code, msg := a.approve("bob", b.ID, "approve", b.Plan["sha256"]); code != 200 {
			t.Fatalf("approve: %d %s", code, msg)
		}
		apps = append(apps, a)
		t.Cleanup(func() { a.srv.Config.Handler.(*Server).Wait() })
	}
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
		var got batchView
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, raw := a.do("alice", "GET", "/api/v1/batches/"+ids[i], nil, "")
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if (got.Status != StatusApproved && got.Status != StatusBuying) || time.Now().After(deadline) {
				break
			}
		}
		if got.Status != StatusDone || got.Purchase.Statuses["Ordered"]+got.Purchase.Statuses["Skipped"] != 30 {
			t.Fatalf("app %d: %s %+v", i, got.Status, got.Purchase)
		}
		ordered += got.Purchase.Statuses["Ordered"]
	}
	orders := 0
	for _, e := range sb.Ledger() {
		if e.Kind == sandbox.LedgerOrder {
			orders++
		}
	}
	if ordered != 30 || orders != 21 {
		t.Errorf("%d rows ordered between the two apps, %d orders placed; want 30 and the sample's 21, once each", ordered, orders)
	}
}
