package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	p := Policy{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	for n, want := range map[int]time.Duration{1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond, 4: 50 * time.Millisecond, 40: 50 * time.Millisecond} {
		if got := p.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
	p.Jitter = true
	for range 100 {
		if d := p.Delay(2); d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("jittered Delay(2) = %v, want between 10ms and 20ms", d)
		}
	}
}

func TestDo(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		fails    int // attempts that fail before one succeeds
		final    bool
		want     error
		attempts int
	}{
		{"first time", 0, false, nil, 1},
		{"after two failures", 2, false, nil, 3},
		{"attempts spent", 9, false, boom, 4},
		{"a permanent error stops at once", 9, true, boom, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Do(context.Background(), Policy{Attempts: 4, Base: time.Millisecond}, func(n int) (time.Duration, error) {
				calls++
				if n != calls {
					t.Errorf("attempt %d numbered %d", calls, n)
				}
				if calls > tt.fails {
					return 0, nil
				}
				if tt.final {
					return 0, Permanent(boom)
				}
				return 0, boom
			})
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) || calls != tt.attempts {
				t.Errorf("err %v after %d attempts, want %v after %d", err, calls, tt.want, tt.attempts)
			}
		})
	}
}

func TestDoHonoursAskedPauseAndContext(t *testing.T) {
	start := time.Now()
	_ = Do(context.Background(), Policy{Attempts: 2, Base: time.Hour}, func(n int) (time.Duration, error) {
		return 30 * time.Millisecond, errors.New("busy") // Retry-After: 30ms, not the hour
	})
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: the asked pause was not used", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Do(ctx, Policy{Attempts: 3, Base: time.Hour}, func(int) (time.Duration, error) { return 0, errors.New("x") })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}
