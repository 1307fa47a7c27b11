package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/importer"
)

// Forms of --progress.
const (
	progressAuto = "auto" // a bar when a person watches a terminal, else none
	progressBar  = "bar"
	progressJSON = "json"
	progressNone = "none"
)

var progressForms = []string{progressAuto, progressBar, progressJSON, progressNone}

// shownProgress is a progress form with the log the run writes while it
// is shown.
type shownProgress struct {
	importer.Progress
	log logrus.FieldLogger
}

// progressFor is how a submission's progress is shown, nil for not at all
// (the log tells it).
func (a *app) progressFor(o submitOptions) *shownProgress {
	form := o.progress
	if form == progressAuto {
		form = progressNone
		if a.interactive(o.json) {
			form = progressBar
		}
	}
	switch form {
	case progressBar:
		bar := newProgress(a.stderr, 100*time.Millisecond)
		// The bar tells what the per-cart log lines would; warnings still
		// show, above it. This run's own log, so no other run's changes.
		log := logrus.New()
		log.SetFormatter(a.log.Formatter)
		log.SetLevel(min(a.log.GetLevel(), logrus.WarnLevel))
		log.SetOutput(bar.wrap(a.stderr))
		return &shownProgress{Progress: bar, log: log}
	case progressJSON:
		return &shownProgress{Progress: &jsonProgress{w: a.stderr}}
	}
	return nil
}

// interactive: is a person watching? Both outputs on a terminal (as gh
// decides), no JSON wanted, and no -v (whose log is the better view).
func (a *app) interactive(asJSON bool) bool {
	return !asJSON && !a.verbose && a.logFormat == logAuto && isTerminal(a.stdout) && isTerminal(a.stderr)
}

// progress shows a person at a terminal how a submission goes: carts done
// of all, rows ordered and not, the pace and the time left.
type progress struct {
	w        io.Writer
	throttle time.Duration
	mu       sync.Mutex
	bar      *progressbar.ProgressBar // nil until Start and after Finish
	ordered  int
	notYet   int // failed, unknown, not submitted, skipped-for-a-reason
}

// newProgress draws at most every throttle.
func newProgress(w io.Writer, throttle time.Duration) *progress {
	return &progress{w: w, throttle: throttle}
}

func (p *progress) Start(carts, _ int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions(carts,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("Submitting"),
		progressbar.OptionSetItsString("carts"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(p.throttle),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// CartDone counts a cart whose rows have their outcome.
func (p *progress) CartDone(rows, bought int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.ordered += bought
	p.notYet += rows - bought
	p.bar.Describe(fmt.Sprintf("rows ordered %d, not ordered %d", p.ordered, p.notYet))
	_ = p.bar.Add(1)
}

func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil // what is logged after goes straight through
	}
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
	if a.p.bar == nil {
		return a.w.Write(b)
	}
	_ = a.p.bar.Clear()
	n, err := a.w.Write(b)
	_ = a.p.bar.RenderBlank()
	return n, err
}

// jsonProgress writes a JSON line per finished cart, for a program that
// shows the progress its own way.
type jsonProgress struct {
	mu                    sync.Mutex
	w                     io.Writer
	carts, rows           int
	done, ordered, notYet int
}

// progressLine is one line of --progress json.
type progressLine struct {
	Type           string `json:"type"` // "start", "cart" or "finish"
	Carts          int    `json:"carts"`
	Rows           int    `json:"rows"`
	CartsDone      int    `json:"cartsDone"`
	RowsOrdered    int    `json:"rowsOrdered"`
	RowsNotOrdered int    `json:"rowsNotOrdered"`
}

func (p *jsonProgress) Start(carts, rows int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.carts, p.rows = carts, rows
	p.write("start")
}

func (p *jsonProgress) CartDone(rows, bought int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.ordered += bought
	p.notYet += rows - bought
	p.write("cart")
}

func (p *jsonProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.write("finish")
}

func (p *jsonProgress) write(typ string) {
	b, _ := json.Marshal(progressLine{Type: typ, Carts: p.carts, Rows: p.rows, CartsDone: p.done, RowsOrdered: p.ordered, RowsNotOrdered: p.notYet})
	_, _ = p.w.Write(append(b, '\n'))
}
