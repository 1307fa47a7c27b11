// Package web is `importer serve`: the JSON API (and, next, the pages) a
// finance team and its controllers use to upload sheets, see their
// problems and approve what is bought. It calls the application core
// (pkg/importer) for every check and keeps what it learns in the store
// (pkg/store); it holds no business rule of its own.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/sirupsen/logrus"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/store"
)

// Store is where the app keeps what it knows: its batches (every
// version), their decisions and purchases, the audit log, API tokens and
// sessions. pkg/store is the embedded one (bbolt in the data directory).
type Store interface {
	// Reserve gives an upload of the batch named name its version number
	// (check may refuse the batch as it is); AddVersion adds the checked
	// version.
	Reserve(name string, now time.Time, check func(*store.Batch) error) (*store.Batch, int, error)
	AddVersion(id string, v store.Version) (*store.Batch, error)
	// Batch and Batches answer store.ErrNotFound for a batch whose first
	// version is still being checked.
	Batch(id string) (*store.Batch, error)
	Batches() ([]*store.Batch, error)
	// UpdateBatch changes a batch under the store's write lock; f's error
	// is returned and nothing is written.
	UpdateBatch(id string, f func(*store.Batch) error) (*store.Batch, error)
	// Audit appends to the audit log, which is never changed.
	Audit(e store.Entry) error
	AuditLog() ([]store.Entry, error)
	TokenBySecret(secret string) (*store.Token, error)
	Tokens() ([]store.Token, error)
	RevokeToken(name string) error
	PutSession(id string, s store.Session) error
	Session(id string, now time.Time) (*store.Session, error)
	DeleteSession(id string) error
	DropExpiredSessions(now time.Time) error
	// PutSignIn keeps a sign-in under way; TakeSignIn returns it once.
	PutSignIn(state string, in store.SignIn) error
	TakeSignIn(state string, now time.Time) (*store.SignIn, error)
	// PutFile keeps one of a version's files (its sheet, plan, results
	// workbook, summary, rows) under a slash-separated name, replacing the
	// one it had; File answers store.ErrNotFound for one it has not.
	PutFile(id string, version int, name string, data []byte) error
	File(id string, version int, name string) ([]byte, error)
}

var _ Store = (*store.Store)(nil)

// Options configure the server.
type Options struct {
	Store Store
	// Data is the folder the app works in: the core reads and writes a
	// version's files (kept in the Store) in its work folder, and (without
	// State) the purchases' journals are kept here.
	Data string
	// Conn is Partner Center (or the sandbox), for purchases.
	Conn importer.Connector
	// Context bounds the purchases: once it ends, they finish the carts in
	// flight and stop (Resume finishes them on the next start).
	Context context.Context
	// OIDC, if set, signs people in (pages and the API by session).
	OIDC *OIDC
	// State, if set, is a postgres:// URL: purchases are journaled there,
	// shared with every host that names it (other app instances, the CLI,
	// watchers), each batch (by name) held by one run at a time; Lease and
	// WaitForBatch say for how long, and how long a purchase waits while
	// another run holds its batch. "": a journal file per batch in the
	// data directory.
	State               string
	Lease, WaitForBatch time.Duration
	// Prices is the price list every upload is priced with ("" none).
	Prices string
	// TrustProxy honours X-Forwarded-For and X-Forwarded-Proto: only
	// behind a reverse proxy that sets them.
	TrustProxy bool
	// MaxChecks is how many sheets are checked at once (default the number
	// of CPUs): each check of a large sheet holds it in memory, so this
	// bounds the app's memory however many people upload at once; the
	// others wait their turn.
	MaxChecks int
	// FollowUp is how often the app asks Partner Center where the orders
	// of bought batches stand, until each is provisioned or failed (0:
	// only when someone asks).
	FollowUp time.Duration
	// followUpTick is how often due follow-ups are looked for (default a
	// minute; tests make it shorter).
	followUpTick time.Duration
	// orphanTick is how often, with a shared journal, purchases another
	// instance left buying are looked for (default the lease).
	orphanTick time.Duration
	// Settings are what the admin page shows of how the app was started.
	Settings []Setting
	// MaxUpload bounds an uploaded sheet, in bytes (default 25 MB).
	MaxUpload int64
	Log       logrus.FieldLogger
	Now       func() time.Time // default time.Now
}

// Server serves the API.
type Server struct {
	o      Options
	ctx    context.Context
	mux    *http.ServeMux
	buying purchases
	checks chan struct{} // a token per check running

	oidcOnce     sync.Mutex
	oidcProvider *oidc.Provider
}

// Roles a caller can have.
const (
	RoleSubmitter = "submitter" // upload, check, download
	RoleApprover  = "approver"  // approve or reject a plan
	RoleBuyer     = "buyer"     // start the purchase of an approved batch
	RoleAdmin     = "admin"     // everything
)

// Roles lists every role.
var Roles = []string{RoleSubmitter, RoleApprover, RoleBuyer, RoleAdmin}

