package pgtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Failover starts a primary PostgreSQL server of the test's own and a
// standby that streams from it synchronously (a commit returns once the
// standby has it), behind one address, as a managed database's is.
// failover does what a managed database does when its primary is lost:
// the primary stops at once (an immediate shutdown, as a crash), the
// standby is promoted, and the address leads to it; connections through
// the old one are cut. Its needs are Private's.
func Failover(t testing.TB) (url string, failover func()) {
	t.Helper()
	c := newCluster(t)
	primary := c.initdb("primary")
	pport := c.start(primary, "primary.log")
	standby := c.dir + "/standby"
	if out, err := c.as("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pport), "-U", "postgres", "-D", standby, "-R", "-X", "stream").CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	sport := c.start(standby, "standby.log")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, urlOf(pport))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby never streamed from the primary")
		}
	}
	for _, q := range []string{"ALTER SYSTEM SET synchronous_standby_names = '*'", "SELECT pg_reload_conf()"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p := newProxy(t, "127.0.0.1:"+strconv.Itoa(pport))
	failover = func() {
		if out, err := c.as("pg_ctl", "-D", primary, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Errorf("stopping the primary: %v\n%s", err, out)
		}
		if out, err := c.as("pg_ctl", "-D", standby, "-w", "promote").CombinedOutput(); err != nil {
			t.Errorf("promoting the standby: %v\n%s", err, out)
		}
		p.switchTo("127.0.0.1:" + strconv.Itoa(sport))
	}
	return urlOf(p.port()), failover
}
