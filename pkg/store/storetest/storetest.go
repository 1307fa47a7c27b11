// Package storetest is the conformance suite of the app's store: the
// embedded one passes it, and a store kept elsewhere (PostgreSQL, to share
// it between app instances) must pass the same tests.
package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/web"
)

// Store is what the suite exercises: the app's store (web.Store), and
// making a token (importer token create).
type Store interface {
	web.Store
	CreateToken(name string, roles []string) (string, error)
}

// Run runs the suite; open makes a fresh, empty store for one test.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, tt := range []struct {
		name string
		f    func(*testing.T, Store)
	}{
		{"versions", versions},
		{"update", update},
		{"newest first", newestFirst},
		{"audit", audit},
		{"tokens", tokens},
		{"sessions", sessions},
		{"sign-ins", signIns},
		{"files", files},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, open(t)) })
	}
}

var day = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// versions: an upload reserves its number first (the batch is not listed
// until a version is checked); versions are kept in order of number
// whichever finishes first; a refusal of the batch as it is stops a
// reservation.
func versions(t *testing.T, s Store) {
	b, n1, err := s.Reserve("november", day, func(*store.Batch) error { return nil })
	must(t, err)
	if _, err := s.Batch(b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a batch with no version yet: %v", err)
	}
	if all, _ := s.Batches(); len(all) != 0 {
		t.Errorf("listed before its first version: %d", len(all))
	}
	b2, n2, err := s.Reserve("november", day, func(*store.Batch) error { return nil })
	must(t, err)
	if b2.ID != b.ID || n1 != 1 || n2 != 2 {
		t.Fatalf("reserved %s %d, %s %d", b.ID, n1, b2.ID, n2)
	}
	_, err = s.AddVersion(b.ID, store.Version{N: 2, Name: "second.xlsx", UploadedBy: "alice", At: day})
	must(t, err)
	got, err := s.AddVersion(b.ID, store.Version{N: 1, Name: "first.xlsx", UploadedBy: "alice", At: day, Costs: []store.Amount{{Currency: "USD", Total: 12.5}}})
	must(t, err)
	if len(got.Versions) != 2 || got.Versions[0].N != 1 || got.Current().Name != "second.xlsx" || got.Versions[0].Costs[0].Total != 12.5 {
		t.Errorf("versions: %+v", got.Versions)
	}
	refused := errors.New("being bought")
	if _, _, err := s.Reserve("november", day, func(*store.Batch) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("a refused reservation: %v", err)
	}
	if b, _ := s.Batch(b.ID); b == nil || b.Reserved != 2 {
		t.Errorf("a refused reservation changed the batch: %+v", b)
	}
}

// update: a change is kept; a refused one changes nothing; an unknown
// batch is not found.
func update(t *testing.T, s Store) {
	b, _, err := s.Reserve("november", day, func(*store.Batch) error { return nil })
	must(t, err)
	_, err = s.AddVersion(b.ID, store.Version{N: 1, PlanSHA256: "p"})
	must(t, err)
	_, err = s.UpdateBatch(b.ID, func(b *store.Batch) error {
		b.Approval = &store.Approval{Decision: "approve", By: "bob", PlanSHA256: "p", At: day}
		return nil
	})
	must(t, err)
	no := errors.New("no")
	if _, err := s.UpdateBatch(b.ID, func(b *store.Batch) error { b.Approval = nil; return no }); !errors.Is(err, no) {
		t.Errorf("a refused change: %v", err)
	}
	got, err := s.Batch(b.ID)
	must(t, err)
	if got.Approval == nil || got.Approval.By != "bob" {
		t.Errorf("after a refused change: %+v", got.Approval)
	}
	if _, err := s.UpdateBatch("nope", func(*store.Batch) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown batch: %v", err)
	}
}

func newestFirst(t *testing.T, s Store) {
	for i, name := range []string{"october", "december", "november"} {
		b, _, err := s.Reserve(name, day.Add(time.Duration([]int{0, 2, 1}[i])*time.Hour), func(*store.Batch) error { return nil })
		must(t, err)
		_, err = s.AddVersion(b.ID, store.Version{N: 1})
		must(t, err)
	}
	all, err := s.Batches()
	must(t, err)
	var names []string
	for _, b := range all {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "december,november,october" {
		t.Errorf("batches: %v", names)
	}
}

// audit: entries are kept in the order written, numbered, never changed.
func audit(t *testing.T, s Store) {
	for _, a := range []string{"upload", "approve", "purchase"} {
		must(t, s.Audit(store.Entry{At: day, Who: "alice", From: "10.0.0.1", Action: a, Batch: "b1"}))
	}
	must(t, s.Audit(store.Entry{Who: "importer", Action: "follow-up"}))
	log, err := s.AuditLog()
	must(t, err)
	if len(log) != 4 || log[0].Action != "upload" || log[2].Action != "purchase" || log[0].From != "10.0.0.1" {
		t.Fatalf("log: %+v", log)
	}
	for i := 1; i < len(log); i++ {
		if log[i].Seq <= log[i-1].Seq {
			t.Errorf("entry %d numbered %d after %d", i, log[i].Seq, log[i-1].Seq)
		}
	}
	if log[3].At.IsZero() {
		t.Error("an entry without a time was given none")
	}
}

// tokens: kept hashed, found by their secret, listed, revoked at once.
func tokens(t *testing.T, s Store) {
	secret, err := s.CreateToken("ci", []string{"approver", "buyer"})
	must(t, err)
	if _, err := s.CreateToken("ci", nil); !errors.Is(err, store.ErrExists) {
		t.Errorf("a name twice: %v", err)
	}
	tok, err := s.TokenBySecret(secret)
	if err != nil || tok.Name != "ci" || !slices.Equal(tok.Roles, []string{"approver", "buyer"}) {
		t.Errorf("by secret: %+v %v", tok, err)
	}
	all, err := s.Tokens()
	if err != nil || len(all) != 1 || all[0].Hash == "" || all[0].Hash == secret {
		t.Errorf("listed: %+v %v", all, err)
	}
	must(t, s.RevokeToken("ci"))
	if _, err := s.TokenBySecret(secret); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a revoked token: %v", err)
	}
	if err := s.RevokeToken("ci"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked twice: %v", err)
	}
}

