package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleToken is Entra ID's token endpoint, v1 (resource=) and v2 (scope=):
// client credentials (App-only) or a refresh token (App+User).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	latency, fault := s.roll("token")
	if latency > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(latency):
		}
	}
	if fault == Fault500 || fault == Fault503 {
		code, _ := strconv.Atoi(fault)
		writeJSON(w, code, map[string]string{"error": "temporarily_unavailable", "error_description": "AADSTS90033: A transient error has occurred."})
		return
	}
	if fault == FaultDrop {
		panic(http.ErrAbortHandler)
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must be form-encoded.")
		return
	}
	if !strings.EqualFold(r.PathValue("tenant"), s.cfg.TenantID) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "AADSTS90002: Tenant '"+r.PathValue("tenant")+"' not found.")
		return
	}
	if r.PostForm.Get("grant_type") == "authorization_code" {
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		s.exchangeCode(w, r, id, secret) // the demo sign-in (idp.go)
		return
	}
	v2 := strings.Contains(r.URL.Path, "/v2.0/")
	// A refresh keeps the audience of the token it refreshes, so it may
	// leave resource and scope out (and x/oauth2 does).
	refresh := r.PostForm.Get("grant_type") == "refresh_token"
	scope, resource := r.PostForm.Get("scope"), r.PostForm.Get("resource")
	switch {
	case v2 && !(refresh && scope == "") && scope != Resource+"/.default" && scope != Resource+"/user_impersonation":
		oauthError(w, http.StatusBadRequest, "invalid_scope", "AADSTS70011: The provided scope is not valid; use "+Resource+"/.default.")
		return
	case !v2 && !(refresh && resource == "") && resource != Resource:
		oauthError(w, http.StatusBadRequest, "invalid_resource", "AADSTS500011: The resource principal was not found; use resource="+Resource+".")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided, or unknown client id.")
			return
		}
	case "refresh_token":
		// A confidential client (a web app, as Partner Center's App+User
		// model uses) must authenticate when it redeems a refresh token.
		if id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided, or unknown client id.")
			return
		}
		if r.PostForm.Get("refresh_token") != s.cfg.RefreshToken {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70000: The provided refresh token is invalid or has expired.")
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The grant type is not supported.")
		return
	}

	token := randomToken()
	now := s.now()
	expires := now.Add(s.cfg.TokenLifetime)
	s.mu.Lock()
	s.tokens[token] = expires
	s.issued = append(s.issued, token)
	s.mu.Unlock()
	secs := int(s.cfg.TokenLifetime.Seconds())
	if v2 {
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token})
		return
	}
	// v1 writes its numbers as strings.
	writeJSON(w, http.StatusOK, map[string]string{
		"token_type": "Bearer", "expires_in": strconv.Itoa(secs), "ext_expires_in": strconv.Itoa(secs),
		"expires_on": strconv.FormatInt(expires.Unix(), 10), "not_before": strconv.FormatInt(now.Unix(), 10),
		"resource": Resource, "access_token": token,
	})
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// authorized checks the bearer token.
func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[strings.TrimSpace(token)]
	return ok && s.now().Before(exp)
}

// revoke ends the life of the request's access token now, as if it had
// expired between the client's check and the call.
func (s *Server) revoke(r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	delete(s.tokens, strings.TrimSpace(token))
	s.mu.Unlock()
}
