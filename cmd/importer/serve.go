package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/sandbox"
	"github.com/cspimporter/importer/pkg/store"
	"github.com/cspimporter/importer/pkg/web"
)

type serveOptions struct {
	connectFlags
	addr      string
	data      string
	prices    string
	maxUpload int64
}

func newServeCmd(a *app) *cobra.Command {
	o := serveOptions{connectFlags: defaultConnectFlags(), addr: "127.0.0.1:8080", maxUpload: 25}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the web API: upload sheets, see their problems, approve what is bought",
		Long: `serve runs the importer's web API on ADDR (loopback by default). Finance
people upload sheets (every version is kept), see every problem by row, and a
second person approves exactly the plan they saw: nobody approves a batch
they uploaded. Everything is kept in the data directory (--data): the sheets,
results, plans, approvals and the audit log. API tokens come from
importer token create.`,
		Example: `  importer token create --name alice --role submitter
  importer serve --addr 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", o.addr, "where to listen; a non-loopback address gets a warning")
	f.StringVar(&o.data, "data", "", "the data directory (default: the user's data directory, importer/)")
	f.Int64Var(&o.maxUpload, "max-upload", o.maxUpload, "the largest sheet accepted, in MB")
	o.connectFlags.register(f, "buy from")
	f.StringVar(&o.prices, "prices", "", "the price list every upload is priced with (as validate's --prices)")
	return cmd
}

// dataDir is the data directory: --data, else $XDG_DATA_HOME/importer, else
// ~/.local/share/importer.
func (a *app) dataDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := a.getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "importer"), nil
	}
	if h := a.getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "importer"), nil
	}
	return "", errors.New("no data directory: set XDG_DATA_HOME or HOME, or use --data")
}

func (a *app) serve(ctx context.Context, o serveOptions) error {
	dir, err := a.dataDir(o.data)
	if err != nil {
		return fail(err)
	}
	if o.maxUpload < 1 {
		return fail(errors.New("--max-upload must be at least 1 (MB)"))
	}
	st, err := store.Open(dir)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	if !sandbox.IsLoopbackAddr(o.addr) {
		a.log.Warnf("%s is not a loopback address: the API is reachable from other machines, over plain HTTP", o.addr)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fail(err)
	}
	if err := o.connectFlags.check(1); err != nil {
		return fail(err)
	}
	conn := importer.NewConnection(a.connectOptions(o.connectFlags))
	defer conn.Close()
	// Purchases outlive the requests that start them, and end with the
	// process: on SIGTERM they finish their carts in flight and stop.
	api := web.New(web.Options{Store: st, Conn: conn, Context: ctx, Prices: o.prices, MaxUpload: o.maxUpload << 20, Log: a.log})
	if err := api.Resume(); err != nil {
		return fail(err)
	}
	defer api.Wait()
	srv := &http.Server{Handler: api,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute}
	fmt.Fprintf(a.stdout, "importer serving http://%s (data: %s)\n", ln.Addr(), dir)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fail(err)
	case <-ctx.Done():
		// Requests in hand are finished; nothing new is taken.
		shut, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			return fail(err)
		}
		<-done
		return nil
	}
}

func newTokenCmd(a *app) *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the web API's tokens",
	}
	cmd.PersistentFlags().StringVar(&data, "data", "", "the data directory, as serve's")
	var name string
	var roles []string
	create := &cobra.Command{
		Use:   "create --name NAME --role ROLE",
		Short: "Create an API token; it is printed once, alone on the first line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := a.dataDir(data)
			if err != nil {
				return fail(err)
			}
			rs, err := checkRoles(roles)
			if err != nil {
				return fail(err)
			}
			if strings.TrimSpace(name) == "" {
				return fail(errors.New("name the token: --name NAME"))
			}
			secret, err := store.CreateToken(dir, name, rs)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintln(a.stdout, secret)
			fmt.Fprintf(a.stderr, "Token %s (%s) created. It is shown this once: keep it where secrets go.\n", name, strings.Join(rs, ", "))
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "the token's name (it is the identity approvals and the audit log show)")
	create.Flags().StringSliceVar(&roles, "role", nil, "a role: submitter, approver, buyer or admin (repeatable, or comma-separated)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the API tokens (names and roles; never the tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := a.dataDir(data)
			if err != nil {
				return fail(err)
			}
			ts, err := store.Tokens(dir)
			if err != nil {
				return fail(err)
			}
			for _, t := range ts {
				fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", printable(t.Name), strings.Join(t.Roles, ","), t.Created.Format(time.RFC3339))
			}
			return nil
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := a.dataDir(data)
			if err != nil {
				return fail(err)
			}
			if err := store.RevokeToken(dir, args[0]); err != nil {
				return fail(err)
			}
			fmt.Fprintf(a.stdout, "Token %s revoked.\n", printable(args[0]))
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// checkRoles refuses a role that is not one, and no role at all.
func checkRoles(roles []string) ([]string, error) {
	var out []string
	for _, r := range roles {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" {
			continue
		}
		ok := false
		for _, known := range web.Roles {
			ok = ok || r == known
		}
		if !ok {
			return nil, fmt.Errorf("--role %q: use submitter, approver, buyer or admin", r)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errors.New("give the token a role: --role submitter (or approver, buyer, admin)")
	}
	return out, nil
}
