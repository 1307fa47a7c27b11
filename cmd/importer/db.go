package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

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
