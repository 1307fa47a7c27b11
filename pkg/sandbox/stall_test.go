package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// serve runs a sandbox with Serve (the real server, with its timeouts) on
// a loopback port.
func serve(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	sb := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, "127.0.0.1:0", func(base string) { ready <- base }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case base := <-ready:
		return sb, base
	case err := <-done:
		t.Fatal(err)
	}
	return nil, ""
}

func token(t *testing.T, sb *Server, base string) string {
	t.Helper()
	tenant, id, secret, _ := sb.Credentials()
	resp, err := http.PostForm(base+"/"+tenant+"/oauth2/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "resource": {Resource}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	i := strings.Index(string(b), `"access_token":"`)
	if i < 0 {
		t.Fatalf("token: %s", b)
	}
	rest := string(b)[i+len(`"access_token":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// stalled opens a connection that sends a create's headers and part of its
// body, then stops sending.
func stalled(t *testing.T, base, tok, requestID string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n%s: %s\r\nContent-Length: 1000\r\n\r\n{\"lineItems\":",
		cartsPath(customer), tok, pc.HeaderRequestID, requestID)
	return conn
}

// TestStalledClients: connections whose clients stall in the middle of a
// request are closed by the server's read timeout, not kept forever.
func TestStalledClients(t *testing.T) {
	sb, base := serve(t, Config{ReadTimeout: 300 * time.Millisecond})
	tok := token(t, sb, base)
	var conns []net.Conn
	for i := range 100 {
		conns = append(conns, stalled(t, base, tok, fmt.Sprintf("stall-%d", i)))
	}
	var wg sync.WaitGroup
	closed := make(chan bool, len(conns))
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err := io.Copy(io.Discard, c) // returns when the server closes
			closed <- err == nil
		}()
	}
	wg.Wait()
	close(closed)
	for ok := range closed {
		if !ok {
			t.Fatal("a stalled connection was still open after 10s")
		}
	}
}

// TestStalledRequestDoesNotHoldItsID: a create whose client stalls while
// sending the body neither holds up a retry with the same MS-RequestId nor
// becomes that id's stored answer.
func TestStalledRequestDoesNotHoldItsID(t *testing.T) {
	sb, base := serve(t, Config{ReadTimeout: 2 * time.Second})
	tok := token(t, sb, base)
	conn := stalled(t, base, tok, "same-id")
	defer conn.Close()
	time.Sleep(100 * time.Millisecond) // the stalled request is in

	e := &env{t: t, sb: sb, token: tok}
	post := func() reply {
		req, _ := http.NewRequest("POST", base+cartsPath(customer), strings.NewReader(`{"partnerOnRecordAttestationAccepted":true,"lineItems":[{"id":0,"catalogItemId":"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P","quantity":1,"billingCycle":"monthly","termDuration":"P1M"}]}`))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(pc.HeaderRequestID, "same-id")
		resp, err := (&http.Client{Timeout: time.Second}).Do(req)
		if err != nil {
			return reply{err: err}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{status: resp.StatusCode, body: b}
	}
	first := post()
	if first.err != nil || first.status != http.StatusCreated {
		t.Fatalf("the retry waited on the stalled request or failed: %v %d %s", first.err, first.status, first.body)
	}
	// The stalled request times out; its failure is not the id's answer.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = bufio.NewReader(conn).ReadString('\n')
	again := post()
	if again.status != http.StatusCreated || string(again.body) != string(first.body) {
		t.Errorf("after the stall: %d %s; want the first answer again", again.status, again.body)
	}
	carts := 0
	for _, l := range sb.Ledger() {
		if l.Kind == LedgerCart {
			carts++
		}
	}
	if carts != 1 {
		t.Errorf("%d carts, want 1", carts)
	}
}

func TestBodyLimit(t *testing.T) {
	e := start(t, Config{})
	big := []byte(`{"lineItems":[],"pad":"` + strings.Repeat("x", maxBody) + `"}`)
	if r := e.call("POST", cartsPath(customer), "big", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d MiB body: %d %s", len(big)>>20, r.status, r.body)
	}
}