// New returns a server.
func New(o Options) *Server {
	if o.Data == "" {
		panic("web.New: Options.Data (the folder for the app's files) is not set")
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = 25 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		o.Log = l
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.MaxChecks <= 0 {
		o.MaxChecks = runtime.NumCPU()
	}
	s := &Server{o: o, ctx: o.Context, mux: http.NewServeMux(), buying: purchases{progress: map[string]*progress{}, following: map[string]bool{}}, checks: make(chan struct{}, o.MaxChecks)}
	if o.Store != nil {
		if err := o.Store.DropExpiredSessions(time.Now()); err != nil {
			o.Log.WithError(err).Warn("ended sessions could not be removed")
		}
	}
	s.sweepWork()
	s.routes()
	if o.State != "" && o.Conn != nil {
		if s.o.orphanTick <= 0 {
			s.o.orphanTick = s.lease()
		}
		s.every(s.o.orphanTick, s.resumeOrphans)
	}
	if o.FollowUp > 0 && o.Conn != nil {
		if s.o.followUpTick <= 0 {
			s.o.followUpTick = min(time.Minute, o.FollowUp)
		}
		s.every(s.o.followUpTick, s.followUps)
	}
	return s
}

// every runs f every d in the background until the server's context ends
// (Wait waits for it).
func (s *Server) every(d time.Duration, f func()) {
	s.buying.wg.Add(1)
	go func() {
		defer s.buying.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
}

func (s *Server) routes() {
	anyone := []string{RoleSubmitter, RoleApprover, RoleBuyer, RoleAdmin}
	s.mux.Handle("POST /api/v1/batches", s.api(s.upload, RoleSubmitter, RoleAdmin))
	s.mux.Handle("GET /api/v1/batches", s.api(s.list, anyone...))
	s.mux.Handle("GET /api/v1/batches/{id}", s.api(s.get, anyone...))
	s.mux.Handle("GET /api/v1/batches/{id}/rows", s.api(s.rows, anyone...))
	s.mux.Handle("GET /api/v1/batches/{id}/results.xlsx", s.api(s.results, anyone...))
	s.mux.Handle("GET /api/v1/batches/{id}/summary.json", s.api(s.summary, anyone...))
	s.mux.Handle("POST /api/v1/batches/{id}/approval", s.api(s.approve, RoleApprover, RoleAdmin))
	s.mux.Handle("POST /api/v1/batches/{id}/approval-request", s.api(s.request, RoleSubmitter, RoleAdmin))
	s.mux.Handle("POST /api/v1/batches/{id}/submission", s.api(s.submission, RoleBuyer, RoleAdmin))
	s.mux.Handle("POST /api/v1/batches/{id}/follow-up", s.api(s.followUpAPI, anyone...))
	s.mux.Handle("GET /api/v1/audit", s.api(s.audit, RoleApprover, RoleAdmin))
	s.mux.HandleFunc("GET /signin", s.signIn)
	s.mux.HandleFunc("GET /auth/callback", s.callback)
	s.mux.HandleFunc("POST /signout", s.signOut)
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.Handle("GET /static/", static())
	s.mux.Handle("GET /upload", s.signedPage(s.uploadPage, RoleSubmitter))
	s.mux.Handle("POST /upload", s.signedPage(s.uploadForm, RoleSubmitter))
	s.mux.Handle("GET /batches/{id}", s.signedPage(s.batchPage, anyone...))
	s.mux.Handle("GET /batches/{id}/plan", s.signedPage(s.planPage, anyone...))
	s.mux.Handle("POST /batches/{id}/decision", s.signedPage(s.decisionForm, RoleApprover))
	s.mux.Handle("POST /batches/{id}/request", s.signedPage(s.requestForm, RoleSubmitter))
	s.mux.Handle("GET /batches/{id}/progress", s.signedPage(s.progressPart, anyone...))
	s.mux.Handle("POST /batches/{id}/purchase", s.signedPage(s.purchaseForm, RoleBuyer))
	s.mux.Handle("POST /batches/{id}/follow-up", s.signedPage(s.followUpForm, anyone...))
	s.mux.Handle("GET /audit", s.signedPage(s.auditPage, RoleApprover))
	s.mux.Handle("GET /admin", s.signedPage(s.adminPage, RoleAdmin))
	s.mux.Handle("POST /admin/tokens/revoke", s.signedPage(s.revokeTokenForm, RoleAdmin))
	s.mux.Handle("GET /audit.csv", s.signedPage(s.auditCSV, RoleApprover))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API route: "+r.Method+" "+r.URL.Path)
	})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// apiError is an error with the status to answer it with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func fail(status int, msg string) error { return &apiError{status, msg} }

// writeError answers {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// answer writes err as its status, or 500 for an error that is not the
// caller's (logged, not shown: it may name paths or worse).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var no *importer.Refusal
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.msg)
	case errors.As(err, &no):
		writeError(w, refusalStatus(no.Kind), no.Msg)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such batch")
	default:
		s.o.Log.WithError(err).WithField("path", r.URL.Path).Error("request failed")
		writeError(w, http.StatusInternalServerError, "the request could not be done; the server's log says why")
	}
}

// refusalStatus answers a rule's refusal: 403 for who asks (four eyes),
// 409 for where the batch stands, 400 for what was asked.
func refusalStatus(k importer.RefusalKind) int {
	switch k {
	case importer.NotYou:
		return http.StatusForbidden
	case importer.BadInput:
		return http.StatusBadRequest
	}
	return http.StatusConflict
}
