package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// signedIn is the app with the sandbox as its identity provider.
type signedIn struct {
	app, idp string
	st       *store.Store
	o        Options
	srv      *atomic.Pointer[Server] // the app, which restart replaces
}

// restart replaces the app by a new one on the same store, as a restart of
// the process does; set may change its options first.
func (s *signedIn) restart(set func(*Options)) {
	o := s.o
	oidc := *o.OIDC
	o.OIDC = &oidc
	if set != nil {
		set(&o)
	}
	s.srv.Store(New(o))
}

// withSignIn starts the app and the provider; set may change either's
// configuration first.
func withSignIn(t *testing.T, set ...func(*sandbox.Config, *Options)) *signedIn {
	t.Helper()
	var cfg sandbox.Config
	o := Options{OIDC: &OIDC{Roles: map[string][]string{"alice@contoso.example": {RoleSubmitter}, "bob@contoso.example": {RoleApprover, RoleBuyer}}}}
	for _, f := range set {
		f(&cfg, &o)
	}
	sb := sandbox.New(cfg)
	idp := httptest.NewServer(sb)
	t.Cleanup(idp.Close)
	_, clientID, secret, _ := sb.Credentials()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if o.Store == nil { // else set's
		o.Store, o.Data = st, st.Dir
	}
	o.OIDC.Issuer, o.OIDC.ClientID, o.OIDC.ClientSecret, o.OIDC.RedirectURL = sb.Issuer(idp.URL), clientID, secret, base+"/auth/callback"
	app := &atomic.Pointer[Server]{}
	app.Store(New(o))
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		app.Load().ServeHTTP(w, r)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &signedIn{app: base, idp: idp.URL, st: st, o: o, srv: app}
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// browser signs in as who through the demo provider's page, with a
// cookie jar as a browser has; it returns the client and the last page.
func (s *signedIn) browser(t *testing.T, who string) (*http.Client, string, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(s.app + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "This is a demo.") || !strings.HasPrefix(resp.Request.URL.String(), s.idp) {
		t.Fatalf("the sign-in page: %d %s %s", resp.StatusCode, resp.Request.URL, body)
	}
	form := url.Values{"user": {who}}
	for _, m := range hidden.FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	resp, err = c.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return c, string(page), resp.StatusCode
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// TestSignIn: a person signs in through the identity provider (the
// sandbox's demo one, by the code path Entra's uses) and is who the ID
// token says, with the roles the configuration gives; requests that change
// something carry the page's CSRF token and come from this site; signing
// out ends the session.
func TestSignIn(t *testing.T) {
	s := withSignIn(t)
	c, page, code := s.browser(t, "alice@contoso.example")
	if code != 200 || !strings.Contains(page, "Signed in as <strong>alice@contoso.example</strong> (submitter)") {
		t.Fatalf("after signing in: %d %s", code, page)
	}
	csrf := hidden.FindStringSubmatch(page)[2]
	if resp, err := c.Get(s.app + "/api/v1/batches"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the API by session: %v %v", resp.StatusCode, err)
	}
	upload := func(token, origin string) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "november.xlsx")
		_, _ = fw.Write(sample(t, "monthly-orders.xlsx"))
		mw.Close()
		req, _ := http.NewRequest("POST", s.app+"/api/v1/batches", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := upload("", ""); code != http.StatusForbidden {
		t.Errorf("an upload without the CSRF token: %d", code)
	}
	if code := upload(csrf, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("an upload from another site: %d", code)
	}
	if code := upload(csrf, s.app); code != http.StatusCreated {
		t.Errorf("an upload from the app: %d", code)
	}
	log, _ := s.st.AuditLog()
	if len(log) != 2 || log[0].Action != "sign-in" || log[1].Who != "alice@contoso.example" {
		t.Errorf("audit: %+v", log)
	}
	if resp, err := c.PostForm(s.app+"/signout", url.Values{"csrf": {"wrong"}}); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign out with a wrong token: %v %v", resp.StatusCode, err)
	}
	if resp, err := c.PostForm(s.app+"/signout", url.Values{"csrf": {csrf}}); err != nil || resp.StatusCode != 200 {
		t.Errorf("sign out: %v %v", resp.StatusCode, err)
	}
	if resp, _ := c.Get(s.app + "/api/v1/batches"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after signing out: %d", resp.StatusCode)
	}

	// Someone the configuration gives no role is not let in.
	if _, page, code := s.browser(t, "carol@contoso.example"); code != http.StatusForbidden || !strings.Contains(page, "has no role") {
		t.Errorf("a person without a role: %d %s", code, page)
	}
}

// TestSignInGroups: roles also come from the Entra groups the ID token
// lists, added to those given by email; someone in more groups than a
// token lists (Entra's overage) is told why the groups could not be read.
func TestSignInGroups(t *testing.T) {
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	s := withSignIn(t, func(c *sandbox.Config, opts *Options) {
		o := opts.OIDC
		c.Users = []sandbox.DemoUser{
			{Name: "Alice", Email: "alice@contoso.example", Groups: []string{sandbox.DemoFinanceGroup}},
			{Name: "Bob", Email: "bob@contoso.example", Groups: []string{"11111111-2222-4333-8444-555555555555", strings.ToUpper(sandbox.DemoControllersGroup)}},
			{Name: "Dan", Email: "dan@contoso.example", Groups: []string{"11111111-2222-4333-8444-555555555555"}},
			{Name: "Erin", Email: "erin@contoso.example", Groups: many},
		}
		o.Roles = map[string][]string{"bob@contoso.example": {RoleBuyer}}
		o.GroupRoles = map[string][]string{sandbox.DemoFinanceGroup: {RoleSubmitter}, sandbox.DemoControllersGroup: {RoleApprover}, many[200]: {RoleAdmin}}
	})
	tests := []struct {
		who, want string
		code      int
	}{
		{"alice@contoso.example", "Signed in as <strong>alice@contoso.example</strong> (submitter)", 200},
		{"bob@contoso.example", "Signed in as <strong>bob@contoso.example</strong> (approver, buyer)", 200},
		{"dan@contoso.example", "dan@contoso.example has no role in this importer", http.StatusForbidden},
		{"erin@contoso.example", "erin@contoso.example is in more groups than Entra ID lists in a sign-in", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			_, page, code := s.browser(t, tt.who)
			if code != tt.code || !strings.Contains(page, tt.want) {
				t.Errorf("got %d %s\nwant %d %q", code, page, tt.code, tt.want)
			}
		})
	}
}

