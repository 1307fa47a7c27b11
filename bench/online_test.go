package bench

import (
	"context"
	"encoding/json"
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
	"github.com/cspimporter/importer/pkg/online"
	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/validate"
)

// BenchmarkOnline measures validate --online's reads: a 2,000-row sheet of
// 400 customers (in three countries) and 60 items against the sandbox with
// 50 ms latency. It must make at most customers × 2 + item-country pairs ×
// 2 requests (a read each of the customer, its subscriptions, and each
// SKU and its availabilities in each country it is bought in), reported
// with the time as a ratio to the least possible: requests ÷ rate, or
// latency × requests ÷ concurrency, whichever is larger.
func BenchmarkOnline(b *testing.B) {
	const rows, customers, items = 2000, 400, 60
	cases := []struct {
		name        string
		rpm         int // the client's --rate; 0 unlimited
		concurrency int
	}{
		{"latency-bound", 0, 10},
		{"rate-bound", 3000, 10},
	}
	dir := b.TempDir()
	catalog := filepath.Join(dir, "catalog.json")
	sheet := filepath.Join(dir, "orders.csv")
	pairs, err := writeOnlineFixture(catalog, sheet, rows, customers, items)
	if err != nil {
		b.Fatal(err)
	}
	budget := customers*2 + pairs*2
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			const latency = 50 * time.Millisecond
			least := latency * time.Duration(budget) / time.Duration(tc.concurrency)
			if tc.rpm > 0 {
				least = max(least, time.Duration(float64(budget)/float64(tc.rpm)*float64(time.Minute)))
			}
			var elapsed time.Duration
			var sent int64
			for i := 0; i < b.N; i++ {
				e, s := onlineOnce(b, catalog, sheet, latency, tc.rpm, tc.concurrency)
				elapsed, sent = elapsed+e, sent+s
			}
			n := float64(b.N)
			if float64(sent)/n > float64(budget) {
				b.Fatalf("%v requests, over the budget of %d", float64(sent)/n, budget)
			}
			b.ReportMetric(elapsed.Seconds()/n, "s")
			b.ReportMetric(least.Seconds(), "least-s")
			b.ReportMetric(elapsed.Seconds()/n/least.Seconds(), "x-least")
			b.ReportMetric(float64(sent)/n, "requests")
			b.ReportMetric(float64(budget), "budget")
		})
	}
}

// onlineOnce checks the sheet online against a fresh sandbox and returns
// how long the reads took and how many API requests the sandbox saw.
func onlineOnce(b *testing.B, catalogPath, sheet string, latency time.Duration, rpm, concurrency int) (time.Duration, int64) {
	b.Helper()
	cat, err := sandbox.LoadCatalog(catalogPath)
	if err != nil {
		b.Fatal(err)
	}
	sb := sandbox.New(sandbox.Config{Catalog: cat, Faults: sandbox.Faults{{Op: "any", Kind: sandbox.FaultLatency, Prob: 1, Latency: latency}}})
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			sent.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tenant, id, secret, _ := sb.Credentials()
	tokens := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret},
		pc.TokenURL(srv.URL+"/{tenant}/oauth2/token", tenant), srv.Client())
	limit := rpm
	if limit == 0 {
		limit = 1 << 30
	}
	client, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, HTTP: srv.Client(), RequestsPerMinute: limit})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tokens.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	s, err := ingest.Read(context.Background(), sheet, ingest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	checked := validate.New(validate.Options{Today: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}).Check(s.Rows)
	sent.Store(0)
	b.ResetTimer()
	start := time.Now()
	facts, err := online.Read(context.Background(), client, checked, online.Options{Concurrency: concurrency})
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if unchecked := online.Apply(checked, facts); unchecked > 0 {
		b.Fatalf("%d rows unchecked", unchecked)
	}
	for i, o := range checked.Outcomes {
		if o.Status != order.StatusValid {
			b.Fatalf("row %d: %s %v", s.Rows[i].Line, o.Status, o.Problems)
		}
	}
	return elapsed, sent.Load()
}

// writeOnlineFixture writes a sandbox catalog of items license-based
// products with the customers in US, DE and GB, and a sheet of rows
// spreading them over the customers (five distinct items each); it
// returns how many item-country pairs the sheet buys.
func writeOnlineFixture(catalogPath, sheetPath string, rows, customers, items int) (int, error) {
	type avail struct {
		ID    string   `json:"id"`
		Terms []string `json:"terms"`
	}
	type sku struct {
		ID                     string   `json:"id"`
		Title                  string   `json:"title"`
		MinimumQuantity        int      `json:"minimumQuantity"`
		MaximumQuantity        int      `json:"maximumQuantity"`
		SupportedBillingCycles []string `json:"supportedBillingCycles"`
		Availabilities         []avail  `json:"availabilities"`
	}
	type product struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		ProductType string `json:"productType"`
		Family      string `json:"family"`
		SKUs        []sku  `json:"skus"`
	}
	type customer struct {
		ID          string `json:"id"`
		CompanyName string `json:"companyName"`
		Country     string `json:"country"`
	}
	var cat struct {
		Products  []product  `json:"products"`
		Customers []customer `json:"customers"`
	}
	item := func(n int) string { return fmt.Sprintf("BENCH%07d:0001:AVAIL%07d", n, n) }
	for n := range items {
		cat.Products = append(cat.Products, product{ID: fmt.Sprintf("BENCH%07d", n), Title: fmt.Sprintf("Bench product %d", n), ProductType: "OnlineServicesNCE", Family: "license",
			SKUs: []sku{{ID: "0001", Title: "Bench SKU", MinimumQuantity: 1, MaximumQuantity: 1000, SupportedBillingCycles: []string{"monthly", "annual"},
				Availabilities: []avail{{ID: fmt.Sprintf("AVAIL%07d", n), Terms: []string{"P1M", "P1Y"}}}}}})
	}
	countries := []string{"US", "DE", "GB"}
	id := func(c int) string { return fmt.Sprintf("%08x-4b5a-4978-8796-%012x", c, c) }
	for c := range customers {
		cat.Customers = append(cat.Customers, customer{ID: id(c), CompanyName: fmt.Sprintf("Customer %d", c), Country: countries[c%3]})
	}
	b, err := json.Marshal(cat)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(catalogPath, b, 0o644); err != nil {
		return 0, err
	}
	var sb strings.Builder
	sb.WriteString("CustomerId,CatalogItemId,ProductType,Quantity,BillingCycle,TermDuration,PartnerOnRecordAttestationAccepted\n")
	pairs := map[string]bool{}
	for r := range rows {
		c, k := r%customers, r/customers
		n := (c*7 + k*13) % items
		pairs[fmt.Sprint(n, countries[c%3])] = true
		fmt.Fprintf(&sb, "%s,%s,License-based,%d,monthly,P1M,yes\n", id(c), item(n), r%20+1)
	}
	return len(pairs), os.WriteFile(sheetPath, []byte(sb.String()), 0o644)
}
