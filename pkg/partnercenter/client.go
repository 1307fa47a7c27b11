package partnercenter

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/cspimporter/importer/pkg/retry"
)

// DefaultEndpoint is Partner Center's API. Nothing in this repository's
// tests or demo calls it; they use the sandbox.
const DefaultEndpoint = "https://api.partnercenter.microsoft.com"

// DefaultTokenURL is Entra ID's v1 token endpoint.
const DefaultTokenURL = "https://login.microsoftonline.com/{tenant}/oauth2/token"

// Options configure a Client.
// DefaultMaxAttempts is MaxAttempts when Options leave it 0.
const DefaultMaxAttempts = 6

type Options struct {
	Endpoint string
	Tokens   *Tokens
	HTTP     *http.Client // default: a client with sane transport timeouts

	// RequestsPerMinute is shared by every call of the client; keep it just
	// under the service's limit. 0 means unlimited.
	RequestsPerMinute int
	// Timeout bounds one attempt of one request; default 60s.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of one request on 5xx, timeouts and
	// dropped connections; default 6. 429s and 409s (in progress) are
	// waited out on top of that, up to MaxThrottled times each (default 20).
	MaxAttempts, MaxThrottled int
	// BaseDelay and MaxDelay shape the jittered exponential backoff;
	// defaults 500ms and 15s.
	BaseDelay, MaxDelay time.Duration
}

// Client talks to the Partner Center cart API. It is safe for concurrent
// use: the rate limit and the 429 pause are shared by all callers.
type Client struct {
	base    string
	opt     Options
	http    *http.Client
	limiter *rate.Limiter
	gate    PauseGate
}

// NewClient returns a client. http:// endpoints are refused except on
// loopback (the sandbox).
func NewClient(opt Options) (*Client, error) {
	if opt.Endpoint == "" {
		opt.Endpoint = DefaultEndpoint
	}
	u, err := url.Parse(opt.Endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not a URL", opt.Endpoint)
	}
	if err := CheckSecureURL(u); err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if opt.Tokens == nil {
		return nil, errors.New("partnercenter: no credentials")
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 60 * time.Second
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	if opt.MaxThrottled <= 0 {
		opt.MaxThrottled = 20
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = 500 * time.Millisecond
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 15 * time.Second
	}
	c := &Client{base: strings.TrimRight(opt.Endpoint, "/"), opt: opt, http: opt.HTTP}
	if opt.RequestsPerMinute > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(float64(opt.RequestsPerMinute)/60), 1)
	}
	return c, nil
}

// CheckSecureURL refuses plain http except to a loopback host.
func CheckSecureURL(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.") {
			return nil
		}
		return fmt.Errorf("%s: plain http is refused except for loopback addresses; use https", u.Redacted())
	}
	return fmt.Errorf("%s: only https URLs are accepted", u.Redacted())
}

// Call says how a request went, for the results and for support calls.
type Call struct {
	RequestID     string
	CorrelationID string
	Status        int
	Attempts      int
}

// APIError is an answer other than success.
type APIError struct {
	Status      int
	Code        Code
	Description string
	Call        Call
}

// Transient reports whether the answer says "try again later" (a server
// error, a timeout, throttling, work in progress) rather than "no".
func (e *APIError) Transient() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return true
	}
	return e.Status >= 500 && e.Status != http.StatusNotImplemented
}

func (e *APIError) Error() string {
	code := ""
	if e.Code.Text != "" {
		code = " " + e.Code.Text
	}
	return fmt.Sprintf("Partner Center answered %d%s: %s", e.Status, code, e.Description)
}

