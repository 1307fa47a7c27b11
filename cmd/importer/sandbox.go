package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/sandbox"
)

type sandboxOptions struct {
	addr          string
	catalog       string
	faults        string
	seed          uint64
	partnerRPM    int
	customerRPM   int
	tokenLifetime time.Duration
	checkoutTime  time.Duration
	provisioning  time.Duration
}

func newSandboxCmd(stdout, stderr io.Writer) *cobra.Command {
	o := sandboxOptions{addr: "127.0.0.1:8080", tokenLifetime: time.Hour}
	cmd := &cobra.Command{
		Use:   "sandbox [flags]",
		Short: "Serve a simulated Partner Center (token, carts, checkout, orders, catalog) on loopback",
		Long: `sandbox serves an in-process simulator of the part of Partner Center the
importer uses, so the tool can be tried and tested without credentials or a
network. It prints its base URL and the credentials it accepts, and serves
until interrupted.`,
		Example: `  importer sandbox
  importer sandbox --addr 127.0.0.1:9090 --faults create:500:0.1,checkout:timeout-after-commit:0.05,latency:50ms --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandbox(cmd, stdout, stderr, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", o.addr, "address to listen on (loopback unless you say otherwise)")
	f.StringVar(&o.catalog, "sandbox-catalog", "", "catalog JSON file, in the shape of pkg/sandbox/catalog.json (default: built in)")
	// --catalog is validate's catalog CSV everywhere else; the sandbox's
	// old name for its JSON stays for one release.
	f.StringVar(&o.catalog, "catalog", "", "deprecated: use --sandbox-catalog")
	_ = f.MarkDeprecated("catalog", "use --sandbox-catalog (--catalog is the catalog CSV of validate and submit)")
	f.StringVar(&o.faults, "faults", "", "faults to inject, e.g. create:500:0.1,checkout:timeout-after-commit:0.05,any:429:0.05,latency:50ms")
	f.Uint64Var(&o.seed, "seed", 0, "seed for ids and faults, for repeatable runs")
	f.IntVar(&o.partnerRPM, "partner-rpm", 0, "requests per minute allowed per partner tenant (0: unlimited)")
	f.IntVar(&o.customerRPM, "customer-rpm", 0, "requests per minute allowed per customer (0: unlimited)")
	f.DurationVar(&o.tokenLifetime, "token-lifetime", o.tokenLifetime, "how long access tokens last")
	f.DurationVar(&o.checkoutTime, "checkout-time", 0, "how long a checkout takes (another checkout of the cart meanwhile gets 409)")
	f.DurationVar(&o.provisioning, "provisioning-delay", 0, "how long after checkout an order stays pending and its lines unfulfilled")
	return cmd
}

func runSandbox(cmd *cobra.Command, stdout, stderr io.Writer, o sandboxOptions) error {
	cfg := sandbox.Config{Seed: o.seed, PartnerRPM: o.partnerRPM, CustomerRPM: o.customerRPM, TokenLifetime: o.tokenLifetime, CheckoutTime: o.checkoutTime, ProvisioningDelay: o.provisioning}
	if o.faults != "" {
		fs, err := sandbox.ParseFaults(o.faults)
		if err != nil {
			return fail(fmt.Errorf("--faults: %w", err))
		}
		cfg.Faults = fs
	}
	if cmd.Flags().Changed("catalog") {
		// pflag's own deprecation notice goes into cobra's flag buffer, so
		// nobody would see it.
		fmt.Fprintln(stderr, "warning: sandbox --catalog is deprecated: use --sandbox-catalog (--catalog is the catalog CSV of validate and submit)")
	}
	if o.catalog != "" {
		c, err := sandbox.LoadCatalog(o.catalog)
		if err != nil {
			return fail(err)
		}
		cfg.Catalog = c
	}
	if !sandbox.IsLoopbackAddr(o.addr) {
		fmt.Fprintf(stderr, "warning: %s is not a loopback address; the sandbox will be reachable from other machines\n", o.addr)
	}
	sb := sandbox.New(cfg)
	tenant, id, secret, refresh := sb.Credentials()
	err := sb.Serve(cmd.Context(), o.addr, func(base string) {
		fmt.Fprintf(stdout, "Partner Center sandbox listening on %s\n", base)
		fmt.Fprintf(stdout, "  API endpoint:  %s\n", base)
		fmt.Fprintf(stdout, "  token URL:     %s/%s/oauth2/token\n", base, tenant)
		fmt.Fprintf(stdout, "  ledger:        %s/_sandbox/ledger\n", base)
		fmt.Fprintf(stdout, "Accepted credentials (sandbox only):\n")
		fmt.Fprintf(stdout, "  PARTNER_CENTER_TENANT_ID=%s\n  PARTNER_CENTER_CLIENT_ID=%s\n  PARTNER_CENTER_CLIENT_SECRET=%s\n  PARTNER_CENTER_REFRESH_TOKEN=%s\n",
			tenant, id, secret, refresh)
		fmt.Fprintf(stdout, "Press Ctrl+C to stop.\n")
	})
	if err != nil {
		return fail(fmt.Errorf("sandbox: %w", err))
	}
	return nil
}
