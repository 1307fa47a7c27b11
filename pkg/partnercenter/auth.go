package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cspimporter/importer/pkg/retry"
)

// Resource is the audience of Partner Center tokens.
const Resource = "https://api.partnercenter.microsoft.com"

// Credentials sign in to Partner Center: App-only (client credentials), or
// App+User when RefreshToken is set.
type Credentials struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	RefreshToken string
}

// TokenURL is the v1 token endpoint of a tenant on a login host, e.g.
// "https://login.microsoftonline.com/{tenant}/oauth2/token".
func TokenURL(template, tenant string) string {
	return strings.ReplaceAll(template, "{tenant}", url.PathEscape(tenant))
}

// AuthError is a failed sign-in. It carries the identity provider's error
// code and description, never a secret.
type AuthError struct {
	Code        string
	Description string
	Err         error
}

func (e *AuthError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("sign-in to Partner Center failed: %s: %s", e.Code, e.Description)
	}
	return fmt.Sprintf("sign-in to Partner Center failed: %v", e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// Tokens hands out access tokens, fetching a new one shortly before the
// cached one expires, or at once after Invalidate (a 401 mid-run).
type Tokens struct {
	fetch func(ctx context.Context) (*oauth2.Token, error)
	// retry paces fetches again after a transient failure of the identity
	// provider (5xx, 429, temporarily_unavailable, a dropped connection),
	// which says nothing about the credentials.
	retry retry.Policy

	mu      sync.Mutex
	tok     *oauth2.Token
	fetched time.Time
}

// NewTokens signs in with creds at tokenURL; hc is used for the token
// requests. Each fetch makes its own token source with the caller's
// context, so a cancelled call fails only its own fetch and nothing
// cached keeps a dead context.
func NewTokens(creds Credentials, tokenURL string, hc *http.Client) *Tokens {
	with := func(ctx context.Context) context.Context { return context.WithValue(ctx, oauth2.HTTPClient, hc) }
	var fetch func(ctx context.Context) (*oauth2.Token, error)
	if creds.RefreshToken != "" {
		cfg := &oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		fetch = func(ctx context.Context) (*oauth2.Token, error) {
			// An expired token with the refresh token makes the source refresh.
			return cfg.TokenSource(with(ctx), &oauth2.Token{RefreshToken: creds.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
		}
	} else {
		cfg := &clientcredentials.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, TokenURL: tokenURL,
			EndpointParams: url.Values{"resource": {Resource}}, AuthStyle: oauth2.AuthStyleInParams}
		fetch = func(ctx context.Context) (*oauth2.Token, error) { return cfg.Token(with(ctx)) }
	}
	return &Tokens{fetch: fetch, retry: retry.Policy{Attempts: 4, Base: 500 * time.Millisecond, Max: 5 * time.Second, Jitter: true}}
}

// Token returns a valid access token. It refreshes when a fifth of the
// token's life (at most two minutes) is left, so no call goes out with a
// token about to expire.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken != "" {
		if t.tok.Expiry.IsZero() {
			return t.tok.AccessToken, nil
		}
		early := min(2*time.Minute, t.tok.Expiry.Sub(t.fetched)/5)
		if time.Until(t.tok.Expiry) > early {
			return t.tok.AccessToken, nil
		}
	}
	var tok *oauth2.Token
	var fetched time.Time
	err := retry.Do(ctx, t.retry, func(int) (time.Duration, error) {
		fetched = time.Now()
		var err error
		if tok, err = t.fetch(ctx); err != nil && !transientSignIn(ctx, err) {
			return 0, retry.Permanent(err)
		}
		return 0, err
	})
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", &AuthError{Code: re.ErrorCode, Description: re.ErrorDescription, Err: err}
		}
		return "", &AuthError{Err: err}
	}
	t.tok, t.fetched = tok, fetched
	return tok.AccessToken, nil
}

// transientSignIn: might the same sign-in work a moment later? The
// identity provider's own trouble (5xx, 429, temporarily_unavailable) and
// a dropped connection might; refused credentials and an ended ctx not.
func transientSignIn(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return true // no answer at all
	}
	if re.ErrorCode == "temporarily_unavailable" {
		return true
	}
	return re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests)
}

// Invalidate drops the cached token if it is the one a call was refused
// with, so the next call signs in again. A token another worker fetched
// meanwhile is kept: dropping it would make every worker that got a 401
// with the old token sign in again, one after another.
func (t *Tokens) Invalidate(used string) {
	t.mu.Lock()
	if t.tok != nil && t.tok.AccessToken == used {
		t.tok = nil
	}
	t.mu.Unlock()
}
