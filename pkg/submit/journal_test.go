package submit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/sandbox"
)

// orderedJournal is a journal in which the sample was ordered as batch
// "november"; it returns the world, so the ledger can be counted.
func orderedJournal(t *testing.T) (*world, string) {
	t.Helper()
	w := newWorld(t, sandbox.Config{})
	if p := w.run(t, clean, "november", nil); statuses(p)[order.StatusOrdered] != 30 {
		t.Fatalf("statuses %v", statuses(p))
	}
	return w, filepath.Join(w.dir, "journal.db")
}

// TestDamagedJournalFailsClosed: a journal that cannot be trusted stops the
// run before anything is sent, instead of reading a damaged "Ordered" as
// "not ordered" and buying the rows again.
func TestDamagedJournalFailsClosed(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"a flipped bit in a stored Ordered", func(t *testing.T, path string) {
			// bbolt copies pages on write, so the file holds stale copies
			// too: flip the bit in every copy to be sure of the live one.
			editFile(t, path, func(b []byte) []byte {
				if !bytes.Contains(b, []byte(`"Ordered"`)) {
					t.Fatal("no Ordered in the journal file")
				}
				return bytes.ReplaceAll(b, []byte(`"Ordered"`), []byte(`"ordered"`))
			})
		}, "fails its checksum"},
		{"a status this version does not know, checksum intact", func(t *testing.T, path string) {
			rewriteRows(t, path, func(r *RowRecord) { r.Status = "Orderd" })
		}, `unknown status "Orderd"`},
		{"an attempt state this version does not know", func(t *testing.T, path string) {
			rewriteBucket(t, path, bucketAttempts, func(k, v []byte) []byte {
				var a Attempt
				if err := decodeRecord(k, v, &a, false); err != nil {
					t.Fatal(err)
				}
				a.State = "finished"
				return mustEncode(t, k, a)
			})
		}, `unknown state "finished"`},
		{"a record that is not a record", func(t *testing.T, path string) {
			rewriteBucket(t, path, bucketRows, func(k, v []byte) []byte { return []byte("garbage") })
		}, "is not a journal record"},
		{"a format from a newer version", func(t *testing.T, path string) {
			rewriteBucket(t, path, bucketMeta, func(k, v []byte) []byte { return mustEncode(t, k, 3) })
		}, "format 3"},
		{"cut to half its size", func(t *testing.T, path string) {
			editFile(t, path, func(b []byte) []byte { return b[:len(b)/2] })
		}, "damaged"},
		{"the pages holding the rows zeroed", func(t *testing.T, path string) {
			editFile(t, path, func(b []byte) []byte {
				for i := 0; i+4096 <= len(b); i += 4096 {
					if bytes.Contains(b[i:i+4096], []byte(`"Ordered"`)) {
						clear(b[i : i+4096])
					}
				}
				return b
			})
		}, "damaged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, path := orderedJournal(t)
			tc.damage(t, path)
			_, err := OpenJournal(path)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("open: %v, want ErrCorrupt saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore the journal") {
				t.Errorf("the error must name the journal and what to do: %v", err)
			}
			if lines, _ := w.orderedLines(); lines != 30 {
				t.Errorf("%d lines ordered, want the first run's 30", lines)
			}
		})
	}
}

// TestLegacyJournalIsUpgraded: a journal written before records had
// checksums still opens, its records get checksums, and its orders still
// count: the rerun sends nothing.
func TestLegacyJournalIsUpgraded(t *testing.T) {
	w, path := orderedJournal(t)
	for _, b := range [][]byte{bucketAttempts, bucketRows} {
		rewriteBucket(t, path, b, func(k, v []byte) []byte { return v[recordHeader:] })
	}
	dropBucket(t, path, bucketMeta)

	again := w.run(t, clean, "november", nil)
	if got := statuses(again); got[order.StatusSkipped] != 30 {
		t.Fatalf("rerun on the legacy journal: %v", got)
	}
	if lines, _ := w.orderedLines(); lines != 30 {
		t.Errorf("%d lines ordered, want 30", lines)
	}
	rewriteBucket(t, path, bucketRows, func(k, v []byte) []byte {
		if v[0] != recordTag {
			t.Errorf("record %q was not upgraded", printable(k))
		}
		return v
	})
}

// TestLegacyJournalWithUnknownStatus: the upgrade checks what it upgrades.
func TestLegacyJournalWithUnknownStatus(t *testing.T) {
	_, path := orderedJournal(t)
	rewriteBucket(t, path, bucketRows, func(k, v []byte) []byte {
		return bytes.Replace(v[recordHeader:], []byte(`"Ordered"`), []byte(`"0rdered"`), 1)
	})
	dropBucket(t, path, bucketMeta)
	if _, err := OpenJournal(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open: %v, want ErrCorrupt", err)
	}
}

func TestHasBatch(t *testing.T) {
	_, path := orderedJournal(t)
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for batch, want := range map[string]bool{"november": true, "novembe": false, "december": false} {
		if got, err := j.HasBatch(batch); err != nil || got != want {
			t.Errorf("HasBatch(%q) = %v, %v; want %v", batch, got, err, want)
		}
	}
}

