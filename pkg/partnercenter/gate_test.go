package partnercenter

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		value    string
		min, max time.Duration
	}{
		{"", 7 * time.Second, 7 * time.Second},
		{"57", 57 * time.Second, 57 * time.Second},
		{"0", 0, 0},
		{"86400", maxRetryAfter, maxRetryAfter},
		{date, 28 * time.Second, 30 * time.Second},
		{"soon", 7 * time.Second, 7 * time.Second},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := retryAfter(h, 7*time.Second); got < tt.min || got > tt.max {
			t.Errorf("Retry-After %q: %v, want %v..%v", tt.value, got, tt.min, tt.max)
		}
	}
}

func TestPauseGateHoldsEveryone(t *testing.T) {
	var g PauseGate
	g.PauseFor(150 * time.Millisecond)
	g.PauseFor(10 * time.Millisecond) // a shorter pause does not shorten it
	start := time.Now()
	done := make(chan time.Duration, 3)
	for i := 0; i < 3; i++ {
		go func() { _ = g.Wait(context.Background()); done <- time.Since(start) }()
	}
	for i := 0; i < 3; i++ {
		if d := <-done; d < 140*time.Millisecond {
			t.Errorf("a waiter passed after %v", d)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.PauseFor(time.Hour)
	cancel()
	if err := g.Wait(ctx); err == nil {
		t.Error("Wait ignored its context")
	}
}
