package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// api wraps an operation of the API: request ids, faults, auth, rate
// limits, MS-RequestId replay, then the handler.
func (s *Server) api(op string, h http.HandlerFunc) http.Handler {
	return s.endpoint(op, true, h)
}

func (s *Server) endpoint(op string, authed bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clientRequestID := r.Header.Get(pc.HeaderRequestID)
		s.mu.Lock()
		if clientRequestID == "" {
			r.Header.Set(pc.HeaderRequestID, s.newID())
		}
		if r.Header.Get(pc.HeaderCorrelationID) == "" {
			r.Header.Set(pc.HeaderCorrelationID, s.newID())
		}
		cv := s.newID()[:8] + ".0"
		s.mu.Unlock()
		echo := func(h http.Header) {
			h.Set(pc.HeaderRequestID, r.Header.Get(pc.HeaderRequestID))
			h.Set(pc.HeaderCorrelationID, r.Header.Get(pc.HeaderCorrelationID))
			h.Set(pc.HeaderCV, cv)
			h.Set(pc.HeaderServerID, s.serverID)
		}

		latency, fault := s.roll(op)
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch fault {
		case FaultDrop:
			panic(http.ErrAbortHandler) // closes the connection without an answer
		case FaultHang:
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			panic(http.ErrAbortHandler)
		case Fault500, Fault503:
			code, _ := strconv.Atoi(fault)
			echo(w.Header())
			writeError(w, code, pc.CodeUnexpected, "The partner API service or one of its dependencies failed to fulfill the request. Callers may retry this.")
			return
		case Fault429:
			echo(w.Header())
			writeThrottled(w, time.Second)
			return
		}

		if fault == Fault401 && authed {
			s.revoke(r)
		}
		if authed && !s.authorized(r) {
			echo(w.Header())
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, pc.CodeTokenMissing, "The request was not authenticated: the partner token is missing, invalid or expired.")
			return
		}
		if authed {
			if wait := s.throttle(r.PathValue("customer")); wait > 0 {
				echo(w.Header())
				writeThrottled(w, wait)
				return
			}
		}

		// The whole body is read before the request counts as the one that
		// runs its request id: a client that stalls or goes away while
		// sending it must neither hold up a retry with the same id nor
		// leave its read error as that id's answer.
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
			if err != nil {
				echo(w.Header())
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					writeError(w, http.StatusRequestEntityTooLarge, pc.CodeInvalidInput, fmt.Sprintf("Invalid request input: the body is over %d bytes.", maxBody))
					return
				}
				writeError(w, http.StatusBadRequest, pc.CodeInvalidInput, "Invalid request input: the body could not be read.")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}

		// A request id the client sent again on a create, update or
		// checkout gets the first answer, and nothing is done twice.
		key := ""
		if clientRequestID != "" && (r.Method == http.MethodPost || r.Method == http.MethodPut) && authed && !s.cfg.ForgetRequestIDs {
			key = r.Method + " " + strings.ToLower(r.URL.Path) + " " + clientRequestID
			rec, err := s.awaitReplay(r.Context(), key)
			if err != nil {
				return // the client went away while another call with its id ran
			}
			if rec != nil {
				if fault == FaultLostResponse {
					panic(http.ErrAbortHandler)
				}
				rec.writeTo(w)
				return
			}
			// Whatever happens in the handler, the id is released.
			defer s.releaseReplay(key)
		}
		b := newBuffer()
		h(b, r)
		rec := &recorded{status: b.status, header: b.header, body: b.body.Bytes()}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		echo(rec.header)
		if key != "" {
			s.finishReplay(key, rec)
		}
		if err := s.saveFailed(); err != nil {
			// What was done cannot be kept: nobody may be told it was.
			b := newBuffer()
			writeError(b, http.StatusServiceUnavailable, pc.CodeUnexpected, "The sandbox could not save its state: "+err.Error())
			rec = &recorded{status: b.status, header: b.header, body: b.body.Bytes()}
			echo(rec.header)
		}
		if fault == FaultLostResponse {
			panic(http.ErrAbortHandler) // committed, but the client never hears
		}
		rec.writeTo(w)
	})
}

// maxBody bounds a request body; a cart of the most lines Partner Center
// takes is far smaller.
const maxBody = 4 << 20

// awaitReplay returns the stored answer for key, or registers the caller as
// the one that runs it (waiting while another call with the key runs, for
// as long as the waiting client stays).
func (s *Server) awaitReplay(ctx context.Context, key string) (*recorded, error) {
	for {
		s.mu.Lock()
		if rec, ok := s.replays[key]; ok {
			s.mu.Unlock()
			return rec, nil
		}
		ch, running := s.inflight[key]
		if !running {
			s.inflight[key] = make(chan struct{})
			s.mu.Unlock()
			return nil, nil
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// finishReplay stores the answer to replay, unless it was a server error,
// which a retry should really retry.
func (s *Server) finishReplay(key string, rec *recorded) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.status < 500 {
		s.replays[key] = rec
		s.save(replayLine(key, rec))
	}
}

// releaseReplay lets the next call with key run (or read its answer).
func (s *Server) releaseReplay(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.inflight[key]; ok {
		close(ch)
		delete(s.inflight, key)
	}
}

func writeThrottled(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, pc.ThrottleBody{
		StatusCode: http.StatusTooManyRequests,
		Message:    fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs),
	})
}

// perMinute is a limiter of rpm requests a minute that allows a burst of
// ten seconds' worth.
func perMinute(rpm int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(float64(rpm)/60), max(1, rpm/6))
}

// throttle takes a request from the partner's and the customer's budgets,
// or returns how long to wait if either is spent (taking nothing).
func (s *Server) throttle(customer string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var lims []*rate.Limiter
	if s.partner != nil {
		lims = append(lims, s.partner)
	}
	if customer != "" && s.cfg.CustomerRPM > 0 {
		key := strings.ToLower(customer)
		l, ok := s.customers[key]
		if !ok {
			l = perMinute(s.cfg.CustomerRPM)
			s.customers[key] = l
		}
		lims = append(lims, l)
	}
	var wait time.Duration
	var taken []*rate.Reservation
	for _, l := range lims {
		res := l.ReserveN(now, 1)
		taken = append(taken, res)
		wait = max(wait, res.DelayFrom(now))
	}
	if wait > 0 {
		for _, res := range taken {
			res.CancelAt(now)
		}
	}
	return wait
}
