// Package notifytest has test servers for notifications.
package notifytest

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// SMTPServer is a minimal SMTP server on loopback that keeps what it is
// sent. fail answers the first RCPT of each session with that reply.
type SMTPServer struct {
	ln       net.Listener
	mu       sync.Mutex
	messages []string
	auth     []string
	sessions int
	fail     []string // replies to RCPT, one per session, then 250
}

// NewSMTPServer starts a server until the test ends. fail are replies to
// the first RCPT of the first sessions (e.g. "451 try later").
func NewSMTPServer(t testing.TB, fail ...string) *SMTPServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{ln: ln, fail: fail}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *SMTPServer) serve(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	session := s.sessions
	s.sessions++
	s.mu.Unlock()
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(cmd, "AUTH PLAIN"):
			b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len("AUTH PLAIN"):]))
			s.mu.Lock()
			s.auth = append(s.auth, string(b))
			s.mu.Unlock()
			say("235 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			if session < len(s.fail) {
				say(s.fail[session])
				continue
			}
			say("250 ok")
		case strings.HasPrefix(cmd, "MAIL"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

// Seen is what the server has had so far.
func (s *SMTPServer) Seen() (sessions int, messages, auth []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, append([]string{}, s.messages...), append([]string{}, s.auth...)
}

// Addr is the server's host:port.
func (s *SMTPServer) Addr() string { return s.ln.Addr().String() }
