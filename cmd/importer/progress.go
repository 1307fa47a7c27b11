package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/cspimporter/importer/pkg/order"
)

// progress shows a person at a terminal how a submission goes: carts done
// of all, rows ordered and not, the pace and the time left. It is only
// ever made for a terminal (see interactive), never for logs.
type progress struct {
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	outcomes []order.Outcome
	ordered  int
	notYet   int // failed, unknown, not submitted, skipped-for-a-reason
}

// interactive: is a person watching? Both outputs on a terminal (as gh
// decides), no JSON wanted, and no -v (whose log is the better view).
func (a *app) interactive(asJSON bool) bool {
	return !asJSON && !a.verbose && a.logFormat == logAuto && isTerminal(a.stdout) && isTerminal(a.stderr)
}

// newProgress draws at most every throttle.
func newProgress(w io.Writer, carts int, outcomes []order.Outcome, throttle time.Duration) *progress {
	p := &progress{outcomes: outcomes}
	p.bar = progressbar.NewOptions(carts,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("Submitting"),
		progressbar.OptionSetItsString("carts"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
	return p
}

// cartDone counts a cart whose rows have their outcome.
func (p *progress) cartDone(rows []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range rows {
		if p.outcomes[i].Bought() {
			p.ordered++
		} else {
			p.notYet++
		}
	}
	p.bar.Describe(fmt.Sprintf("rows ordered %d, not ordered %d", p.ordered, p.notYet))
	_ = p.bar.Add(1)
}

// wrap lets log lines through without tearing the bar: the bar is
// cleared, the line written, and the bar drawn again under it.
func (p *progress) wrap(w io.Writer) io.Writer { return &aboveBar{p: p, w: w} }

type aboveBar struct {
	p *progress
	w io.Writer
}

func (a *aboveBar) Write(b []byte) (int, error) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	_ = a.p.bar.Clear()
	n, err := a.w.Write(b)
	_ = a.p.bar.RenderBlank()
	return n, err
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}
