package online

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/validate"
)

// Customers of the sandbox's catalog (pkg/sandbox/catalog.json).
const (
	contoso   = "4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60" // US; 20 seats of M365 E3, monthly P1Y
	fabrikam  = "7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d" // DE
	wideworld = "e1d2c3b4-a596-4788-9aab-bccddeeff001" // DE; 290 of 300 Business Basic seats
	fresh     = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901" // not named: US, nothing
	unknown   = "00000000-0000-4000-8000-000000000404"

	basic     = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P" // 1-300 seats; P1M, P1Y, P3Y
	e3        = "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ"
	w365      = "CFQ7TTC0HHS9:0001:CFQ7TTC0HX4T" // US and GB only; P1M, P1Y
	teamsAddo = "CFQ7TTC0LFK5:0001:CFQ7TTC0JN4R" // an add-on of M365 E3
	trial     = "DZH318Z0C0WF:0001:DZH318Z0BP69" // a trial: billing none, P1M
	sqlSub    = "DG7GMGF0FKZV:0003:DG7GMGF0DWMS" // P3Y, one_time or annual
)

// line is a row of a test sheet.
type line struct {
	customer, item, qty, billing, term, group string
}

// client is a Partner Center client of a sandbox.
func client(t *testing.T, cfg sandbox.Config) *pc.Client {
	t.Helper()
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	tenant, id, secret, _ := sb.Credentials()
	hc := &http.Client{Timeout: 5 * time.Second}
	tokens := pc.NewTokens(pc.Credentials{TenantID: tenant, ClientID: id, ClientSecret: secret}, srv.URL+"/"+tenant+"/oauth2/token", hc)
	c, err := pc.NewClient(pc.Options{Endpoint: srv.URL, Tokens: tokens, HTTP: hc, RequestsPerMinute: 600000, Timeout: 5 * time.Second, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// check validates the lines offline, then online against the sandbox.
func check(t *testing.T, c Reader, lines ...line) (*order.Checked, int) {
	t.Helper()
	rows := make([]order.Row, len(lines))
	for i, l := range lines {
		r := &rows[i]
		r.Line = i + 2
		r.Set(order.CustomerID, l.customer)
		r.Set(order.CatalogItemID, l.item)
		r.Set(order.Quantity, l.qty)
		r.Set(order.BillingCycle, l.billing)
		r.Set(order.TermDuration, l.term)
		r.Set(order.CartGroup, l.group)
		r.Set(order.PartnerOnRecordAttestationAccepted, "yes")
	}
	checked := validate.New(validate.Options{Today: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}).Check(rows)
	facts, err := Read(context.Background(), c, checked, Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return checked, Apply(checked, facts)
}

// online is a row's problems of the online checks, as "severity kind
// (column)".
func online(o *order.Outcome) []string {
	var out []string
	for _, p := range o.Problems {
		if strings.HasPrefix(p.Kind, "online:") {
			sev := map[order.Severity]string{order.Error: "error", order.Warning: "warning", order.Note: "note"}[p.Severity]
			out = append(out, sev+" "+p.Kind+" ("+p.Field.String()+")")
		}
	}
	return out
}

func TestRules(t *testing.T) {
	c := client(t, sandbox.Config{})
	tests := []struct {
		name  string
		lines []line
		want  [][]string // per line: its online problems
		msg   string     // part of the first line's first message
	}{
		{"a clean line", []line{{fresh, basic, "5", "monthly", "P1M", ""}}, [][]string{nil}, ""},
		{"unknown customer", []line{{unknown, basic, "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindCustomerUnknown + " (CustomerId)"}}, "does not know customer " + unknown},
		{"no such SKU", []line{{fresh, "CFQ7TTC0LH0Z:0099:CFQ7TTC0K18P", "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindNotSold + " (CatalogItemId)"}}, "no SKU 0099 of product CFQ7TTC0LH0Z in US"},
		{"no such availability", []line{{fresh, "CFQ7TTC0LH0Z:0001:CFQ7TTC0ZZZZ", "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindNotSold + " (CatalogItemId)"}}, "buy CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P instead"},
		{"not sold in the customer's country", []line{{fabrikam, w365, "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindNotSold + " (CatalogItemId)"}}, "not sold in DE"},
		{"term not offered", []line{{fresh, w365, "5", "monthly", "P3Y", ""}},
			[][]string{{"error " + KindTermNotOffered + " (TermDuration)"}}, "P3Y is not a term of " + w365 + " in US; it is sold for P1M, P1Y"},
		{"billing not offered for the term", []line{{fresh, sqlSub, "2", "monthly", "P3Y", ""}},
			[][]string{{"error " + KindBillingNotOffer + " (BillingCycle)"}}, "use one_time or annual"},
		{"billing not offered, any case", []line{{fresh, sqlSub, "2", "Annual", "P3Y", ""}}, [][]string{nil}, ""},
		{"above the maximum", []line{{fresh, basic, "301", "monthly", "P1M", ""}},
			[][]string{{"error " + KindQuantityLimits + " (Quantity)"}}, "above Partner Center's maximum of 300"},
		{"a trial billed monthly", []line{{fresh, trial, "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindTrial + " (BillingCycle)"}}, "is a trial"},
		{"not a trial billed none", []line{{fresh, basic, "5", "none", "P1M", ""}},
			[][]string{{"error " + KindTrial + " (BillingCycle)"}}, "is not a trial"},
		{"an add-on alone", []line{{fresh, teamsAddo, "5", "monthly", "P1M", ""}},
			[][]string{{"error " + KindAddonWithoutBase + " (CatalogItemId)"}}, "needs CFQ7TTC0LFLS:0002"},
		{"an add-on with its base in the cart", []line{{fresh, teamsAddo, "5", "monthly", "P1M", ""}, {fresh, e3, "5", "monthly", "P1M", ""}},
			[][]string{nil, nil}, ""},
		{"an add-on with its base in another cart", []line{{fresh, teamsAddo, "5", "monthly", "P1M", ""}, {fresh, e3, "5", "monthly", "P1M", "B"}},
			[][]string{{"error " + KindAddonWithoutBase + " (CatalogItemId)"}, nil}, ""},
		{"an add-on of a base the customer has", []line{{contoso, teamsAddo, "5", "monthly", "P1M", ""}}, [][]string{nil}, ""},
		{"the subscription exists", []line{{contoso, e3, "10", "monthly", "P1Y", ""}},
			[][]string{{"warning " + KindSubscriptionHeld + " (CatalogItemId)"}}, "already has subscription 'Microsoft 365 E3' (4a7e3f12-5eed-4000-8000-000000000000) (20 seats, ends 2027-03-31)"},
		{"the subscription exists on another term", []line{{contoso, e3, "10", "monthly", "P1M", ""}}, [][]string{nil}, ""},
		{"seats held plus bought above the maximum", []line{{wideworld, basic, "6", "monthly", "P1M", ""}, {wideworld, basic, "5", "annual", "P1Y", "B"}},
			[][]string{{"error " + KindSeatLimit + " (Quantity)"}, {"warning " + KindSubscriptionHeld + " (CatalogItemId)", "error " + KindSeatLimit + " (Quantity)"}}, "has 290 seats of CFQ7TTC0LH0Z:0001 already and this sheet buys 11 more (301 in all)"},
		{"seats held plus bought within the maximum", []line{{wideworld, basic, "10", "monthly", "P1M", ""}}, [][]string{nil}, ""},
		{"a legacy offer is not checked in the catalog", []line{{fresh, "91FD106F-4B2C-4938-95AC-F54F74E9A239", "5", "monthly", "", ""}}, [][]string{nil}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checked, unchecked := check(t, c, tt.lines...)
			if unchecked != 0 {
				t.Errorf("%d rows unchecked", unchecked)
			}
			for i, want := range tt.want {
				o := &checked.Outcomes[i]
				if got := online(o); strings.Join(got, "; ") != strings.Join(want, "; ") {
					t.Errorf("line %d: %v, want %v (all: %+v)", i, got, want, o.Problems)
				}
				errs := false
				for _, w := range want {
					errs = errs || strings.HasPrefix(w, "error")
				}
				if errs != (o.Status == order.StatusInvalid) {
					t.Errorf("line %d: status %s with online problems %v", i, o.Status, want)
				}
			}
			if tt.msg != "" {
				var msgs []string
				for _, p := range checked.Outcomes[0].Problems {
					msgs = append(msgs, p.Message)
				}
				if !strings.Contains(strings.Join(msgs, " | "), tt.msg) {
					t.Errorf("messages %q lack %q", msgs, tt.msg)
				}
			}
		})
	}
}

// TestReadsOncePerCustomerAndItem: a customer is read once however many
// rows it has, and an item once per country.
func TestReadsOncePerCustomerAndItem(t *testing.T) {
	c := &counting{Reader: client(t, sandbox.Config{}), calls: map[string]int{}}
	var lines []line
	for _, cu := range []string{contoso, fresh, fabrikam} {
		for g := range 3 {
			lines = append(lines, line{cu, basic, "1", "monthly", "P1M", string(rune('A' + g))}, line{cu, e3, "1", "monthly", "P1M", string(rune('A' + g))})
		}
	}
	check(t, c, lines...)
	// 3 customers × (customer + subscriptions) + 2 items × 2 countries × (SKU + availabilities).
	want := map[string]int{"customer": 3, "subscriptions": 3, "sku": 4, "availabilities": 4}
	for k, n := range want {
		if c.calls[k] != n {
			t.Errorf("%s read %d times, want %d (%v)", k, c.calls[k], n, c.calls)
		}
	}
}

// TestFaultsNeverInvalidate: when Partner Center does not answer (every
// attempt a 503), no row is made Invalid: each gets a note, and is counted
// unchecked.
func TestFaultsNeverInvalidate(t *testing.T) {
	for _, op := range []string{"customer", "subscriptions", "catalog"} {
		t.Run(op, func(t *testing.T) {
			faults, err := sandbox.ParseFaults(op + ":503:1")
			if err != nil {
				t.Fatal(err)
			}
			c := client(t, sandbox.Config{Faults: faults})
			checked, unchecked := check(t, c, line{fresh, basic, "5", "monthly", "P1M", ""}, line{contoso, w365, "301", "monthly", "P3Y", ""})
			if unchecked == 0 {
				t.Error("no row counted unchecked")
			}
			for i, o := range checked.Outcomes {
				for _, p := range o.Problems {
					if strings.HasPrefix(p.Kind, "online:") && p.Severity == order.Error {
						t.Errorf("row %d: %s: %s", i, p.Kind, p.Message)
					}
				}
				if got := online(&o); len(got) == 0 || got[0] != "note "+KindNotChecked+" ()" {
					t.Errorf("row %d: %v, want a note that it was not checked", i, got)
				}
			}
		})
	}
}

// TestTypesFromPartnerCenter: products the sheet and the built-in
// knowledge do not type get Partner Center's.
func TestTypesFromPartnerCenter(t *testing.T) {
	c := client(t, sandbox.Config{})
	checked, _ := check(t, c, line{contoso, teamsAddo, "5", "monthly", "P1M", ""}, line{contoso, w365, "5", "monthly", "P1M", ""})
	facts, err := Read(context.Background(), c, checked, Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	types := facts.Types()
	if types["CFQ7TTC0LFK5"] != validate.LicenseBased || types["CFQ7TTC0HHS9"] != validate.LicenseBased || len(types) != 2 {
		t.Errorf("types %v", types)
	}
}

// counting counts the reads by kind.
type counting struct {
	Reader
	calls map[string]int
	mu    sync.Mutex
}

func (c *counting) count(k string) {
	c.mu.Lock()
	c.calls[k]++
	c.mu.Unlock()
}

func (c *counting) GetCustomer(ctx context.Context, id string) (*pc.Customer, error) {
	c.count("customer")
	return c.Reader.GetCustomer(ctx, id)
}

func (c *counting) ListSubscriptions(ctx context.Context, id string) ([]pc.Subscription, error) {
	c.count("subscriptions")
	return c.Reader.ListSubscriptions(ctx, id)
}

func (c *counting) GetSKU(ctx context.Context, p, s, cc string) (*pc.SKU, error) {
	c.count("sku")
	return c.Reader.GetSKU(ctx, p, s, cc)
}

func (c *counting) GetAvailabilities(ctx context.Context, p, s, cc string) ([]pc.Availability, error) {
	c.count("availabilities")
	return c.Reader.GetAvailabilities(ctx, p, s, cc)
}
