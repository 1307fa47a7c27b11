package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// app is a server on loopback with a token for each kind of caller.
type app struct {
	t      *testing.T
	srv    *httptest.Server
	st     *store.Store
	tokens map[string]string // caller -> token secret
}

func newApp(t *testing.T, o Options) *app {
	t.Helper()
	var st *store.Store
	if o.Store == nil { // else the test's, and its Data
		var err error
		if st, err = store.Open(t.TempDir()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		o.Store, o.Data = st, st.Dir
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	}
	a := &app{t: t, st: st, tokens: map[string]string{}}
	for name, roles := range map[string][]string{
		"alice": {RoleSubmitter}, "erin": {RoleSubmitter}, "bob": {RoleApprover, RoleBuyer}, "dave": {RoleBuyer}, "carol": {RoleAdmin},
	} {
		secret, err := o.Store.(interface {
			CreateToken(string, []string) (string, error)
		}).CreateToken(name, roles)
		if err != nil {
			t.Fatal(err)
		}
		a.tokens[name] = secret
	}
	a.srv = httptest.NewServer(New(o))
	t.Cleanup(a.srv.Close)
	return a
}

// twin is another instance of the app a, on o (which shares a's store and
// data folder): the same callers, with the same tokens.
func (a *app) twin(o Options) *app {
	b := &app{t: a.t, st: a.st, tokens: a.tokens}
	b.srv = httptest.NewServer(New(o))
	a.t.Cleanup(b.srv.Close)
	return b
}

// do sends a request as who ("" is anonymous) and returns the status and
// body.
func (a *app) do(who, method, path string, body io.Reader, contentType string) (int, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, body)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+a.tokens[who])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// upload sends a file as who.
func (a *app) upload(who, name string, data []byte, fields map[string]string) (int, batchView) {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	mw.Close()
	code, raw := a.do(who, "POST", "/api/v1/batches", &body, mw.FormDataContentType())
	var v batchView
	if code == http.StatusCreated {
		if err := json.Unmarshal(raw, &v); err != nil {
			a.t.Fatalf("%s: %s", err, raw)
		}
	} else {
		a.t.Logf("upload %s as %s: %d %s", name, who, code, raw)
	}
	return code, v
}

