package main

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
)

// stateFlags say where the journal is: a file, or a PostgreSQL database
// shared by hosts, where a run holds its batch by a lease.
type stateFlags struct {
	state        string
	lease        time.Duration
	waitForBatch time.Duration
}

// register adds the flags, with o's values as their defaults (a zero
// lease: 20s).
func (o *stateFlags) register(f *pflag.FlagSet, what string) {
	if o.lease == 0 {
		o.lease = 20 * time.Second
	}
	f.StringVar(&o.state, "state", "", what+", or postgres://USER@HOST/DB to share it with other hosts (the password from PGPASSWORD or ~/.pgpass, never shown)")
	f.DurationVar(&o.lease, "lease", o.lease, "with a postgres:// --state: how long this run's hold on its batch lasts without renewal; another host takes a dead run's batch over that much later")
	f.DurationVar(&o.waitForBatch, "wait-for-batch", o.waitForBatch, "with a postgres:// --state: how long to wait while another run holds the batch (0: refuse at once, naming it)")
}

func (o *stateFlags) check() error {
	if o.lease < 3*time.Second || o.lease > 10*time.Minute {
		return errors.New("--lease: between 3s and 10m")
	}
	if o.waitForBatch < 0 {
		return errors.New("--wait-for-batch must not be below 0")
	}
	return nil
}
