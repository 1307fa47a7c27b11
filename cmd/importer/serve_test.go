package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// TestTokens: a token is printed once, alone on the first line; the list
// shows names and roles, never a token; roles are checked.
func TestTokens(t *testing.T) {
	data := t.TempDir()
	r := cli(t, "", "token", "create", "--data", data, "--name", "ci", "--role", "approver,buyer")
	secret := strings.TrimSpace(strings.SplitN(r.stdout, "\n", 2)[0])
	if r.code != 0 || !strings.HasPrefix(secret, "imp_") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("create: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if l := cli(t, "", "token", "list", "--data", data); l.code != 0 || !strings.Contains(l.stdout, "ci\tapprover,buyer\t") || strings.Contains(l.stdout, secret) {
		t.Errorf("list: %d %q", l.code, l.stdout)
	}
	for _, args := range [][]string{{"--name", "x", "--role", "boss"}, {"--name", "x"}, {"--role", "admin"}, {"--name", "ci", "--role", "admin"}} {
		if r := cli(t, "", append([]string{"token", "create", "--data", data}, args...)...); r.code != 2 {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	if r := cli(t, "", "token", "revoke", "--data", data, "ci"); r.code != 0 {
		t.Errorf("revoke: %d %s", r.code, r.stderr)
	}
	if l := cli(t, "", "token", "list", "--data", data); strings.Contains(l.stdout, "ci\t") {
		t.Errorf("revoked token listed: %q", l.stdout)
	}
}

// TestServe: the binary serves the API on loopback; a token made while it
// runs works at once; an upload is checked and kept; SIGTERM stops it.
func TestServe(t *testing.T) {
	t.Parallel() // a process: see parallelTests
	data := t.TempDir()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", data)
	out, _ := cmd.StdoutPipe()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	base, _, _ := strings.Cut(strings.TrimPrefix(line, "importer serving "), " ")
	if err != nil || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("%q %v %s", line, err, errb.String())
	}
	tok, err := exec.Command(binary, "token", "create", "--data", data, "--name", "alice", "--role", "submitter").Output()
	if err != nil {
		t.Fatal(err)
	}
	body, typ := sampleUpload(t)
	if code, b := apiCall(t, base, strings.TrimSpace(string(tok)), "POST", "/api/v1/batches", body, typ); code != 201 || b["status"] != "ready" || b["batch"] != "november" {
		t.Fatalf("upload: %d %v", code, b)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10s after SIGTERM")
	}
}

// TestServeKilledMidPurchase: the process is killed while it buys; started
// again, it finishes the purchase, every order was placed once, and every
// row is Ordered (the purchase's run, taken up again).
func TestServeKilledMidPurchase(t *testing.T) {
	t.Parallel() // processes: see parallelTests
	data := t.TempDir()
	token := func(name, role string) string {
		out, err := exec.Command(binary, "token", "create", "--data", data, "--name", name, "--role", role).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	alice, bob := token("alice", "submitter"), token("bob", "approver,buyer")
	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(binary, "serve", "--sandbox", "--addr", "127.0.0.1:0", "--data", data)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		base, _, _ := strings.Cut(strings.TrimPrefix(line, "importer serving "), " ")
		if err != nil {
			t.Fatal(err)
		}
		return cmd, base
	}
	call := func(base, tok, method, path string, body io.Reader, typ string) (int, map[string]any) {
		t.Helper()
		return apiCall(t, base, tok, method, path, body, typ)
	}
	cmd, base := start()
	body, typ := sampleUpload(t)
	code, b := call(base, alice, "POST", "/api/v1/batches", body, typ)
	if code != 201 {
		t.Fatalf("upload: %d %v", code, b)
	}
	id, plan := b["id"].(string), b["plan"].(map[string]any)["sha256"].(string)
	if code, v := call(base, bob, "POST", "/api/v1/batches/"+id+"/approval", strings.NewReader(`{"decision":"approve","planSha256":"`+plan+`"}`), "application/json"); code != 200 {
		t.Fatalf("approve: %d %v", code, v)
	}
	if code, v := call(base, bob, "POST", "/api/v1/batches/"+id+"/submission", nil, ""); code != 202 {
		t.Fatalf("submission: %d %v", code, v)
	}
	time.Sleep(1500 * time.Millisecond) // the sample's 18 requests take 3.6 s at the default pace
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if killed, err := st.Batch(id); err != nil || killed.Purchase == nil || killed.Purchase.State != "buying" {
		t.Fatalf("the kill did not land mid-purchase: %+v %v", killed, err)
	}
	st.Close()

	cmd, base = start()
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	var status string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, v := call(base, alice, "GET", "/api/v1/batches/"+id, nil, "")
		if status, _ = v["status"].(string); status != "buying" {
			break
		}
	}
	if status != "done" {
		t.Fatalf("after the restart: %s", status)
	}
	// One purchase, one run, cut short and finished: every row Ordered.
	if code, v := call(base, alice, "GET", "/api/v1/batches/"+id+"/rows?status=Ordered", nil, ""); code != 200 || v["total"] != float64(30) {
		t.Errorf("the ordered rows: %d %v", code, v["total"])
	}
	if n, err := sandbox.SavedOrders(filepath.Join(data, "journals", id+".sandbox")); err != nil || n != 21 {
		t.Errorf("%d orders placed (%v), want the sample's 21, once each", n, err)
	}
}