// uploadForm sends a sheet through the upload page's form as a browser
// does (the page's token a field of the form; batch "" for the file's
// name), and answers the page it ends on, and where.
func (s *signedIn) uploadForm(t *testing.T, c *http.Client, csrf, name, sheet, batch string) (string, string, int) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		_ = mw.WriteField("csrf", csrf)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(sample(t, sheet))
	if batch != "" {
		_ = mw.WriteField("batch", batch)
	}
	mw.Close()
	resp, err := c.Post(s.app+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return string(got), resp.Request.URL.String(), resp.StatusCode
}

// TestPages: alice uploads through the page and sees her rows; she cannot
// decide on her own batch; bob cannot approve its invalid rows; he
// approves her corrected version and buys it through the pages;
// a form without the page's token is refused; the audit page lists it all.
func TestPages(t *testing.T) {
	s := withSignIn(t)
	alice, page, _ := s.browser(t, "alice@contoso.example")
	csrf := hidden.FindStringSubmatch(page)[2]
	if _, _, code := s.uploadForm(t, alice, "", "november.xlsx", "monthly-orders-with-mistakes.xlsx", ""); code != http.StatusForbidden {
		t.Errorf("an upload without the page's token: %d", code)
	}
	first, batchURL, _ := s.uploadForm(t, alice, csrf, "november.xlsx", "monthly-orders-with-mistakes.xlsx", "")
	for _, want := range []string{"november", `<span class="status s-invalid">invalid</span>`, "Quantity: &#39;0&#39; must be a whole number above 0", "You uploaded this version, so someone else decides on it."} {
		if !strings.Contains(first, want) {
			t.Errorf("the batch page lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "Approve this plan") {
		t.Error("the uploader is offered the decision")
	}
	resp, _ := alice.Get(batchURL + "?problems=1")
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), "17 rows, page 1 of 1") {
		t.Errorf("problems only: %s", got)
	}
	resp, _ = alice.Get(s.app + "/audit")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a submitter's audit page: %d", resp.StatusCode)
	}
	resp.Body.Close()

	bob, page, _ := s.browser(t, "bob@contoso.example")
	bobCSRF := hidden.FindStringSubmatch(page)[2]
	resp, _ = bob.Get(batchURL + "/plan")
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	plan := regexp.MustCompile(`name="planSha256" value="([0-9a-f]+)"`).FindStringSubmatch(string(got))
	if plan == nil {
		t.Fatalf("bob is not offered the decision:\n%s", got)
	}
	if resp, _ := bob.PostForm(batchURL+"/decision", url.Values{"planSha256": {plan[1]}, "decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a decision without the page's token: %d", resp.StatusCode)
	}
	// A version with invalid rows may be rejected, never approved.
	if !strings.Contains(string(got), "Reject this version") || !strings.Contains(string(got), "17 rows are invalid, so it cannot be approved.") ||
		strings.Contains(string(got), "Approve this plan") {
		t.Errorf("bob's decision on a version with invalid rows:\n%s", got)
	}
	resp, _ = bob.PostForm(batchURL+"/decision", url.Values{"csrf": {bobCSRF}, "planSha256": {plan[1]}, "decision": {"approve"}})
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(got), "17 rows of this version are invalid, so it cannot be approved") {
		t.Errorf("approving invalid rows: %d %s", resp.StatusCode, got)
	}
	_, batchURL, _ = s.uploadForm(t, alice, csrf, "november.xlsx", "monthly-orders.xlsx", "")
	resp, _ = bob.Get(batchURL + "/plan")
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if plan = regexp.MustCompile(`name="planSha256" value="([0-9a-f]+)"`).FindStringSubmatch(string(got)); plan == nil || !strings.Contains(string(got), "Approve this plan") {
		t.Fatalf("bob is not offered the decision on the corrected version:\n%s", got)
	}
	resp, err := bob.PostForm(batchURL+"/decision", url.Values{"csrf": {bobCSRF}, "planSha256": {plan[1]}, "decision": {"approve"}, "comment": {"as agreed"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), "Approved by bob@contoso.example") || !strings.Contains(string(got), "as agreed") {
		t.Errorf("after approving: %d %s", resp.StatusCode, got)
	}
	// This server has no connection to Partner Center: buying is refused,
	// as a page that says why.
	resp, _ = bob.PostForm(batchURL+"/purchase", url.Values{"csrf": {bobCSRF}})
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(got), "no connection to Partner Center") {
		t.Errorf("a purchase without a connection: %d %s", resp.StatusCode, got)
	}
	resp, _ = bob.Get(s.app + "/audit")
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"alice@contoso.example", "bob@contoso.example", "upload", "approve", "sign-in"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
}

