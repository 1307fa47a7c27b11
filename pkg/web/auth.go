package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/cspimporter/importer/pkg/store"
)

// Caller is who makes a request.
type Caller struct {
	ID    string // "token:NAME" for an API token: an identity of its own for the four-eyes rule
	Roles []string
	From  string // the client's address
}

// Has reports whether the caller has one of the roles (admin has all).
func (c *Caller) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(c.Roles, r) {
			return true
		}
	}
	return slices.Contains(c.Roles, RoleAdmin)
}

type callerKey struct{}

func callerOf(ctx context.Context) *Caller { c, _ := ctx.Value(callerKey{}).(*Caller); return c }

func withCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// api wraps a handler: the caller must be signed in (401) and have one of
// roles (403); the handler's error is answered as JSON.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request) error, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		var refused *apiError
		if errors.As(err, &refused) {
			writeError(w, refused.status, refused.msg)
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="importer"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		if !c.Has(roles...) {
			writeError(w, http.StatusForbidden, "your roles ("+strings.Join(c.Roles, ", ")+") do not allow this; it needs "+strings.Join(roles, " or "))
			return
		}
		if err := h(w, r.WithContext(withCaller(r.Context(), c))); err != nil {
			s.answer(w, r, err)
		}
	})
}

// authenticate finds the caller: an API token (Authorization: Bearer), else
// a signed-in person's session, whose requests that change something carry
// its CSRF token.
func (s *Server) authenticate(r *http.Request) (*Caller, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		if c, sess := s.fromSession(r); c != nil {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				if err := s.checkCSRF(r, sess); err != nil {
					var ae *apiError
					if errors.As(err, &ae) {
						return nil, ae
					}
					return nil, &apiError{http.StatusForbidden, err.Error()}
				}
			}
			return c, nil
		}
		return nil, errors.New("sign in first, or send an API token as Authorization: Bearer TOKEN (importer token create)")
	}
	t, err := s.o.Store.TokenBySecret(strings.TrimSpace(secret))
	if err != nil {
		return nil, errors.New("that API token is not known (revoked, or mistyped)")
	}
	return &Caller{ID: "token:" + t.Name, Roles: t.Roles, From: s.clientAddr(r)}, nil
}

// audit appends to the audit log; a log that cannot be written fails the
// request it is of.
func (s *Server) auditOf(r *http.Request, action, batch, detail string) error {
	e := auditEntry(callerOf(r.Context()), action, batch)
	e.At, e.Detail = s.o.Now().UTC(), detail
	return s.o.Store.Audit(e)
}

func auditEntry(c *Caller, action, batch string) store.Entry {
	return store.Entry{Who: c.ID, From: c.From, Action: action, Batch: batch}
}
