package importer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
)

// ConnectOptions say what to talk to and how fast.
type ConnectOptions struct {
	// Sandbox: the built-in Partner Center simulator, started in-process;
	// no credentials are needed and nothing is real.
	Sandbox  bool
	Endpoint string // Partner Center API base URL
	TokenURL string // token endpoint; {tenant} is the tenant id
	// Credentials is a file of KEY=VALUE lines; Getenv (nil: none) gives
	// the environment, which wins.
	Credentials string
	Getenv      func(string) string
	Rate        int           // requests per minute, across all carts
	Timeout     time.Duration // of one request
	MaxAttempts int           // of one request
	Log         logrus.FieldLogger
	// Secrets gets the client secret and refresh token, before anything
	// could log them.
	Secrets *Secrets
}

// DefaultConnectOptions are Partner Center's, at a pace under its limits.
func DefaultConnectOptions() ConnectOptions {
	return ConnectOptions{Endpoint: pc.DefaultEndpoint, TokenURL: pc.DefaultTokenURL, Rate: 300, Timeout: 60 * time.Second, MaxAttempts: pc.DefaultMaxAttempts}
}

// Check refuses options no connection can work with.
func (o *ConnectOptions) Check() error {
	if o.Rate < 1 || o.Timeout <= 0 || o.MaxAttempts < 1 {
		return errors.New("--rate, --timeout and --max-attempts must be above 0")
	}
	return nil
}

// Remote is what a submission talks to: Partner Center, or the sandbox.
type Remote struct {
	Client   *pc.Client
	Tokens   *pc.Tokens
	Endpoint string
	Sandbox  bool
	opts     ConnectOptions
	close    func()
}

// Connection is a connection to Partner Center made on first use and shared
// by every submission that uses it: one token and one rate limiter, so the
// rate is the tenant's budget, not each sheet's. Close it when done.
type Connection struct {
	o      ConnectOptions
	mu     sync.Mutex
	remote *Remote
}

// NewConnection connects with o when first asked to.
func NewConnection(o ConnectOptions) *Connection { return &Connection{o: o} }

// Remote returns the connection's remote, connecting first if need be.
// Every error is FaultSurroundings.
func (c *Connection) Remote(ctx context.Context) (*Remote, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remote == nil {
		r, err := connect(ctx, c.o)
		if err != nil {
			return nil, surroundingsFault(err)
		}
		c.remote = r
	}
	return c.remote, nil
}

// Sandbox: the connection is (or will be) to the simulated Partner Center.
func (c *Connection) Sandbox() bool { return c.o.Sandbox }

// Close stops what the connection started (the sandbox).
func (c *Connection) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remote != nil {
		c.remote.close()
		c.remote = nil
	}
}

func connect(_ context.Context, o ConnectOptions) (*Remote, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Sandbox {
		// The simulator is started for each batch, on the batch's own saved
		// state (see sandboxFor).
		return &Remote{Sandbox: true, opts: o, close: func() {}}, nil
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	creds, err := LoadCredentials(o.Credentials, getenv)
	if err != nil {
		return nil, err
	}
	r := &Remote{Endpoint: o.Endpoint, opts: o, close: func() {}}
	if err := r.dial(o.TokenURL, creds); err != nil {
		return nil, err
	}
	return r, nil
}

// dial sets up the remote's sign-in and client.
func (r *Remote) dial(tokenTemplate string, creds pc.Credentials) error {
	o := r.opts
	o.Secrets.Add(creds.ClientSecret, creds.RefreshToken)
	tokenURL := pc.TokenURL(tokenTemplate, creds.TenantID)
	if err := CheckURL(tokenURL); err != nil {
		return fmt.Errorf("--token-url: %w", err)
	}
	hc := &http.Client{Timeout: o.Timeout}
	r.Tokens = pc.NewTokens(creds, tokenURL, hc)
	client, err := pc.NewClient(pc.Options{Endpoint: r.Endpoint, Tokens: r.Tokens, HTTP: hc,
		RequestsPerMinute: o.Rate, Timeout: o.Timeout, MaxAttempts: o.MaxAttempts})
	if err != nil {
		return err
	}
	r.Client = client
	return nil
}

// sandboxFor starts the simulator for one batch on its saved state (state,
// created if need be; only read, with readOnly), so that it answers as
// Partner Center would after the batch's earlier runs; close the remote it
// returns when done.
func (r *Remote) sandboxFor(state string, readOnly bool) (*Remote, error) {
	sb, base, stop, err := StartSandbox(state, readOnly)
	if err != nil {
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	logOrDiscard(r.opts.Log).WithFields(logrus.Fields{"endpoint": base, "state": state}).Info("started the Partner Center sandbox")
	var creds pc.Credentials
	creds.TenantID, creds.ClientID, creds.ClientSecret, _ = sb.Credentials()
	b := &Remote{Endpoint: base, Sandbox: true, opts: r.opts, close: stop}
	if err := b.dial(base+"/{tenant}/oauth2/token", creds); err != nil {
		stop()
		return nil, err
	}
	return b, nil
}

// StartSandbox serves the simulator on a free loopback port until stop is
// called (not until an interrupt: carts in flight must get their answers).
// A state path other than "" is the file it keeps its state in (only
// reads it, with readOnly).
func StartSandbox(state string, readOnly bool) (sb *sandbox.Server, base string, stop func(), err error) {
	if sb, err = sandbox.Open(sandbox.Config{StatePath: state, ReadOnly: readOnly}); err != nil {
		return nil, "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, "127.0.0.1:0", func(base string) { ready <- base }) }()
	select {
	case base = <-ready:
		return sb, base, func() { cancel(); <-done; _ = sb.Close() }, nil
	case err = <-done:
		cancel()
		_ = sb.Close()
		return nil, "", nil, err
	}
}
