package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Private starts a PostgreSQL server of the test's own (initdb in a
// temporary folder, on a free loopback port), for a test that restarts
// it; restart restarts it (a fast shutdown: connections are cut). It needs
// PostgreSQL's programs (/usr/lib/postgresql/N/bin) and, as root, the
// postgres user to run them as. Without them, outside CI, the test is
// skipped; with CI=true it fails.
func Private(t testing.TB) (url string, restart func()) {
	t.Helper()
	c := newCluster(t)
	data := c.initdb("data")
	port := c.start(data, "log")
	restart = func() {
		// The restarted server writes to the log, not to pg_ctl's output,
		// which it would otherwise hold open for as long as it runs.
		if out, err := c.as("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-m", "fast", "-w", "restart").CombinedOutput(); err != nil {
			t.Errorf("pg_ctl restart: %v\n%s", err, out)
		}
	}
	return urlOf(port), restart
}

// WithPassword starts a PostgreSQL server of the test's own where the
// postgres user signs in with password (scram-sha-256), and returns its
// URL without the password. Its needs are Private's.
func WithPassword(t testing.TB, password string) (url string) {
	t.Helper()
	c := newCluster(t)
	pw := filepath.Join(c.dir, "pw")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := c.initdb("data", "-A", "scram-sha-256", "--pwfile", pw)
	os.Remove(pw)
	return urlOf(c.start(data, "log"))
}

func urlOf(port int) string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(port) + "/postgres?sslmode=disable"
}

// cluster runs PostgreSQL's programs for a test, in a temporary folder.
type cluster struct {
	t   testing.TB
	dir string
	as  func(name string, args ...string) *exec.Cmd
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Strings(bins)
	if len(bins) == 0 {
		unavailable(t, "PostgreSQL's programs (pg_ctl, initdb) are not installed")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "importer-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &cluster{t: t, dir: dir, as: func(name string, args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(bin, name), args...)
	}}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("runuser"); err != nil {
			unavailable(t, "runuser is missing: as root, the private server must run as the postgres user")
		}
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			unavailable(t, fmt.Sprintf("the postgres user: %v %s", err, out))
		}
		c.as = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	}
	return c
}

// initdb makes a new cluster in the folder named name; args are more of
// initdb's (trust authentication unless they say otherwise).
func (c *cluster) initdb(name string, args ...string) string {
	c.t.Helper()
	data := filepath.Join(c.dir, name)
	if len(args) == 0 {
		args = []string{"-A", "trust"}
	}
	if out, err := c.as("initdb", append([]string{"-D", data, "-U", "postgres", "--no-sync"}, args...)...).CombinedOutput(); err != nil {
		c.t.Fatalf("initdb: %v\n%s", err, out)
	}
	return data
}

// start starts the cluster in data on a free loopback port, logging to
// the file named log; the test's end stops it.
func (c *cluster) start(data, log string) int {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, c.dir)
	if out, err := c.as("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, log), "-w", "start").CombinedOutput(); err != nil {
		c.t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
	c.t.Cleanup(func() { _ = c.as("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run() })
	return port
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + ": the test needs a private PostgreSQL server")
	}
	t.Skip(why + ": the test that restarts a private PostgreSQL server is skipped (CI runs it)")
}