// sessions: found by the cookie's value until they end; ended ones are
// dropped; a deleted one is gone.
func sessions(t *testing.T, s Store) {
	for id, life := range map[string]time.Duration{"live": time.Hour, "ended": -time.Minute, "gone": time.Hour} {
		must(t, s.PutSession(id, store.Session{Who: id + "@contoso.example", Groups: []string{"g"}, CSRF: "c-" + id, Expires: day.Add(life)}))
	}
	must(t, s.DeleteSession("gone"))
	must(t, s.DropExpiredSessions(day))
	for _, tt := range []struct {
		id  string
		at  time.Time
		who string
	}{
		{"live", day, "live@contoso.example"},
		{"live", day.Add(2 * time.Hour), ""},
		{"live", day, ""}, // the look after its end removed it
		{"ended", day.Add(-time.Hour), ""},
		{"gone", day, ""},
		{"never", day, ""},
	} {
		sess, err := s.Session(tt.id, tt.at)
		switch {
		case tt.who == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s at %s: %+v %v, want none", tt.id, tt.at, sess, err)
		case tt.who != "" && (err != nil || sess.Who != tt.who || sess.CSRF != "c-"+tt.id || len(sess.Groups) != 1):
			t.Errorf("%s at %s: %+v %v", tt.id, tt.at, sess, err)
		}
	}
}

// signIns: a sign-in under way is found once by its state, until it ends;
// ended ones are dropped with the ended sessions.
func signIns(t *testing.T, s Store) {
	must(t, s.PutSignIn("st-1", store.SignIn{Nonce: "n", Verifier: "v", Expires: day.Add(10 * time.Minute)}))
	must(t, s.PutSignIn("st-2", store.SignIn{Nonce: "n2", Verifier: "v2", Expires: day.Add(10 * time.Minute)}))
	must(t, s.PutSignIn("st-old", store.SignIn{Nonce: "n3", Verifier: "v3", Expires: day.Add(-time.Minute)}))
	in, err := s.TakeSignIn("st-1", day)
	if err != nil || in.Nonce != "n" || in.Verifier != "v" {
		t.Errorf("taken: %+v %v", in, err)
	}
	if _, err := s.TakeSignIn("st-1", day); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("taken twice: %v", err)
	}
	if _, err := s.TakeSignIn("st-2", day.Add(11*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("taken after it ended: %v", err)
	}
	must(t, s.DropExpiredSessions(day))
	if _, err := s.TakeSignIn("st-old", day.Add(-time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an ended sign-in was kept: %v", err)
	}
}

// files: a version's files are kept by batch, version and name, replaced
// whole, and found again; a name that would leave the version is refused.
func files(t *testing.T, s Store) {
	b, _, err := s.Reserve("november", day, func(*store.Batch) error { return nil })
	must(t, err)
	big := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<18) // binary, a megabyte
	must(t, s.PutFile(b.ID, 1, "sheet/november.xlsx", big))
	must(t, s.PutFile(b.ID, 1, "summary.json", []byte(`{"v":1}`)))
	must(t, s.PutFile(b.ID, 2, "summary.json", []byte(`{"v":2}`)))
	must(t, s.PutFile(b.ID, 1, "summary.json", []byte(`{"v":"1 again"}`)))
	for _, tt := range []struct {
		version int
		name    string
		want    []byte
	}{
		{1, "sheet/november.xlsx", big},
		{1, "summary.json", []byte(`{"v":"1 again"}`)},
		{2, "summary.json", []byte(`{"v":2}`)},
	} {
		got, err := s.File(b.ID, tt.version, tt.name)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("v%d %s: %d bytes, %v", tt.version, tt.name, len(got), err)
		}
	}
	for _, missing := range []struct {
		id      string
		version int
		name    string
	}{{b.ID, 3, "summary.json"}, {b.ID, 1, "plan.json"}, {"other", 1, "summary.json"}} {
		if _, err := s.File(missing.id, missing.version, missing.name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%v: %v, want not found", missing, err)
		}
	}
	for _, bad := range []string{"", "../escape", "/abs", "a/../../b", "sheet/../../x", `a\b`, "."} {
		if err := s.PutFile(b.ID, 1, bad, []byte("x")); err == nil {
			t.Errorf("%q was kept", bad)
		}
	}
}
