package web

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/sandbox"
)

// TestPlanPage: the plan an approver decides on shows every cart and line
// as it will be sent, with the price of each line and the totals per
// customer and product; the batch page marks the cells at fault, lists
// every version, the carts per customer and the cost, and offers the
// uploader a corrected version.
func TestPlanPage(t *testing.T) {
	list, _ := filepath.Abs(filepath.Join("..", "..", "samples", "pricelist.csv"))
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) {
		// The sample price list's prices are November 2026's.
		o.Prices, o.Now = list, func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	})
	alice, page, _ := s.browser(t, "alice@contoso.example")
	csrf := hidden.FindStringSubmatch(page)[2]
	first, _, _ := s.uploadForm(t, alice, csrf, "november.xlsx", "monthly-orders-with-mistakes.xlsx", "")
	for _, want := range []*regexp.Regexp{
		// Row 6's quantity is above the item's maximum and an Azure plan
		// has no term: both cells are marked, in words too.
		regexp.MustCompile(`<td class="num">6</td><td><span class="status s-invalid">Invalid</span></td>\s*<td>[^<]+</td><td>[^<]+</td>` +
			`<td class="bad num"><span aria-hidden="true">⚠ </span><span class="vh">At fault: </span>3</td><td>one_time</td>` +
			`<td class="bad"><span aria-hidden="true">⚠ </span><span class="vh">At fault: </span>P1Y</td>`),
		regexp.MustCompile(`<a href="/upload\?batch=november">Upload a corrected version</a>`),
	} {
		if !want.MatchString(first) {
			t.Errorf("the batch page lacks %s:\n%s", want, first)
		}
	}
	_, batchURL, _ := s.uploadForm(t, alice, csrf, "november-fixed.xlsx", "monthly-orders.xlsx", "november")
	got := get(t, alice, batchURL)
	for _, want := range []string{
		"<td>november-fixed.xlsx</td><td>alice@contoso.example</td>", "<td>november.xlsx</td><td>alice@contoso.example</td>",
		`<h2 id="cpc">Carts per customer</h2>`, `<a href="/batches/` + filepath.Base(batchURL) + `/plan">See the plan</a>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the corrected version's page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`Estimated cost: <strong>[0-9,]+\.[0-9]{2} USD`).MatchString(got) {
		t.Errorf("the corrected version's page has no cost:\n%s", got)
	}
	if strings.Contains(got, `class="bad`) {
		t.Error("a valid sheet's cells are marked")
	}

	bob, _, _ := s.browser(t, "bob@contoso.example")
	got = get(t, bob, batchURL)
	if !strings.Contains(got, `<a class="button" href="/batches/`+filepath.Base(batchURL)+`/plan">Look at the plan and decide</a>`) {
		t.Errorf("bob is not sent to the plan:\n%s", got)
	}
	plan := get(t, bob, batchURL+"/plan")
	all, _ := s.st.Batches()
	p, err := approval.Load(t.Context(), filepath.Join(s.st.Dir, "batches", all[0].ID, "v2", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(plan, "<h3>Cart "); n != len(p.Carts) {
		t.Errorf("%d carts shown, the plan has %d", n, len(p.Carts))
	}
	lines := 0
	for _, c := range p.Carts {
		lines += len(c.Lines)
		want := "<h3>Cart " + c.Name + ": customer " + c.CustomerID + "</h3>"
		if c.Name == c.CustomerID {
			want = "<h3>Cart " + c.Name + "</h3>"
		}
		if !strings.Contains(plan, want) {
			t.Errorf("cart %s is not shown", c.Name)
		}
	}
	if n := strings.Count(plan, `<tr><td class="num">`); n != lines {
		t.Errorf("%d lines shown, the plan has %d", n, lines)
	}
	for _, want := range []string{"Approve this plan", `<h2 id="cust">Per customer</h2>`, `<h2 id="prod">Per product</h2>`,
		"Estimated cost: <strong>", " USD</td></tr>", p.Carts[0].Lines[0].CatalogItemID} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan page lacks %q:\n%s", want, plan)
		}
	}
}

// TestBatchesPage: the list says of each batch its rows, cost, and who
// uploaded, decided and bought it, and when.
func TestBatchesPage(t *testing.T) {
	list, _ := filepath.Abs(filepath.Join("..", "..", "samples", "pricelist.csv"))
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) {
		o.Prices, o.Now = list, func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	})
	alice, page, _ := s.browser(t, "alice@contoso.example")
	_, batchURL, _ := s.uploadForm(t, alice, hidden.FindStringSubmatch(page)[2], "november.xlsx", "monthly-orders.xlsx", "")
	bob, page, _ := s.browser(t, "bob@contoso.example")
	plan := regexp.MustCompile(`name="planSha256" value="([0-9a-f]+)"`).FindStringSubmatch(get(t, bob, batchURL+"/plan"))
	if resp, err := bob.PostForm(batchURL+"/decision", url.Values{"csrf": {hidden.FindStringSubmatch(page)[2]}, "planSha256": {plan[1]}, "decision": {"approve"}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("approve: %v %v", resp.StatusCode, err)
	}
	got := get(t, alice, s.app+"/")
	row := regexp.MustCompile(`<td class="num">30</td><td class="num">[0-9,]+\.[0-9]{2} USD</td>\s*` +
		`<td>alice@contoso.example<br><span class="hint">2026-11-21 09:00 UTC</span></td>\s*` +
		`<td>bob@contoso.example<br><span class="hint">approved 2026-11-21 09:00 UTC</span></td>\s*<td></td></tr>`)
	if !strings.Contains(got, `<a href="/batches/`+filepath.Base(batchURL)+`">november</a>`) || !row.MatchString(got) {
		t.Errorf("the batches page:\n%s", got)
	}
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, got)
	}
	return string(got)
}
