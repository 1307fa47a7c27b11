package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/store"
)

// followUp asks Partner Center where the orders of the batch's purchase
// stand (the core's status, as importer status): each row's order status
// and provisioning go into the results workbook and the rows, and the
// counts into the batch. It reads and never buys, so anyone may ask. The
// asking goes on in the background (a large batch takes minutes at
// Partner Center's pace, longer than a proxy keeps a request open); the
// batch's page and API say it is under way, and show the answer when it
// is in.
func (s *Server) followUp(r *http.Request) (*store.Batch, error) {
	b, err := s.startAsking(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	e := auditEntry(callerOf(r.Context()), "follow-up", b.ID)
	s.buying.wg.Add(1)
	go func() {
		defer s.buying.wg.Done()
		defer s.buying.endFollowUp(b.ID)
		if _, err := s.ask(s.ctx, b, e); err != nil {
			s.o.Log.WithError(err).WithField("batch", b.ID).Warn("follow-up")
		}
	}()
	return b, nil
}

// followUpBatch is a follow-up of batch id, audited as by e's caller, in
// the caller's goroutine (the automatic follow-up's).
func (s *Server) followUpBatch(ctx context.Context, id string, e store.Entry) (*store.Batch, error) {
	b, err := s.startAsking(id)
	if err != nil {
		return nil, err
	}
	defer s.buying.endFollowUp(b.ID)
	return s.ask(ctx, b, e)
}

// startAsking marks batch id as being asked about, if it may be: it was
// bought, and nobody here is buying it or asking about it.
func (s *Server) startAsking(id string) (*store.Batch, error) {
	if s.o.Conn == nil {
		return nil, fail(http.StatusConflict, "this server has no connection to Partner Center to ask")
	}
	b, err := s.o.Store.Batch(id)
	if err != nil {
		return nil, err
	}
	if err := importer.MayFollowUp(b); err != nil {
		return nil, err
	}
	if !s.buying.startFollowUp(b.ID) {
		return nil, fail(http.StatusConflict, "this batch is being bought, or someone is asking about its orders already; look again in a moment")
	}
	return b, nil
}

// ask asks Partner Center about b's orders and keeps the answer. When
// Partner Center could not be asked at all, the counts stay as they were
// and the batch says why.
func (s *Server) ask(ctx context.Context, b *store.Batch, e store.Entry) (*store.Batch, error) {
	v := b.Current()
	wk, err := s.newWork(b.ID, v.N, v.SheetFile()) // what the core reads; it makes the rest
	if err != nil {
		return nil, err
	}
	defer wk.close()
	co := importer.CheckOptions{Results: wk.path(store.FileResults), Now: s.o.Now(), Log: s.o.Log}
	so := importer.StatusOptions{Batch: b.Name, State: s.state(b), Lease: s.o.Lease, WaitForBatch: s.o.WaitForBatch,
		Summary: wk.path(store.FileSummary), Concurrency: 5, Log: s.o.Log}
	f, err := importer.Status(ctx, wk.path(v.SheetFile()), co, so, s.o.Conn)
	fu := &store.FollowUp{At: s.o.Now().UTC(), By: e.Who}
	switch {
	case f == nil && ctx.Err() != nil:
		return nil, err // the app is stopping: nothing was learned, nothing to keep
	case f == nil:
		if last := b.Purchase.FollowUp; last != nil {
			fu.Done, fu.Pending, fu.Failed = last.Done, last.Pending, last.Failed
		}
		fu.Error = "Partner Center could not be asked: " + importer.Message(err)
	case err != nil && importer.FaultOf(err) != importer.FaultRows:
		fu.Error = importer.Message(err)
	}
	if f != nil {
		fu.Done, fu.Pending, fu.Failed = f.Done, f.Pending, f.Failed
		if werr := writeRows(wk.path(store.FileRows), f.Run); werr != nil {
			return nil, werr
		}
		if werr := wk.put(made...); werr != nil {
			return nil, werr
		}
	}
	b, uerr := s.o.Store.UpdateBatch(b.ID, func(b *store.Batch) error {
		if b.Purchase != nil && b.Purchase.PlanSHA256 == v.PlanSHA256 {
			b.Purchase.FollowUp = fu
		}
		return nil
	})
	if uerr != nil {
		return nil, uerr
	}
	e.At, e.Detail = s.o.Now().UTC(), fmtFollowUp(fu)
	if aerr := s.o.Store.Audit(e); aerr != nil {
		return nil, aerr
	}
	if f == nil {
		return b, errors.New(fu.Error)
	}
	return b, nil
}

func fmtFollowUp(f *store.FollowUp) string {
	s := fmt.Sprintf("%d rows provisioned, %d pending, %d failed", f.Done, f.Pending, f.Failed)
	if f.Error != "" {
		s += " (" + f.Error + ")"
	}
	return s
}

func (s *Server) followUpAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := s.followUp(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, s.view(b, false))
	return nil
}

func (s *Server) followUpForm(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.followUp(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
	return nil
}

// startFollowUp marks the batch as being asked about, unless it is, or
// is being bought: both use the batch's journal, which one holds at a time.
func (p *purchases) startFollowUp(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.following[id] || p.progress[id] != nil {
		return false
	}
	p.following[id] = true
	return true
}

func (p *purchases) endFollowUp(id string) {
	p.mu.Lock()
	delete(p.following, id)
	p.mu.Unlock()
}

// isFollowing reports whether someone is asking about the batch's orders.
func (p *purchases) isFollowing(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.following[id]
}
