package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// onlineSheet has one problem of each kind the online checks find, a row
// whose type only Partner Center knows, and clean rows (the sandbox's
// customers: pkg/sandbox/catalog.json).
const onlineSheet = `CustomerId,CatalogItemId,Quantity,BillingCycle,TermDuration,CartGroup,PartnerOnRecordAttestationAccepted
2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,5,monthly,P1M,,yes
00000000-0000-4000-8000-000000000404,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,5,monthly,P1M,,yes
7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d,CFQ7TTC0HHS9:0001:CFQ7TTC0HX4T,5,monthly,P1M,,yes
2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901,CFQ7TTC0HHS9:0001:CFQ7TTC0HX4T,5,monthly,P3Y,,yes
2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901,DG7GMGF0FKZV:0003:DG7GMGF0DWMS,2,monthly,P3Y,,yes
2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901,CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5,301,monthly,P1M,,yes
2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901,DZH318Z0C0WF:0001:DZH318Z0BP69,5,monthly,P1M,,yes
3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f,CFQ7TTC0LFK5:0001:CFQ7TTC0JN4R,5,monthly,P1M,,yes
4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60,CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ,10,monthly,P1Y,,yes
e1d2c3b4-a596-4788-9aab-bccddeeff001,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,20,monthly,P1M,,yes
4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60,CFQ7TTC0LFK5:0001:CFQ7TTC0JN4R,5,monthly,,B,yes
4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60,CFQ7TTC0LFK5:0001:CFQ7TTC0JN4R,5,monthly,P1M,C,yes
`

// onlineWant is, per row of onlineSheet (from row 2), its problems'
// "severity kind (column)".
var onlineWant = map[int][]string{
	2:  nil,
	3:  {"error online: customer unknown (CustomerId)"},
	4:  {"error online: not sold in the customer's country (CatalogItemId)"},
	5:  {"error online: term not offered (TermDuration)"},
	6:  {"error online: billing cycle not offered (BillingCycle)"},
	7:  {"error online: quantity outside limits (Quantity)"},
	8:  {"error online: trial mismatch (BillingCycle)"},
	9:  {"error online: add-on without its prerequisite (CatalogItemId)"},
	10: {"warning online: customer already has the subscription (CatalogItemId)"},
	11: {"error online: seats above the limit (Quantity)"},
	// Partner Center says Teams Phone is license-based: such a line needs
	// a term, which the offline rules now check.
	12: {"error term missing (TermDuration)"},
	13: nil,
}

type onlineSummary struct {
	Statuses map[string]int `json:"statuses"`
	Online   *struct {
		CheckedAt     string `json:"checkedAt"`
		UncheckedRows int    `json:"uncheckedRows"`
	} `json:"online"`
	Problems []struct {
		Row      int    `json:"row"`
		Column   string `json:"column"`
		Severity string `json:"severity"`
		Kind     string `json:"kind"`
		Message  string `json:"message"`
	} `json:"problems"`
}

func parseOnline(t *testing.T, out string) onlineSummary {
	t.Helper()
	var s onlineSummary
	if err := json.Unmarshal([]byte(outJSON(out)), &s); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	return s
}

// TestValidateOnline: each row of the sheet gets exactly its problem of the
// live checks, the run exits 1 (invalid rows), the summary says it was
// checked online and the plan records when.
func TestValidateOnline(t *testing.T) {
	dir := t.TempDir()
	name := writeFile(t, dir, "online.csv", onlineSheet)
	r := cli(t, dir, "validate", "--online", "--sandbox", "--json", clock, "--plan", "online.plan.json", name)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	s := parseOnline(t, r.stdout)
	got := map[int][]string{}
	for _, p := range s.Problems {
		if p.Severity != "note" {
			got[p.Row] = append(got[p.Row], p.Severity+" "+p.Kind+" ("+p.Column+")")
		}
	}
	for row, want := range onlineWant {
		if !slices.Equal(got[row], want) {
			t.Errorf("row %d: %v, want %v", row, got[row], want)
		}
	}
	if s.Online == nil || s.Online.CheckedAt != "2026-11-21T09:00:00Z" || s.Online.UncheckedRows != 0 {
		t.Errorf("online %+v", s.Online)
	}
	plan, err := os.ReadFile(filepath.Join(dir, "online.plan.json"))
	if err != nil || !strings.Contains(string(plan), `"checkedOnline": "2026-11-21T09:00:00Z"`) {
		t.Errorf("the plan does not record the online check: %v\n%s", err, plan)
	}
	// The terminal says so, and shows the warning.
	text := cli(t, dir, "validate", "--online", "--sandbox", clock, name)
	for _, want := range []string{"Checked online with Partner Center at 2026-11-21 09:00:00 UTC.", "Warning: row 10, column CatalogItemId: the customer already has subscription"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("no %q in:\n%s", want, text.stdout)
		}
	}
	// Without --online, none of it.
	if off := cli(t, dir, "validate", "--json", clock, name); strings.Contains(off.stdout, "online:") || strings.Contains(off.stdout, `"online"`) {
		t.Errorf("an offline run has online problems:\n%s", off.stdout)
	}
}

