package web

import (
	"errors"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
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
			if !importer.FollowUpDue(b, now, s.o.FollowUp) || now.Sub(tried[b.ID]) < s.o.FollowUp {
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
