package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/pgstate"
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
	maxChecks int
	tlsCert   string
	tlsKey    string
	proxy     bool
	followUp  time.Duration
	storeURL  string
	stateFlags
	// Sign-in with Entra ID; roles by email or Entra group.
	issuer, clientID, publicURL           string
	submitters, approvers, buyers, admins []string
}

func newServeCmd(a *app) *cobra.Command {
	o := serveOptions{connectFlags: defaultConnectFlags(), addr: "127.0.0.1:8080", maxUpload: 25, followUp: time.Hour,
		stateFlags: stateFlags{waitForBatch: 2 * time.Minute}}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the web app and its API: upload sheets, see their problems, approve and buy",
		Long: `serve runs the importer's web app and its JSON API on ADDR (loopback by
default). Finance people upload sheets (every version is kept) and see every
problem by row and cell; a second person approves exactly the plan they saw
(nobody approves a batch they uploaded); a buyer buys it, once. Everything is
kept in the data directory (--data): the sheets, results, plans, approvals
and the audit log; or, with --store postgres://..., in PostgreSQL, shared by
several instances of the app. API tokens come from importer token create.`,
		Example: `  importer token create --name alice --role submitter
  importer serve --addr 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", o.addr, "where to listen; a non-loopback address gets a warning")
	f.StringVar(&o.data, "data", "", "the data directory (default: the user's data directory, importer/); with --store, only the instance's own work folder")
	f.Int64Var(&o.maxUpload, "max-upload", o.maxUpload, "the largest sheet accepted, in MB")
	f.IntVar(&o.maxChecks, "max-checks", 0, "how many uploaded sheets are checked at once (default: the number of CPUs); bounds the memory")
	o.connectFlags.register(f, "buy from")
	f.StringVar(&o.prices, "prices", "", "the price list every upload is priced with (as validate's --prices)")
	f.StringVar(&o.storeURL, "store", "", "keep the app's batches with their files, decisions, audit log, tokens and sessions in PostgreSQL (postgres://USER@HOST/DB), shared by several instances of the app, instead of the data directory's embedded store; --state defaults to it")
	o.stateFlags.register(f, "where purchases are journaled: a journal file per batch in the data directory (the default)")
	f.DurationVar(&o.followUp, "follow-up", o.followUp, "how often to ask Partner Center about the orders of bought batches until each is provisioned or failed (0: only when someone asks)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "the certificate's private key (PEM)")
	f.BoolVar(&o.proxy, "trust-proxy", false, "honour X-Forwarded-For and X-Forwarded-Proto (only behind a reverse proxy that sets them)")
	f.StringVar(&o.issuer, "oidc-issuer", "", "sign people in with this OpenID Connect issuer: https://login.microsoftonline.com/{tenant}/v2.0 (the client secret in IMPORTER_OIDC_CLIENT_SECRET)")
	f.StringVar(&o.clientID, "oidc-client-id", "", "the app's client id at the issuer")
	f.StringVar(&o.publicURL, "public-url", "", "the address people open the app at (default http://ADDR); sign-in sends them back to PUBLIC-URL/auth/callback")
	f.StringSliceVar(&o.submitters, "submitter", nil, "a person (email) or Entra group (object id) who may upload; repeatable")
	f.StringSliceVar(&o.approvers, "approver", nil, "a person (email) or Entra group (object id) who may approve or reject; repeatable")
	f.StringSliceVar(&o.buyers, "buyer", nil, "a person (email) or Entra group (object id) who may start a purchase; repeatable")
	f.StringSliceVar(&o.admins, "admin", nil, "a person (email) or Entra group (object id) who may do everything; repeatable")
	return cmd
}

// signInOptions are the sign-in of the app at addr: with --sandbox, the
// sandbox's demo identity provider and its demo people (alice, bob, carol);
// else Entra ID, where --oidc-issuer is given; else none (tokens only).
func (a *app) signInOptions(o serveOptions, addr string) (*web.OIDC, func(), string, error) {
	public := strings.TrimSuffix(o.publicURL, "/")
	if public == "" {
		public = "http://" + addr
	}
	roles, groups, err := roleMaps(o)
	if err != nil {
		return nil, nil, "", err
	}
	switch {
	case o.sandbox:
		sb, base, stop, err := importer.StartSandbox("", true)
		if err != nil {
			return nil, nil, "", err
		}
		_, id, secret, _ := sb.Credentials()
		for _, u := range sandbox.DemoUsers {
			for _, r := range strings.Split(u.Roles, ",") {
				roles[u.Email] = append(roles[u.Email], strings.TrimSpace(r))
			}
		}
		note := fmt.Sprintf("Demo sign-in: open %s/ and sign in as Alice (submitter), Bob (approver, buyer) or Carol (admin). Nothing is real.", public)
		return &web.OIDC{Issuer: sb.Issuer(base), ClientID: id, ClientSecret: secret, RedirectURL: public + "/auth/callback", Roles: roles, GroupRoles: groups}, stop, note, nil
	case o.issuer != "":
		secret := a.getenv("IMPORTER_OIDC_CLIENT_SECRET")
		if o.clientID == "" || secret == "" {
			return nil, nil, "", errors.New("--oidc-issuer needs --oidc-client-id and the secret in IMPORTER_OIDC_CLIENT_SECRET")
		}
		a.secrets.Add(secret)
		return &web.OIDC{Issuer: o.issuer, ClientID: o.clientID, ClientSecret: secret, RedirectURL: public + "/auth/callback", Roles: roles, GroupRoles: groups}, func() {}, "", nil
	}
	return nil, func() {}, "", nil
}

var groupID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// roleMaps are the roles --submitter, --approver, --buyer and --admin give,
// by email and by Entra group object id (both lower case).
func roleMaps(o serveOptions) (people, groups map[string][]string, err error) {
	people, groups = map[string][]string{}, map[string][]string{}
	for _, g := range []struct {
		role string
		who  []string
	}{{web.RoleSubmitter, o.submitters}, {web.RoleApprover, o.approvers}, {web.RoleBuyer, o.buyers}, {web.RoleAdmin, o.admins}} {
		for _, w := range g.who {
			w = strings.ToLower(strings.TrimSpace(w))
			switch {
			case groupID.MatchString(w):
				groups[w] = append(groups[w], g.role)
			case strings.Count(w, "@") == 1 && !strings.HasPrefix(w, "@") && !strings.HasSuffix(w, "@"):
				people[w] = append(people[w], g.role)
			default:
				return nil, nil, fmt.Errorf("--%s %q: give a person's email (bob@contoso.com) or an Entra group's object id (as 8b2d6c4f-3e1a-4f6b-b7c9-1d2e3f4a5b6c, on the group's overview page)", g.role, printable(w))
			}
		}
	}
	return people, groups, nil
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
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return fail(errors.New("--tls-cert and --tls-key go together"))
	}
	if _, _, err := roleMaps(o); err != nil {
		return fail(err)
	}
	if err := o.stateFlags.check(); err != nil {
		return fail(err)
	}
	if o.storeURL != "" && !pgstate.IsURL(o.storeURL) {
		return fail(errors.New("--store: give the database as postgres://USER@HOST/DB (without --store the app keeps its store in the data directory)"))
	}
	if o.storeURL != "" && o.state == "" {
		o.state = o.storeURL // the purchases' journal with the rest
	}
	if o.state != "" && !pgstate.IsURL(o.state) {
		return fail(errors.New("--state: the app keeps a journal file per batch in its data directory; give --state only as postgres://USER@HOST/DB, to share the purchases' journal with other hosts"))
	}
	if o.state != "" && o.sandbox {
		return fail(errors.New("--sandbox keeps its state beside journal files, so it cannot share a PostgreSQL --state or --store: serve the simulator on its own (importer sandbox) and give its address as --endpoint"))
	}
	if o.followUp < 0 || (o.followUp > 0 && o.followUp < leastInterval && !o.sandbox && !loopback(o.endpoint)) {
		return fail(fmt.Errorf("--follow-up %s: 0 (only when someone asks), or at least %s: Partner Center may be asked at most that often", o.followUp, leastInterval))
	}
	st, closeStore, err := openAppStore(ctx, o.storeURL, dir)
	if err != nil {
		return fail(err)
	}
	defer closeStore()
	if !sandbox.IsLoopbackAddr(o.addr) && o.tlsCert == "" {
		a.log.Warnf("%s is not a loopback address: the app is reachable from other machines, over plain HTTP (use --tls-cert and --tls-key, or a reverse proxy)", o.addr)
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
	signIn, stopIdP, note, err := a.signInOptions(o, ln.Addr().String())
	if err != nil {
		return fail(err)
	}
	defer stopIdP()
	// Purchases outlive the requests that start them, and end with the
	// process: on SIGTERM they finish their carts in flight and stop.
	api := web.New(web.Options{Store: st, Data: dir, Conn: conn, Context: ctx, Prices: o.prices, OIDC: signIn, TrustProxy: o.proxy, MaxChecks: o.maxChecks, MaxUpload: o.maxUpload << 20, FollowUp: o.followUp, Log: a.log, State: o.state, Lease: o.lease, WaitForBatch: o.waitForBatch,
		Settings: settingsOf(o, dir)})
	if err := api.Resume(); err != nil {
		return fail(err)
	}
	defer api.Wait()
	srv := &http.Server{Handler: api,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(a.stdout, "importer serving %s://%s (data: %s)\n", scheme, ln.Addr(), dir)
	if note != "" {
		fmt.Fprintln(a.stdout, note)
	}
	done := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			done <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
			return
		}
		done <- srv.Serve(ln)
	}()
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

// settingsOf is what the admin page shows of how the app was started: no
// secret (the client secret and credentials stay where they are).
func settingsOf(o serveOptions, dir string) []web.Setting {
	pc := o.endpoint + fmt.Sprintf(" (at most %d requests a minute)", o.rate)
	if o.sandbox {
		pc = "the sandbox: nothing is real, nothing is bought"
	}
	follow := "every " + shortDuration(o.followUp)
	if o.followUp == 0 {
		follow = "only when someone asks"
	}
	set := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return v
	}
	signIn := o.issuer
	if o.sandbox {
		signIn = "the sandbox's demo sign-in"
	}
	out := []web.Setting{
		{Name: "Partner Center", Value: pc},
		{Name: "Data directory", Value: dir},
		{Name: "Price list", Value: set(o.prices)},
		{Name: "Follow-up of bought orders", Value: follow},
		{Name: "Largest upload", Value: fmt.Sprintf("%d MB", o.maxUpload)},
		{Name: "Store", Value: storeSetting(o.storeURL)},
		{Name: "Purchases' journal", Value: journalSetting(o.stateFlags)},
		{Name: "Behind a reverse proxy", Value: fmt.Sprint(o.proxy)},
		{Name: "Sign-in", Value: set(signIn)},
	}
	if o.sandbox {
		var people []string
		for _, u := range sandbox.DemoUsers {
			people = append(people, u.Email+" ("+u.Roles+")")
		}
		out = append(out, web.Setting{Name: "Demo people", Value: strings.Join(people, "; ")})
	}
	return append(out,
		web.Setting{Name: "Submitters", Value: set(strings.Join(o.submitters, ", "))},
		web.Setting{Name: "Approvers", Value: set(strings.Join(o.approvers, ", "))},
		web.Setting{Name: "Buyers", Value: set(strings.Join(o.buyers, ", "))},
		web.Setting{Name: "Admins", Value: set(strings.Join(o.admins, ", "))})
}

// shortDuration writes d as people do: 1h, 1h30m, 45s (not 1h0m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func journalSetting(o stateFlags) string {
	if o.state == "" {
		return "a file per batch in the data directory"
	}
	return fmt.Sprintf("%s, shared with other hosts (a batch held for %s, waited for up to %s)", pgstate.Redact(o.state), shortDuration(o.lease), shortDuration(o.waitForBatch))
}

// openAppStore opens the app's store: PostgreSQL's (storeURL), shared by
// several instances, else the data directory's embedded one.
func openAppStore(ctx context.Context, storeURL, dir string) (web.Store, func(), error) {
	if storeURL != "" {
		db, err := pgstate.Open(ctx, storeURL)
		if err != nil {
			return nil, nil, err
		}
		return db.AppStore(), db.Close, nil
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

func storeSetting(storeURL string) string {
	if storeURL == "" {
		return "embedded, in the data directory"
	}
	return pgstate.Redact(storeURL) + ", shared by every instance of the app that names it"
}
