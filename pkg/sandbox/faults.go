package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Fault kinds.
const (
	Fault500          = "500"
	Fault503          = "503"
	Fault429          = "429"
	FaultDrop         = "drop"                 // connection dropped before the request is handled
	FaultHang         = "hang"                 // no answer until the client gives up (at most a minute)
	FaultLostResponse = "timeout-after-commit" // handled and committed, then the response is lost
	Fault401          = "401"                  // the caller's access token expires now: revoked, and the call gets 401
	FaultLatency      = "latency"
)

// Operations a fault can target; "any" targets all of them.
var faultOps = map[string]bool{"token": true, "create": true, "get": true, "update": true, "checkout": true,
	"order": true, "catalog": true, "customer": true, "subscriptions": true, "any": true}

// Fault is one injected misbehaviour: with probability Prob, operation Op
// fails in the given way; a latency fault always adds Latency.
type Fault struct {
	Op      string
	Kind    string
	Prob    float64
	Latency time.Duration
}

// Faults is a set of faults, checked in order.
type Faults []Fault

// ParseFaults reads a spec such as
// "create:500:0.1,checkout:timeout-after-commit:0.05,any:429:0.05,latency:50ms".
// An item is op:kind:probability, or [op:]latency:duration.
func ParseFaults(spec string) (Faults, error) {
	var fs Faults
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if parts[0] == FaultLatency {
			parts = append([]string{"any"}, parts...)
		}
		if len(parts) != 3 {
			return nil, fmt.Errorf("fault %q: want op:kind:probability or [op:]latency:duration", item)
		}
		f := Fault{Op: parts[0], Kind: parts[1]}
		if !faultOps[f.Op] {
			return nil, fmt.Errorf("fault %q: unknown operation %q (token, create, get, update, checkout, order, catalog, customer, subscriptions or any)", item, f.Op)
		}
		switch f.Kind {
		case FaultLatency:
			d, err := time.ParseDuration(parts[2])
			if err != nil || d < 0 {
				return nil, fmt.Errorf("fault %q: %q is not a duration like 50ms", item, parts[2])
			}
			f.Latency, f.Prob = d, 1
		case Fault500, Fault503, Fault429, Fault401, FaultDrop, FaultHang, FaultLostResponse:
			p, err := strconv.ParseFloat(parts[2], 64)
			if err != nil || p < 0 || p > 1 {
				return nil, fmt.Errorf("fault %q: probability %q is not between 0 and 1", item, parts[2])
			}
			f.Prob = p
		default:
			return nil, fmt.Errorf("fault %q: unknown kind %q (500, 503, 429, 401, drop, hang, timeout-after-commit, latency)", item, f.Kind)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// burstLength is how long an injected 429 lasts: the Retry-After it sends.
const burstLength = time.Second

// roll decides what happens to one call of op: the added latency and the
// fault kind that fires, if any. An injected 429 starts a burst: every call
// of the operation is throttled until its Retry-After has passed.
func (s *Server) roll(op string) (latency time.Duration, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Before(s.bursts[op]) {
		kind = Fault429
	}
	for _, f := range s.cfg.Faults {
		if f.Op != op && f.Op != "any" {
			continue
		}
		if f.Kind == FaultLatency {
			latency += f.Latency
			continue
		}
		if kind == "" && s.rng.Float64() < f.Prob {
			kind = f.Kind
			if kind == Fault429 {
				s.bursts[op] = now.Add(burstLength)
			}
		}
	}
	return latency, kind
}

// SetFaults replaces the faults of a running sandbox.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.cfg.Faults = f
	s.mu.Unlock()
}
