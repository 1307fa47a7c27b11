package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// binary is the importer built once for the end-to-end tests.
var binary string

// stateRoot holds each test's state directory (see stateHome).
var stateRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "importer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "importer")
	stateRoot = filepath.Join(dir, "state")
	// Whatever a test runs without stateEnv still never touches the
	// user's state.
	os.Setenv("XDG_STATE_HOME", stateRoot)
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// parallelTests: the tests that run only processes of the binary (the
// signals, kills and mid-run changes) run in parallel, with each other only:
// Go starts them once every other test of the package has finished, so the
// working directory in-process runs change (see inDir) is never changed
// under them. They mostly wait (on the real pace, timeouts, a hung
// checkout), so make test runs them many at a time (-parallel).

// cli runs the command line in-process, through run as main does, in dir:
// the same flags, output and exit code as the binary, without a process.
// (What needs a process, signals, kills and terminals, runs the binary.)
// The tests of this package do not run in parallel, so the working
// directory is theirs for the call.
func cli(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &command{t: t, dir: dir, args: args, Stdout: &out, Stderr: &errb}
	code := exitCode(t, c.Run())
	return result{code, out.String(), errb.String()}
}

// process runs the built binary in dir, for a parallel test (see
// parallelTests) that mostly waits: at the real pace, on retries.
func process(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), stateEnv(t))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return result{exitCode(t, cmd.Run()), out.String(), errb.String()}
}

// stateEnv gives a run the test's own state directory: the journals and
// the sandbox's saved state of one test are never another's, nor the
// user's. A test's env may name another.
func stateEnv(t *testing.T) string {
	return "XDG_STATE_HOME=" + filepath.Join(stateRoot, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
}

// command is a command line run in-process, with what the tests use of
// exec.Cmd (Run, Output, CombinedOutput, Stdout, Stderr), so a test reads
// the same whether it needs a process or not.
type command struct {
	t              *testing.T
	dir            string   // the working directory; "" is the test's
	env            []string // KEY=VALUE over the environment, as exec.Cmd's Env after os.Environ()
	args           []string
	Stdout, Stderr io.Writer
}

// exitStatus is a non-zero exit code of an in-process run.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e exitStatus) ExitCode() int { return int(e) }

func (c *command) Run() error {
	c.t.Helper()
	stdout, stderr := c.Stdout, c.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	env := map[string]string{}
	for _, kv := range slices.Concat(os.Environ(), []string{stateEnv(c.t)}, c.env) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	a := newApp(stdout, stderr)
	a.getenv = func(k string) string { return env[k] }
	var code int
	inDir(c.t, c.dir, func() { code = a.run(context.Background(), paced(c.args)) })
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

func (c *command) Output() ([]byte, error) {
	var out bytes.Buffer
	c.Stdout = &out
	err := c.Run()
	return out.Bytes(), err
}

func (c *command) CombinedOutput() ([]byte, error) {
	var out syncBuffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return []byte(out.String()), err
}

// inDir runs f in dir. The tests of this package that run in-process do
// not run in parallel, so the working directory is theirs for the call.
func inDir(t *testing.T, dir string, f func()) {
	t.Helper()
	if dir == "" {
		f()
		return
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
	}()
	f()
}

// testRate is the pace of the tests' submissions: at the real default (300
// requests a minute) the sample's 18 requests take 3.5 s, and a test that
// is not about pacing would spend most of its time waiting. The pace itself
// is tested in pkg/partnercenter, and TestSubmitSandbox runs at the default.
const testRate = "--rate=60000"

// paced adds testRate to a submit or watch that names no rate of its own.
func paced(args []string) []string {
	at := slices.IndexFunc(args, func(a string) bool { return a == "submit" || a == "watch" })
	if at < 0 || slices.ContainsFunc(args, func(a string) bool { return a == "--rate" || strings.HasPrefix(a, "--rate=") }) {
		return args
	}
	return slices.Concat(args[:at+1], []string{testRate}, args[at+1:])
}

// sample copies a sample sheet into a fresh directory.
func sample(t *testing.T, name string) (dir, file string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, name
}

const clock = "--clock=2026-11-21T09:00:00Z"

func TestValidateCleanSample(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	r := cli(t, dir, "validate", clock, name)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "monthly-orders.results.xlsx")); err != nil {
		t.Fatalf("no results workbook beside the input: %v", err)
	}
	if !strings.Contains(r.stdout, "Checked 30 rows in 9 carts: 30 valid, 0 invalid.") ||
		!strings.Contains(r.stdout, "Results workbook: monthly-orders.results.xlsx") {
		t.Errorf("summary:\n%s", r.stdout)
	}
}