// TestSessionsOutliveARestart: a session is kept in the store, so a
// restart signs nobody out; its roles are worked out anew on every
// request, so someone taken out of every role (and restarted) is out;
// signing out ends it for good. The store never holds the cookie's value.
func TestSessionsOutliveARestart(t *testing.T) {
	s := withSignIn(t)
	alice, page, _ := s.browser(t, "alice@contoso.example")
	csrf := hidden.FindStringSubmatch(page)[2]
	home := func() string {
		t.Helper()
		resp, err := alice.Get(s.app + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return string(got)
	}
	const signedIn = "Signed in as <strong>alice@contoso.example</strong> (submitter)"
	s.restart(nil)
	if got := home(); !strings.Contains(got, signedIn) {
		t.Fatalf("after a restart:\n%s", got)
	}
	u, _ := url.Parse(s.app)
	cookie := alice.Jar.Cookies(u)[0].Value
	raw, _ := os.ReadFile(filepath.Join(s.st.Dir, "importer.db"))
	if len(cookie) < 32 || bytes.Contains(raw, []byte(cookie)) {
		t.Error("the store holds the session cookie's value")
	}
	s.restart(func(o *Options) { o.OIDC.Roles = map[string][]string{"bob@contoso.example": {RoleApprover}} })
	if got := home(); strings.Contains(got, "Signed in as") {
		t.Errorf("taken out of her role, alice is still in:\n%s", got)
	}
	s.restart(nil)
	if resp, err := alice.PostForm(s.app+"/signout", url.Values{"csrf": {csrf}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign out: %v %v", resp.StatusCode, err)
	}
	s.restart(nil)
	req, _ := http.NewRequest(http.MethodGet, s.app+"/api/v1/batches", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the cookie of a session signed out of: %v %v", resp.StatusCode, err)
	}
}

// TestUploadFormLimit: the upload page's form is read within the upload
// limit before its token is checked; a sheet over the limit is told so.
func TestUploadFormLimit(t *testing.T) {
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) { o.MaxUpload = 4 << 10 })
	alice, page, _ := s.browser(t, "alice@contoso.example")
	got, _, code := s.uploadForm(t, alice, hidden.FindStringSubmatch(page)[2], "november.xlsx", "monthly-orders.xlsx", "")
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(got, "the sheet is over 4 KB") {
		t.Errorf("a sheet over the limit: %d\n%s", code, got)
	}
	if all, _ := s.st.Batches(); len(all) != 0 {
		t.Errorf("%d batches kept", len(all))
	}
}

