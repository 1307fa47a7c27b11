package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/store"
)

// TestProgressView: how far a purchase is, and the time left guessed from
// its pace (none before the first cart or after the last).
func TestProgressView(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name                   string
		carts, done, rows, got int
		rowsDone               int
		after                  time.Duration
		want                   progressView
		left                   string
	}{
		{"not started", 0, 0, 0, 0, 0, time.Second, progressView{}, ""},
		{"no cart done yet", 10, 0, 30, 0, 0, 5 * time.Second, progressView{Carts: 10, Rows: 30}, ""},
		{"half, 2 s a cart", 10, 5, 30, 14, 15, 10 * time.Second, progressView{Carts: 10, CartsDone: 5, Rows: 30, RowsDone: 15, Bought: 14, NotOrdered: 1, SecondsLeft: 10}, "Less than a minute"},
		{"a minute", 4, 2, 4, 2, 2, 70 * time.Second, progressView{Carts: 4, CartsDone: 2, Rows: 4, RowsDone: 2, Bought: 2, SecondsLeft: 70}, "About a minute"},
		{"minutes", 100, 10, 100, 10, 10, time.Minute, progressView{Carts: 100, CartsDone: 10, Rows: 100, RowsDone: 10, Bought: 10, SecondsLeft: 540}, "About 9 minutes"},
		{"hours", 1000, 10, 1000, 10, 10, 2 * time.Minute, progressView{Carts: 1000, CartsDone: 10, Rows: 1000, RowsDone: 10, Bought: 10, SecondsLeft: 11880}, "About 3.3 hours"},
		{"every cart done", 3, 3, 3, 3, 3, time.Minute, progressView{Carts: 3, CartsDone: 3, Rows: 3, RowsDone: 3, Bought: 3}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := viewOf(store.Progress{Started: start, Carts: tt.carts, CartsDone: tt.done, Rows: tt.rows, RowsDone: tt.rowsDone, Bought: tt.got}, start.Add(tt.after))
			if *v != tt.want || v.Left() != tt.left {
				t.Errorf("got %+v %q\nwant %+v %q", *v, v.Left(), tt.want, tt.left)
			}
		})
	}
}

// TestProgressPart: the part of the batch page its script asks for while
// the batch is bought. Without a session the whole page is sent to sign
// in (not the part); a batch no longer being bought tells the page to
// load again.
func TestProgressPart(t *testing.T) {
	s := withSignIn(t)
	req, _ := http.NewRequest(http.MethodGet, s.app+"/batches/x/progress", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("HX-Redirect") != "/" {
		t.Errorf("without a session: %d, HX-Redirect %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}

	alice, page, _ := s.browser(t, "alice@contoso.example")
	_, batchURL, _ := s.uploadForm(t, alice, hidden.FindStringSubmatch(page)[2], "november.xlsx", "monthly-orders.xlsx", "")
	req, _ = http.NewRequest(http.MethodGet, batchURL+"/progress", nil)
	req.Header.Set("HX-Request", "true")
	resp, err = alice.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("HX-Refresh") != "true" || !strings.Contains(string(got), "Nothing is being bought.") ||
		strings.Contains(string(got), "<html") {
		t.Errorf("a batch not being bought: %d, HX-Refresh %q\n%s", resp.StatusCode, resp.Header.Get("HX-Refresh"), got)
	}
}

// TestProgressFragment: what the batch page's live part says, by state.
func TestProgressFragment(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		v    batchView
		want string
	}{
		{"asking", batchView{ID: "b1", Status: StatusDone, Asking: true, Purchase: &store.Purchase{State: StatusDone}}, "Asking Partner Center about the orders…"},
		{"starting", batchView{ID: "b1", Status: StatusBuying, Purchase: &store.Purchase{State: StatusBuying}}, "Starting the purchase…"},
		{"buying", batchView{ID: "b1", Status: StatusBuying, Purchase: &store.Purchase{State: StatusBuying},
			Progress: viewOf(store.Progress{Carts: 9, CartsDone: 3, Rows: 30, RowsDone: 10, Bought: 10, Started: start}, start.Add(time.Minute))}, "3 of 9 carts done: 10 rows ordered."},
		{"ended", batchView{ID: "b1", Status: StatusDone, Purchase: &store.Purchase{State: StatusDone}}, "The purchase has ended."},
	} {
		w := httptest.NewRecorder()
		fragment(w, "progress", tt.v)
		if !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %s", tt.name, w.Body.String())
		}
	}
}
