package web

import (
	"errors"
	"time"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/store"
)

// followUps asks Partner Center (a look every followUpTick) where the
// orders of each bought batch stand, every Options.FollowUp, until every
// one is provisioned or failed (as watch --follow-up does for an inbox), so
// the batch page and the results workbook show it without anyone asking.
func (s *Server) followUps() {
	all, err := s.o.Store.Batches()
	if err != nil {
		s.o.Log.WithError(err).Error("follow-up: the batches could not be read")
		return
	}
	now := s.o.Now()
	for _, b := range all {
		if s.ctx.Err() != nil {
			return
		}
		if !importer.FollowUpDue(b, now, s.o.FollowUp) || !s.takeFollowUp(b.ID, now) {
			continue
		}
		_, err := s.followUpBatch(s.ctx, b.ID, store.Entry{Who: "importer", Action: "follow-up", Batch: b.ID})
		var busy *apiError
		if err != nil && !(errors.As(err, &busy) && busy.status == 409) {
			s.o.Log.WithError(err).WithField("batch", b.ID).Warn("follow-up: Partner Center could not be asked; trying again later")
		}
	}
}

// takeFollowUp takes up the automatic follow-up of batch id unless it is
// not due, or was taken up (here, or by another instance of the app on the
// same store) less than Options.FollowUp ago, answered or not.
func (s *Server) takeFollowUp(id string, now time.Time) bool {
	taken := false
	_, err := s.o.Store.UpdateBatch(id, func(b *store.Batch) error {
		if p := b.Purchase; importer.FollowUpDue(b, now, s.o.FollowUp) && now.Sub(p.FollowUpTried) >= s.o.FollowUp {
			p.FollowUpTried, taken = now.UTC(), true
		}
		return nil
	})
	if err != nil {
		s.o.Log.WithError(err).WithField("batch", id).Warn("follow-up: the batch could not be read")
		return false
	}
	return taken
}