// TestPlanDifferencesAndAuditCSV: whoever decides on a new version sees how
// its plan differs from the one decided on before; the audit log downloads
// as CSV, and no cell of it becomes a formula.
func TestPlanDifferencesAndAuditCSV(t *testing.T) {
	s := withSignIn(t)
	alice, page, _ := s.browser(t, "alice@contoso.example")
	csrf := hidden.FindStringSubmatch(page)[2]
	send := func(sheet string) string {
		_, at, _ := s.uploadForm(t, alice, csrf, "=cmd.xlsx", sheet, "november")
		return at
	}
	batchURL := send("monthly-orders.xlsx")
	bob, page, _ := s.browser(t, "bob@contoso.example")
	bobCSRF := hidden.FindStringSubmatch(page)[2]
	resp, _ := bob.Get(batchURL + "/plan")
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	plan := regexp.MustCompile(`name="planSha256" value="([0-9a-f]+)"`).FindStringSubmatch(string(got))
	if plan == nil {
		t.Fatalf("no decision form:\n%s", got)
	}
	if resp, _ := bob.PostForm(batchURL+"/decision", url.Values{"csrf": {bobCSRF}, "planSha256": {plan[1]}, "decision": {"approve"}}); resp.StatusCode != 200 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	send("monthly-orders-with-mistakes.xlsx")
	resp, _ = bob.Get(batchURL + "/plan")
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), "Since version 1 (approved), the plan changed:") || !strings.Contains(string(got), "invalid rows [4 5 6") {
		t.Errorf("the differences since the approved version:\n%s", got)
	}
	resp, _ = bob.Get(batchURL)
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`The plan changed since version 1 \(approved\): [1-9][0-9]* differences, listed with the plan\.`).Match(got) {
		t.Errorf("the batch page does not say the plan changed:\n%s", got)
	}
	resp, _ = bob.Get(s.app + "/audit.csv")
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(csv), "seq,at,who,from,action,batch,detail\n") || strings.Count(string(csv), "\n") != 6 ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("audit CSV: %d %s", resp.StatusCode, csv)
	}
	for in, want := range map[string]string{"=1+1": "'=1+1", "+cmd": "'+cmd", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "upload": "upload", "": ""} {
		if got := text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPageRoleMatrix: every page route, as every kind of signed-in person
// and anonymous (sent to sign in), with the page's CSRF token. The app has
// no connection to Partner Center, so buying and following up are refused
// once the role allows them.
func TestPageRoleMatrix(t *testing.T) {
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) { o.OIDC.Roles["carol@contoso.example"] = []string{RoleAdmin} })
	type caller struct {
		c    *http.Client
		csrf string
	}
	noRedirect := func(c *http.Client) *http.Client {
		return &http.Client{Jar: c.Jar, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	callers := map[string]caller{"": {c: noRedirect(http.DefaultClient)}}
	for _, who := range []string{"alice", "bob", "carol"} {
		c, page, _ := s.browser(t, who+"@contoso.example")
		callers[who] = caller{noRedirect(c), hidden.FindStringSubmatch(page)[2]}
	}
	alice, page, _ := s.browser(t, "alice@contoso.example")
	_, batchURL, _ := s.uploadForm(t, alice, hidden.FindStringSubmatch(page)[2], "november.xlsx", "monthly-orders.xlsx", "")
	id := batchURL[strings.LastIndex(batchURL, "/")+1:]
	routes := []struct {
		method, path string
		form         url.Values
		want         map[string]int // by caller; absent: 200; anonymous is always 303
	}{
		{"GET", "/upload", nil, map[string]int{"bob": 403}},
		{"POST", "/upload", url.Values{}, map[string]int{"alice": 400, "bob": 403, "carol": 400}},
		{"GET", "/batches/" + id, nil, nil},
		{"GET", "/batches/" + id + "/plan", nil, nil},
		{"GET", "/batches/" + id + "/progress", nil, nil},
		{"GET", "/batches/nope", nil, map[string]int{"alice": 404, "bob": 404, "carol": 404}},
		{"POST", "/batches/" + id + "/decision", url.Values{"decision": {"approve"}, "planSha256": {"stale"}}, map[string]int{"alice": 403, "bob": 409, "carol": 409}},
		{"POST", "/batches/" + id + "/request", url.Values{}, map[string]int{"alice": 303, "bob": 403, "carol": 303}},
		{"POST", "/batches/" + id + "/purchase", url.Values{}, map[string]int{"alice": 403, "bob": 409, "carol": 409}},
		{"POST", "/batches/" + id + "/follow-up", url.Values{}, map[string]int{"alice": 409, "bob": 409, "carol": 409}},
		{"GET", "/audit", nil, map[string]int{"alice": 403}},
		{"GET", "/audit.csv", nil, map[string]int{"alice": 403}},
		{"GET", "/admin", nil, map[string]int{"alice": 403, "bob": 403}},
		{"POST", "/admin/tokens/revoke", url.Values{"name": {"nope"}}, map[string]int{"alice": 403, "bob": 403, "carol": 404}},
	}
	for _, r := range routes {
		for who, c := range callers {
			want, ok := r.want[who]
			if !ok {
				want = 200
			}
			if who == "" {
				want = http.StatusSeeOther
			}
			var resp *http.Response
			var err error
			if r.method == "GET" {
				resp, err = c.c.Get(s.app + r.path)
			} else {
				form := url.Values{"csrf": {c.csrf}}
				for k, v := range r.form {
					form[k] = v
				}
				resp, err = c.c.PostForm(s.app+r.path, form)
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s %s as %q: %d, want %d", r.method, r.path, who, resp.StatusCode, want)
			}
		}
	}
}