func TestValidateMistakesJSON(t *testing.T) {
	for _, name := range []string{"monthly-orders-with-mistakes.xlsx", "monthly-orders-with-mistakes.csv"} {
		t.Run(name, func(t *testing.T) {
			dir, name := sample(t, name)
			r := cli(t, dir, "validate", "--json", "-o", "checked.xlsx", clock, name)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			var sum struct {
				Results  string         `json:"results"`
				Rows     int            `json:"rows"`
				Statuses map[string]int `json:"statuses"`
				Problems []struct {
					Row    int    `json:"row"`
					Column string `json:"column"`
					Text   string `json:"text"`
				} `json:"problems"`
				Carts []struct {
					Name    string          `json:"name"`
					Rows    []int           `json:"rows"`
					Request json.RawMessage `json:"request"`
				} `json:"carts"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if sum.Rows != 30 || sum.Statuses["Valid"] != 13 || sum.Statuses["Invalid"] != 17 || len(sum.Carts) != 10 {
				t.Errorf("rows %d statuses %v carts %d", sum.Rows, sum.Statuses, len(sum.Carts))
			}
			if sum.Results != "checked.xlsx" {
				t.Errorf("results %q", sum.Results)
			}
			if _, err := os.Stat(filepath.Join(dir, "checked.xlsx")); err != nil {
				t.Error(err)
			}
			found := false
			for _, p := range sum.Problems {
				if p.Row == 4 && p.Column == "Quantity" && strings.HasSuffix(p.Text, "row 4, column Quantity: '0' must be a whole number above 0") {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem for row 4, column Quantity in %+v", sum.Problems)
			}
			var req struct {
				Attested  bool `json:"PartnerOnRecordAttestationAccepted"`
				LineItems []struct {
					ID            int    `json:"id"`
					CatalogItemID string `json:"catalogItemId"`
				} `json:"lineItems"`
			}
			if err := json.Unmarshal(sum.Carts[0].Request, &req); err != nil {
				t.Fatal(err)
			}
			if !req.Attested || len(req.LineItems) != 4 || req.LineItems[3].ID != 3 || req.LineItems[0].CatalogItemID != "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P" {
				t.Errorf("first cart's request %s", sum.Carts[0].Request)
			}
			if strings.Contains(r.stdout, "Checked ") || strings.Contains(r.stderr, "Checked ") {
				t.Error("--json printed the human summary too; stdout must be JSON only")
			}
		})
	}
}

func TestValidateAttestFlag(t *testing.T) {
	dir := t.TempDir()
	csv := "CustomerId,CatalogItemId,Quantity,BillingCycle,TermDuration\n" +
		"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,3,monthly,P1M\n"
	if err := os.WriteFile(filepath.Join(dir, "o.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, dir, "validate", "o.csv"); r.code != 1 || !strings.Contains(r.stdout, "--attest") {
		t.Errorf("without --attest: exit %d\n%s", r.code, r.stdout)
	}
	if r := cli(t, dir, "validate", "o.csv", "--attest"); r.code != 0 {
		t.Errorf("with --attest (after the file name): exit %d\n%s", r.code, r.stderr)
	}
}

// TestCannotRun: exit 2, one clear line, and nothing written.
func TestCannotRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"notes.xlsx":        "just some text",
		"orders.csv":        "Customer,SKU,Qtty\nx,y,1\n",
		"empty.csv":         "",
		"orders.ods":        "PK",
		"catalog.csv":       "Id\nx\n",
		"good.csv":          "CustomerId,CatalogItemId,Quantity,BillingCycle\n0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,1,monthly\n",
		"same.results.xlsx": "",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	book, err := os.ReadFile(filepath.Join("..", "..", "samples", "monthly-orders.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "book.csv"), book, 0o644); err != nil {
		t.Fatal(err)
	}
	writeZip(t, filepath.Join(dir, "letter.xlsx"), map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml": `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>`,
	})
	tests := []struct {
		name string
		args []string
		text string
	}{
		{"not a spreadsheet", []string{"validate", "notes.xlsx"}, "notes.xlsx: not a supported spreadsheet: the file is not an XLSX workbook"},
		{"missing columns", []string{"validate", "orders.csv"}, "missing required column(s) Quantity, BillingCycle"},
		{"empty", []string{"validate", "empty.csv"}, "empty.csv: sheet has no order rows"},
		{"unsupported type", []string{"validate", "orders.ods"}, "use an .xlsx workbook or a .csv file"},
		{"no such file", []string{"validate", "nope.xlsx"}, "there is no file nope.xlsx in " + dir + "; check the name and the folder"},
		{"a workbook named .csv", []string{"validate", "book.csv"}, "this is an Excel workbook with a .csv name; rename it to .xlsx"},
		{"a Word document named .xlsx", []string{"validate", "letter.xlsx"}, "this is a Word document, not an Excel workbook"},
		{"two sheets at once", []string{"validate", "good.csv", "orders.csv"}, "one order sheet at a time, not 2 (good.csv, orders.csv)"},
		{"bad catalog", []string{"validate", "--catalog", "catalog.csv", "good.csv"}, "ProductId and ProductType"},
		{"no file named", []string{"validate"}, "name the order sheet to validate, e.g. importer validate monthly-orders.xlsx"},
		{"no file named to submit", []string{"submit"}, "name the order sheet to submit, e.g. importer submit monthly-orders.xlsx"},
		{"unknown flag", []string{"validate", "--frobnicate", "good.csv"}, "unknown flag: --frobnicate"},
		{"out is the input", []string{"validate", "-o", "good.csv", "good.csv"}, "would overwrite the input"},
		{"unknown command", []string{"buy"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadDir(dir)
			r := cli(t, dir, tt.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.text) || !strings.HasPrefix(r.stderr, "importer: ") {
				t.Errorf("stderr %q, want it to mention %q", r.stderr, tt.text)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			after, _ := os.ReadDir(dir)
			if len(after) != len(before) {
				t.Errorf("%d files before, %d after: something was written", len(before), len(after))
			}
		})
	}
}

func TestPasswordProtectedWorkbook(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	f, err := excelize.OpenFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(filepath.Join(dir, "locked.xlsx"), excelize.Options{Password: "finance"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := cli(t, dir, "validate", "locked.xlsx")
	if r.code != 2 || !strings.Contains(r.stderr, "locked.xlsx: workbook is password-protected: remove the password") ||
		strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 2 and one line saying to remove the password", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "locked.results.xlsx")); !os.IsNotExist(err) {
		t.Error("a results workbook was written for a workbook that could not be read")
	}
}

func TestTemplateCommand(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, dir, "template", "-o", "blank.xlsx")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "blank.xlsx"))
	want, _ := os.ReadFile(filepath.Join("..", "..", "templates", "order-template.xlsx"))
	if !bytes.Equal(got, want) {
		t.Error("importer template differs from templates/order-template.xlsx")
	}
	// A filled-in template validates: its header is the sheet's header.
	r = cli(t, dir, "validate", "blank.xlsx")
	if r.code != 2 || !strings.Contains(r.stderr, "no order rows") {
		t.Errorf("validating the blank template: exit %d %s; want 2, no order rows", r.code, r.stderr)
	}
}

// TestTemplateNeverOverwrites: the template is never written over a file
// (a filled-in order sheet, most likely) without --force, nor under a name
// that is not a workbook's.
func TestTemplateNeverOverwrites(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	filled, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.xlsx"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"over a filled-in sheet", []string{"-o", name}, 2, "already exists and was not changed"},
		{"a .csv name", []string{"-o", "november.csv"}, 2, "give it a name ending in .xlsx (e.g. -o november.xlsx)"},
		{"no extension", []string{"-o", "november"}, 2, "ending in .xlsx"},
		{"a folder", []string{"-o", "folder.xlsx"}, 2, "is a folder"},
		{"a new name", []string{"-o", "november.xlsx"}, 0, "Wrote the order template to november.xlsx"},
		{"over it, forced", []string{"-o", "november.xlsx", "--force"}, 0, "Wrote the order template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, dir, append([]string{"template"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d saying %q\n%s", r.code, tc.code, tc.want, r.stderr)
			}
		})
	}
	if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, filled) {
		t.Error("the filled-in order sheet was changed")
	}
	for _, f := range []string{"november.csv", "november"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written", f)
		}
	}
}

func TestHelpNamesEveryCommandAndExitCode(t *testing.T) {
	r := cli(t, t.TempDir(), "--help")
	for _, s := range []string{"validate", "submit", "watch", "config", "sandbox", "template", "Exit codes: 0"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("help does not mention %q:\n%s", s, r.stdout)
		}
	}
}

// TestValidateNeverGuessesColumns: two columns for one field stop the run
// (exit 2, both named, nothing written), a typo gets a hint, and the JSON
// summary says which header was read for each field.
func TestValidateNeverGuessesColumns(t *testing.T) {
	dir := t.TempDir()
	const cust, sku = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0", "CFQ7TTC0LH0Z:0001"
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("twice.csv", "Customer,SKU,Qty,Seats,Billing,Term\n"+cust+","+sku+",5,70,monthly,P1M\n")
	write("typo.csv", "Customer,SKU,Quantiy,Billing,Term\n"+cust+","+sku+",5,monthly,P1M\n")
	r := cli(t, dir, "validate", "twice.csv")
	if r.code != 2 || !strings.Contains(r.stderr, `two columns for Quantity: "Qty" (column C) and "Seats" (column D)`) {
		t.Errorf("two quantities: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "twice.results.xlsx")); err == nil {
		t.Error("a results workbook was written for a sheet whose quantity could not be told")
	}
	if r := cli(t, dir, "validate", "typo.csv"); r.code != 2 || !strings.Contains(r.stderr, `"Quantiy": did you mean Quantity?`) {
		t.Errorf("typo: exit %d\n%s", r.code, r.stderr)
	}
	d, name := sample(t, "monthly-orders-with-mistakes.csv")
	r = cli(t, d, "validate", "--json", name)
	var s struct{ Columns map[string]string }
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if s.Columns["Quantity"] != "Qty" || s.Columns["CustomerId"] != "Customer Tenant Id" || s.Columns["CatalogItemId"] != "SKU" {
		t.Errorf("columns %v", s.Columns)
	}
}

// writeZip writes a zip archive of the given parts.
func writeZip(t *testing.T, path string, parts map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err == nil {
			_, err = io.WriteString(w, body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWatchHelpCrontabIsTheREADMEs: the crontab line watch --help shows is
// the README's, which keeps the summaries and the log apart.
func TestWatchHelpCrontabIsTheREADMEs(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "*/15") {
			line = strings.Join(strings.Fields(l), " ")
		}
	}
	if line == "" {
		t.Fatal("no crontab line in the README")
	}
	r := cli(t, t.TempDir(), "watch", "--help")
	found := false
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.Join(strings.Fields(l), " ") == line {
			found = true
		}
	}
	if !found {
		t.Errorf("watch --help has no line %q:\n%s", line, r.stdout)
	}
}