// TestServeDemoSignIn: serve --sandbox signs the demo people in through the
// sandbox's identity provider: the batches page says who is signed in,
// with the demo's roles and those the config file gives the Entra groups
// the person is in.
func TestServeDemoSignIn(t *testing.T) {
	t.Parallel() // a process: see parallelTests
	dir := t.TempDir()
	cfg := writeFile(t, dir, "importer.yaml", "admin:\n  - "+strings.ToUpper(sandbox.DemoControllersGroup)+"\nsubmitter: [nobody@contoso.example]\n")
	cmd := exec.Command(binary, "serve", "--sandbox", "--config", cfg, "--addr", "127.0.0.1:0", "--data", t.TempDir())
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	rd := bufio.NewReader(out)
	line, _ := rd.ReadString('\n')
	base, _, _ := strings.Cut(strings.TrimPrefix(line, "importer serving "), " ")
	if note, _ := rd.ReadString('\n'); !strings.Contains(note, "Demo sign-in: open "+base+"/") {
		t.Fatalf("no demo sign-in note: %q", note)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "This is a demo.") {
		t.Fatalf("sign-in page: %s", body)
	}
	form := url.Values{"user": {"bob@contoso.example"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	resp, err = c.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Signed in as <strong>bob@contoso.example</strong> (approver, buyer, admin)") {
		t.Errorf("after signing in: %d %s", resp.StatusCode, page)
	}
}

// TestServeRoles: --submitter, --approver, --buyer and --admin take emails
// and Entra group object ids, from flags or the config file; anything else
// is refused before the app starts, naming the flag and the value.
func TestServeRoles(t *testing.T) {
	group := "8B2D6C4F-3E1A-4F6B-B7C9-1D2E3F4A5B6C"
	people, groups, err := roleMaps(serveOptions{submitters: []string{" Alice@Contoso.com "}, approvers: []string{group, "bob@contoso.com"}, buyers: []string{"bob@contoso.com"}, admins: []string{group}})
	wantPeople := map[string][]string{"alice@contoso.com": {"submitter"}, "bob@contoso.com": {"approver", "buyer"}}
	wantGroups := map[string][]string{strings.ToLower(group): {"approver", "admin"}}
	if err != nil || !reflect.DeepEqual(people, wantPeople) || !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("roleMaps: %v %v %v", people, groups, err)
	}
	for _, bad := range []string{"Controllers", "@contoso.com", "bob@", "a@b@c", "8b2d6c4f-3e1a-4f6b-b7c9"} {
		if _, _, err := roleMaps(serveOptions{approvers: []string{bad}}); err == nil || !strings.Contains(err.Error(), "--approver") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	dir := t.TempDir()
	cfg := writeFile(t, dir, "importer.yaml", "approver: [bob@contoso.com, Controllers]\n")
	r := cli(t, dir, "serve", "--config", cfg, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	if r.code != 2 || !strings.Contains(r.stderr, `--approver "controllers": give a person's email`) {
		t.Errorf("a bad role in the config file: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("the data directory was made before the roles were checked")
	}
}

// TestServeFollowUpInterval: --follow-up is 0 (only when someone asks) or
// at least 30 s against Partner Center, checked before anything is made.
func TestServeFollowUpInterval(t *testing.T) {
	for flag, want := range map[string]string{
		"10s": "--follow-up 10s: 0 (only when someone asks), or at least 30s",
		"-1m": "--follow-up -1m0s: 0",
	} {
		dir := t.TempDir()
		r := cli(t, dir, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--follow-up", flag)
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("--follow-up %s: exit %d %s", flag, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			t.Errorf("--follow-up %s: the data directory was made", flag)
		}
	}
}

// TestServeSettings: the admin page's settings say how the app runs, with
// no secret in them.
func TestServeSettings(t *testing.T) {
	o := serveOptions{connectFlags: defaultConnectFlags(), maxUpload: 25, followUp: 90 * time.Minute, prices: "/srv/prices.csv",
		issuer: "https://login.microsoftonline.com/t/v2.0", approvers: []string{"bob@contoso.com"}}
	o.credentials = "/etc/importer/credentials"
	got := map[string]string{}
	for _, s := range settingsOf(o, "/var/lib/importer") {
		got[s.Name] = s.Value
	}
	want := map[string]string{"Partner Center": "https://api.partnercenter.microsoft.com (at most 300 requests a minute)", "Follow-up of bought orders": "every 1h30m",
		"Price list": "/srv/prices.csv", "Approvers": "bob@contoso.com", "Submitters": "(none)", "Sign-in": o.issuer, "Data directory": "/var/lib/importer"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if strings.Contains(v, "credentials") {
			t.Errorf("%s names the credentials file: %q", k, v)
		}
	}
	o.sandbox, o.followUp = true, 0
	got = map[string]string{}
	for _, s := range settingsOf(o, "d") {
		got[s.Name] = s.Value
	}
	if !strings.Contains(got["Partner Center"], "sandbox") || !strings.Contains(got["Demo people"], "carol@contoso.example (admin)") || got["Follow-up of bought orders"] != "only when someone asks" {
		t.Errorf("the demo's settings: %v", got)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Hour: "1h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", 2*time.Minute + 5*time.Second: "2m5s", 10 * time.Minute: "10m", 25 * time.Hour: "25h"} {
		if got := shortDuration(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}

// TestServeTLS: with --tls-cert and --tls-key the app is served over HTTPS.
func TestServeTLS(t *testing.T) {
	t.Parallel() // a process: see parallelTests
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	base, _, _ := strings.Cut(strings.TrimPrefix(line, "importer serving "), " ")
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("%q", line)
	}
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(t, der))
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("over HTTPS: %d", resp.StatusCode)
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// apiCall sends an API request with a token and decodes the JSON answer.
func apiCall(t *testing.T, base, tok, method, path string, body io.Reader, typ string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, body)
	req.Header.Set("Authorization", "Bearer "+tok)
	if typ != "" {
		req.Header.Set("Content-Type", typ)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// sampleUpload is the sample sheet as an upload's multipart body, and its
// content type.
func sampleUpload(t *testing.T) (io.Reader, string) {
	t.Helper()
	sheet, err := os.ReadFile(filepath.Join("..", "..", "samples", "monthly-orders.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "november.xlsx")
	_, _ = fw.Write(sheet)
	mw.Close()
	return &body, mw.FormDataContentType()
}
