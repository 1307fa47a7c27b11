package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSandboxCommand(t *testing.T) {
	t.Parallel() // processes only: see parallelTests
	cmd := exec.Command(binary, "sandbox", "--addr", "127.0.0.1:0", "--seed", "3")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var base, tokenURL string
	creds := map[string]string{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "Partner Center sandbox listening on "):
			base = strings.TrimPrefix(line, "Partner Center sandbox listening on ")
		case strings.HasPrefix(line, "token URL:"):
			tokenURL = strings.TrimSpace(strings.TrimPrefix(line, "token URL:"))
		case strings.HasPrefix(line, "PARTNER_CENTER_"):
			k, v, _ := strings.Cut(line, "=")
			creds[k] = v
		}
		if strings.HasPrefix(line, "Press Ctrl+C") {
			break
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || tokenURL == "" || creds["PARTNER_CENTER_CLIENT_SECRET"] == "" {
		t.Fatalf("banner: base %q token %q creds %v", base, tokenURL, creds)
	}
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {creds["PARTNER_CENTER_CLIENT_ID"]},
		"client_secret": {creds["PARTNER_CENTER_CLIENT_SECRET"]}, "resource": {"https://api.partnercenter.microsoft.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	body := `{"PartnerOnRecordAttestationAccepted":true,"lineItems":[{"id":0,"catalogItemId":"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P","quantity":2,"billingCycle":"monthly","termDuration":"P1M"}]}`
	req, _ := http.NewRequest("POST", base+"/v1/customers/d6bf25b7-e0a8-4f2d-a31b-97b55cfc774d/carts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create cart: %s", resp.Status)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not stop on SIGINT")
	}
}

func TestSandboxCommandBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"sandbox", "--faults", "create:418:0.5"},
		{"sandbox", "--sandbox-catalog", "missing.json"},
		{"sandbox", "--addr", "127.0.0.1:99999"},
	} {
		r := cli(t, dir, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "importer: ") {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}

func TestSandboxCatalogDeprecatedName(t *testing.T) {
	r := cli(t, t.TempDir(), "sandbox", "--catalog", "missing.json")
	if r.code != 2 || !strings.Contains(r.stderr, "warning: sandbox --catalog is deprecated: use --sandbox-catalog") || !strings.Contains(r.stderr, "importer: sandbox catalog: open missing.json") {
		t.Errorf("exit %d %q: want a deprecation warning and the file's error", r.code, r.stderr)
	}
}
