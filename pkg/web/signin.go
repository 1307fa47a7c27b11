package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cspimporter/importer/pkg/store"
)

// OIDC says how people sign in: OpenID Connect's authorization code flow
// with PKCE, against Microsoft Entra ID (or the sandbox's demo provider,
// through the same code).
type OIDC struct {
	Issuer       string // https://login.microsoftonline.com/{tenant}/v2.0
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends people back:
	// https://host/auth/callback.
	RedirectURL string
	// Roles are each person's roles, by email (lower case).
	Roles map[string][]string
	// GroupRoles are the roles of the members of each Entra group, by the
	// group's object id (lower case), read from the ID token's groups
	// claim. A person has the roles of their email and of all their groups.
	GroupRoles map[string][]string
	// HTTP is the client that talks to the provider (nil: the default).
	HTTP *http.Client
}

// session is a signed-in person's session (kept in the store, so that a
// restart signs nobody out), as a request sees it.
type session struct {
	csrf string
}

const (
	sessionCookie = "importer_session"
	stateCookie   = "importer_signin"
	sessionLife   = 8 * time.Hour
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// provider finds the identity provider's endpoints and keys (once).
func (s *Server) provider(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	s.oidcOnce.Lock()
	defer s.oidcOnce.Unlock()
	if s.oidcProvider == nil {
		if s.o.OIDC.HTTP != nil {
			ctx = oidc.ClientContext(ctx, s.o.OIDC.HTTP)
		}
		p, err := oidc.NewProvider(ctx, s.o.OIDC.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("the identity provider %s: %w", s.o.OIDC.Issuer, err)
		}
		s.oidcProvider = p
	}
	cfg := &oauth2.Config{ClientID: s.o.OIDC.ClientID, ClientSecret: s.o.OIDC.ClientSecret, RedirectURL: s.o.OIDC.RedirectURL,
		Endpoint: s.oidcProvider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	return s.oidcProvider, cfg, nil
}

// signIn sends the browser to the identity provider.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if s.o.OIDC == nil {
		http.Error(w, "sign-in is not set up on this server (API tokens only)", http.StatusNotFound)
		return
	}
	_, cfg, err := s.provider(r.Context())
	if err != nil {
		s.o.Log.WithError(err).Error("sign-in")
		http.Error(w, "the identity provider cannot be reached; try again later", http.StatusBadGateway)
		return
	}
	state, nonce, verifier := randomHex(16), randomHex(16), oauth2.GenerateVerifier()
	// In the store, so that the answer may come back to any instance.
	if err := s.o.Store.PutSignIn(state, store.SignIn{Nonce: nonce, Verifier: verifier, Expires: time.Now().Add(10 * time.Minute)}); err != nil {
		s.o.Log.WithError(err).Error("sign-in: it could not be kept")
		http.Error(w, "sign-in could not be started; try again", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback takes the provider's answer: the code, exchanged with the PKCE
// verifier, for an ID token whose signature, audience, expiry and nonce
// are checked; the person's roles come from the configuration.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(stateCookie)
	state := r.URL.Query().Get("state")
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		http.Error(w, "this sign-in was not started here (or took too long); sign in again", http.StatusBadRequest)
		return
	}
	p, err := s.o.Store.TakeSignIn(state, time.Now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.o.Log.WithError(err).Error("sign-in: it could not be read")
		}
		http.Error(w, "this sign-in expired; sign in again", http.StatusBadRequest)
		return
	}
	caller, groups, err := s.exchange(r, p)
	if err != nil {
		s.o.Log.WithError(err).Warn("sign-in refused")
		http.Error(w, "sign-in failed: "+err.Error(), http.StatusForbidden)
		return
	}
	id := randomHex(32)
	if err := s.o.Store.PutSession(id, store.Session{Who: caller.ID, Groups: groups, CSRF: randomHex(16), Expires: time.Now().Add(sessionLife)}); err != nil {
		s.o.Log.WithError(err).Error("sign-in: the session could not be kept")
		http.Error(w, "sign-in failed: the app could not keep your session; try again", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/auth", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: int(sessionLife.Seconds())})
	_ = s.o.Store.Audit(auditEntry(caller, "sign-in", ""))
	http.Redirect(w, r, "/", http.StatusFound)
}

// exchange answers who signed in, with their roles and Entra groups.
func (s *Server) exchange(r *http.Request, p *store.SignIn) (*Caller, []string, error) {
	if e := r.URL.Query().Get("error"); e != "" {
		return nil, nil, fmt.Errorf("the identity provider said %s: %s", e, r.URL.Query().Get("error_description"))
	}
	ctx := r.Context()
	if s.o.OIDC.HTTP != nil {
		ctx = oidc.ClientContext(ctx, s.o.OIDC.HTTP)
	}
	prov, cfg, err := s.provider(ctx)
	if err != nil {
		return nil, nil, err
	}
	tok, err := cfg.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return nil, nil, fmt.Errorf("the code could not be exchanged: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, nil, errors.New("the identity provider sent no ID token")
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: s.o.OIDC.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return nil, nil, errors.New("the ID token is not this sign-in's (nonce)")
	}
	var all idClaims
	if err := idt.Claims(&all); err != nil {
		return nil, nil, err
	}
	email := strings.ToLower(strings.TrimSpace(all.Email))
	if email == "" {
		email = strings.ToLower(strings.TrimSpace(all.PreferredUsername))
	}
	if email == "" {
		return nil, nil, errors.New("the ID token names nobody (no email or preferred_username claim)")
	}
	roles := s.rolesOf(email, all.Groups)
	if len(roles) == 0 {
		if _, over := all.ClaimNames["groups"]; over && len(s.o.OIDC.GroupRoles) > 0 {
			return nil, nil, fmt.Errorf("%s is in more groups than Entra ID lists in a sign-in, so the groups that give roles here cannot be read; ask the admin to give you a role by email, or to send only the groups assigned to the app (the app registration's token configuration)", email)
		}
		return nil, nil, fmt.Errorf("%s has no role in this importer; ask its admin to add you", email)
	}
	return &Caller{ID: email, Roles: roles, From: s.clientAddr(r)}, all.Groups, nil
}

// idClaims are the ID token's claims that say who someone is.
type idClaims struct {
	Email             string   `json:"email"`
	PreferredUsername string   `json:"preferred_username"`
	Groups            []string `json:"groups"`
	// ClaimNames names the claims Entra left out of the token: "groups"
	// when the person is in more groups than it lists (the overage).
	ClaimNames map[string]string `json:"_claim_names"`
}

// rolesOf are the roles of email and of its groups, each once, in the
// order of Roles.
func (s *Server) rolesOf(email string, groups []string) []string {
	has := map[string]bool{}
	for _, r := range s.o.OIDC.Roles[email] {
		has[r] = true
	}
	for _, g := range groups {
		for _, r := range s.o.OIDC.GroupRoles[strings.ToLower(g)] {
			has[r] = true
		}
	}
	var roles []string
	for _, r := range Roles {
		if has[r] {
			roles = append(roles, r)
		}
	}
	return roles
}

// signOut ends the session (a form post, with its CSRF token).
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if sess, err := s.o.Store.Session(c.Value, time.Now()); err == nil {
			if s.checkCSRF(r, &session{csrf: sess.CSRF}) != nil {
				http.Error(w, "sign out from the app's own page", http.StatusForbidden)
				return
			}
			if err := s.o.Store.DeleteSession(c.Value); err != nil {
				s.o.Log.WithError(err).Error("sign-out: the session could not be ended")
				http.Error(w, "the app could not sign you out; try again", http.StatusInternalServerError)
				return
			}
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// fromSession is the caller of a request with a live session cookie,
// with the roles their email and groups have now.
func (s *Server) fromSession(r *http.Request) (*Caller, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || s.o.OIDC == nil {
		return nil, nil
	}
	sess, err := s.o.Store.Session(c.Value, time.Now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.o.Log.WithError(err).Error("a session could not be read")
		}
		return nil, nil
	}
	roles := s.rolesOf(sess.Who, sess.Groups)
	if len(roles) == 0 {
		return nil, nil // taken out of every role since signing in
	}
	return &Caller{ID: sess.Who, Roles: roles, From: s.clientAddr(r)}, &session{csrf: sess.CSRF}
}

// checkCSRF: a request that changes something and comes with a session
// cookie must carry the session's token (a form field csrf, or the header
// X-CSRF-Token) and, when the browser says where it comes from, come from
// this server.
func (s *Server) checkCSRF(r *http.Request, sess *session) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return errors.New("the request comes from another site")
		}
	}
	// A header (scripts), else the form's field csrf.
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		var err error
		if token, err = s.formToken(r); err != nil {
			return err
		}
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(sess.csrf)) != 1 {
		return errors.New("the form is stale or not this app's; reload the page and try again")
	}
	return nil
}

// formToken is the form's csrf field. A multipart form (an upload) is
// read whole, within the upload limit, before its token is known; the
// handler then finds the parsed form, and net/http removes its files.
func (s *Server) formToken(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		return r.PostFormValue("csrf"), nil
	case strings.HasPrefix(ct, "multipart/form-data"):
		r.Body = http.MaxBytesReader(nil, r.Body, s.o.MaxUpload+1<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return "", fail(http.StatusRequestEntityTooLarge, "the sheet is over "+size(s.o.MaxUpload))
			}
			return "", fail(http.StatusBadRequest, "the form could not be read; choose the file and send it again")
		}
		return r.PostFormValue("csrf"), nil
	}
	return "", nil
}

// clientAddr is the address a request came from: the first address of
// X-Forwarded-For behind a proxy the server is told to trust, else the
// connection's.
func (s *Server) clientAddr(r *http.Request) string {
	if s.o.TrustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// secure: the browser reached the app over HTTPS (itself, or the trusted
// proxy in front of it), so cookies are only sent over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || (s.o.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}
