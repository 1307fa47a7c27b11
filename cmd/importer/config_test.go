package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigPrecedence: the file's settings apply, in either format, and a
// flag on the command line wins over the file.
func TestConfigPrecedence(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	for _, cfg := range []struct{ name, text string }{
		{"importer.yaml", "json: true\nlog-format: text\nverbose: true\nout: from-config.xlsx\n"},
		{"importer.toml", "json = true\nlog_format = \"text\"\nverbose = true\nout = \"from-config.xlsx\"\n"},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			path := writeFile(t, dir, cfg.name, cfg.text)
			r := cli(t, dir, "validate", "--config", path, clock, name)
			if r.code != 0 || !json.Valid([]byte(r.stdout)) || !strings.HasPrefix(r.stderr, "time=") {
				t.Fatalf("settings from the file: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "from-config.xlsx")); err != nil {
				t.Error("out from the config file was not used")
			}
			r = cli(t, dir, "validate", "--config", path, "--json=false", "--log-format", "json", "-o", "from-flag.xlsx", clock, name)
			if r.code != 0 || !strings.Contains(r.stdout, "Checked 30 rows") || !strings.HasPrefix(r.stderr, "{") {
				t.Fatalf("flags over the file: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "from-flag.xlsx")); err != nil {
				t.Error("-o on the command line did not win over out in the file")
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	if err := os.Mkdir(inbox, 0o750); err != nil {
		t.Fatal(err)
	}
	creds := writeFile(t, dir, "creds", "PARTNER_CENTER_TENANT_ID=x\n")
	pricelist, _ := filepath.Abs(filepath.Join("..", "..", "samples", "pricelist.csv"))
	open := writeFile(t, dir, "open-creds", "PARTNER_CENTER_TENANT_ID=x\n")
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, text string
		want             string // "" means valid
	}{
		{"yaml", "ok.yaml", "inbox: " + inbox + "\nrate: 250\nconcurrency: 3\nbatch: contoso-{name}\nnotify-on: failure\ncredentials: " + creds + "\nsettle: 10s\nonce: true\n", ""},
		{"toml", "ok.toml", "inbox = \"" + inbox + "\"\nrate = 250\ntimeout = \"30s\"\n", ""},
		{"empty", "empty.yaml", "", ""},
		{"unknown key", "a.yaml", "colour: blue\n", "colour: no command has this setting"},
		{"wrong type", "b.yaml", "rate: fast\n", `rate: "fast" is not a whole number — rate: requests per minute`},
		{"bad duration", "c.toml", "timeout = \"soon\"\n", `timeout: "soon" is not a length of time; write it with a unit, e.g. 10s`},
		{"not yes or no", "b2.yaml", "once: maybe\n", `once: "maybe" is not true or false`},
		{"every problem at once", "b3.yaml", "rate: fast\npoll: 10\nlog-format: xml\nnotify-on: sometimes\ncolour: blue\n",
			`colour: no command has this setting`},
		{"secret", "d.yaml", "client-secret: abc\n", "is a secret"},
		{"smtp password", "e.yaml", "smtp_password: abc\n", "is a secret"},
		{"section", "f.toml", "[submit]\nrate = 1\n", "a section is not a setting"},
		{"format", "g.json", "{}", "name it .yaml"},
		{"no inbox", "h.yaml", "inbox: " + filepath.Join(dir, "none") + "\n", "inbox: "},
		{"one batch for the inbox", "i.yaml", "inbox: " + inbox + "\nbatch: november\n", "include {name}"},
		{"readable credentials", "j.yaml", "credentials: " + open + "\n", "chmod 600"},
		{"the new settings", "k.yaml", "inbox: " + inbox + "\nprices: " + pricelist + "\nonline: true\nfollow-up: 2h\n", ""},
		{"no price list", "l.yaml", "prices: " + filepath.Join(dir, "none.csv") + "\n", "prices: price list: there is no file"},
		{"plain http", "k.yaml", "endpoint: http://partner.example.com\n", "endpoint: "},
		{"log format", "l.yaml", "log-format: xml\n", "log-format"},
		{"bad yaml", "m.yaml", "rate: [1\n", "m.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, tt.file, tt.text)
			r := cli(t, dir, "config", "check", path)
			if tt.want == "" {
				if r.code != 0 || !strings.Contains(r.stdout, "is valid") {
					t.Errorf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
				}
				return
			}
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "strconv.") {
				t.Errorf("exit %d, want 2 and %q:\n%s", r.code, tt.want, r.stderr)
			}
			if tt.name == "every problem at once" {
				for _, want := range []string{`rate: "fast"`, `poll: "10"`, `log-format "xml"`, `--notify-on "sometimes"`} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("not every problem was named: no %q in\n%s", want, r.stderr)
					}
				}
			}
		})
	}
	// --config names the file too; a run refuses a bad one before anything.
	path := writeFile(t, dir, "bad.yaml", "rate: fast\n")
	if r := cli(t, dir, "--config", path, "config", "check"); r.code != 2 {
		t.Errorf("config check via --config: exit %d", r.code)
	}
	if r := cli(t, dir, "--config", path, "submit", "--sandbox", "x.xlsx"); r.code != 2 || !strings.Contains(r.stderr, "rate") {
		t.Errorf("submit with a bad config: exit %d %s", r.code, r.stderr)
	}
	// A misspelt key stops a run rather than being ignored; a key of
	// another command is fine.
	typo := writeFile(t, dir, "typo.yaml", "concurency: 3\n")
	if r := cli(t, dir, "--config", typo, "validate", "x.xlsx"); r.code != 2 || !strings.Contains(r.stderr, "concurency: no command has this setting") {
		t.Errorf("a misspelt key: exit %d %s", r.code, r.stderr)
	}
	other := writeFile(t, dir, "other.yaml", "inbox: "+inbox+"\nattest: true\n")
	if r := cli(t, dir, "--config", other, "validate", "x.xlsx"); r.code != 2 || !strings.Contains(r.stderr, "x.xlsx") {
		t.Errorf("watch's inbox key in a validate run: exit %d %s (want the missing sheet to be the problem)", r.code, r.stderr)
	}
}

