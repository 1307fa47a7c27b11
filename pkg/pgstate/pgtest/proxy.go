package pgtest

import (
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// Cuttable is the database at conn behind a proxy of the test's own, for
// one host: cut cuts that host off the network (as a pulled cable: what
// it sends is lost and nothing comes back, so it waits; the server sees
// its connections end), and heal ends the cut (the host's hung
// connections then fail, and new ones reach the server).
func Cuttable(t testing.TB, conn string) (proxied string, cut, heal func()) {
	t.Helper()
	u, err := url.Parse(conn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = "127.0.0.1:" + strconv.Itoa(p.port())
	return u.String(), p.cut, p.heal
}

// proxy forwards loopback connections to a server, which may change (the
// connections to the old one are then closed), and may be cut.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	to    string
	pairs map[net.Conn]net.Conn // client side: server side
	isCut bool
	hung  []net.Conn // client sides left hanging by a cut
}

func newProxy(t testing.TB, to string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to, pairs: map[net.Conn]net.Conn{}}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.isCut {
			p.hung = append(p.hung, in)
			p.mu.Unlock()
			continue
		}
		to := p.to
		p.mu.Unlock()
		out, err := net.Dial("tcp", to)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.pairs[in] = out
		p.mu.Unlock()
		go p.pipe(in, out, out, in)
		go p.pipe(in, out, in, out)
	}
}

// pipe copies src to dst; once either ends, the pair is closed, unless a
// cut left the client side hanging.
func (p *proxy) pipe(in, out, dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	out.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, live := p.pairs[in]; live {
		delete(p.pairs, in)
		in.Close()
	}
}

// switchTo leads new connections to another server and closes the old.
func (p *proxy) switchTo(to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.to = to
	for in, out := range p.pairs {
		delete(p.pairs, in)
		in.Close()
		out.Close()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = true
	for in, out := range p.pairs {
		delete(p.pairs, in)
		p.hung = append(p.hung, in)
		out.Close()
	}
}

func (p *proxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isCut = false
	for _, in := range p.hung {
		in.Close()
	}
	p.hung = nil
}

func (p *proxy) close() {
	p.ln.Close()
	p.switchTo("")
	p.heal()
}
