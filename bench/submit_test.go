package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/submit"
	"github.com/cspimporter/importer/pkg/validate"
)

// BenchmarkSubmit measures submission throughput against the sandbox with
// a set latency and rate limit, as a ratio to the least time the work can
// take: requests ÷ rate, or latency × requests ÷ concurrency, whichever is
// larger. The client's rate is set at the sandbox's limit, so no request
// should be throttled (429s are reported).
func BenchmarkSubmit(b *testing.B) {
	cases := []struct {
		name        string
		carts       int
		latency     time.Duration
		rpm         int // the sandbox's limit per partner, and the client's --rate
		concurrency int
	}{
		{"rate-bound", 100, 20 * time.Millisecond, 1200, 5},
		{"latency-bound", 100, 100 * time.Millisecond, 60000, 5},
		{"balanced", 100, 250 * time.Millisecond, 1200, 5},
		// The shared journal (PostgreSQL) at 1,000 requests a minute: the
		// rate, not the journal, must stay the bottleneck.
		{"rate-bound-postgres", 100, 20 * time.Millisecond, 1000, 5},
		{"rate-bound-file", 100, 20 * time.Millisecond, 1000, 5},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			journal := fileJournal
			if strings.HasSuffix(tc.name, "-postgres") {
				journal = postgresJournal
			}
			sheet := filepath.Join(b.TempDir(), "orders.csv")
			if err := writeSubmitSheet(sheet, tc.carts); err != nil {
				b.Fatal(err)
			}
			requests := 2 * tc.carts // a create and a checkout per cart
			least := max(time.Duration(float64(requests)/float64(tc.rpm)*float64(time.Minute)),
				tc.latency*time.Duration(requests)/time.Duration(tc.concurrency))
			var elapsed time.Duration
			var sent, throttled int64
			for i := 0; i < b.N; i++ {
				e, s, t := submitOnce(b, sheet, tc.carts, tc.latency, tc.rpm, tc.concurrency, journal)
				elapsed, sent, throttled = elapsed+e, sent+s, throttled+t
			}
			n := float64(b.N)
			b.ReportMetric(elapsed.Seconds()/n, "s")
			b.ReportMetric(least.Seconds(), "least-s")
			b.ReportMetric(elapsed.Seconds()/n/least.Seconds(), "x-least")
			b.ReportMetric(float64(sent)/n, "requests")
			b.ReportMetric(float64(throttled)/n, "429s")
		})
	}
}

// submitOnce submits a fresh plan of sheet to a fresh sandbox and returns
// how long submit.Run took, the API requests the sandbox saw and how many
// it throttled.
func submitOnce(b *testing.B, sheet string, carts int, latency time.Duration, rpm, concurrency int, journal func(testing.TB, string) submit.Journal) (time.Duration, int64, int64) {
	b.Helper()
	cfg := sandbox.Config{PartnerRPM: rpm, Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: latency}}}
	if rpm >= 60000 {
		cfg.PartnerRPM = 0 // unlimited
	}
	sb := sandbox.New(cfg)
	var sent, throttled atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			sent.Add(1)
			w = &statusSpy{ResponseWriter: w, throttled: &throttled}
		}
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tenant, id, secret, _ := sb.Credentials()
	tokens := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret},
		pc.TokenURL(srv.URL+"/{tenant}/oauth2/token", tenant), srv.Client())
	client, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, HTTP: srv.Client(), RequestsPerMinute: rpm})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tokens.Token(context.Background()); err != nil { // signed in before the clock starts, as the CLI does
		b.Fatal(err)
	}
	s, err := ingest.Read(context.Background(), sheet, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	plan := validate.New(validate.Options{Today: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}).Check(s.Rows)
	if len(plan.Carts) != carts {
		b.Fatalf("%d carts, want %d", len(plan.Carts), carts)
	}
	j := journal(b, "bench")
	defer j.Close()
	sent.Store(0)
	b.ResetTimer()
	start := time.Now()
	err = submit.Run(context.Background(), client, j, plan, submit.Options{Batch: "bench", RunID: "bench", Concurrency: concurrency})
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for i, o := range plan.Outcomes {
		if o.Status != order.StatusOrdered {
			b.Fatalf("row %d: %s %v", s.Rows[i].Line, o.Status, o.Problems)
		}
	}
	return elapsed, sent.Load(), throttled.Load()
}

// statusSpy counts the 429s a handler writes.
type statusSpy struct {
	http.ResponseWriter
	throttled *atomic.Int64
}

func (s *statusSpy) WriteHeader(code int) {
	if code == http.StatusTooManyRequests {
		s.throttled.Add(1)
	}
	s.ResponseWriter.WriteHeader(code)
}

// writeSubmitSheet writes a CSV of carts customers with two lines each.
func writeSubmitSheet(path string, carts int) error {
	var sb strings.Builder
	sb.WriteString("CustomerId,CatalogItemId,Quantity,BillingCycle,TermDuration,PartnerOnRecordAttestationAccepted\n")
	for c := 0; c < carts; c++ {
		cust := fmt.Sprintf("%08x-4b5a-4978-8796-%012x", c, c)
		fmt.Fprintf(&sb, "%s,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,%d,monthly,P1M,yes\n", cust, c%20+1)
		fmt.Fprintf(&sb, "%s,CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,%d,monthly,P1M,yes\n", cust, c%7+1)
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
