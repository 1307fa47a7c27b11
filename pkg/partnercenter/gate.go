package partnercenter

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// PauseGate makes every worker wait out a 429's Retry-After, not only the
// one that got it: retrying on one's own is what makes a thundering herd.
type PauseGate struct {
	mu    sync.Mutex
	until time.Time
}

// PauseFor holds the gate shut for d from now (or longer, if already so).
func (g *PauseGate) PauseFor(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := time.Now().Add(d); t.After(g.until) {
		g.until = t
	}
}

// Wait returns when the gate is open or ctx ends.
func (g *PauseGate) Wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := time.Until(g.until)
		g.mu.Unlock()
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// maxRetryAfter caps a server's Retry-After.
const maxRetryAfter = 5 * time.Minute

// retryAfter reads Retry-After as seconds or an HTTP date; def if absent.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return min(time.Duration(n)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return def
}
