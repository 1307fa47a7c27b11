package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cspimporter/importer/pkg/pgstate"
	"github.com/cspimporter/importer/pkg/store"
)

// tokens are where the app's API tokens are: the data directory's file
// (changed safely while the app runs), or the app's PostgreSQL store.
type tokens interface {
	CreateToken(name string, roles []string) (string, error)
	Tokens() ([]store.Token, error)
	RevokeToken(name string) error
}

// fileTokens are the tokens of a data directory.
type fileTokens string

func (d fileTokens) CreateToken(name string, roles []string) (string, error) {
	return store.CreateToken(string(d), name, roles)
}
func (d fileTokens) Tokens() ([]store.Token, error) { return store.Tokens(string(d)) }
func (d fileTokens) RevokeToken(name string) error  { return store.RevokeToken(string(d), name) }

func newTokenCmd(a *app) *cobra.Command {
	var data, storeURL string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the web API's tokens",
	}
	cmd.PersistentFlags().StringVar(&data, "data", "", "the data directory, as serve's")
	cmd.PersistentFlags().StringVar(&storeURL, "store", "", "the app's PostgreSQL store, as serve's --store")
	with := func(ctx context.Context, f func(tokens) error) error {
		if storeURL != "" {
			if !pgstate.IsURL(storeURL) {
				return fail(errors.New("--store: give the database as postgres://USER@HOST/DB"))
			}
			db, err := pgstate.Open(ctx, storeURL)
			if err != nil {
				return fail(err)
			}
			defer db.Close()
			return f(db.AppStore())
		}
		dir, err := a.dataDir(data)
		if err != nil {
			return fail(err)
		}
		return f(fileTokens(dir))
	}
	var name string
	var roles []string
	create := &cobra.Command{
		Use:   "create --name NAME --role ROLE",
		Short: "Create an API token; it is printed once, alone on the first line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := checkRoles(roles)
			if err != nil {
				return fail(err)
			}
			if strings.TrimSpace(name) == "" {
				return fail(errors.New("name the token: --name NAME"))
			}
			return with(cmd.Context(), func(ts tokens) error {
				secret, err := ts.CreateToken(name, rs)
				if err != nil {
					return fail(err)
				}
				fmt.Fprintln(a.stdout, secret)
				fmt.Fprintf(a.stderr, "Token %s (%s) created. It is shown this once: keep it where secrets go.\n", name, strings.Join(rs, ", "))
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "the token's name (it is the identity approvals and the audit log show)")
	create.Flags().StringSliceVar(&roles, "role", nil, "a role: submitter, approver, buyer or admin (repeatable, or comma-separated)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the API tokens (names and roles; never the tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return with(cmd.Context(), func(ts tokens) error {
				all, err := ts.Tokens()
				if err != nil {
					return fail(err)
				}
				for _, t := range all {
					fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", printable(t.Name), strings.Join(t.Roles, ","), t.Created.Format(time.RFC3339))
				}
				return nil
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke an API token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return with(cmd.Context(), func(ts tokens) error {
				if err := ts.RevokeToken(args[0]); err != nil {
					return fail(err)
				}
				fmt.Fprintf(a.stdout, "Token %s revoked.\n", printable(args[0]))
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
