package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// EventsFileName is the event database inside the data directory. Events live apart from
// the platform state (vigil.db) so ingestion never waits on sign-ins or audit writes.
const EventsFileName = "events.db"

// MaxRejections bounds the kept rejected input; older rejections are dropped (they stay
// counted in the metrics).
const MaxRejections = 10000

// Events is the SQLite EventStore.
type Events struct {
	w *sql.DB
	r *sql.DB
}

var _ store.EventStore = (*Events)(nil)

var eventMigrations = []string{
	`CREATE TABLE events (
		seq INTEGER PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		ts INTEGER NOT NULL,
		received INTEGER NOT NULL,
		type TEXT NOT NULL,
		host TEXT NOT NULL,
		source TEXT NOT NULL,
		doc BLOB NOT NULL
	);
	CREATE INDEX events_ts ON events(ts);
	CREATE INDEX events_host_ts ON events(host, ts);
	CREATE TABLE rejections (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		ts INTEGER NOT NULL,
		source TEXT NOT NULL,
		reason TEXT NOT NULL,
		raw BLOB NOT NULL
	);`,
	`CREATE TABLE alerts (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		ts INTEGER NOT NULL,
		rule_id TEXT NOT NULL,
		rule_title TEXT NOT NULL,
		level TEXT NOT NULL,
		kind TEXT NOT NULL,
		tags TEXT NOT NULL,
		event_ids TEXT NOT NULL,
		doc BLOB NOT NULL
	);
	CREATE INDEX alerts_ts ON alerts(ts);`,
	// Alerts moved to the platform database, beside their incidents.
	`DROP TABLE alerts`,
}

// OpenEvents opens (creating if needed) the event database in dir.
func OpenEvents(ctx context.Context, dir string) (*Events, error) {
	// A larger page cache keeps the id and time indexes in memory under load.
	w, r, err := openPools(ctx, filepath.Join(dir, EventsFileName), eventMigrations, "cache_size(-65536)")
	if err != nil {
		return nil, err
	}
	return &Events{w: w, r: r}, nil
}

// Close closes the database.
func (e *Events) Close() error { return errors.Join(e.r.Close(), e.w.Close()) }

// Append inserts events in one transaction; existing ids are skipped.
func (e *Events) Append(ctx context.Context, events []store.StoredEvent) ([]int, error) {
	if len(events) == 0 {
		return nil, nil
	}
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (id, ts, received, type, host, source, doc)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	var inserted []int
	for i, ev := range events {
		res, err := stmt.ExecContext(ctx, ev.ID, nanos(ev.Time), nanos(ev.Received), ev.Type, ev.Host, ev.Source, ev.Doc)
		if err != nil {
			return nil, fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
		// A batch may repeat an id: the second one is a duplicate too.
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			inserted = append(inserted, i)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return inserted, nil
}

// Reject keeps rejected input and trims the oldest beyond MaxRejections.
func (e *Events) Reject(ctx context.Context, rs []store.Rejection) error {
	if len(rs) == 0 {
		return nil
	}
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range rs {
		if _, err := tx.ExecContext(ctx, "INSERT INTO rejections (ts, source, reason, raw) VALUES (?,?,?,?)",
			nanos(r.Time), r.Source, r.Reason, r.Raw); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - ?", MaxRejections); err != nil {
		return err
	}
	return tx.Commit()
}

// Rejections lists kept rejections, newest first.
func (e *Events) Rejections(ctx context.Context, p store.Page) ([]store.Rejection, error) {
	before, n := limit(p)
	rows, err := e.r.QueryContext(ctx, "SELECT id, ts, source, reason, raw FROM rejections WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Rejection
	for rows.Next() {
		var r store.Rejection
		var ts int64
		if err := rows.Scan(&r.ID, &ts, &r.Source, &r.Reason, &r.Raw); err != nil {
			return nil, err
		}
		r.Time = fromNanos(ts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Scan reads events in time order.
func (e *Events) Scan(ctx context.Context, from, to time.Time, fn func(store.StoredEvent) error) error {
	hi := int64(1<<63 - 1)
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	rows, err := e.r.QueryContext(ctx, `SELECT id, ts, received, type, host, source, doc FROM events
		WHERE ts >= ? AND ts < ? ORDER BY ts, id`, nanos(from), hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ev store.StoredEvent
		var ts, recv int64
		if err := rows.Scan(&ev.ID, &ts, &recv, &ev.Type, &ev.Host, &ev.Source, &ev.Doc); err != nil {
			return err
		}
		ev.Time, ev.Received = fromNanos(ts), fromNanos(recv)
		if err := fn(ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Count returns the number of stored events.
func (e *Events) Count(ctx context.Context) (int64, error) {
	var n int64
	err := e.r.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n)
	return n, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
