package inbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func open(t *testing.T) (*Inbox, *clock) {
	t.Helper()
	b, err := Open(t.TempDir(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	c := &clock{t: time.Now()}
	b.Now = c.now
	return b, c
}

// put writes a file in the inbox, modified at mod.
func put(t *testing.T, b *Inbox, name, content string, mod time.Time) {
	t.Helper()
	p := filepath.Join(b.Dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func ready(t *testing.T, b *Inbox) []string {
	t.Helper()
	r, err := b.Ready()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadyWaitsForAFileToStopChanging(t *testing.T) {
	b, c := open(t)
	start := c.t
	put(t, b, "b.xlsx", "part", start)
	put(t, b, "a.csv", "whole", start.Add(-time.Hour))
	for _, name := range []string{".hidden.xlsx", "~$a.xlsx", "notes.txt", "a.plan.json"} {
		put(t, b, name, "x", start.Add(-time.Hour))
	}
	if r := ready(t, b); len(r) != 0 {
		t.Fatalf("first look: %v ready; nothing is, before a second look", r)
	}
	// Still being written: b.xlsx grows.
	c.t = start.Add(6 * time.Second)
	put(t, b, "b.xlsx", "part two", c.t)
	if r := ready(t, b); !slices.Equal(r, []string{"a.csv"}) {
		t.Fatalf("second look: %v, want only a.csv", r)
	}
	// Unchanged, but not for Settle yet.
	c.t = start.Add(9 * time.Second)
	if r := ready(t, b); !slices.Equal(r, []string{"a.csv"}) {
		t.Fatalf("third look: %v, want only a.csv", r)
	}
	c.t = start.Add(12 * time.Second)
	if r := ready(t, b); !slices.Equal(r, []string{"a.csv", "b.xlsx"}) {
		t.Fatalf("fourth look: %v, want both, in name order", r)
	}
}

// A copy that keeps the source's old modification time is still only
// taken once its size has stopped changing.
func TestReadyOldModTimeStillGrowing(t *testing.T) {
	b, c := open(t)
	old := c.t.Add(-24 * time.Hour)
	put(t, b, "x.xlsx", "p", old)
	ready(t, b)
	c.t = c.t.Add(10 * time.Second)
	put(t, b, "x.xlsx", "pa", old)
	if r := ready(t, b); len(r) != 0 {
		t.Fatalf("%v ready while growing", r)
	}
	c.t = c.t.Add(10 * time.Second)
	if r := ready(t, b); len(r) != 1 {
		t.Fatalf("%v, want x.xlsx once it stopped", r)
	}
}

func TestHasPlan(t *testing.T) {
	b, c := open(t)
	put(t, b, "nov.xlsx", "sheet", c.t.Add(-time.Hour))
	if b.HasPlan("nov.xlsx") {
		t.Error("a plan without a plan file")
	}
	put(t, b, "nov.plan.json", "{", c.t.Add(-time.Second))
	if b.HasPlan("nov.xlsx") {
		t.Error("a plan still being written counts")
	}
	c.t = c.t.Add(5 * time.Second)
	if !b.HasPlan("nov.xlsx") {
		t.Error("a plan unchanged for Settle does not count")
	}
}

func TestClaimFinish(t *testing.T) {
	b, _ := open(t)
	put(t, b, "nov.xlsx", "sheet", time.Now())
	put(t, b, "nov.plan.json", "{}", time.Now())
	j, err := b.Claim("nov.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if j.Dir != filepath.Join(b.Dir, Processing, "nov") || j.Plan() == "" || j.Stem() != "nov" {
		t.Fatalf("job %+v, plan %q", j, j.Plan())
	}
	for _, n := range []string{"nov.xlsx", "nov.plan.json"} {
		if _, err := os.Stat(filepath.Join(b.Dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still in the inbox", n)
		}
	}
	if err := os.WriteFile(j.Path("nov.results.xlsx"), []byte("r"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest, err := j.Finish(true)
	if err != nil || dest != filepath.Join(b.Dir, Done, "nov") {
		t.Fatalf("finish: %s %v", dest, err)
	}
	for _, n := range []string{"nov.xlsx", "nov.plan.json", "nov.results.xlsx"} {
		if _, err := os.Stat(filepath.Join(dest, n)); err != nil {
			t.Error(err)
		}
	}
	// The same name next month goes beside it, not over it.
	put(t, b, "nov.xlsx", "sheet 2", time.Now())
	j, err = b.Claim("nov.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if j.Plan() != "" {
		t.Error("a plan without a plan file")
	}
	if dest, err := j.Finish(true); err != nil || dest != filepath.Join(b.Dir, Done, "nov-2") {
		t.Fatalf("second finish: %s %v", dest, err)
	}
	put(t, b, "dec.csv", "s", time.Now())
	j, _ = b.Claim("dec.csv")
	if dest, err := j.Finish(false); err != nil || dest != filepath.Join(b.Dir, Failed, "dec") {
		t.Fatalf("failed: %s %v", dest, err)
	}
}

// TestPending: what a killed run left in processing/ is found again.
func TestPending(t *testing.T) {
	b, _ := open(t)
	put(t, b, "a.xlsx", "a", time.Now())
	a, err := b.Claim("a.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	// Killed while writing the results workbook.
	if err := os.WriteFile(a.Path(".a.results.xlsx.123.tmp"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Killed between moving the plan and the sheet.
	half := filepath.Join(b.Dir, Processing, "b")
	if err := os.Mkdir(half, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(half, "b.plan.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Killed after mkdir.
	if err := os.Mkdir(filepath.Join(b.Dir, Processing, "c"), 0o750); err != nil {
		t.Fatal(err)
	}
	// Killed while rewriting a filed sheet's summary.
	filed := filepath.Join(b.Dir, Done, "d")
	if err := os.Mkdir(filed, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"d.xlsx", "d.summary.json", ".d.summary.json.4f02486b6af3.tmp"} {
		if err := os.WriteFile(filepath.Join(filed, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	b2, err := Open(b.Dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	jobs, err := b2.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Sheet != "a.xlsx" {
		t.Fatalf("pending %+v, want a.xlsx", jobs)
	}
	if files := names(t, jobs[0].Dir); !slices.Equal(files, []string{Marker, "a.xlsx"}) {
		t.Errorf("job directory holds %v; the killed run's half-written file must be gone", files)
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "b.plan.json")); err != nil {
		t.Error("the half-claimed plan was not put back in the inbox")
	}
	for _, d := range []string{"b", "c"} {
		if _, err := os.Stat(filepath.Join(b.Dir, Processing, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("processing/%s is left", d)
		}
	}
	if files := names(t, filed); !slices.Equal(files, []string{"d.summary.json", "d.xlsx"}) {
		t.Errorf("done/d holds %v; the killed run's half-written summary must be gone, the rest kept", files)
	}
}

func TestOneWatcherPerInbox(t *testing.T) {
	b, _ := open(t)
	if _, err := Open(b.Dir, time.Second); !errors.Is(err, ErrLocked) {
		t.Fatalf("second watcher: %v", err)
	}
	b.Close()
	b2, err := Open(b.Dir, time.Second)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	b2.Close()
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestPendingResultsNamedSheet: a results workbook given back as a sheet
// (orders.results.xlsx) and killed once its own results are written is
// resumed as that sheet, not as two sheets (which ordered everything twice).
func TestPendingResultsNamedSheet(t *testing.T) {
	b, _ := open(t)
	put(t, b, "orders.results.xlsx", "sheet", time.Now())
	j, err := b.Claim("orders.results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(j.Path("orders.results.results.xlsx"), []byte("results"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A job directory of a version without markers, in the same state.
	legacy := filepath.Join(b.Dir, Processing, "legacy.results")
	if err := os.Mkdir(legacy, 0o750); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"legacy.results.xlsx", "legacy.results.results.xlsx", "legacy.results.summary.json"} {
		if err := os.WriteFile(filepath.Join(legacy, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := b.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, filepath.Base(j.Dir)+"/"+j.Sheet)
	}
	slices.Sort(got)
	want := []string{"legacy.results/legacy.results.xlsx", "orders.results/orders.results.xlsx"}
	if !slices.Equal(got, want) {
		t.Errorf("pending %v, want %v", got, want)
	}
	if inbox := names(t, b.Dir); !slices.Equal(inbox, []string{Done, Failed, Processing}) {
		t.Errorf("files were put back into the inbox: %v", inbox)
	}
}

// TestSymlinkSkipped: a symlink with a sheet's name is not taken, and the
// watch is told why, once.
func TestSymlinkSkipped(t *testing.T) {
	b, c := open(t)
	target := filepath.Join(t.TempDir(), "elsewhere.xlsx")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(b.Dir, "link.xlsx")); err != nil {
		t.Fatal(err)
	}
	var told []string
	b.Skipped = func(name, why string) { told = append(told, name+": "+why) }
	for range 3 {
		if r := ready(t, b); len(r) != 0 {
			t.Fatalf("ready %v", r)
		}
		c.t = c.t.Add(10 * time.Second)
	}
	if len(told) != 1 || !strings.Contains(told[0], "link.xlsx: it is a symbolic link") {
		t.Errorf("told %q, want once that link.xlsx is a symbolic link", told)
	}
}