// TestConfigValuesAsWritten: a value reaches its flag as it was written,
// also where YAML or TOML would read a date.
func TestConfigValuesAsWritten(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ file, text string }{
		{"a.yaml", "batch: 2026-11-01\nnotify: [https://example.com/a, https://example.com/b]\n"},
		{"b.yml", "batch: \"2026-11-01\"\nnotify:\n  - https://example.com/a\n  - https://example.com/b\n"},
		{"c.toml", "batch = 2026-11-01\nnotify = [\"https://example.com/a\", \"https://example.com/b\"]\n"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			c, err := loadConfig(writeFile(t, dir, tt.file, tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.settings["batch"]; len(got) != 1 || got[0] != "2026-11-01" {
				t.Errorf("batch %q, want 2026-11-01", got)
			}
			if got := c.settings["notify"]; len(got) != 2 || got[1] != "https://example.com/b" {
				t.Errorf("notify %q", got)
			}
		})
	}
	c, err := loadConfig(writeFile(t, dir, "d.toml", "batch = 2026-11-01T09:30:00Z\n"))
	if err != nil || c.settings["batch"][0] != "2026-11-01T09:30:00Z" {
		t.Errorf("a TOML date-time: %v %v", c, err)
	}
}

// TestWatchFromConfig: a cron line needs only the config file.
func TestWatchFromConfig(t *testing.T) {
	base, env, _ := external(t)
	in := newInbox(t)
	drop(t, in, "monthly-orders.xlsx", "nov.xlsx")
	cfg := writeFile(t, t.TempDir(), "importer.yaml", strings.Join([]string{
		"inbox: " + in, "endpoint: " + base, "token-url: " + base + "/{tenant}/oauth2/token",
		"state: " + filepath.Join(t.TempDir(), "journal"), "settle: 100ms", "once: true", "batch: contoso-{name}", "concurrency: 2",
	}, "\n"))
	cmd := watchCmdArgs(t, env, "--config", cfg, "watch", clock)
	out, err := cmd.CombinedOutput()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if s := readSummary(t, filepath.Join(in, "done", "nov", "nov.summary.json")); s.Statuses["Ordered"] != 30 {
		t.Errorf("statuses %v", s.Statuses)
	}
	if !strings.Contains(string(out), "contoso-nov") {
		t.Errorf("the batch from the config was not used:\n%s", out)
	}
	checkLedger(t, base)
}
