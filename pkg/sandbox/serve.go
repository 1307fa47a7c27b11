package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve listens on addr (loopback unless told otherwise) and serves until
// ctx ends. ready is told the base URL once it listens.
func (s *Server) Serve(ctx context.Context, addr string, ready func(baseURL string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	read := s.cfg.ReadTimeout
	if read <= 0 {
		read = 30 * time.Second
	}
	// Stalled headers or bodies are cut off; an answer may take as long as
	// the hang fault does (a minute), and idle connections are closed.
	srv := &http.Server{Handler: s, ReadHeaderTimeout: min(read, 10*time.Second), ReadTimeout: read,
		WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(shut)
		if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}

// IsLoopbackAddr reports whether a listen address is on this machine only.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