func editFile(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

func withDB(t *testing.T, path string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
}

func rewriteBucket(t *testing.T, path string, bucket []byte, f func(k, v []byte) []byte) {
	t.Helper()
	withDB(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		out := map[string][]byte{}
		if err := b.ForEach(func(k, v []byte) error {
			out[string(k)] = f(k, append([]byte(nil), v...))
			return nil
		}); err != nil {
			return err
		}
		for k, v := range out {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

func rewriteRows(t *testing.T, path string, f func(*RowRecord)) {
	t.Helper()
	rewriteBucket(t, path, bucketRows, func(k, v []byte) []byte {
		var r RowRecord
		if err := decodeRecord(k, v, &r, false); err != nil {
			t.Fatal(err)
		}
		f(&r)
		return mustEncode(t, k, r)
	})
}

func dropBucket(t *testing.T, path string, bucket []byte) {
	t.Helper()
	withDB(t, path, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucket) })
}

func mustEncode(t *testing.T, k []byte, v any) []byte {
	t.Helper()
	b, err := encodeRecord(k, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSheetSaysOrdered: a row the sheet shows ordered (a results workbook
// given back) is never sent, whatever the journal says.
func TestSheetSaysOrdered(t *testing.T) {
	w := newWorld(t, sandbox.Config{})
	p := plan(t, clean)
	p.Rows[0].Earlier = order.Earlier{Status: "Ordered", OrderID: "o-1", CartID: "c-1"}
	p.Rows[1].Earlier = order.Earlier{Status: " skipped ", OrderID: "o-2"}
	p.Rows[2].Earlier = order.Earlier{Status: "Ordered"} // no order id: no evidence
	p.Rows[3].Earlier = order.Earlier{Status: "Failed", OrderID: "o-4"}
	j, err := OpenJournal(filepath.Join(w.dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := Run(context.Background(), w.client, j, p, Options{Batch: "b", RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []order.Status{order.StatusSkipped, order.StatusSkipped, order.StatusOrdered, order.StatusOrdered} {
		if got := p.Outcomes[i].Status; got != want {
			t.Errorf("row %d: %s, want %s", p.Rows[i].Line, got, want)
		}
	}
	if o := p.Outcomes[0]; o.OrderID != "o-1" || o.CartID != "c-1" || !strings.Contains(o.Problems[len(o.Problems)-1].Message, "ordered earlier: order o-1") {
		t.Errorf("row 0: %+v", o)
	}
	if lines, _ := w.orderedLines(); lines != 28 {
		t.Errorf("%d lines ordered, want 28", lines)
	}
}

// TestRevokedTokensNeverFailARow: with 15% of calls finding their token
// revoked, under concurrency 5 and over many seeds, no row ends Failed for
// it (a 401 says nothing about a row), and every line is ordered exactly
// once.
func TestRevokedTokensNeverFailARow(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newWorld(t, sandbox.Config{Seed: seed, Faults: sandbox.Faults{{Op: "any", Kind: sandbox.Fault401, Prob: 0.15}}})
			j, err := OpenJournal(filepath.Join(w.dir, "journal.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			var p *order.Checked
			stopped := 0
			for run := 1; run <= 8; run++ {
				p = plan(t, clean)
				// A run may stop as a sign-in failure (every attempt of a
				// request refused); the rows it did not send are Not
				// submitted, and the next run goes on.
				err := Run(context.Background(), w.client, j, p, Options{Batch: "batch", RunID: fmt.Sprint(run), Concurrency: 5})
				if err != nil {
					var auth *pc.AuthError
					if !errors.As(err, &auth) {
						t.Fatalf("run %d: %v", run, err)
					}
					stopped++
				}
				for i, o := range p.Outcomes {
					if o.Status == order.StatusFailed {
						t.Fatalf("run %d: row %d Failed: %+v", run, p.Rows[i].Line, o.Problems)
					}
				}
				if s := statuses(p); s[order.StatusOrdered]+s[order.StatusSkipped] == 30 {
					break
				}
			}
			if s := statuses(p); s[order.StatusOrdered]+s[order.StatusSkipped] != 30 {
				t.Fatalf("not finished in 8 runs: %v", s)
			}
			if lines, _ := w.orderedLines(); lines != 30 {
				t.Errorf("%d lines ordered, want 30", lines)
			}
			t.Logf("%d runs stopped as sign-in failures", stopped)
		})
	}
}

// TestBindRefusesAnotherRemote: a sandbox's journal never answers for a
// real run (its carts were never bought), nor a real one for the sandbox;
// a journal from before the tie is taken as Partner Center's.
func TestBindRefusesAnotherRemote(t *testing.T) {
	_, old := orderedJournal(t) // records, and no tie yet
	fresh := filepath.Join(t.TempDir(), "fresh.journal")
	cases := []struct {
		path     string
		binds    []string
		refusedN int // the bind refused, or -1
	}{
		{fresh, []string{RemoteSandbox, RemoteSandbox, RemotePartnerCenter}, 2},
		{old, []string{RemoteSandbox}, 0},
		{old, []string{RemotePartnerCenter, RemotePartnerCenter, RemoteSandbox}, 2},
	}
	for _, c := range cases {
		for n, remote := range c.binds {
			j, err := OpenJournal(c.path)
			if err != nil {
				t.Fatal(err)
			}
			err = j.Bind(remote)
			j.Close()
			if refused := errors.Is(err, ErrOtherRemote); refused != (n == c.refusedN) {
				t.Errorf("%s, bind %d (%s): %v", filepath.Base(c.path), n, remote, err)
			}
		}
	}
}
