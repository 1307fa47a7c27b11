package sandbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"

	"github.com/cspimporter/importer/pkg/atomicfile"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// ErrStateDamaged means a sandbox's saved state cannot be read whole.
var ErrStateDamaged = errors.New("the sandbox's saved state is damaged")

// A sandbox with a state file keeps what Partner Center would keep (carts,
// orders, the answers it replays for a request id, the ledger) across
// processes, so that a second run against it sees what the first did, as
// it would against the real thing. The file is a log of JSON lines, one
// per change, each written before the client hears the answer; it is
// compacted when opened. A line cut short by a kill is the last one, and
// is dropped: the answer it belonged to never reached anyone.
type stateLine struct {
	Cart   *savedCart   `json:"cart,omitempty"`
	Order  *savedOrder  `json:"order,omitempty"`
	Replay *savedReplay `json:"replay,omitempty"`
	Ledger *LedgerEntry `json:"ledger,omitempty"`
}

type savedCart struct {
	Customer  string                 `json:"customer"`
	Cart      pc.Cart                `json:"cart"`
	Result    *pc.CartCheckoutResult `json:"result,omitempty"`
	RequestID string                 `json:"requestId,omitempty"`
}

type savedOrder struct {
	Customer string   `json:"customer"`
	Order    pc.Order `json:"order"`
}

type savedReplay struct {
	Key    string      `json:"key"`
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// Open returns a sandbox that keeps its state in cfg.StatePath (see
// Config), carrying on from what the file holds; without a StatePath it is
// New. Close it when done.
func Open(cfg Config) (*Server, error) {
	s := New(cfg)
	if cfg.StatePath == "" {
		return s, nil
	}
	// Ids must never repeat those of an earlier process, which a seeded
	// generator would.
	var seed [16]byte
	_, _ = rand.Read(seed[:])
	s.rng = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	if err := s.load(cfg.StatePath); err != nil {
		return nil, err
	}
	if cfg.ReadOnly {
		return s, nil // changes stay in memory
	}
	if err := os.MkdirAll(filepath.Dir(cfg.StatePath), 0o700); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", cfg.StatePath, err)
	}
	if err := atomicfile.Write(cfg.StatePath, s.writeAll); err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", cfg.StatePath, err)
	}
	f, err := os.OpenFile(cfg.StatePath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox state %s: %w", cfg.StatePath, err)
	}
	s.state = f
	return s, nil
}

// Close closes the state file; a sandbox without one has nothing to close.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return nil
	}
	err := s.state.Close()
	s.state = nil
	return err
}

// load applies the state file at path, if there is one.
func (s *Server) load(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox state %s: %w", path, err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil // an unfinished last line was cut short by a kill
		}
		if err != nil {
			return fmt.Errorf("sandbox state %s: %w", path, err)
		}
		var l stateLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return fmt.Errorf("sandbox state %s, line %d: %w (%v)", path, n, ErrStateDamaged, err)
		}
		s.apply(l)
	}
}

// apply takes one saved change into the sandbox's memory.
func (s *Server) apply(l stateLine) {
	switch {
	case l.Cart != nil:
		c := l.Cart
		s.carts[c.Cart.ID] = &cartState{customer: c.Customer, cart: c.Cart, result: c.Result, requestID: c.RequestID}
	case l.Order != nil:
		s.orders[l.Order.Order.ID] = &orderState{customer: l.Order.Customer, order: l.Order.Order}
	case l.Replay != nil:
		r := l.Replay
		s.replays[r.Key] = &recorded{status: r.Status, header: r.Header, body: r.Body}
	case l.Ledger != nil:
		s.ledger = append(s.ledger, *l.Ledger)
	}
}

// writeAll writes the whole state, compacted: each cart, order and answer
// once, as it is now.
func (s *Server) writeAll(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, st := range s.carts {
		if err := enc.Encode(cartLine(st)); err != nil {
			return err
		}
	}
	for _, o := range s.orders {
		if err := enc.Encode(stateLine{Order: &savedOrder{Customer: o.customer, Order: o.order}}); err != nil {
			return err
		}
	}
	for k, r := range s.replays {
		if err := enc.Encode(replayLine(k, r)); err != nil {
			return err
		}
	}
	for i := range s.ledger {
		if err := enc.Encode(stateLine{Ledger: &s.ledger[i]}); err != nil {
			return err
		}
	}
	return nil
}

func cartLine(st *cartState) stateLine {
	return stateLine{Cart: &savedCart{Customer: st.customer, Cart: st.cart, Result: st.result, RequestID: st.requestID}}
}

func replayLine(key string, r *recorded) stateLine {
	return stateLine{Replay: &savedReplay{Key: key, Status: r.status, Header: r.header, Body: r.body}}
}

// save appends a change to the state file, if the sandbox keeps one. Call
// with s.mu held. A change that cannot be saved fails the request it
// belongs to (see saveFailed), so nobody is told of what would be lost.
func (s *Server) save(l stateLine) {
	if s.state == nil || s.saveErr != nil {
		return
	}
	b, err := json.Marshal(l)
	if err == nil {
		_, err = s.state.Write(append(b, '\n'))
	}
	if err != nil {
		s.saveErr = fmt.Errorf("sandbox state %s: %w", s.cfg.StatePath, err)
	}
}

// saveFailed is the error that stopped the state from being saved, if any.
func (s *Server) saveFailed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveErr
}

// SavedOrders counts the orders a saved state holds (each once, however
// often it was saved): what a test counts to prove nothing was ordered
// twice in a sandbox that lives in another process.
func SavedOrders(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	orders := map[string]bool{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		var l stateLine
		if json.Unmarshal(line, &l) == nil && l.Order != nil {
			orders[l.Order.Order.ID] = true
		}
	}
	return len(orders), nil
}
