package web

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/cspimporter/importer/pkg/store"
)

// progress is how far a purchase bought here is, for the batch's page and
// API (and, with a shared store, the purchase's record, for every instance).
type progress struct {
	mu sync.Mutex
	store.Progress
}

func (p *progress) Start(carts, rows int) {
	p.mu.Lock()
	p.Carts, p.Rows = carts, rows
	p.mu.Unlock()
}

func (p *progress) CartDone(rows, bought int) {
	p.mu.Lock()
	p.CartsDone++
	p.RowsDone += rows
	p.Bought += bought
	p.mu.Unlock()
}

func (p *progress) Finish() {}

// progressView is a running purchase as people and scripts see it.
type progressView struct {
	Carts      int `json:"carts"`
	CartsDone  int `json:"cartsDone"`
	Rows       int `json:"rows"`
	RowsDone   int `json:"rowsDone"`
	Bought     int `json:"rowsOrdered"`
	NotOrdered int `json:"rowsNotOrdered"`
	// SecondsLeft is a guess from the pace so far (0: too early to say).
	SecondsLeft int `json:"secondsLeft,omitempty"`
}

// snapshot is a copy of how far the purchase is.
func (p *progress) snapshot() store.Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Progress
}

func viewOf(p store.Progress, now time.Time) *progressView {
	v := &progressView{Carts: p.Carts, CartsDone: p.CartsDone, Rows: p.Rows, RowsDone: p.RowsDone, Bought: p.Bought, NotOrdered: p.RowsDone - p.Bought}
	if p.CartsDone > 0 && p.CartsDone < p.Carts {
		perCart := now.Sub(p.Started) / time.Duration(p.CartsDone)
		v.SecondsLeft = max(1, int((perCart * time.Duration(p.Carts-p.CartsDone)).Round(time.Second).Seconds()))
	}
	return v
}

// Left says the time left in words ("" when it cannot be guessed yet).
func (v *progressView) Left() string {
	switch s := v.SecondsLeft; {
	case s == 0:
		return ""
	case s < 60:
		return "Less than a minute"
	case s < 90:
		return "About a minute"
	case s < 3600:
		return fmt.Sprintf("About %d minutes", (s+30)/60)
	default:
		return fmt.Sprintf("About %.1f hours", float64(s)/3600)
	}
}

// progressOf is how far b's running purchase is, or nil: as this process
// knows it if it buys it, else as the instance buying it last said.
func (s *Server) progressOf(b *store.Batch) *progressView {
	s.buying.mu.Lock()
	p := s.buying.progress[b.ID]
	s.buying.mu.Unlock()
	switch {
	case p != nil:
		return viewOf(p.snapshot(), s.o.Now())
	case b.Purchase != nil && b.Purchase.State == StatusBuying && b.Purchase.Progress != nil:
		return viewOf(*b.Purchase.Progress, s.o.Now())
	}
	return nil
}

// progressPart is the batch page's purchase progress on its own, which the
// page asks for every few seconds (htmx) while the batch is bought, or its
// orders asked about. Once that has ended it tells the page to load again
// (HX-Refresh), to show each row's outcome.
func (s *Server) progressPart(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(b, false)
	if v.Status != StatusBuying && !v.Asking {
		w.Header().Set("HX-Refresh", "true")
	}
	fragment(w, "progress", v)
	return nil
}
