package sandbox

import (
	"net/http"
	"time"
)

// Ledger entry kinds.
const (
	LedgerCart  = "cart"
	LedgerOrder = "order"
)

// LedgerEntry is a cart created or an order placed, with the request that
// caused it: what a test checks to prove nothing was ordered twice.
type LedgerEntry struct {
	Kind          string    `json:"kind"`
	At            time.Time `json:"at"`
	CustomerID    string    `json:"customerId"`
	CartID        string    `json:"cartId"`
	OrderID       string    `json:"orderId,omitempty"`
	OrderGroup    string    `json:"orderGroup,omitempty"`
	RequestID     string    `json:"requestId"`
	CorrelationID string    `json:"correlationId"`
	Lines         int       `json:"lines"`
}

// record appends to the ledger. Call with s.mu held.
func (s *Server) record(e LedgerEntry) {
	e.At = s.now()
	s.ledger = append(s.ledger, e)
	s.save(stateLine{Ledger: &e})
}

// Ledger returns every cart created and order placed, in order.
func (s *Server) Ledger() []LedgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LedgerEntry(nil), s.ledger...)
}

// Orders counts the orders a ledger records as placed.
func Orders(l []LedgerEntry) int {
	n := 0
	for _, e := range l {
		if e.Kind == LedgerOrder {
			n++
		}
	}
	return n
}

// handleLedger serves the ledger to this machine only.
func (s *Server) handleLedger(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r) {
		writeError(w, http.StatusForbidden, 0, "The sandbox ledger is served to loopback clients only.")
		return
	}
	writeJSON(w, http.StatusOK, s.Ledger())
}

// handleTokens lists every access token issued, so a test can check that
// none was ever logged. Loopback only, like the ledger.
func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	if !isLoopback(r) {
		writeError(w, http.StatusForbidden, 0, "The sandbox's tokens are served to loopback clients only.")
		return
	}
	s.mu.Lock()
	issued := append([]string{}, s.issued...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, issued)
}
