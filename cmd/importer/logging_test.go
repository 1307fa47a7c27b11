package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cspimporter/importer/pkg/importer"
)

func TestLogFormat(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	for _, tt := range []struct {
		format string
		check  func(line string) bool
	}{
		// Tests do not run on a terminal, so auto means JSON.
		{"auto", func(l string) bool { return json.Valid([]byte(l)) }},
		{"json", func(l string) bool { return json.Valid([]byte(l)) }},
		{"text", func(l string) bool { return strings.HasPrefix(l, "time=") && strings.Contains(l, " level=") }},
	} {
		t.Run(tt.format, func(t *testing.T) {
			r := cli(t, dir, "validate", "-v", "--log-format", tt.format, clock, name)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 0 || len(lines) < 2 {
				t.Fatalf("exit %d, want 0 and some debug lines:\n%s", r.code, r.stderr)
			}
			for _, l := range lines {
				if !tt.check(l) {
					t.Errorf("not a %s log line: %q", tt.format, l)
				}
			}
			if !strings.Contains(r.stdout, "Checked 30 rows") {
				t.Errorf("the summary belongs on stdout:\n%s", r.stdout)
			}
		})
	}
	if r := cli(t, dir, "validate", "--log-format", "xml", name); r.code != 2 || !strings.Contains(r.stderr, "--log-format") {
		t.Errorf("--log-format xml: exit %d %q", r.code, r.stderr)
	}
}

// TestSecretsNeverLogged runs whole submissions (App+User, with tokens
// expiring and refused mid-run, at debug level) and looks for every secret
// the run used in everything it wrote: each log line, stdout, the summary
// and the results workbook.
func TestSecretsNeverLogged(t *testing.T) {
	base, env, _ := external(t, "--faults", "any:401:0.2,create:500:0.1", "--seed", "3", "--token-lifetime", "2s")
	var secrets []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == importer.EnvSecret || k == importer.EnvRefresh {
			secrets = append(secrets, v)
		}
	}
	if len(secrets) != 2 {
		t.Fatalf("the sandbox gave no client secret and refresh token: %v", env)
	}
	dir, name := sample(t, "monthly-orders.xlsx")
	var logs []string
	for _, format := range []string{"json", "text"} {
		cmd := submitTo(t, dir, base, env, "-v", "--log-format", format, "--state", filepath.Join(dir, "j"),
			"--summary", filepath.Join(dir, "summary.json"), name)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run() // exit 1 is possible with these faults; the logs are what matter
		logs = append(logs, strings.Split(stderr.String(), "\n")...)
		logs = append(logs, stdout.String())
		for _, f := range []string{"summary.json", "monthly-orders.results.xlsx"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, string(b))
		}
		if format == "json" {
			fields := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				// The closing line of a run these faults stopped (a streak
				// of refused tokens under load) is the command's error, not
				// a log line: it is still searched for secrets below.
				if strings.HasPrefix(l, "importer: ") {
					continue
				}
				var e map[string]any
				if err := json.Unmarshal([]byte(l), &e); err != nil {
					t.Fatalf("not a JSON log line: %q", l)
				}
				for k := range e {
					fields[k] = true
				}
			}
			for _, f := range []string{"run_id", "batch", "file", "customer", "cart_id", "request_id", "correlation_id"} {
				if !fields[f] {
					t.Errorf("no log line has the field %s", f)
				}
			}
		}
	}
	resp, err := http.Get(base + "/_sandbox/tokens")
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	err = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	if err != nil || len(tokens) < 2 {
		t.Fatalf("tokens issued: %v %v (want several: they expire every 2s)", tokens, err)
	}
	secrets = append(secrets, tokens...)
	debug := 0
	for _, l := range logs {
		if strings.Contains(l, "level=debug") || strings.Contains(l, `"level":"debug"`) {
			debug++
		}
		for _, s := range secrets {
			if strings.Contains(l, s) {
				t.Errorf("a secret was written: %q", l)
			}
		}
	}
	if debug == 0 {
		t.Error("no debug line was logged: the test did not look at the most talkative output")
	}
}
