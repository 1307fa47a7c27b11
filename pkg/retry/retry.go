// Package retry is the one way the importer tries a call again: at most a
// number of attempts, pausing between them with a doubling (optionally
// jittered) delay or the pause the other side asked for, and giving up at
// once on an answer another attempt would not change.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Policy says how often to try and how long to pause.
type Policy struct {
	Attempts int           // attempts in all; at least 1
	Base     time.Duration // the first pause; each next one doubles
	Max      time.Duration // no pause is longer (0: no cap)
	// Jitter makes each pause half fixed, half random, so that many
	// callers failing together do not come back together.
	Jitter bool
}

// Delay is the pause after the n-th failed attempt (n from 1).
func (p Policy) Delay(n int) time.Duration {
	d := p.Base << min(max(n-1, 0), 16)
	if p.Max > 0 {
		d = min(d, p.Max)
	}
	if p.Jitter && d > 1 {
		d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	}
	return d
}

// Sleep waits for d, or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// permanent marks an error another attempt would not change.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Permanent marks err as final: Do returns it at once.
func Permanent(err error) error { return &permanent{err} }

// Do calls try until it succeeds, returns a Permanent error, or the
// attempts are spent, and returns the last error (unwrapped from
// Permanent). try gets the attempt's number (from 1) and may ask for a
// pause of its own before the next one (a Retry-After), else the policy's
// delay is waited. It stops when ctx ends.
func Do(ctx context.Context, p Policy, try func(attempt int) (wait time.Duration, err error)) error {
	attempts := max(p.Attempts, 1)
	for n := 1; ; n++ {
		wait, err := try(n)
		if err == nil {
			return nil
		}
		var final *permanent
		if errors.As(err, &final) {
			return final.err
		}
		if n >= attempts {
			return err
		}
		if wait <= 0 {
			wait = p.Delay(n)
		}
		if err := Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