func (a *app) approve(who, id, decision, plan string) (int, string) {
	a.t.Helper()
	body := fmt.Sprintf(`{"decision":%q,"planSha256":%q,"comment":"ok"}`, decision, plan)
	code, raw := a.do(who, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(body), "application/json")
	return code, string(raw)
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadAndApprove: a submitter uploads, someone else approves the
// plan they saw; the uploader cannot (four eyes, also for an admin); a
// decision on a plan that changed is refused; a new version needs a new
// decision; every step is in the audit log.
func TestUploadAndApprove(t *testing.T) {
	a := newApp(t, Options{})
	code, bad := a.upload("alice", "november.xlsx", sample(t, "monthly-orders-with-mistakes.xlsx"), nil)
	if code != http.StatusCreated || bad.Status != StatusInvalid || bad.Batch != "november" || bad.UploadedBy != "token:alice" || !strings.Contains(string(bad.Summary), `"Invalid": 17`) {
		t.Fatalf("upload: %d %+v", code, bad)
	}
	code, raw := a.do("alice", "GET", "/api/v1/batches/"+bad.ID+"/rows?status=Invalid", nil, "")
	var rows struct {
		Total int       `json:"total"`
		Rows  []rowView `json:"rows"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil || code != 200 || rows.Total != 17 || rows.Rows[0].Row != 4 || !strings.Contains(rows.Rows[0].Message, "Quantity") {
		t.Fatalf("invalid rows: %d %s", code, raw)
	}

	// The corrected sheet: a new version of the same batch.
	code, good := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), map[string]string{"batch": "november"})
	if code != http.StatusCreated || good.ID != bad.ID || good.Version != 2 || good.Status != StatusReady {
		t.Fatalf("second version: %d %+v", code, good)
	}
	if code, raw := a.do("alice", "POST", "/api/v1/batches/"+good.ID+"/approval-request", nil, ""); code != 200 || !strings.Contains(string(raw), `"status": "awaiting-approval"`) {
		t.Errorf("asking for approval: %d %s", code, raw)
	}
	if code, msg := a.approve("alice", good.ID, "approve", good.Plan["sha256"]); code != http.StatusForbidden {
		t.Errorf("a submitter approves: %d %s", code, msg)
	}
	if code, msg := a.approve("bob", good.ID, "approve", bad.Plan["sha256"]); code != http.StatusConflict || !strings.Contains(msg, "the batch changed") {
		t.Errorf("approving the first version's plan: %d %s", code, msg)
	}
	if code, msg := a.approve("bob", good.ID, "approve", good.Plan["sha256"]); code != http.StatusOK || !strings.Contains(msg, `"status": "approved"`) {
		t.Fatalf("bob approves: %d %s", code, msg)
	}

	// An admin who uploaded may not approve either.
	code, own := a.upload("carol", "december.xlsx", sample(t, "monthly-orders.xlsx"), nil)
	if code != http.StatusCreated {
		t.Fatal(code)
	}
	if code, msg := a.approve("carol", own.ID, "approve", own.Plan["sha256"]); code != http.StatusForbidden || !strings.Contains(msg, "four eyes") {
		t.Errorf("an admin approves their own upload: %d %s", code, msg)
	}

	// A new version after the approval: the approval no longer applies.
	code, third := a.upload("erin", "november.csv", sample(t, "monthly-orders-with-mistakes.csv"), map[string]string{"batch": "november"})
	if code != http.StatusCreated || third.Version != 3 || third.Status != StatusInvalid || third.Approval != nil {
		t.Errorf("a version after the approval: %d %+v", code, third)
	}
	if code, raw := a.do("erin", "POST", "/api/v1/batches/"+third.ID+"/approval-request", nil, ""); code != http.StatusConflict {
		t.Errorf("asking for approval of invalid rows: %d %s", code, raw)
	}

	code, raw = a.do("carol", "GET", "/api/v1/audit", nil, "")
	var log []store.Entry
	if err := json.Unmarshal(raw, &log); err != nil || code != 200 {
		t.Fatalf("audit: %d %s", code, raw)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Who+" "+e.Action)
	}
	if got := strings.Join(actions, ", "); got != "token:alice upload, token:alice upload, token:alice ask for approval, token:bob approve, token:carol upload, token:erin upload" {
		t.Errorf("audit: %s", got)
	}
}

// TestRoleMatrix: every route, as every kind of caller.
func TestRoleMatrix(t *testing.T) {
	a := newApp(t, Options{})
	_, b := a.upload("alice", "orders.xlsx", sample(t, "monthly-orders.xlsx"), nil)
	id := b.ID
	routes := []struct {
		method, path string
		body         func() (io.Reader, string)
		want         map[string]int // by caller; absent: 200
	}{
		{"POST", "/api/v1/batches", func() (io.Reader, string) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", "x.xlsx")
			_, _ = fw.Write(sample(t, "monthly-orders.xlsx"))
			_ = mw.WriteField("batch", "matrix")
			mw.Close()
			return &body, mw.FormDataContentType()
		}, map[string]int{"": 401, "bob": 403, "dave": 403, "alice": 201, "carol": 201}},
		{"GET", "/api/v1/batches", nil, map[string]int{"": 401}},
		{"GET", "/api/v1/batches/" + id, nil, map[string]int{"": 401}},
		{"GET", "/api/v1/batches/" + id + "/rows", nil, map[string]int{"": 401}},
		{"GET", "/api/v1/batches/" + id + "/results.xlsx", nil, map[string]int{"": 401}},
		{"GET", "/api/v1/batches/" + id + "/summary.json", nil, map[string]int{"": 401}},
		{"POST", "/api/v1/batches/" + id + "/approval", func() (io.Reader, string) {
			return strings.NewReader(`{"decision":"reject","planSha256":"` + b.Plan["sha256"] + `"}`), "application/json"
		}, map[string]int{"": 401, "alice": 403, "dave": 403}},
		{"GET", "/api/v1/audit", nil, map[string]int{"": 401, "alice": 403, "dave": 403}},
		{"POST", "/api/v1/batches/" + id + "/approval-request", nil, map[string]int{"": 401, "bob": 403, "dave": 403, "alice": 409, "carol": 409}},
		{"GET", "/api/v1/batches/nope", nil, map[string]int{"": 401, "alice": 404, "bob": 404, "dave": 404, "carol": 404}},
		// This app has no connection to Partner Center: a buyer's purchase
		// and anyone's follow-up are refused after the role check.
		{"POST", "/api/v1/batches/" + id + "/submission", nil, map[string]int{"": 401, "alice": 403, "bob": 409, "dave": 409, "carol": 409}},
		{"POST", "/api/v1/batches/" + id + "/follow-up", nil, map[string]int{"": 401, "alice": 409, "bob": 409, "dave": 409, "carol": 409}},
	}
	for _, r := range routes {
		for _, who := range []string{"", "alice", "bob", "dave", "carol"} {
			var body io.Reader
			typ := ""
			if r.body != nil {
				body, typ = r.body()
			}
			want, ok := r.want[who]
			if !ok {
				want = 200
			}
			if code, raw := a.do(who, r.method, r.path, body, typ); code != want {
				t.Errorf("%s %s as %q: %d, want %d: %s", r.method, r.path, who, code, want, raw)
			} else if code >= 400 && !strings.HasPrefix(strings.TrimSpace(string(raw)), `{`) {
				t.Errorf("%s %s as %q: an error that is not JSON: %s", r.method, r.path, who, raw)
			}
		}
	}
	if code, _ := a.do("", "GET", "/api/v1/batches", nil, ""); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
	req, _ := http.NewRequest("GET", a.srv.URL+"/api/v1/batches", nil)
	req.Header.Set("Authorization", "Bearer imp_not-a-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("an unknown token: %v %v", resp.StatusCode, err)
	}
}

// TestBadUploads: too big, not a sheet, damaged: refused with a reason,
// nothing kept.
func TestBadUploads(t *testing.T) {
	a := newApp(t, Options{MaxUpload: 64 << 10})
	big := bytes.Repeat([]byte("a,b\n"), 40<<10)
	for _, tt := range []struct {
		name string
		data []byte
		code int
		want string
	}{
		{"big.csv", big, http.StatusRequestEntityTooLarge, "the sheet is over 64 KB"},
		{"notes.txt", []byte("hello"), http.StatusUnsupportedMediaType, "upload an .xlsx workbook or a .csv file"},
		{"broken.xlsx", []byte("PK\x03\x04 not really"), http.StatusUnprocessableEntity, "broken.xlsx"},
		{"cut.xlsx", sample(t, "monthly-orders.xlsx")[:2000], http.StatusUnprocessableEntity, "cut.xlsx"},
	} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", tt.name)
		_, _ = fw.Write(tt.data)
		mw.Close()
		code, raw := a.do("alice", "POST", "/api/v1/batches", &body, mw.FormDataContentType())
		if code != tt.code || !strings.Contains(string(raw), tt.want) {
			t.Errorf("%s: %d %s", tt.name, code, raw)
		}
		if strings.Contains(string(raw), a.st.Dir) {
			t.Errorf("%s: the answer names the data directory: %s", tt.name, raw)
		}
	}
	if all, _ := a.st.Batches(); len(all) != 0 {
		t.Errorf("refused uploads were kept: %d batches", len(all))
	}
	entries, _ := os.ReadDir(filepath.Join(a.st.Dir, "batches"))
	for _, e := range entries {
		if sub, _ := os.ReadDir(filepath.Join(a.st.Dir, "batches", e.Name())); len(sub) > 0 {
			t.Errorf("files of a refused upload were kept: %s %v", e.Name(), sub)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(a.st.Dir, "work")); len(left) > 0 {
		t.Errorf("work folders were left: %v", left)
	}
}

// TestPurchase: an approved batch is bought in the background, exactly
// once however often (and however simultaneously) the purchase is asked
// for; the batch says how it went and its rows are Ordered. An unapproved
// batch is not bought.
func TestPurchase(t *testing.T) {
	co := importer.DefaultConnectOptions()
	co.Sandbox, co.Rate = true, 60000
	conn := importer.NewConnection(co)
	defer conn.Close()
	a := newApp(t, Options{Conn: conn})
	_, b := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+b.ID+"/submission", nil, ""); code != http.StatusConflict {
		t.Errorf("buying before approval: %d %s", code, raw)
	}
	if code, msg := a.approve("bob", b.ID, "approve", b.Plan["sha256"]); code != 200 {
		t.Fatalf("approve: %d %s", code, msg)
	}
	if code, raw := a.do("alice", "POST", "/api/v1/batches/"+b.ID+"/follow-up", nil, ""); code != http.StatusConflict || !strings.Contains(string(raw), "not bought") {
		t.Errorf("a follow-up before the purchase: %d %s", code, raw)
	}
	codes := make(chan int, 3)
	for range 3 {
		go func() {
			code, _ := a.do("bob", "POST", "/api/v1/batches/"+b.ID+"/submission", nil, "")
			codes <- code
		}()
	}
	for range 3 {
		if code := <-codes; code != http.StatusAccepted {
			t.Errorf("submission: %d", code)
		}
	}
	var got batchView
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, raw := a.do("alice", "GET", "/api/v1/batches/"+b.ID, nil, "")
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusBuying || time.Now().After(deadline) {
			break
		}
	}
	if got.Status != StatusDone || got.Purchase == nil || got.Purchase.Statuses["Ordered"] != 30 || got.Purchase.By != "token:bob" {
		t.Fatalf("after the purchase: %+v", got)
	}
	if code, raw := a.do("bob", "POST", "/api/v1/batches/"+b.ID+"/submission", nil, ""); code != http.StatusAccepted || !strings.Contains(string(raw), `"status": "done"`) {
		t.Errorf("bought again: %d %s", code, raw)
	}
	_, raw := a.do("alice", "GET", "/api/v1/batches/"+b.ID+"/rows?status=Ordered", nil, "")
	if !strings.Contains(string(raw), `"total": 30`) || strings.Count(string(raw), `"message": "SANDBOX: nothing was bought (simulated Partner Center).`) != 30 {
		t.Errorf("rows (each says the sandbox bought nothing): %s", raw)
	}
	// Anyone may ask where the orders stand; it buys nothing. The asking
	// goes on in the background; the batch has the answer once it is in.
	code, raw := a.do("alice", "POST", "/api/v1/batches/"+b.ID+"/follow-up", nil, "")
	if code != http.StatusAccepted {
		t.Fatalf("follow-up: %d %s", code, raw)
	}
	var followed batchView
	for deadline := time.Now().Add(30 * time.Second); followed.Purchase == nil || followed.Purchase.FollowUp == nil; time.Sleep(20 * time.Millisecond) {
		followed = batchView{}
		_, raw = a.do("alice", "GET", "/api/v1/batches/"+b.ID, nil, "")
		if err := json.Unmarshal(raw, &followed); err != nil || time.Now().After(deadline) {
			t.Fatalf("follow-up: %v %s", err, raw)
		}
	}
	if followed.Asking {
		t.Errorf("still asking once the answer is in: %s", raw)
	}
	if f := followed.Purchase.FollowUp; f.Done != 30 || f.Pending != 0 || f.Failed != 0 || f.By != "token:alice" || f.Error != "" || followed.Status != StatusDone {
		t.Errorf("follow-up: %+v (%s)", f, followed.Status)
	}
	_, raw = a.do("alice", "GET", "/api/v1/batches/"+b.ID+"/rows", nil, "")
	if strings.Count(string(raw), `"provisioning": "`) != 30 || !strings.Contains(string(raw), `"orderStatus": "completed"`) {
		t.Errorf("rows after the follow-up: %s", raw)
	}
	code, xlsx := a.do("alice", "GET", "/api/v1/batches/"+b.ID+"/results.xlsx", nil, "")
	if f, err := excelize.OpenReader(bytes.NewReader(xlsx)); code != 200 || err != nil {
		t.Errorf("results: %d %v", code, err)
	} else if rows, _ := f.GetRows(f.GetSheetName(0)); len(rows) < 4 || !slices.Contains(rows[2], "Provisioning") || !slices.Contains(rows[3], "fulfilled") {
		t.Errorf("the results workbook has no provisioning: %.300v", rows)
	}
	// The sandbox (beside the batch's journal) placed each order once.
	if n, err := sandbox.SavedOrders(filepath.Join(a.st.Dir, "journals", b.ID+".sandbox")); err != nil || n != 21 {
		t.Errorf("%d orders placed (%v), want the sample's 21, once each", n, err)
	}
	log, _ := a.st.AuditLog()
	if !slices.ContainsFunc(log, func(e store.Entry) bool {
		return e.Action == "follow-up" && e.Who == "token:alice" && e.Detail == "30 rows provisioned, 0 pending, 0 failed"
	}) {
		t.Errorf("no follow-up in the audit log: %+v", log)
	}
}

// TestUploadOnlineAndPriced: online=true checks the sheet against Partner
// Center (the sandbox) and the server's price list prices it.
func TestUploadOnlineAndPriced(t *testing.T) {
	co := importer.DefaultConnectOptions()
	co.Sandbox, co.Rate = true, 60000
	conn := importer.NewConnection(co)
	defer conn.Close()
	list, _ := filepath.Abs(filepath.Join("..", "..", "samples", "pricelist.csv"))
	a := newApp(t, Options{Conn: conn, Prices: list})
	code, b := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), map[string]string{"online": "true"})
	if code != http.StatusCreated || !b.Versions[0].Online {
		t.Fatalf("upload: %d %+v", code, b)
	}
	for _, want := range []string{`"online": {`, `"checkedAt"`, `"costs": [`, `"currency": "USD"`, "online: customer already has the subscription"} {
		if !strings.Contains(string(b.Summary), want) {
			t.Errorf("the summary lacks %s:\n%s", want, b.Summary)
		}
	}
	// A sheet may have any name, even one of the files made from it.
	if code, v := a.upload("alice", "results.xlsx", sample(t, "monthly-orders.xlsx"), map[string]string{"batch": "named oddly"}); code != http.StatusCreated || v.Status != StatusReady {
		t.Errorf("a sheet named results.xlsx: %d %+v", code, v)
	}
	noConn := newApp(t, Options{})
	if code, _ := noConn.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), map[string]string{"online": "true"}); code != http.StatusConflict {
		t.Errorf("online without a connection: %d", code)
	}
}

