package web

import (
	"errors"
	"time"

	"github.com/cspimporter/importer/pkg/store"
)

// followUps asks Partner Center, every Options.FollowUp, where the orders
// of each bought batch stand until every one is provisioned or failed (as
// watch --follow-up does for an inbox), so the batch page and the results
// workbook show it without anyone asking. It stops with the server's
// context.
func (s *Server) followUps() {
	defer s.buying.wg.Done()
	tick := time.NewTicker(s.o.followUpTick)
	defer tick.Stop()
	tried := map[string]time.Time{} // the last try of each batch, answered or not
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		all, err := s.o.Store.Batches()
		if err != nil {
			s.o.Log.WithError(err).Error("follow-up: the batches could not be read")
			continue
		}
		now := s.o.Now()
		for _, b := range all {
			if s.ctx.Err() != nil {
				return
			}
			if !followUpDue(b, now, s.o.FollowUp) || now.Sub(tried[b.ID]) < s.o.FollowUp {
				continue
			}
			tried[b.ID] = now
			_, err := s.followUpBatch(s.ctx, b.ID, store.Entry{Who: "importer", Action: "follow-up", Batch: b.ID})
			var busy *apiError
			if err != nil && !(errors.As(err, &busy) && busy.status == 409) {
				s.o.Log.WithError(err).WithField("batch", b.ID).Warn("follow-up: Partner Center could not be asked; trying again later")
			}
		}
	}
}

// followUpDue: b's current version was bought (the purchase has ended,
// with orders to follow), Partner Center has not yet said that every order
// is settled, and the last look (or the purchase's end) is every ago.
func followUpDue(b *store.Batch, now time.Time, every time.Duration) bool {
	v, p := b.Current(), b.Purchase
	if p == nil || v == nil || p.PlanSHA256 != v.PlanSHA256 || (p.State != StatusDone && p.State != StatusProblems) {
		return false
	}
	last := p.Finished
	if f := p.FollowUp; f != nil {
		if f.Pending == 0 && f.Error == "" {
			return false // every order provisioned or failed
		}
		last = f.At
	}
	return now.Sub(last) >= every
}
