package main

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
)

// connectFlags say how to reach Partner Center (or the sandbox): submit's,
// and validate --online's.
type connectFlags struct {
	sandbox     bool
	endpoint    string
	tokenURL    string
	credentials string
	rate        int
	timeout     time.Duration
	maxAttempts int
}

func defaultConnectFlags() connectFlags {
	c := importer.DefaultConnectOptions()
	return connectFlags{endpoint: c.Endpoint, tokenURL: c.TokenURL, rate: c.Rate, timeout: c.Timeout, maxAttempts: c.MaxAttempts}
}

// register adds the flags; verb says what --sandbox does ("submit to").
func (o *connectFlags) register(f *pflag.FlagSet, verb string) {
	f.BoolVar(&o.sandbox, "sandbox", false, verb+" the built-in Partner Center simulator, started in-process (no credentials needed)")
	f.StringVar(&o.endpoint, "endpoint", o.endpoint, "Partner Center API base URL")
	f.StringVar(&o.tokenURL, "token-url", o.tokenURL, "token endpoint; {tenant} is replaced by the tenant id")
	f.StringVar(&o.credentials, "credentials", "", "file of KEY=VALUE credentials (readable by its owner only)")
	f.IntVar(&o.rate, "rate", o.rate, "requests per minute, across all carts")
	f.DurationVar(&o.timeout, "timeout", o.timeout, "timeout of one request")
	f.IntVar(&o.maxAttempts, "max-attempts", o.maxAttempts, "attempts of one request on 5xx answers, timeouts and dropped connections (429s are waited out on top)")
}

// check refuses values no connection can work with.
func (o *connectFlags) check(concurrency int) error {
	if concurrency < 1 || o.rate < 1 || o.timeout <= 0 || o.maxAttempts < 1 {
		return errors.New("--concurrency, --rate, --timeout and --max-attempts must be above 0")
	}
	return nil
}

// connectOptions are the options of the core's connection.
func (a *app) connectOptions(o connectFlags) importer.ConnectOptions {
	return importer.ConnectOptions{Sandbox: o.sandbox, Endpoint: o.endpoint, TokenURL: o.tokenURL, Credentials: o.credentials, Getenv: a.getenv,
		Rate: o.rate, Timeout: o.timeout, MaxAttempts: o.maxAttempts, Log: a.log, Secrets: a.secrets}
}
