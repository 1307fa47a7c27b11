package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/pgstate"
)

// newDBCmd is importer db: the shared state's database by hand.
func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Look after the PostgreSQL database that holds shared state"}
	var state string
	migrate := &cobra.Command{
		Use:   "migrate --state postgres://USER@HOST/DB",
		Short: "Bring the database's schema up to this importer's version (every command does this itself on start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.dbMigrate(cmd.Context(), state)
		},
	}
	migrate.Flags().StringVar(&state, "state", "", "the database: postgres://USER@HOST/DB (the password from PGPASSWORD or ~/.pgpass, never shown)")
	cmd.AddCommand(migrate)
	return cmd
}

func (a *app) dbMigrate(ctx context.Context, state string) error {
	if !pgstate.IsURL(state) {
		return fail(errors.New("--state: give the database as postgres://USER@HOST/DB"))
	}
	db, err := pgstate.Open(ctx, state)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	v, err := db.Version(ctx)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(a.stdout, "%s: schema version %d (this importer's is %d).\n", db, v, pgstate.Latest())
	return nil
}

// newStateCmd is importer state: moving a journal file, or a web app's
// data directory, into PostgreSQL.
func newStateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "state", Short: "Move the submit journal, or the web app's data directory, into PostgreSQL"}
	var from, to string
	cp := &cobra.Command{
		Use:   "copy --from FILE|DIR --to postgres://USER@HOST/DB",
		Short: "Copy a journal file, or a stopped web app's data directory, into PostgreSQL, so runs and app instances on any host carry on from it (copying twice is harmless)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if info, err := os.Stat(from); err == nil && info.IsDir() {
				return a.copyApp(cmd.Context(), from, to)
			}
			return a.copyJournal(cmd.Context(), from, to)
		},
	}
	cp.Flags().StringVar(&from, "from", "", "the journal file (submit's --state, or BATCH.journal in the state directory), or the app's data directory (serve --data)")
	cp.Flags().StringVar(&to, "to", "", "the database: postgres://USER@HOST/DB (the password from PGPASSWORD or ~/.pgpass, never shown)")
	cmd.AddCommand(cp)
	return cmd
}

func (a *app) copyJournal(ctx context.Context, from, to string) error {
	done, err := importer.CopyState(ctx, from, to)
	a.printCopied(done)
	if err != nil {
		return exitOf(err, false)
	}
	if len(done) == 0 {
		fmt.Fprintln(a.stdout, "The journal records no batch: nothing to copy.")
	}
	return nil
}

func (a *app) printCopied(done []importer.BatchCopied) {
	for _, c := range done {
		fmt.Fprintf(a.stdout, "%s: %d carts and %d rows: %d records added, %d there already, %d kept as the database had them\n",
			printable(c.Batch), c.Attempts, c.Rows, c.Added, c.Same, c.Kept)
	}
}

func (a *app) copyApp(ctx context.Context, dir, to string) error {
	done, err := importer.CopyApp(ctx, dir, to)
	if done != nil {
		a.printCopied(done.Journals)
		for _, k := range []struct {
			what string
			c    pgstate.Copied
		}{{"batches", done.Batches}, {"files of versions", done.Files}, {"audit entries", done.Audit}, {"API tokens", done.Tokens}} {
			fmt.Fprintf(a.stdout, "%s: %d added, %d there already, %d kept as the database had them\n", k.what, k.c.Added, k.c.Same, k.c.Kept)
		}
	}
	if err != nil {
		return exitOf(err, false)
	}
	fmt.Fprintln(a.stdout, "Sessions are not copied: people sign in again.")
	return nil
}