// UnknownOutcomeError is a request that may or may not have been carried
// out: every attempt timed out or lost its connection.
type UnknownOutcomeError struct {
	Call Call
	Err  error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("no answer from Partner Center after %d attempts: %v", e.Call.Attempts, e.Err)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// NewID returns a random GUID for MS-RequestId and MS-CorrelationId.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CreateCart creates a cart. requestID makes it idempotent: send the same
// one again (after a crash, say) and the first answer comes back.
func (c *Client) CreateCart(ctx context.Context, customer string, cart *Cart, requestID string) (*Cart, Call, error) {
	var out Cart
	call, err := c.do(ctx, http.MethodPost, "/v1/customers/"+url.PathEscape(customer)+"/carts", requestID, cart, &out)
	if err != nil {
		return nil, call, err
	}
	return &out, call, nil
}

// GetCart reads a cart.
func (c *Client) GetCart(ctx context.Context, customer, cartID string) (*Cart, Call, error) {
	var out Cart
	call, err := c.do(ctx, http.MethodGet, "/v1/customers/"+url.PathEscape(customer)+"/carts/"+url.PathEscape(cartID), NewID(), nil, &out)
	if err != nil {
		return nil, call, err
	}
	return &out, call, nil
}

// Checkout checks a cart out. Checkout is idempotent per cart: calling it
// again for an ordered cart returns the first result.
func (c *Client) Checkout(ctx context.Context, customer, cartID, requestID string) (*CartCheckoutResult, Call, error) {
	var out CartCheckoutResult
	call, err := c.do(ctx, http.MethodPost, "/v1/customers/"+url.PathEscape(customer)+"/carts/"+url.PathEscape(cartID)+"/checkout", requestID, nil, &out)
	if err != nil {
		return nil, call, err
	}
	return &out, call, nil
}

// GetOrder reads an order.
func (c *Client) GetOrder(ctx context.Context, customer, orderID string) (*Order, Call, error) {
	var out Order
	call, err := c.do(ctx, http.MethodGet, "/v1/customers/"+url.PathEscape(customer)+"/orders/"+url.PathEscape(orderID), NewID(), nil, &out)
	if err != nil {
		return nil, call, err
	}
	return &out, call, nil
}

// do sends one logical request, retrying with the same MS-RequestId:
// 5xx (but 501), 408, timeouts and dropped connections with jittered
// exponential backoff, at most MaxAttempts times; 429 after a pause every
// caller honours, and 409 (in progress) after a growing wait, each at most
// MaxThrottled times; 401 with a new token, within MaxAttempts (a 401
// says the request was not processed: nothing about the request itself,
// so Partner Center refusing every token is an *AuthError, a sign-in
// failure, never a refusal of the request). Other answers are returned as
// *APIError.
func (c *Client) do(ctx context.Context, method, path, requestID string, body, out any) (Call, error) {
	return c.doWith(ctx, method, path, requestID, nil, body, out)
}

// doWith is do with extra request headers (a page's continuation token).
func (c *Client) doWith(ctx context.Context, method, path, requestID string, extra http.Header, body, out any) (Call, error) {
	call := Call{RequestID: requestID, CorrelationID: NewID()}
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return call, fmt.Errorf("encode request: %w", err)
		}
		payload = b
	}
	// Attempts that were throttled or found the work in progress are free:
	// they do not count against MaxAttempts.
	free, throttled, waited := 0, 0, 0
	var lastErr error
	for {
		if call.Attempts-free >= c.opt.MaxAttempts {
			if lastErr == nil {
				lastErr = errors.New("retries exhausted")
			}
			var api *APIError
			if errors.As(lastErr, &api) && api.Status == http.StatusUnauthorized {
				return call, &AuthError{Code: "401", Description: "Partner Center refused every access token it was given (" + api.Error() + ")", Err: api}
			}
			if errors.As(lastErr, &api) {
				return call, api
			}
			return call, &UnknownOutcomeError{Call: call, Err: lastErr}
		}
		if err := c.gate.Wait(ctx); err != nil {
			return call, err
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return call, err
			}
		}
		token, err := c.opt.Tokens.Token(ctx)
		if err != nil {
			return call, err
		}
		call.Attempts++
		resp, respBody, err := c.send(ctx, method, path, token, call, extra, payload)
		if err != nil {
			if ctx.Err() != nil {
				return call, ctx.Err()
			}
			lastErr = err
			if err := c.backoff(ctx, call.Attempts-free); err != nil {
				return call, err
			}
			continue
		}
		call.Status = resp.StatusCode
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if out != nil && len(bytes.TrimSpace(respBody)) > 0 {
				if err := json.Unmarshal(respBody, out); err != nil {
					return call, fmt.Errorf("read Partner Center's answer: %w", err)
				}
			}
			return call, nil
		}
		apiErr := apiError(resp, respBody, call)
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			// Not processed: sign in again and resend (the same request id).
			lastErr = apiErr
			c.opt.Tokens.Invalidate(token)
		case resp.StatusCode == http.StatusTooManyRequests:
			throttled++
			free++
			if throttled > c.opt.MaxThrottled {
				return call, apiErr
			}
			pause := retryAfter(resp.Header, c.delay(throttled))
			c.gate.PauseFor(pause + c.jitter(pause/10+time.Millisecond))
		case resp.StatusCode == http.StatusConflict:
			// In progress (800060, 800064): another request is placing the
			// order. Wait, growing, and ask again with the same request,
			// which answers with the result once it is there.
			waited++
			free++
			if waited > c.opt.MaxThrottled {
				return call, apiErr
			}
			if err := c.backoff(ctx, waited); err != nil {
				return call, err
			}
		case apiErr.Transient():
			lastErr = apiErr
			if err := c.backoff(ctx, call.Attempts-free); err != nil {
				return call, err
			}
		default:
			return call, apiErr
		}
	}
}

func (c *Client) send(ctx context.Context, method, path, token string, call Call, extra http.Header, payload []byte) (*http.Response, []byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(HeaderRequestID, call.RequestID)
	req.Header.Set(HeaderCorrelationID, call.CorrelationID)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, nil, err
	}
	return resp, b, nil
}

func apiError(resp *http.Response, body []byte, call Call) *APIError {
	e := &APIError{Status: resp.StatusCode, Call: call}
	var eb ErrorBody
	var tb ThrottleBody
	switch {
	case json.Unmarshal(body, &eb) == nil && (eb.Description != "" || eb.Code.Text != ""):
		e.Code, e.Description = eb.Code, eb.Description
	case json.Unmarshal(body, &tb) == nil && tb.Message != "":
		e.Description = tb.Message
	default:
		e.Description = strings.TrimSpace(string(body))
		if len(e.Description) > 300 {
			e.Description = e.Description[:300] + "…"
		}
		if e.Description == "" {
			e.Description = http.StatusText(resp.StatusCode)
		}
	}
	return e
}

// delay is the backoff before retry n (1-based): exponential, capped.
func (c *Client) delay(n int) time.Duration {
	return retry.Policy{Base: c.opt.BaseDelay, Max: c.opt.MaxDelay}.Delay(n)
}

func (c *Client) jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(mrand.Int64N(int64(d)))
}

// backoff sleeps a jittered exponential delay (half fixed, half random).
func (c *Client) backoff(ctx context.Context, n int) error {
	return retry.Sleep(ctx, retry.Policy{Base: c.opt.BaseDelay, Max: c.opt.MaxDelay, Jitter: true}.Delay(n))
}