// TestTrustProxy: behind a trusted proxy, the audit log names the client
// the proxy says; otherwise the header is ignored.
func TestTrustProxy(t *testing.T) {
	for _, trust := range []bool{false, true} {
		a := newApp(t, Options{TrustProxy: trust})
		req, _ := http.NewRequest("GET", a.srv.URL+"/api/v1/batches/nope/summary.json", nil)
		req.Header.Set("Authorization", "Bearer "+a.tokens["alice"])
		req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		_, b := a.upload("alice", "orders.xlsx", sample(t, "monthly-orders.xlsx"), nil)
		req, _ = http.NewRequest("GET", a.srv.URL+"/api/v1/batches/"+b.ID+"/summary.json", nil)
		req.Header.Set("Authorization", "Bearer "+a.tokens["alice"])
		req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		log, _ := a.st.AuditLog()
		want := "127.0.0.1"
		if trust {
			want = "203.0.113.7"
		}
		if got := log[len(log)-1].From; got != want {
			t.Errorf("trust %v: from %s, want %s", trust, got, want)
		}
	}
}

// TestConcurrentUploads: uploads of one batch at the same time are checked
// side by side and become versions one, two, three…, of one batch.
func TestConcurrentUploads(t *testing.T) {
	a := newApp(t, Options{})
	const n = 4
	codes := make(chan int, n)
	for range n {
		go func() {
			code, _ := a.upload("alice", "november.xlsx", sample(t, "monthly-orders.xlsx"), nil)
			codes <- code
		}()
	}
	for range n {
		if code := <-codes; code != http.StatusCreated {
			t.Errorf("upload: %d", code)
		}
	}
	all, err := a.st.Batches()
	if err != nil || len(all) != 1 {
		t.Fatalf("%d batches (%v), want one", len(all), err)
	}
	var got []int
	for _, v := range all[0].Versions {
		got = append(got, v.N)
	}
	if fmt.Sprint(got) != "[1 2 3 4]" {
		t.Errorf("versions %v", got)
	}
}

// TestFollowUpExcludesBuying: a batch's journal is held by one at a time,
// so a follow-up is refused while the batch is bought or asked about, and
// a purchase can see that someone is asking.
func TestFollowUpExcludesBuying(t *testing.T) {
	p := purchases{progress: map[string]*progress{"buying": {}}, following: map[string]bool{}}
	if p.startFollowUp("buying") {
		t.Error("a follow-up of a batch being bought")
	}
	if !p.startFollowUp("b") || !p.isFollowing("b") {
		t.Fatal("a follow-up of an idle batch was refused")
	}
	if p.startFollowUp("b") {
		t.Error("two follow-ups of one batch at once")
	}
	p.endFollowUp("b")
	if p.isFollowing("b") || !p.startFollowUp("b") {
		t.Error("a finished follow-up still holds the batch")
	}
}
