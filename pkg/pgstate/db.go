// Package pgstate keeps the importer's shared state in PostgreSQL (13 or
// later): the submit journal, leased per batch so that hosts sharing the
// database never send the same batch at once, and never after their lease
// was taken over. The schema is versioned SQL embedded in the binary,
// applied on open under an advisory lock.
package pgstate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock is the first half of the advisory lock two instances starting
// at once take in turn, so each migration is applied once; the schema's
// hash is the other.
const migrateLock = 0x696d706f // "impo"

// ErrTooNew: the database was migrated by a newer importer; this one would
// misread it.
var ErrTooNew = errors.New("the database is newer than this importer")

// IsURL reports whether state names a PostgreSQL database rather than a
// file.
func IsURL(state string) bool {
	return strings.HasPrefix(state, "postgres://") || strings.HasPrefix(state, "postgresql://")
}

// Redact is a connection string fit to show: without its password.
func Redact(conn string) string {
	u, err := url.Parse(conn)
	if err != nil {
		return "(a PostgreSQL connection string)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// DB is the shared state's database.
type DB struct {
	pool *pgxpool.Pool
	name string // the connection string, redacted
}

// Open connects (the password from the string, PGPASSWORD or ~/.pgpass, as
// libpq does) and brings the schema up to date.
func Open(ctx context.Context, conn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(conn)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", Redact(conn), redactErr(err, conn))
	}
	// A host paused mid-transaction (a stopped process, a suspended
	// machine) would hold its locks, the lease row among them, for as long
	// as its connection lives, and no other host could take its batch
	// over: the server ends such a session instead.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "5000"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", Redact(conn), redactErr(err, conn))
	}
	db := &DB{pool: pool, name: Redact(conn)}
	if err := db.Migrate(ctx); err != nil {
		pool.Close()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000") {
			err = fmt.Errorf("%w; give the password in PGPASSWORD or in a line of ~/.pgpass (PGPASSFILE names another file), and check the user name", err)
		}
		return nil, err
	}
	return db, nil
}

// Close closes the connections.
func (db *DB) Close() { db.pool.Close() }

// String names the database, without its password.
func (db *DB) String() string { return db.name }

// redactErr keeps the password out of an error that might quote the
// connection string.
func redactErr(err error, conn string) error {
	u, perr := url.Parse(conn)
	if perr != nil {
		return errors.New("the connection string could not be read")
	}
	msg := err.Error()
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	if p := u.Query().Get("password"); p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return errors.New(msg)
}

// steps are the embedded migrations, in order: NNNN_name.sql.
func steps() ([]int, map[int]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, nil, err
	}
	var versions []int
	sql := map[int]string{}
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(n, "migrations/"), "_", 2)[0])
		if err != nil {
			return nil, nil, fmt.Errorf("migration %s: no version number", n)
		}
		raw, err := migrations.ReadFile(n)
		if err != nil {
			return nil, nil, err
		}
		versions, sql[v] = append(versions, v), string(raw)
	}
	sort.Ints(versions)
	return versions, sql, nil
}

// Latest is the schema version this importer writes.
func Latest() int {
	vs, _, _ := steps()
	return vs[len(vs)-1]
}

// Migrate applies the migrations the database lacks, in one transaction
// under an advisory lock of the schema's own (instances of other schemas
// do not wait for it); a database at a newer version than this importer
// knows is refused, untouched. The lock is the transaction's: should an
// instance stop in the middle (a stopped process, a suspended machine),
// the server ends its session after idle_in_transaction_session_timeout,
// and the lock with it, and the others go on.
func (db *DB) Migrate(ctx context.Context) error {
	versions, sql, err := steps()
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS importer_schema (version int NOT NULL, applied timestamptz NOT NULL DEFAULT now())"); err != nil {
			return err
		}
		var at int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM importer_schema").Scan(&at); err != nil {
			return err
		}
		if latest := versions[len(versions)-1]; at > latest {
			return fmt.Errorf("%w: its schema is version %d, this importer knows up to %d; run the newer importer (nothing was changed)", ErrTooNew, at, latest)
		}
		for _, v := range versions {
			if v <= at {
				continue
			}
			if _, err := tx.Exec(ctx, sql[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO importer_schema (version) VALUES ($1)", v); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state %s: %w", db.name, err)
	}
	return nil
}

// Version is the database's schema version.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM importer_schema").Scan(&v)
	return v, err
}
