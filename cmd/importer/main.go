// Command importer turns spreadsheets of Microsoft Partner Center orders
// into carts and orders. This package is the CLI only: flags, wiring and
// exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cspimporter/importer/pkg/importer"
)

// Exit codes, the same for every command.
const (
	exitOK      = 0 // every row passed
	exitProblem = 1 // the run finished, but at least one row did not pass
	exitFailed  = 2 // the run could not be done; nothing was written
)

// exitError carries an exit code up to main. A nil err means the message
// was already printed, or there is nothing to add to the rows' outcomes.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// fail marks an error as "the run could not be done".
func fail(err error) error { return &exitError{code: exitFailed, err: err} }

// exitOf maps the core's outcome of a run to the exit: 1 for rows that did
// not pass and for a run that finished (wrote its results) but stopped, 2
// for a run that could not be done.
func exitOf(err error, finished bool) error {
	if err == nil {
		return nil
	}
	var msg error
	if importer.Message(err) != "" {
		msg = err
	}
	if importer.FaultOf(err) == importer.FaultRows || finished {
		return &exitError{code: exitProblem, err: msg}
	}
	return &exitError{code: exitFailed, err: msg}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to wind down; once it has been
	// seen, the default action is back, so a second one stops at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// app is what every command shares: where output goes, the log, and the
// secrets the log must never show.
type app struct {
	stdout, stderr io.Writer
	log            *logrus.Logger
	secrets        *importer.Secrets
	logFormat      string
	verbose        bool
	config         string
	getenv         func(string) string
}

// registerPersistent adds the flags every command has.
func (a *app) registerPersistent(pf *pflag.FlagSet) {
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log what the tool does in detail, to stderr")
	pf.StringVar(&a.logFormat, "log-format", logAuto, "log format on stderr: auto (text on a terminal, JSON lines otherwise), text or json")
	pf.StringVar(&a.config, "config", "", "config file (YAML or TOML) with settings for the flags; flags given on the command line win")
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newApp(stdout, stderr).run(ctx, args)
}

func newApp(stdout, stderr io.Writer) *app {
	// The log, a progress form and the summary write from several
	// goroutines: one lock per output keeps their lines whole.
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	a := &app{stdout: stdout, stderr: stderr, log: logrus.New(), secrets: &importer.Secrets{}, getenv: os.Getenv}
	a.log.SetOutput(stderr)
	return a
}

func (a *app) run(ctx context.Context, args []string) int {
	stderr := a.stderr
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "importer: %s\n", printableLines(a.secrets.Redact(ee.err.Error())))
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, wrong argument counts.
	fmt.Fprintf(stderr, "importer: %s\nRun 'importer --help' for usage.\n", printable(err.Error()))
	return exitFailed
}

func newRootCmd(a *app) *cobra.Command {
	var root *cobra.Command
	root = &cobra.Command{
		Use:   "importer",
		Short: "Turn spreadsheets of Partner Center orders into carts and orders",
		Long: `importer reads a monthly order sheet (XLSX or CSV), groups its rows into one
cart per customer, checks every row, creates and checks out the carts in
Partner Center exactly once (submit), and writes a results workbook.

Exit codes: 0 every row passed (valid, or ordered); 1 the run finished but
at least one row did not pass (invalid, failed, not submitted, unknown, or
the run was interrupted); 2 the run could not be done (bad flags or config,
unreadable file, missing columns, missing or rejected credentials, a journal
in use, a sheet that differs from its approved plan) and nothing was sent.
The same for every command; for watch, see its help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.config != "" && cmd.Name() != "check" {
				c, err := loadConfig(a.config)
				if err != nil {
					return fail(err)
				}
				// A misspelt key must not be silently ignored.
				if problems := c.check(root); len(problems) > 0 {
					return fail(fmt.Errorf("config %s:\n  %s", a.config, strings.Join(problems, "\n  ")))
				}
				if err := c.apply(cmd.Flags()); err != nil {
					return fail(err)
				}
			}
			if err := setupLog(a.log, a.stderr, a.logFormat, a.verbose, a.secrets); err != nil {
				return fail(err)
			}
			return nil
		},
	}
	a.registerPersistent(root.PersistentFlags())
	root.AddCommand(newValidateCmd(a), newSubmitCmd(a), newWatchCmd(a), newConfigCmd(a, func() *cobra.Command { return root }),
		newTemplateCmd(a.stderr), newSandboxCmd(a.stdout, a.stderr), newStatusCmd(a), newServeCmd(a), newTokenCmd(a), newDBCmd(a), newStateCmd(a))
	return root
}
