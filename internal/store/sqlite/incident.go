package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Alerts, incidents and what hangs off them are kept as JSON documents with the columns
// that queries select on beside them: the documents change shape more often than the
// selections do, and a new field then needs no migration.

// MaxDeliveries bounds the kept notification attempts.
const MaxDeliveries = 5000

// incidentMigration is migration 3: alerts, incidents, exceptions, assets, deliveries.
const incidentMigration = `CREATE TABLE alerts (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		key TEXT NOT NULL,
		rule_id TEXT NOT NULL,
		level TEXT NOT NULL,
		host TEXT NOT NULL,
		status TEXT NOT NULL,
		incident_id INTEGER NOT NULL DEFAULT 0,
		last_seen INTEGER NOT NULL,
		doc TEXT NOT NULL,
		raw BLOB NOT NULL
	);
	CREATE INDEX alerts_key ON alerts(key, last_seen);
	CREATE INDEX alerts_incident ON alerts(incident_id);
	CREATE TABLE incidents (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		status TEXT NOT NULL,
		severity TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		last_activity INTEGER NOT NULL,
		doc TEXT NOT NULL
	);
	CREATE TABLE incident_entities (
		kind TEXT NOT NULL,
		value TEXT NOT NULL,
		incident_id INTEGER NOT NULL REFERENCES incidents(id),
		PRIMARY KEY (kind, value, incident_id)
	);
	CREATE INDEX incident_entities_incident ON incident_entities(incident_id);
	CREATE TABLE incident_timeline (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		incident_id INTEGER NOT NULL REFERENCES incidents(id),
		doc TEXT NOT NULL
	);
	CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id);
	CREATE TABLE incident_comments (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		incident_id INTEGER NOT NULL REFERENCES incidents(id),
		doc TEXT NOT NULL
	);
	CREATE INDEX incident_comments_incident ON incident_comments(incident_id);
	CREATE TABLE incident_tasks (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		incident_id INTEGER NOT NULL REFERENCES incidents(id),
		doc TEXT NOT NULL
	);
	CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id);
	CREATE TABLE exceptions (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		doc TEXT NOT NULL
	);
	CREATE TABLE assets (
		host TEXT PRIMARY KEY,
		doc TEXT NOT NULL
	);
	CREATE TABLE notify_deliveries (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		doc TEXT NOT NULL
	)`

func docOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// one scans a single JSON document row into a new T.
func one[T any](row *sql.Row, what string, extra ...any) (*T, error) {
	var doc string
	err := row.Scan(append([]any{&doc}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// many scans rows of JSON documents; fill, when set, gets the extra columns.
func many[T any](rows *sql.Rows, err error, what string, extra func() []any, fill func(*T)) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		dest := []any{&doc}
		if extra != nil {
			dest = append(dest, extra()...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal([]byte(doc), v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if fill != nil {
			fill(v)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Alerts.

func (t *tx) InsertAlert(a *store.Alert) error {
	doc, err := docOf(a)
	if err != nil {
		return err
	}
	res, err := t.exec(`INSERT INTO alerts (key, rule_id, level, host, status, incident_id, last_seen, doc, raw)
		VALUES (?,?,?,?,?,?,?,?,?)`, a.Key, a.RuleID, a.Level, a.Host, a.Status, a.IncidentID, nanos(a.LastSeen), doc, nonNilBytes(a.Doc))
	if err != nil {
		return err
	}
	a.ID, err = res.LastInsertId()
	if err != nil {
		return err
	}
	// The id is part of the document.
	return t.UpdateAlert(a)
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *tx) UpdateAlert(a *store.Alert) error {
	doc, err := docOf(a)
	if err != nil {
		return err
	}
	return expectOne(t.exec(`UPDATE alerts SET key=?, rule_id=?, level=?, host=?, status=?, incident_id=?, last_seen=?, doc=?, raw=?
		WHERE id=?`, a.Key, a.RuleID, a.Level, a.Host, a.Status, a.IncidentID, nanos(a.LastSeen), doc, nonNilBytes(a.Doc), a.ID))
}

func (t *tx) scanAlert(row *sql.Row) (*store.Alert, error) {
	var key string
	var raw []byte
	a, err := one[store.Alert](row, "alert", &key, &raw)
	if err != nil {
		return nil, err
	}
	a.Key, a.Doc = key, raw
	return a, nil
}

func (t *tx) GetAlert(id int64) (*store.Alert, error) {
	return t.scanAlert(t.tx.QueryRowContext(t.ctx, "SELECT doc, key, raw FROM alerts WHERE id=?", id))
}

func (t *tx) FindAlertByKey(key string, since time.Time) (*store.Alert, error) {
	return t.scanAlert(t.tx.QueryRowContext(t.ctx, `SELECT doc, key, raw FROM alerts
		WHERE key=? AND last_seen>=? AND status<>? ORDER BY id DESC LIMIT 1`, key, nanos(since), store.AlertClosed))
}

// where builds a WHERE clause from conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	w.add(col+" IN ("+marks+")", args...)
}

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

func (t *tx) ListAlerts(f store.AlertFilter, p store.Page) ([]*store.Alert, error) {
	before, n := limit(p)
	w := &where{}
	w.add("id < ?", before)
	w.in("status", f.Status)
	w.in("level", f.Levels)
	if f.Host != "" {
		w.add("host = ?", f.Host)
	}
	if f.RuleID != "" {
		w.add("rule_id = ?", f.RuleID)
	}
	switch {
	case f.IncidentID > 0:
		w.add("incident_id = ?", f.IncidentID)
	case f.IncidentID < 0:
		w.add("incident_id = 0")
	}
	if f.Technique != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(alerts.doc, '$.techniques') WHERE value = ?)", f.Technique)
	}
	if !f.SeenFrom.IsZero() {
		w.add("last_seen >= ?", nanos(f.SeenFrom))
	}
	if !f.SeenTo.IsZero() {
		w.add("last_seen < ?", nanos(f.SeenTo))
	}
	var key string
	var raw []byte
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc, key, raw FROM alerts WHERE "+w.String()+" ORDER BY id DESC LIMIT ?", append(w.args, n)...)
	return many(rows, err, "alert", func() []any { return []any{&key, &raw} }, func(a *store.Alert) { a.Key, a.Doc = key, raw })
}

// Incidents.

func (t *tx) CreateIncident(in *store.Incident) error {
	res, err := t.exec(`INSERT INTO incidents (status, severity, created_at, last_activity, doc) VALUES (?,?,?,?,'{}')`,
		in.Status, in.Severity, nanos(in.CreatedAt), nanos(in.LastActivity))
	if err != nil {
		return err
	}
	if in.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return t.UpdateIncident(in)
}

func (t *tx) UpdateIncident(in *store.Incident) error {
	doc, err := docOf(in)
	if err != nil {
		return err
	}
	if err := expectOne(t.exec(`UPDATE incidents SET status=?, severity=?, created_at=?, last_activity=?, doc=? WHERE id=?`,
		in.Status, in.Severity, nanos(in.CreatedAt), nanos(in.LastActivity), doc, in.ID)); err != nil {
		return err
	}
	if _, err := t.exec("DELETE FROM incident_entities WHERE incident_id=?", in.ID); err != nil {
		return err
	}
	for _, e := range in.Entities {
		if _, err := t.exec("INSERT OR IGNORE INTO incident_entities (kind, value, incident_id) VALUES (?,?,?)", e.Kind, e.Value, in.ID); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) GetIncident(id int64) (*store.Incident, error) {
	return one[store.Incident](t.tx.QueryRowContext(t.ctx, "SELECT doc FROM incidents WHERE id=?", id), "incident")
}

func (t *tx) ListIncidents(f store.IncidentFilter, p store.Page) ([]*store.Incident, error) {
	before, n := limit(p)
	w := &where{}
	w.add("id < ?", before)
	w.in("status", f.Status)
	w.in("severity", f.Severity)
	if !f.From.IsZero() {
		w.add("created_at >= ?", nanos(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at < ?", nanos(f.To))
	}
	if f.Host != "" {
		w.add("EXISTS (SELECT 1 FROM incident_entities e WHERE e.incident_id = incidents.id AND e.kind = 'host' AND e.value = ?)", f.Host)
	}
	if f.Technique != "" {
		w.add("EXISTS (SELECT 1 FROM json_each(incidents.doc, '$.techniques') WHERE value = ?)", f.Technique)
	}
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM incidents WHERE "+w.String()+" ORDER BY id DESC LIMIT ?", append(w.args, n)...)
	return many[store.Incident](rows, err, "incident", nil, nil)
}

func (t *tx) IncidentsByEntity(entities []store.Entity, since time.Time) ([]*store.Incident, error) {
	if len(entities) == 0 {
		return nil, nil
	}
	var pairs []string
	args := []any{}
	for _, e := range entities {
		pairs = append(pairs, "(e.kind = ? AND e.value = ?)")
		args = append(args, e.Kind, e.Value)
	}
	args = append(args, store.StatusClosed, nanos(since))
	rows, err := t.tx.QueryContext(t.ctx, `SELECT doc FROM incidents WHERE id IN (
		SELECT e.incident_id FROM incident_entities e WHERE `+strings.Join(pairs, " OR ")+`)
		AND status <> ? AND last_activity >= ? ORDER BY last_activity DESC, id DESC`, args...)
	return many[store.Incident](rows, err, "incident", nil, nil)
}

// Timeline, comments and tasks: rows of one incident, in creation order.

func (t *tx) insertDoc(table string, incidentID int64, v any, setID func(int64)) error {
	res, err := t.exec("INSERT INTO "+table+" (incident_id, doc) VALUES (?, '{}')", incidentID)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	setID(id)
	doc, err := docOf(v)
	if err != nil {
		return err
	}
	return expectOne(t.exec("UPDATE "+table+" SET doc=? WHERE id=?", doc, id))
}

func (t *tx) AddTimeline(e *store.TimelineEntry) error {
	return t.insertDoc("incident_timeline", e.IncidentID, e, func(id int64) { e.ID = id })
}

func (t *tx) ListTimeline(incidentID int64) ([]*store.TimelineEntry, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM incident_timeline WHERE incident_id=? ORDER BY id", incidentID)
	return many[store.TimelineEntry](rows, err, "timeline entry", nil, nil)
}

func (t *tx) AddComment(c *store.Comment) error {
	return t.insertDoc("incident_comments", c.IncidentID, c, func(id int64) { c.ID = id })
}

func (t *tx) ListComments(incidentID int64) ([]*store.Comment, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM incident_comments WHERE incident_id=? ORDER BY id", incidentID)
	return many[store.Comment](rows, err, "comment", nil, nil)
}

func (t *tx) CreateTask(k *store.Task) error {
	return t.insertDoc("incident_tasks", k.IncidentID, k, func(id int64) { k.ID = id })
}

func (t *tx) UpdateTask(k *store.Task) error {
	doc, err := docOf(k)
	if err != nil {
		return err
	}
	return expectOne(t.exec("UPDATE incident_tasks SET incident_id=?, doc=? WHERE id=?", k.IncidentID, doc, k.ID))
}

func (t *tx) GetTask(id int64) (*store.Task, error) {
	return one[store.Task](t.tx.QueryRowContext(t.ctx, "SELECT doc FROM incident_tasks WHERE id=?", id), "task")
}

func (t *tx) ListTasks(incidentID int64) ([]*store.Task, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM incident_tasks WHERE incident_id=? ORDER BY id", incidentID)
	return many[store.Task](rows, err, "task", nil, nil)
}

// Exceptions.

func (t *tx) CreateException(e *store.Exception) error {
	res, err := t.exec("INSERT INTO exceptions (doc) VALUES ('{}')")
	if err != nil {
		return err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return t.UpdateException(e)
}

func (t *tx) UpdateException(e *store.Exception) error {
	doc, err := docOf(e)
	if err != nil {
		return err
	}
	return expectOne(t.exec("UPDATE exceptions SET doc=? WHERE id=?", doc, e.ID))
}

func (t *tx) GetException(id int64) (*store.Exception, error) {
	return one[store.Exception](t.tx.QueryRowContext(t.ctx, "SELECT doc FROM exceptions WHERE id=?", id), "exception")
}

func (t *tx) DeleteException(id int64) error {
	return expectOne(t.exec("DELETE FROM exceptions WHERE id=?", id))
}

func (t *tx) ListExceptions() ([]*store.Exception, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM exceptions ORDER BY id")
	return many[store.Exception](rows, err, "exception", nil, nil)
}

// Assets.

func (t *tx) PutAsset(a *store.Asset) error {
	doc, err := docOf(a)
	if err != nil {
		return err
	}
	_, err = t.exec("INSERT INTO assets (host, doc) VALUES (?,?) ON CONFLICT(host) DO UPDATE SET doc=excluded.doc", a.Host, doc)
	return err
}

func (t *tx) GetAsset(host string) (*store.Asset, error) {
	return one[store.Asset](t.tx.QueryRowContext(t.ctx, "SELECT doc FROM assets WHERE host=?", host), "asset")
}

func (t *tx) DeleteAsset(host string) error {
	return expectOne(t.exec("DELETE FROM assets WHERE host=?", host))
}

func (t *tx) ListAssets() ([]*store.Asset, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM assets ORDER BY host")
	return many[store.Asset](rows, err, "asset", nil, nil)
}

// Notification deliveries.

func (t *tx) AddDelivery(d *store.Delivery) error {
	res, err := t.exec("INSERT INTO notify_deliveries (doc) VALUES ('{}')")
	if err != nil {
		return err
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	doc, err := docOf(d)
	if err != nil {
		return err
	}
	if err := expectOne(t.exec("UPDATE notify_deliveries SET doc=? WHERE id=?", doc, d.ID)); err != nil {
		return err
	}
	_, err = t.exec("DELETE FROM notify_deliveries WHERE id <= ?", d.ID-MaxDeliveries)
	return err
}

func (t *tx) ListDeliveries(p store.Page) ([]*store.Delivery, error) {
	before, n := limit(p)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT doc FROM notify_deliveries WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	return many[store.Delivery](rows, err, "delivery", nil, nil)
}
