package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/store"
)

// purchases runs the purchases in the background, never in a request, and
// knows how far each is.
type purchases struct {
	mu       sync.Mutex
	progress map[string]*progress // by batch id, while buying
	// following are the batches whose orders someone is asking about.
	following map[string]bool
	wg        sync.WaitGroup
}

// submission starts buying an approved batch: 202 at once, the purchase
// goes on in the background. Posted again (or twice at the same time), it
// starts nothing new: one purchase per approved plan.
func (s *Server) submission(w http.ResponseWriter, r *http.Request) error {
	b, err := s.startPurchase(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, s.view(b, false))
	return nil
}

// startPurchase starts buying the batch of the request, once.
func (s *Server) startPurchase(r *http.Request) (*store.Batch, error) {
	if s.o.Conn == nil {
		return nil, fail(http.StatusConflict, "this server has no connection to Partner Center to buy with")
	}
	if s.buying.isFollowing(r.PathValue("id")) {
		// The follow-up holds the batch's journal for a moment.
		return nil, fail(http.StatusConflict, "someone is asking Partner Center about this batch's orders; try again in a moment")
	}
	caller := callerOf(r.Context())
	started := false
	b, err := s.o.Store.UpdateBatch(r.PathValue("id"), func(b *store.Batch) (err error) {
		started, err = importer.StartPurchase(b, caller.ID, s.o.Now())
		if started {
			b.Purchase.Heartbeat = time.Now().UTC() // by the clock orphans are told by
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if started {
		if err := s.auditOf(r, "purchase", b.ID, fmt.Sprintf("version %d, plan %s", b.Current().N, b.Current().PlanSHA256)); err != nil {
			return nil, err
		}
		s.buy(b, false)
	}
	return b, nil
}

// buy runs the purchase of b's current version in the background: the
// core's submission of exactly the approved plan, through the batch's own
// journal in the data directory, so that a purchase cut short (the process
// died) is finished by Resume without buying anything twice.
//
// resumed: a purchase found buying with nobody running it here (a stopped
// process's, or, with a shared store, another instance's). With a shared
// journal it does not wait for the batch: if another run holds it, that
// run is buying it, and this one leaves it alone.
func (s *Server) buy(b *store.Batch, resumed bool) {
	v := b.Current()
	p := &progress{Progress: store.Progress{Started: s.o.Now()}}
	s.buying.mu.Lock()
	if s.buying.progress[b.ID] != nil {
		s.buying.mu.Unlock()
		return // running in this process already
	}
	s.buying.progress[b.ID] = p
	s.buying.mu.Unlock()
	s.buying.wg.Add(1)
	go func() {
		defer s.buying.wg.Done()
		defer func() {
			s.buying.mu.Lock()
			delete(s.buying.progress, b.ID)
			s.buying.mu.Unlock()
		}()
		stopBeat := s.heartbeat(b.ID, v.PlanSHA256, p)
		state, statuses, msg, err := s.run(b, v, p, resumed)
		stopBeat()
		var held *pgstate.HeldError
		if resumed && errors.As(err, &held) {
			s.o.Log.WithField("batch", b.ID).Debugf("not resumed: %v", err)
			return
		}
		recorded := false
		_, err = s.o.Store.UpdateBatch(b.ID, func(b *store.Batch) error {
			// Only a purchase still buying: with a shared store, another
			// instance may have finished and recorded it.
			if b.Purchase != nil && b.Purchase.PlanSHA256 == v.PlanSHA256 && b.Purchase.State == StatusBuying {
				b.Purchase.State, b.Purchase.Finished, b.Purchase.Statuses, b.Purchase.Error = state, s.o.Now().UTC(), statuses, msg
				b.Purchase.Progress = nil
				recorded = true
			}
			return nil
		})
		if err != nil {
			s.o.Log.WithError(err).WithField("batch", b.ID).Error("the purchase's outcome could not be kept (the journal has it: restart to write it)")
		}
		if recorded {
			_ = s.o.Store.Audit(store.Entry{At: s.o.Now().UTC(), Who: "importer", Action: "purchase " + state, Batch: b.ID, Detail: msg})
		}
	}()
}

// run is one purchase, recovered from a panic into a failed state.
func (s *Server) run(b *store.Batch, v *store.Version, p *progress, resumed bool) (state string, statuses map[string]int, msg string, err error) {
	defer func() {
		if r := recover(); r != nil {
			state, msg = StatusFailed, fmt.Sprintf("internal error: %v", r)
			s.o.Log.WithField("batch", b.ID).Errorf("purchase: %s", msg)
		}
	}()
	wk, err := s.newWork(b.ID, v.N, v.SheetFile(), store.FilePlan) // what the core reads; it makes the rest
	if err != nil {
		return StatusFailed, nil, importer.Message(err), err
	}
	co := importer.CheckOptions{Results: wk.path(store.FileResults), Now: s.o.Now(), Log: s.o.Log}
	so := importer.SubmitOptions{Batch: b.Name, Plan: wk.path(store.FilePlan), RunID: runOf(b), State: s.state(b), Lease: s.o.Lease, WaitForBatch: s.o.WaitForBatch,
		Summary: wk.path(store.FileSummary), Concurrency: 5, Log: s.o.Log, Progress: p}
	if resumed {
		so.WaitForBatch = 0
	}
	done, err := importer.SubmitSheet(s.ctx, wk.path(v.SheetFile()), co, so, s.o.Conn)
	state = importer.PurchaseState(done, err)
	if err != nil {
		msg = importer.Message(err)
	}
	if done != nil {
		statuses = done.Summary.Statuses
	}
	if kerr := s.keep(wk, done); kerr != nil {
		msg = strings.TrimSpace(msg + " The results of the purchase could not be kept (" + importer.Message(kerr) + "), so this page may show the rows as they were before it; the app's log says where they are.")
	}
	return state, statuses, msg, err
}

// runOf names the run of b's purchase ("" for a purchase started before
// purchases were named: a new name).
func runOf(b *store.Batch) string {
	if b.Purchase == nil {
		return ""
	}
	return b.Purchase.RunID
}

// keep puts a purchase's results into the store. Should that fail, the
// work folder is left where it is, and said where, for an operator: the
// journal has every outcome too, and a resumed purchase writes them again.
func (s *Server) keep(wk *work, done *importer.Submitted) error {
	if done == nil {
		wk.close()
		return nil
	}
	err := writeRows(wk.path(store.FileRows), done.Run)
	if err == nil {
		err = wk.put(made...)
	}
	if err != nil {
		s.o.Log.WithError(err).WithField("batch", wk.id).Errorf("the purchase's results could not be kept; they are in %s", wk.dir)
		return err
	}
	wk.close()
	return nil
}

// state is where the batch's purchase is journaled: the shared PostgreSQL
// journal (Options.State), where the batch, by its name, is held by one
// run at a time across hosts, the CLI's and watchers' too; else the
// batch's own journal file.
func (s *Server) state(b *store.Batch) string {
	if s.o.State != "" {
		return s.o.State
	}
	return s.journal(b)
}

// journal is the batch's own journal in the data directory (the sandbox's
// saved state, with --sandbox, lies beside it).
func (s *Server) journal(b *store.Batch) string {
	return filepath.Join(s.o.Data, "journals", b.ID+".journal")
}

// resumeOrphans, with a shared journal (Options.State), is a look (every
// orphanTick) for purchases left buying with nobody running them (their
// instance died): each is resumed by whichever instance takes its batch's
// lease first; the others find it held and leave it.
func (s *Server) resumeOrphans() {
	if err := s.Resume(); err != nil {
		s.o.Log.WithError(err).Warn("looking for purchases to resume")
	}
}

// lease is how long a run's hold on its batch lasts (Options.Lease, at
// least the journal's least).
func (s *Server) lease() time.Duration { return max(s.o.Lease, 3*time.Second) }

// beatEvery is how often a run buying says it is alive, and how far it
// is, with a shared store: often enough for the batch page, which asks
// every 2 s; a purchase silent for two leases is taken for orphaned.
func (s *Server) beatEvery() time.Duration { return min(s.lease()/3, 2*time.Second) }

// heartbeat keeps the purchase's heartbeat and progress fresh while it is
// bought here (with a shared store), until the returned stop is called.
func (s *Server) heartbeat(id, plan string, prog *progress) (stop func()) {
	if s.o.State == "" {
		return func() {}
	}
	done := make(chan struct{})
	beat := func() {
		now := prog.snapshot()
		_, err := s.o.Store.UpdateBatch(id, func(b *store.Batch) error {
			if p := b.Purchase; p != nil && p.PlanSHA256 == plan && p.State == StatusBuying {
				p.Heartbeat, p.Progress = time.Now().UTC(), &now
			}
			return nil
		})
		if err != nil {
			s.o.Log.WithError(err).WithField("batch", id).Warn("the purchase's heartbeat could not be kept")
		}
	}
	beat()
	go func() {
		t := time.NewTicker(s.beatEvery())
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				beat()
			}
		}
	}()
	return func() { close(done) }
}

// orphaned: with a shared store, nobody has said for two leases that they
// are buying it (without one, this process was the only one that could).
func (s *Server) orphaned(p *store.Purchase) bool {
	if s.o.State == "" {
		return true
	}
	last := p.Started
	if p.Heartbeat.After(last) {
		last = p.Heartbeat
	}
	return time.Since(last) > 2*s.lease()
}

// Resume finishes the purchases a stopped process left buying: the
// journal knows what was sent, so nothing is bought twice. With a shared
// store, only those whose heartbeat stopped (their instance died).
func (s *Server) Resume() error {
	all, err := s.o.Store.Batches()
	if err != nil {
		return err
	}
	for _, b := range all {
		if p := b.Purchase; p != nil && p.State == StatusBuying && b.Current().PlanSHA256 == p.PlanSHA256 && s.orphaned(p) {
			s.o.Log.WithField("batch", b.ID).Info("resuming a purchase a stopped run left")
			s.buy(b, true)
		}
	}
	return nil
}

// Wait waits for the purchases and follow-ups in flight (after the context
// given to New ended, purchases finish their carts and stop).
func (s *Server) Wait() { s.buying.wg.Wait() }
