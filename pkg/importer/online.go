package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/online"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/validate"
)

// OnlineOptions ask Partner Center about the sheet after the offline
// rules, read-only: never a cart.
type OnlineOptions struct {
	Conn        Connector // Partner Center, or the sandbox
	Concurrency int       // reads in flight at once
	// With the sandbox, the batch's saved state is read (as a submission
	// of it would find it): --state's, else the batch's in StateDir.
	State, StateDir, Batch string
}

// checkOnline asks Partner Center about every customer and item of the
// sheet and adds what it says to the rows. Where the sheet and catalog
// did not say a product's type and Partner Center does, the offline rules
// run again with it. A sign-in that fails is FaultSurroundings; rows that
// could not be checked are counted in s.Online.
func (s *CheckedSheet) checkOnline(ctx context.Context, o OnlineOptions, log logrus.FieldLogger) error {
	remote, err := o.Conn.Remote(ctx)
	if err != nil {
		return err
	}
	if remote.Sandbox {
		if remote, err = remote.sandboxFor(o.sandboxState(s.Input), true); err != nil {
			return surroundingsFault(err)
		}
		defer remote.close()
	}
	if err := signIn(ctx, remote); err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"endpoint": remote.Endpoint, "customers": len(s.Carts)}).Info("checking the sheet online")
	facts, err := online.Read(ctx, remote.Client, s.Checked, online.Options{Concurrency: max(1, o.Concurrency)})
	if err != nil {
		if errors.As(err, new(*pc.AuthError)) {
			return surroundingsFault(err)
		}
		return surroundingsFault(fmt.Errorf("checking online: %w", err))
	}
	if types := facts.Types(); len(types) > 0 {
		vo := s.rules
		vo.Types = types
		s.Checked = validate.New(vo).Check(s.File.Rows)
	}
	s.countries = map[string]string{}
	for id, cu := range facts.Customers {
		if cu.Found {
			s.countries[id] = cu.Country
		}
	}
	unchecked := online.Apply(s.Checked, facts)
	s.Online = &report.Online{At: s.Now.UTC(), Unchecked: unchecked}
	log.WithField("unchecked_rows", unchecked).Info("checked the sheet online")
	return nil
}

// sandboxState is the saved state a sandbox submission of the sheet would
// use ("" when there is no state directory: a fresh simulator).
func (o OnlineOptions) sandboxState(input string) string {
	if o.State != "" {
		return SandboxStatePath(o.State)
	}
	if o.StateDir == "" {
		return ""
	}
	return filepath.Join(o.StateDir, "sandbox", fileSafe(BatchName(o.Batch, input))+".sandbox")
}
