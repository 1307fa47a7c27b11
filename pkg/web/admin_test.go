package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
)

// TestAdminPage: only an admin sees the settings and the API tokens (their
// names and roles, never a token or its hash), and may revoke a token,
// which stops working at once and is audited.
func TestAdminPage(t *testing.T) {
	s := withSignIn(t, func(_ *sandbox.Config, o *Options) {
		o.OIDC.Roles["carol@contoso.example"] = []string{RoleAdmin}
		o.Settings = []Setting{{Name: "Price list", Value: "pricelist.csv"}}
	})
	secret, err := s.st.CreateToken("nightly <ci>", []string{RoleApprover, RoleBuyer})
	if err != nil {
		t.Fatal(err)
	}
	alice, _, _ := s.browser(t, "alice@contoso.example")
	if resp, err := alice.Get(s.app + "/admin"); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a submitter's admin page: %v %v", resp.StatusCode, err)
	}
	carol, page, _ := s.browser(t, "carol@contoso.example")
	csrf := hidden.FindStringSubmatch(page)[2]
	got := get(t, carol, s.app+"/admin")
	ts, _ := store.Tokens(s.st.Dir)
	for _, want := range []string{`<a href="/admin">Admin</a>`, "<td>nightly &lt;ci&gt;</td><td>approver, buyer</td>", "<th scope=\"row\">Price list</th><td>pricelist.csv</td>", "importer token create"} {
		if !strings.Contains(got, want) {
			t.Errorf("the admin page lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, secret) || strings.Contains(got, ts[0].Hash) {
		t.Error("the admin page shows a token or its hash")
	}
	api := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.app+"/api/v1/batches", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := api(); code != 200 {
		t.Fatalf("the token before revoking: %d", code)
	}
	if resp, err := alice.PostForm(s.app+"/admin/tokens/revoke", url.Values{"csrf": {csrf}, "name": {"nightly <ci>"}}); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a submitter revoking: %v %v", resp.StatusCode, err)
	}
	resp, err := carol.PostForm(s.app+"/admin/tokens/revoke", url.Values{"csrf": {csrf}, "name": {"nightly <ci>"}})
	if err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/admin" {
		t.Fatalf("revoke: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if code := api(); code != http.StatusUnauthorized {
		t.Errorf("the token after revoking: %d", code)
	}
	resp, _ = carol.PostForm(s.app+"/admin/tokens/revoke", url.Values{"csrf": {csrf}, "name": {"nightly <ci>"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoked twice: %d", resp.StatusCode)
	}
	resp.Body.Close()
	log, _ := s.st.AuditLog()
	if !slices.ContainsFunc(log, func(e store.Entry) bool {
		return e.Action == "token revoke" && e.Who == "carol@contoso.example" && e.Detail == "nightly <ci>"
	}) {
		t.Errorf("the revocation is not audited: %+v", log)
	}
}