// TestSubmitOnline: rows the live checks refuse hold their carts back like
// any invalid row; with --skip-invalid the others are bought.
func TestSubmitOnline(t *testing.T) {
	dir := t.TempDir()
	name := writeFile(t, dir, "online.csv", onlineSheet)
	r := cli(t, dir, "submit", "--online", "--sandbox", "--json", clock, name)
	if s := parseOnline(t, r.stdout); r.code != 1 || s.Statuses["Ordered"] != 0 || s.Statuses["Invalid"] != 9 {
		t.Fatalf("exit %d, statuses %v\n%s", r.code, s.Statuses, r.stderr)
	}
	r = cli(t, dir, "submit", "--online", "--sandbox", "--skip-invalid", "--json", clock, name)
	s := parseOnline(t, r.stdout)
	// Rows 10 and 13 are valid, each alone in its cart; row 2 is valid,
	// but its cart is held back for rows 5 to 8.
	if r.code != 1 || s.Statuses["Ordered"] != 2 || s.Statuses["Skipped"] != 1 || s.Statuses["Invalid"] != 9 {
		t.Errorf("--skip-invalid: exit %d, statuses %v\n%s", r.code, s.Statuses, r.stderr)
	}
}

// TestOnlineUnanswered: when Partner Center does not answer the reads, no
// row is made Invalid by it: each says it was not checked, the run exits 1
// (never 0) and says so, and submit sends nothing.
func TestOnlineUnanswered(t *testing.T) {
	base, env, _ := external(t, "--faults", "customer:503:1")
	dir := t.TempDir()
	name := writeFile(t, dir, "online.csv", strings.Join(strings.Split(onlineSheet, "\n")[:3], "\n")+"\n")
	code, out := runCode(t, submitTo(t, dir, base, env, "--max-attempts", "2", "--state", filepath.Join(dir, "j"), "--online", "--json", name))
	s := parseOnline(t, out)
	if code != 1 || s.Statuses["Not submitted"] != 2 || s.Online == nil || s.Online.UncheckedRows != 2 {
		t.Errorf("submit: exit %d, %v, online %+v\n%s", code, s.Statuses, s.Online, out)
	}
	if n := orderedLines(t, base); n != 0 {
		t.Errorf("%d lines ordered, want none", n)
	}
	v := &command{t: t, dir: dir, env: env, args: []string{"validate", "--online", "--json", "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token",
		clock, "--max-attempts", "2", name}}
	code, out = runCode(t, v)
	s = parseOnline(t, out)
	if code != 1 || !strings.Contains(out, "2 rows could not be checked online") || s.Statuses["Valid"] != 2 || s.Statuses["Invalid"] != 0 {
		t.Errorf("validate: exit %d, %v\n%s", code, s.Statuses, out)
	}
}

// TestValidateOnlineSignsInFirst: validate --online with credentials
// Partner Center refuses stops with exit 2, before any row is judged, and
// never shows the secret.
func TestValidateOnlineSignsInFirst(t *testing.T) {
	base, env, _ := external(t)
	dir := t.TempDir()
	name := writeFile(t, dir, "online.csv", onlineSheet)
	var bad []string
	for _, e := range env {
		if strings.HasPrefix(e, "PARTNER_CENTER_CLIENT_SECRET=") {
			e = "PARTNER_CENTER_CLIENT_SECRET=Wr0ng-S3cret-Value"
		}
		bad = append(bad, e)
	}
	v := &command{t: t, dir: dir, env: bad, args: []string{"validate", "--online", "--endpoint", base, "--token-url", base + "/{tenant}/oauth2/token", clock, name}}
	code, out := runCode(t, v)
	if code != 2 || !strings.Contains(out, "invalid_client") || strings.Contains(out, "Wr0ng-S3cret-Value") || strings.Contains(out, "online: ") {
		t.Errorf("exit %d\n%s", code, out)
	}
}
