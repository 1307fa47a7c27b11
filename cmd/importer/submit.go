package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/submit"
)

type submitOptions struct {
	sheetOptions
	notifyOptions
	sandbox     bool
	endpoint    string
	tokenURL    string
	credentials string
	concurrency int
	rate        int
	timeout     time.Duration
	maxAttempts int
	createOnly  bool
	skipInvalid bool
	state       string
	batch       string
	plan        string
	orderAgain  bool
}

func newSubmitCmd(a *app) *cobra.Command {
	o := defaultSubmitOptions()
	cmd := &cobra.Command{
		Use:   "submit [flags] SHEET",
		Short: "Validate SHEET, then create and check out its carts in Partner Center, exactly once",
		Long: `submit validates SHEET exactly as validate does, then creates and checks out one
cart per customer (and CartGroup), and writes the outcome of every row into the
results workbook. Every step is journaled before it is sent, so running the
same command again after any failure or crash finishes the batch without
ordering anything twice.`,
		Example: `  importer submit --sandbox samples/monthly-orders.xlsx
  PARTNER_CENTER_TENANT_ID=… PARTNER_CENTER_CLIENT_ID=… PARTNER_CENTER_CLIENT_SECRET=… importer submit orders.xlsx
  importer submit --create-only --credentials ~/.config/importer/credentials orders.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := a.submitSheet(cmd.Context(), args[0], o)
			a.notify(cmd.Context(), o.notifyOptions, args[0], sum, err, "")
			return err
		},
	}
	o.register(cmd.Flags(), true)
	return cmd
}

func defaultSubmitOptions() submitOptions {
	return submitOptions{endpoint: pc.DefaultEndpoint, tokenURL: pc.DefaultTokenURL, concurrency: 5, rate: 300, timeout: 60 * time.Second, maxAttempts: 6}
}

// register adds submit's flags; perSheet ones only to commands that take
// one SHEET.
func (o *submitOptions) register(f *pflag.FlagSet, perSheet bool) {
	o.sheetOptions.register(f, perSheet)
	o.notifyOptions.register(f)
	f.BoolVar(&o.sandbox, "sandbox", false, "submit to the built-in Partner Center simulator, started in-process (no credentials needed)")
	f.StringVar(&o.endpoint, "endpoint", o.endpoint, "Partner Center API base URL")
	f.StringVar(&o.tokenURL, "token-url", o.tokenURL, "token endpoint; {tenant} is replaced by the tenant id")
	f.StringVar(&o.credentials, "credentials", "", "file of KEY=VALUE credentials (readable by its owner only)")
	f.IntVar(&o.concurrency, "concurrency", o.concurrency, "carts in flight at once")
	f.IntVar(&o.rate, "rate", o.rate, "requests per minute, across all carts")
	f.DurationVar(&o.timeout, "timeout", o.timeout, "timeout of one request")
	f.IntVar(&o.maxAttempts, "max-attempts", o.maxAttempts, "attempts of one request on 5xx answers, timeouts and dropped connections (429s are waited out on top)")
	f.BoolVar(&o.createOnly, "create-only", false, "create the carts and collect Partner Center's per-line errors, but never check out")
	f.BoolVar(&o.skipInvalid, "skip-invalid", false, "hold back carts with an invalid row and submit the others")
	f.StringVar(&o.state, "state", "", "the journal file (default: one per batch in the user's state directory)")
	f.StringVar(&o.batch, "batch", "", "batch name; {name} is SHEET's base name (default: the plan's with --plan, else {name})")
	f.BoolVar(&o.orderAgain, "order-again", false, "send even though a results workbook shows this batch ordered and the journal has no record of it (a wiped or another journal); rows the sheet itself shows ordered are still never sent")
	if perSheet {
		f.StringVar(&o.plan, "plan", "", "the approved plan (from validate --plan): refuse, sending nothing, unless SHEET is exactly what it approved")
	}
}

// check refuses options no submission can run with.
func (o *submitOptions) check() error {
	if o.concurrency < 1 || o.rate < 1 || o.timeout <= 0 || o.maxAttempts < 1 {
		return errors.New("--concurrency, --rate, --timeout and --max-attempts must be above 0")
	}
	return o.notifyOptions.check()
}

// submitSheet is submit without the notifications; sum is nil when the run
// could not be done.
func (a *app) submitSheet(ctx context.Context, input string, o submitOptions) (*report.Summary, error) {
	return a.submitWith(ctx, input, o, nil)
}

// submitWith is submitSheet with a connection to Partner Center given by
// the caller (nil: one of its own, for this sheet): a watch shares one,
// so that its rate limit and its token are the tenant's, not each sheet's.
func (a *app) submitWith(ctx context.Context, input string, o submitOptions, shared *remote) (*report.Summary, error) {
	a.notifySecrets(o.notifyOptions)
	if err := o.check(); err != nil {
		return nil, failEnv(err)
	}
	runID := newRunID()
	log := a.log.WithFields(logrus.Fields{"run_id": runID, "file": input})
	c, err := check(log, input, o.sheetOptions)
	if err != nil {
		return nil, err
	}
	batch := ""
	if o.batch != "" {
		batch = batchName(o.batch, input)
	}
	if o.plan != "" {
		if batch, err = checkPlan(c, o.plan, batch); err != nil {
			return nil, err
		}
		log.WithField("plan", o.plan).Info("the sheet is exactly what the plan approved")
	}
	if batch == "" {
		batch = batchName("", input)
	}
	log = log.WithField("batch", batch)
	run := c.run("submit", true)
	run.Batch, run.RunID = batch, runID
	// The results workbook is written even after an interrupt: it holds
	// the outcome of every cart this run bought.
	results := context.WithoutCancel(ctx)
	plan := &submit.Plan{Rows: c.sheet.Rows, Carts: c.res.Carts, Outcomes: c.res.Outcomes}
	invalid := 0
	for _, oc := range plan.Outcomes {
		if oc.Status == order.StatusInvalid {
			invalid++
		}
	}
	if invalid > 0 && !o.skipInvalid {
		for i := range plan.Outcomes {
			if plan.Outcomes[i].Status != order.StatusInvalid {
				plan.Outcomes[i].Status = order.StatusNotSubmitted
				plan.Outcomes[i].Problems = append(plan.Outcomes[i].Problems, order.Problem{Kind: "submit: not submitted", Severity: order.Error,
					Message: fmt.Sprintf("nothing was sent: %d rows of the sheet are invalid; fix them, or use --skip-invalid to submit the carts without invalid rows", invalid)})
			}
		}
		log.WithField("invalid_rows", invalid).Warn("nothing sent: the sheet has invalid rows")
		sum, err := a.finish(results, run, c.out, o.sheetOptions, "Submitted")
		if err != nil {
			return nil, err
		}
		return sum, &exitError{code: exitProblem}
	}

	// Everything that could fail after buying is tried first: a results
	// workbook that cannot be written must stop the run before a cart is
	// created, not after carts were bought.
	if err := report.CheckWorkbook(ctx, run, c.out); err != nil {
		return nil, fail(fmt.Errorf("nothing was sent: %w", err))
	}
	if o.summary != "" {
		if err := checkWritable(o.summary); err != nil {
			return nil, fail(fmt.Errorf("nothing was sent: --summary %s cannot be written: %w", o.summary, err))
		}
	}
	env := shared
	if env == nil {
		if env, err = a.connect(log, o); err != nil {
			return nil, err
		}
		defer env.close()
	}
	if _, err := env.tokens.Token(ctx); err != nil {
		return nil, failEnv(err) // before any cart is created
	}
	statePath := o.state
	if statePath == "" {
		if statePath, err = defaultStatePath(o.sandbox, batch); err != nil {
			return nil, failEnv(err)
		}
		if o.sandbox {
			defer os.RemoveAll(filepath.Dir(statePath))
		}
	}
	run.Journal = statePath
	journal, err := submit.OpenJournal(statePath)
	if err != nil {
		return nil, failEnv(err)
	}
	defer journal.Close()
	// A --sandbox run without --state has a throwaway journal and a fresh
	// simulator: nothing it could order again is real.
	if !o.sandbox || o.state != "" {
		if err := checkEvidence(log, journal, c, batch, o.orderAgain); err != nil {
			return nil, err
		}
	}
	stopTelling := context.AfterFunc(ctx, func() {
		log.Warn("Interrupted: no new cart is started; finishing the carts in flight and writing the results workbook. " +
			"Interrupt again to stop at once (safe: running the same command again picks up where this run stopped).")
	})
	defer stopTelling()
	log.WithFields(logrus.Fields{"journal": statePath, "endpoint": env.endpoint, "carts": len(plan.Carts), "rows": len(plan.Rows)}).Info("submitting")

	opt := submit.Options{Batch: batch, RunID: runID, Concurrency: o.concurrency, CreateOnly: o.createOnly, SkipInvalid: o.skipInvalid, Log: log}
	var bar *progress
	if a.interactive(o.json) {
		bar = newProgress(a.stderr, len(plan.Carts), plan.Outcomes, 100*time.Millisecond)
		opt.CartDone = bar.cartDone
		// The bar tells what the per-cart log lines would; warnings still
		// show, above it (-v shows the whole log instead of the bar).
		level := a.log.GetLevel()
		a.log.SetLevel(min(level, logrus.WarnLevel))
		a.log.SetOutput(bar.wrap(a.stderr))
		defer a.log.SetLevel(level)
	}
	err = submit.Run(ctx, env.client, journal, plan, opt)
	if bar != nil {
		bar.finish()
		a.log.SetOutput(a.stderr)
	}
	sum, ferr := a.finish(results, run, c.out, o.sheetOptions, "Submitted")
	if ferr != nil {
		return a.rescue(results, log, run, o, statePath, ferr)
	}
	log.WithFields(statusFields(sum.Statuses)).WithField("results", c.out).Info("submitted")
	if err != nil {
		// A sign-in that stopped the run mid-way is the surroundings' fault:
		// a watch keeps the sheet and tries again.
		return sum, &exitError{code: exitProblem, err: err, env: errors.As(err, new(*pc.AuthError))}
	}
	if ctx.Err() != nil {
		log.Warn("Interrupted: carts in flight were finished; run the same command again to submit the rest.")
		return sum, &exitError{code: exitProblem}
	}
	if !allBought(plan.Outcomes) {
		return sum, &exitError{code: exitProblem}
	}
	return sum, nil
}

// statusFields are row counts by status as log fields ("ordered": 28).
func statusFields(counts map[string]int) logrus.Fields {
	f := logrus.Fields{}
	for st, n := range counts {
		f[strings.ReplaceAll(strings.ToLower(st), " ", "_")] = n
	}
	return f
}

// newRunID names one run: when it started, and a random part, since two
// files of a watched inbox can start within the same second.
func newRunID() string {
	return time.Now().UTC().Format("20060102T150405Z") + "-" + pc.NewID()[:8]
}

// allBought: every row bought, now or in an earlier run of the batch.
func allBought(outcomes []order.Outcome) bool {
	for i := range outcomes {
		if !outcomes[i].Bought() {
			return false
		}
	}
	return true
}

// remote is what submit talks to: Partner Center, or the sandbox.
type remote struct {
	client   *pc.Client
	tokens   *pc.Tokens
	endpoint string
	close    func()
}

func (a *app) connect(log logrus.FieldLogger, o submitOptions) (*remote, error) {
	r := &remote{endpoint: o.endpoint, close: func() {}}
	tokenTemplate := o.tokenURL
	var creds pc.Credentials
	if o.sandbox {
		sb, base, stop, err := startSandbox()
		if err != nil {
			return nil, failEnv(fmt.Errorf("start the sandbox: %w", err))
		}
		log.WithField("endpoint", base).Info("started the Partner Center sandbox")
		r.endpoint, r.close, tokenTemplate = base, stop, base+"/{tenant}/oauth2/token"
		creds.TenantID, creds.ClientID, creds.ClientSecret, _ = sb.Credentials()
	} else {
		var err error
		if creds, err = loadCredentials(o.credentials, os.Getenv); err != nil {
			return nil, failEnv(err)
		}
	}
	a.secrets.add(creds.ClientSecret, creds.RefreshToken)
	tokenURL := pc.TokenURL(tokenTemplate, creds.TenantID)
	if err := checkURL(tokenURL); err != nil {
		r.close()
		return nil, failEnv(fmt.Errorf("--token-url: %w", err))
	}
	hc := &http.Client{Timeout: o.timeout}
	r.tokens = pc.NewTokens(creds, tokenURL, hc)
	client, err := pc.NewClient(pc.Options{Endpoint: r.endpoint, Tokens: r.tokens, HTTP: hc,
		RequestsPerMinute: o.rate, Timeout: o.timeout, MaxAttempts: o.maxAttempts})
	if err != nil {
		r.close()
		return nil, failEnv(err)
	}
	r.client = client
	return r, nil
}

// startSandbox serves the simulator on a free loopback port until stop is
// called (not until an interrupt: carts in flight must get their answers).
func startSandbox() (sb *sandbox.Server, base string, stop func(), err error) {
	sb = sandbox.New(sandbox.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, "127.0.0.1:0", func(base string) { ready <- base }) }()
	select {
	case base = <-ready:
		return sb, base, func() { cancel(); <-done }, nil
	case err = <-done:
		cancel()
		return nil, "", nil, err
	}
}

var batchUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// batchName is the batch a --batch value names for input: {name} is the
// input's base name, and no value means {name}. validate --plan and submit
// must agree on it, or submit refuses the approved sheet.
func batchName(pattern, input string) string {
	if pattern == "" {
		pattern = "{name}"
	}
	return strings.ReplaceAll(pattern, "{name}", defaultBatch(input))
}

// defaultBatch is the input's base name without extension or ".results".
func defaultBatch(input string) string {
	base := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	return strings.TrimSuffix(base, ".results")
}

// defaultStatePath is one journal per batch in the user's state directory
// ($XDG_STATE_HOME, else ~/.local/state). A sandbox run gets a journal of
// its own that goes away with it, since the in-process sandbox does too.
func defaultStatePath(forSandbox bool, batch string) (string, error) {
	name := batchUnsafe.ReplaceAllString(batch, "_") + ".journal"
	if forSandbox {
		dir, err := os.MkdirTemp("", "importer-sandbox-")
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, name), nil
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no state directory (set XDG_STATE_HOME or use --state): %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "importer", name), nil
}

// checkEvidence refuses to send when the journal has no record of the batch
// but a results workbook of it (the input given back, or the results path)
// shows rows ordered: the journal was wiped, or this is another one, and
// sending could order everything again.
func checkEvidence(log logrus.FieldLogger, j *submit.Journal, c *checked, batch string, orderAgain bool) error {
	known, err := j.HasBatch(batch)
	if err != nil {
		return failEnv(err)
	}
	if known {
		return nil
	}
	for _, path := range []string{c.input, c.out} {
		rows := c.sheet.Rows
		if path != c.input {
			if _, err := os.Stat(path); err != nil {
				continue
			}
			s, err := ingest.Read(path, ingest.Options{Sheet: c.sheet.Name})
			if err != nil {
				log.WithError(err).Warn("the existing results workbook could not be read to see what it says was ordered")
				continue
			}
			rows = s.Rows
		}
		n := 0
		for i := range rows {
			if rows[i].Earlier.Ordered() {
				n++
			}
		}
		if n == 0 {
			continue
		}
		// Another batch's results are no evidence against this one; where
		// the batch cannot be told (a CSV, a Summary sheet that is gone),
		// the rows are.
		if written, err := report.WrittenBatch(path); err == nil && written != "" && written != batch {
			continue
		}
		if orderAgain {
			log.WithFields(logrus.Fields{"results": path, "ordered_rows": n}).Warn("--order-again: sending although this results workbook shows rows of the batch ordered and the journal has no record of it")
			return nil
		}
		return fail(fmt.Errorf("nothing was sent: %s shows %d rows of batch %s ordered, but the journal has no record of this batch "+
			"(was it deleted, or is this another computer's or --state's journal?); sending could order them again. "+
			"Run with the journal that ordered them, or, if you really mean to order again, add --order-again", path, n, batch))
	}
	return nil
}

// checkWritable: can a file be written at path (not a folder, its folder
// takes files)? Nothing is left behind.
func checkWritable(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return errors.New("it is a folder")
	}
	return atomicfile.Try(path, func(io.Writer) error { return nil })
}

// rescue is what a submission does when its results could not be written
// after it bought (the disk filled up, the folder went away): the outcomes
// are not lost. They go into a results workbook and a JSON summary in the
// state directory, every row's outcome is printed, and the run exits 1
// saying what was bought and where the outcomes are. A rerun writes the
// results workbook from the journal.
func (a *app) rescue(ctx context.Context, log logrus.FieldLogger, run *report.Run, o submitOptions, statePath string, writeErr error) (*report.Summary, error) {
	dir := filepath.Dir(statePath)
	if o.sandbox && o.state == "" {
		dir = os.TempDir() // the sandbox's state directory goes away with the run
	}
	stem := batchUnsafe.ReplaceAllString(run.Batch, "_") + "-" + run.RunID
	book := filepath.Join(dir, stem) + report.ResultsSuffix
	where := []string{}
	if err := report.WriteWorkbook(ctx, run, book); err != nil {
		log.WithError(err).Error("the results workbook could not be written in the state directory either")
		book = ""
	} else {
		where = append(where, book)
	}
	sum := report.Summarize(run, book)
	for _, p := range []string{o.summary, filepath.Join(dir, stem) + report.SummarySuffix} {
		if p == "" {
			continue
		}
		if err := report.WriteSummary(p, sum); err != nil {
			log.WithError(err).WithField("summary", p).Error("the JSON summary could not be written")
			continue
		}
		where = append(where, p)
	}
	ordered := 0
	for i := range run.Outcomes {
		if run.Outcomes[i].Status == order.StatusOrdered {
			ordered++
		}
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
	} else {
		printOutcomes(a.stdout, run)
		printSummary(a.stdout, sum, "Submitted")
	}
	if len(where) == 0 {
		where = append(where, "the lines above and the journal "+statePath+" (run the same command again to write the results workbook)")
	}
	err := fmt.Errorf("%d rows ordered; the results could not be written: %v; the outcomes are in %s",
		ordered, writeErr, strings.Join(where, " and "))
	log.Error(err.Error())
	return sum, &exitError{code: exitProblem, err: err}
}

// printOutcomes prints every row's outcome, one line each.
func printOutcomes(w io.Writer, run *report.Run) {
	for i := range run.Outcomes {
		oc := &run.Outcomes[i]
		line := fmt.Sprintf("row %d: %s", run.Rows[i].Line, oc.Status)
		if oc.OrderID != "" {
			line += ", order " + oc.OrderID
		}
		if m := report.Message(oc); m != "" {
			line += ": " + m
		}
		fmt.Fprintln(w, printable(line))
	}
}
