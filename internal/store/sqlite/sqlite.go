// Package sqlite is the embedded Store: one SQLite file in WAL mode in the data directory,
// with versioned migrations. It needs no cgo (modernc.org/sqlite).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/vigilsec/vigil/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside the data directory.
const FileName = "vigil.db"

// DB is a Store on one SQLite file. Writes go through a single connection that starts its
// transactions with BEGIN IMMEDIATE, so concurrent writers (also other processes such as the
// admin CLI while serve runs) queue on SQLite's lock instead of failing half-way; reads use
// a separate pool and never block writers thanks to WAL.
type DB struct {
	w   *sql.DB
	r   *sql.DB
	dir string
}

// Dir returns the data directory the database lives in.
func (db *DB) Dir() string { return db.dir }

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database in dir and applies pending migrations.
func Open(ctx context.Context, dir string) (*DB, error) {
	w, r, err := openPools(ctx, filepath.Join(dir, FileName), migrations, "foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	return &DB{w: w, r: r, dir: dir}, nil
}

// openPools opens one database file as a single-connection writer whose transactions
// begin IMMEDIATE and a read-only pool, and applies the migrations. WAL with
// synchronous=NORMAL: a commit survives a crash of the process (kill -9); only a power
// loss can drop the last commits (see docs/INGEST.md).
func openPools(ctx context.Context, path string, migs []string, pragmas ...string) (w, r *sql.DB, err error) {
	dsn := func(lock string, extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(15000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", lock)
		return "file:" + path + "?" + q.Encode()
	}
	if w, err = sql.Open("sqlite", dsn("immediate")); err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if r, err = sql.Open("sqlite", dsn("deferred", "query_only(1)")); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	if err := migrate(ctx, w, migs); err != nil {
		r.Close()
		w.Close()
		return nil, nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return w, r, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Update runs fn in a write transaction.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return run(ctx, db.w, fn)
}

// View runs fn in a read transaction.
func (db *DB) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return run(ctx, db.r, fn)
}

func run(ctx context.Context, pool *sql.DB, fn func(tx store.Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&tx{ctx: ctx, tx: sqlTx}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migrations are applied in order; a migration is never edited once released, only added.
var migrations = []string{
	// 1: identity, sessions, tokens, audit, settings.
	`CREATE TABLE users (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		username TEXT NOT NULL UNIQUE COLLATE NOCASE,
		role TEXT NOT NULL,
		password_hash TEXT NOT NULL,
		must_change_password INTEGER NOT NULL DEFAULT 0,
		disabled INTEGER NOT NULL DEFAULT 0,
		language TEXT NOT NULL DEFAULT '',
		totp_secret TEXT NOT NULL DEFAULT '',
		totp_enabled INTEGER NOT NULL DEFAULT 0,
		totp_last_step INTEGER NOT NULL DEFAULT 0,
		recovery_codes TEXT NOT NULL DEFAULT '[]',
		failed_logins INTEGER NOT NULL DEFAULT 0,
		locked_until INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE tokens (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		name TEXT NOT NULL,
		role TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE,
		prefix TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL DEFAULT 0,
		last_used INTEGER NOT NULL DEFAULT 0,
		revoked_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE sessions (
		id_hash TEXT PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		csrf_token TEXT NOT NULL,
		totp_pending INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		remote_addr TEXT NOT NULL DEFAULT '',
		user_agent TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE audit_log (
		id INTEGER PRIMARY KEY,
		ts INTEGER NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		before_json TEXT NOT NULL DEFAULT '',
		after_json TEXT NOT NULL DEFAULT '',
		prev_hash TEXT NOT NULL,
		hash TEXT NOT NULL
	);
	CREATE TABLE settings (
		key TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	// 2: enrolled agents.
	`CREATE TABLE agents (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		hostname TEXT NOT NULL,
		machine_id TEXT NOT NULL,
		token_id INTEGER NOT NULL UNIQUE REFERENCES tokens(id),
		version TEXT NOT NULL DEFAULT '',
		inventory TEXT NOT NULL DEFAULT '{}',
		status TEXT NOT NULL DEFAULT '{}',
		enrolled_at INTEGER NOT NULL,
		last_seen INTEGER NOT NULL DEFAULT 0,
		disabled INTEGER NOT NULL DEFAULT 0
	);`,
	// 3: alerts as people work on them, incidents, exceptions, assets, deliveries.
	incidentMigration,
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its own
// transaction, and refuses a database newer than the list.
func migrate(ctx context.Context, w *sql.DB, migrations []string) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return err
	}
	for i, m := range migrations {
		version := i + 1
		err := func() error {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(m, ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", version, err)
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version) VALUES (?)", version); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return err
		}
	}
	var newest int
	if err := w.QueryRowContext(ctx, "SELECT coalesce(max(version),0) FROM schema_migrations").Scan(&newest); err != nil {
		return err
	}
	if newest > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): upgrade vigil", newest, len(migrations))
	}
	return nil
}
