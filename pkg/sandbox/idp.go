package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The sandbox is also a demo identity provider, with the endpoints and the
// authorization code flow (with PKCE) of Microsoft Entra ID's v2.0, so the
// web app signs its demo users in through the code path it uses with Entra.
// Nothing about it is real: the sign-in page says so.

// DemoUser is a person of the demo.
type DemoUser struct {
	Name, Email, Roles string
	// Groups are the object ids of the Entra groups the person is in; the
	// ID token lists them in its groups claim, or, past Entra's limit of
	// 200, only says they are elsewhere (_claim_names), as Entra does.
	Groups []string
}

// maxTokenGroups is how many groups Entra ID puts in a JWT before it
// leaves them out (the "groups overage").
const maxTokenGroups = 200

// DemoUsers are the demo's people; Roles says what the web app's demo
// configuration lets each do.
var DemoUsers = []DemoUser{
	{Name: "Alice", Email: "alice@contoso.example", Roles: "submitter", Groups: []string{DemoFinanceGroup}},
	{Name: "Bob", Email: "bob@contoso.example", Roles: "approver, buyer", Groups: []string{DemoControllersGroup}},
	{Name: "Carol", Email: "carol@contoso.example", Roles: "admin"},
}

// The demo's Entra groups, by object id.
const (
	DemoFinanceGroup     = "5f1c3b1e-0d8a-4e57-9a0e-0a4f1d6b2c11"
	DemoControllersGroup = "8b2d6c4f-3e1a-4f6b-b7c9-1d2e3f4a5b6c"
)

// users are the people who can sign in: Config.Users, else DemoUsers.
func (s *Server) users() []DemoUser {
	if s.cfg.Users != nil {
		return s.cfg.Users
	}
	return DemoUsers
}

// idp is the identity provider's state.
type idp struct {
	once  sync.Once
	key   *rsa.PrivateKey
	kid   string
	mu    sync.Mutex
	codes map[string]*grant
}

// grant is an authorization code, until it is exchanged.
type grant struct {
	user                             DemoUser
	clientID, redirectURI, challenge string
	nonce                            string
	expires                          time.Time
}

func (p *idp) init() {
	p.once.Do(func() {
		p.key, _ = rsa.GenerateKey(rand.Reader, 2048)
		p.kid = randomToken()[:16]
		p.codes = map[string]*grant{}
	})
}

// Issuer is the demo identity provider's issuer for a sandbox at base.
func (s *Server) Issuer(base string) string { return base + "/" + s.cfg.TenantID + "/v2.0" }

func (s *Server) idpRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleDiscovery)
	m.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleKeys)
	m.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
}

func base(r *http.Request) string { return "http://" + r.Host }

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	t := s.cfg.TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.Issuer(base(r)),
		"authorization_endpoint":                base(r) + "/" + t + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base(r) + "/" + t + "/oauth2/v2.0/token",
		"jwks_uri":                              base(r) + "/" + t + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
	})
}

func (s *Server) handleKeys(w http.ResponseWriter, _ *http.Request) {
	s.idp.init()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.idp.key.PublicKey, KeyID: s.idp.kid, Algorithm: "RS256", Use: "sig"}}})
}

var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo sign-in</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;color:#222}
.demo{background:#fff3cd;border:1px solid #c9a400;padding:.75rem 1rem;border-radius:4px}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;text-align:left}</style></head>
<body><h1>Demo sign-in</h1>
<p class="demo"><strong>This is a demo.</strong> The importer's sandbox plays Microsoft's sign-in: no password, no real account, nothing is bought.</p>
<form method="post">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
{{range .Users}}<button type="submit" name="user" value="{{.Email}}">Sign in as {{.Name}} ({{.Email}}): {{.Roles}}</button>{{end}}
</form></body></html>`))

// handleAuthorize shows the demo sign-in page (GET), and signs the chosen
// user in (POST): a code for the client's redirect URI, which must be on
// this machine.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	q := r.Form
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.cfg.ClientID:
		http.Error(w, "AADSTS700016: unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !IsLoopbackAddr(hostPort(redirect)):
		http.Error(w, "AADSTS50011: the redirect URI must be on this machine", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "AADSTS900144: response_type=code with a PKCE S256 code_challenge is required", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		params := map[string]string{}
		for _, k := range []string{"client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method", "response_type", "scope"} {
			params[k] = q.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// form-action covers the redirect after the form too: the client's.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' "+redirect.Scheme+"://"+redirect.Host)
		_ = signInPage.Execute(w, map[string]any{"Params": params, "Users": s.users()})
		return
	}
	var user *DemoUser
	users := s.users()
	for i := range users {
		if users[i].Email == q.Get("user") {
			user = &users[i]
		}
	}
	if user == nil {
		http.Error(w, "no such demo user", http.StatusBadRequest)
		return
	}
	s.idp.init()
	code := randomToken()
	s.idp.mu.Lock()
	s.idp.codes[code] = &grant{user: *user, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce"), expires: s.now().Add(5 * time.Minute)}
	s.idp.mu.Unlock()
	v := redirect.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func hostPort(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.Port() == "" {
		return u.Hostname() + ":80"
	}
	return u.Host
}

// exchangeCode answers grant_type=authorization_code: the code once, for
// its client and redirect URI, with the PKCE verifier; an ID token signed
// with the provider's key.
func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, clientID, secret string) {
	s.idp.init()
	s.idp.mu.Lock()
	g := s.idp.codes[r.PostForm.Get("code")]
	delete(s.idp.codes, r.PostForm.Get("code")) // once
	s.idp.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case g == nil || s.now().After(g.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70008: the code is unknown, used or expired.")
		return
	case clientID != g.clientID || secret != s.cfg.ClientSecret:
		oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided, or unknown client id.")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50148: the redirect URI differs from the authorization request's.")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS50148: the PKCE code verifier does not match the code challenge.")
		return
	}
	now := s.now()
	c := map[string]any{
		"iss": s.Issuer(base(r)), "aud": g.clientID, "sub": "demo-" + strings.Split(g.user.Email, "@")[0],
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": g.nonce,
		"email": g.user.Email, "preferred_username": g.user.Email, "name": g.user.Name, "tid": s.cfg.TenantID,
	}
	switch n := len(g.user.Groups); {
	case n > maxTokenGroups:
		c["_claim_names"] = map[string]string{"groups": "src1"}
		c["_claim_sources"] = map[string]any{"src1": map[string]string{"endpoint": "https://graph.microsoft.com/v1.0/users/" + g.user.Email + "/getMemberObjects"}}
	case n > 0:
		c["groups"] = g.user.Groups
	}
	claims, _ := json.Marshal(c)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.idp.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.idp.kid))
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	jws, err := signer.Sign(claims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	idToken, _ := jws.CompactSerialize()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": randomToken(), "id_token": idToken, "scope": "openid profile email"})
}
