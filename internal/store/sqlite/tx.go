package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// tx implements store.Tx on a database/sql transaction. Times are stored as Unix nanoseconds
// (0 = the zero time) so they round-trip exactly, which the audit hash chain depends on.
type tx struct {
	ctx context.Context
	tx  *sql.Tx
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	res, err := t.tx.ExecContext(t.ctx, q, args...)
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return nil, fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return res, err
}

func expectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func limit(p store.Page) (int64, int) {
	before := p.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	n := p.Limit
	if n <= 0 {
		n = 50
	}
	return before, n
}

// Users.

const userCols = `id, username, role, password_hash, must_change_password, disabled, language,
	totp_secret, totp_enabled, totp_last_step, recovery_codes, failed_logins, locked_until, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var u store.User
	var codes string
	var locked, created, updated int64
	err := row.Scan(&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.MustChangePassword, &u.Disabled,
		&u.Language, &u.TOTPSecret, &u.TOTPEnabled, &u.TOTPLastStep, &codes, &u.FailedLogins,
		&locked, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(codes), &u.RecoveryCodes); err != nil {
		return nil, fmt.Errorf("user %d recovery codes: %w", u.ID, err)
	}
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromNanos(locked), fromNanos(created), fromNanos(updated)
	return &u, nil
}

func codesJSON(codes []string) string {
	if codes == nil {
		codes = []string{}
	}
	b, _ := json.Marshal(codes)
	return string(b)
}

func (t *tx) CreateUser(u *store.User) error {
	res, err := t.exec(`INSERT INTO users (username, role, password_hash, must_change_password, disabled, language,
		totp_secret, totp_enabled, totp_last_step, recovery_codes, failed_logins, locked_until, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		u.Username, u.Role, u.PasswordHash, u.MustChangePassword, u.Disabled, u.Language, u.TOTPSecret,
		u.TOTPEnabled, u.TOTPLastStep, codesJSON(u.RecoveryCodes), u.FailedLogins, nanos(u.LockedUntil),
		nanos(u.CreatedAt), nanos(u.UpdatedAt))
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

func (t *tx) UpdateUser(u *store.User) error {
	return expectOne(t.exec(`UPDATE users SET username=?, role=?, password_hash=?, must_change_password=?, disabled=?,
		language=?, totp_secret=?, totp_enabled=?, totp_last_step=?, recovery_codes=?, failed_logins=?, locked_until=?,
		updated_at=? WHERE id=?`,
		u.Username, u.Role, u.PasswordHash, u.MustChangePassword, u.Disabled, u.Language, u.TOTPSecret,
		u.TOTPEnabled, u.TOTPLastStep, codesJSON(u.RecoveryCodes), u.FailedLogins, nanos(u.LockedUntil),
		nanos(u.UpdatedAt), u.ID))
}

func (t *tx) GetUser(id int64) (*store.User, error) {
	return scanUser(t.tx.QueryRowContext(t.ctx, "SELECT "+userCols+" FROM users WHERE id=?", id))
}

func (t *tx) GetUserByName(name string) (*store.User, error) {
	return scanUser(t.tx.QueryRowContext(t.ctx, "SELECT "+userCols+" FROM users WHERE username=?", name))
}

func (t *tx) ListUsers(p store.Page) ([]*store.User, error) {
	before, n := limit(p)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT "+userCols+" FROM users WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (t *tx) CountUsers() (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM users").Scan(&n)
	return n, err
}

// Tokens.

const tokenCols = `id, name, role, hash, prefix, created_by, created_at, expires_at, last_used, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*store.Token, error) {
	var k store.Token
	var created, expires, used, revoked int64
	err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Hash, &k.Prefix, &k.CreatedBy, &created, &expires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	k.CreatedAt, k.ExpiresAt, k.LastUsed, k.RevokedAt = fromNanos(created), fromNanos(expires), fromNanos(used), fromNanos(revoked)
	return &k, nil
}

func (t *tx) CreateToken(k *store.Token) error {
	res, err := t.exec(`INSERT INTO tokens (name, role, hash, prefix, created_by, created_at, expires_at, last_used, revoked_at)
		VALUES (?,?,?,?,?,?,?,?,?)`, k.Name, k.Role, k.Hash, k.Prefix, k.CreatedBy, nanos(k.CreatedAt),
		nanos(k.ExpiresAt), nanos(k.LastUsed), nanos(k.RevokedAt))
	if err != nil {
		return err
	}
	k.ID, err = res.LastInsertId()
	return err
}

func (t *tx) UpdateToken(k *store.Token) error {
	return expectOne(t.exec(`UPDATE tokens SET name=?, role=?, expires_at=?, last_used=?, revoked_at=? WHERE id=?`,
		k.Name, k.Role, nanos(k.ExpiresAt), nanos(k.LastUsed), nanos(k.RevokedAt), k.ID))
}

func (t *tx) TouchToken(id int64, at time.Time) error {
	return expectOne(t.exec("UPDATE tokens SET last_used=? WHERE id=?", nanos(at), id))
}

func (t *tx) GetToken(id int64) (*store.Token, error) {
	return scanToken(t.tx.QueryRowContext(t.ctx, "SELECT "+tokenCols+" FROM tokens WHERE id=?", id))
}

func (t *tx) GetTokenByHash(hash string) (*store.Token, error) {
	return scanToken(t.tx.QueryRowContext(t.ctx, "SELECT "+tokenCols+" FROM tokens WHERE hash=?", hash))
}

func (t *tx) ListTokens(p store.Page) ([]*store.Token, error) {
	before, n := limit(p)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT "+tokenCols+" FROM tokens WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Sessions.

func (t *tx) CreateSession(s *store.Session) error {
	_, err := t.exec(`INSERT INTO sessions (id_hash, user_id, csrf_token, totp_pending, created_at, expires_at, last_seen,
		remote_addr, user_agent) VALUES (?,?,?,?,?,?,?,?,?)`, s.IDHash, s.UserID, s.CSRFToken, s.TOTPPending,
		nanos(s.CreatedAt), nanos(s.ExpiresAt), nanos(s.LastSeen), s.RemoteAddr, s.UserAgent)
	return err
}

func (t *tx) GetSession(idHash string) (*store.Session, error) {
	var s store.Session
	var created, expires, seen int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id_hash, user_id, csrf_token, totp_pending, created_at, expires_at,
		last_seen, remote_addr, user_agent FROM sessions WHERE id_hash=?`, idHash).Scan(&s.IDHash, &s.UserID,
		&s.CSRFToken, &s.TOTPPending, &created, &expires, &seen, &s.RemoteAddr, &s.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeen = fromNanos(created), fromNanos(expires), fromNanos(seen)
	return &s, nil
}

func (t *tx) UpdateSession(s *store.Session) error {
	return expectOne(t.exec(`UPDATE sessions SET csrf_token=?, totp_pending=?, expires_at=?, last_seen=? WHERE id_hash=?`,
		s.CSRFToken, s.TOTPPending, nanos(s.ExpiresAt), nanos(s.LastSeen), s.IDHash))
}

func (t *tx) DeleteSession(idHash string) error {
	_, err := t.exec("DELETE FROM sessions WHERE id_hash=?", idHash)
	return err
}

func (t *tx) DeleteUserSessions(userID int64) error {
	_, err := t.exec("DELETE FROM sessions WHERE user_id=?", userID)
	return err
}

func (t *tx) DeleteExpiredSessions(now, idleSince time.Time) (int, error) {
	res, err := t.exec("DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?", nanos(now), nanos(idleSince))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Audit log.

const auditCols = "id, ts, actor, action, target, before_json, after_json, prev_hash, hash"

func scanAudit(row interface{ Scan(...any) error }) (*store.AuditEntry, error) {
	var e store.AuditEntry
	var ts int64
	err := row.Scan(&e.ID, &ts, &e.Actor, &e.Action, &e.Target, &e.Before, &e.After, &e.PrevHash, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e.Time = fromNanos(ts)
	return &e, nil
}

func (t *tx) LastAudit() (*store.AuditEntry, error) {
	return scanAudit(t.tx.QueryRowContext(t.ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY id DESC LIMIT 1"))
}

func (t *tx) InsertAudit(e *store.AuditEntry) error {
	_, err := t.exec("INSERT INTO audit_log ("+auditCols+") VALUES (?,?,?,?,?,?,?,?,?)",
		e.ID, nanos(e.Time), e.Actor, e.Action, e.Target, e.Before, e.After, e.PrevHash, e.Hash)
	return err
}

func (t *tx) ListAudit(p store.Page) ([]*store.AuditEntry, error) {
	before, n := limit(p)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT "+auditCols+" FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *tx) ScanAudit(fn func(e *store.AuditEntry) error) error {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Settings.

func (t *tx) GetSetting(key string) (string, error) {
	var v string
	err := t.tx.QueryRowContext(t.ctx, "SELECT value FROM settings WHERE key=?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return v, err
}

func (t *tx) PutSetting(key, value string) error {
	_, err := t.exec("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", key, value)
	return err
}

// Agents.

const agentCols = "id, hostname, machine_id, token_id, version, inventory, status, enrolled_at, last_seen, disabled"

func scanAgent(row interface{ Scan(...any) error }) (*store.Agent, error) {
	var a store.Agent
	var enrolled, seen int64
	err := row.Scan(&a.ID, &a.Hostname, &a.MachineID, &a.TokenID, &a.Version, &a.Inventory, &a.Status, &enrolled, &seen, &a.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.EnrolledAt, a.LastSeen = fromNanos(enrolled), fromNanos(seen)
	return &a, nil
}

func (t *tx) CreateAgent(a *store.Agent) error {
	res, err := t.exec("INSERT INTO agents (hostname, machine_id, token_id, version, inventory, status, enrolled_at, last_seen, disabled) VALUES (?,?,?,?,?,?,?,?,?)",
		a.Hostname, a.MachineID, a.TokenID, a.Version, jsonOr(a.Inventory), jsonOr(a.Status), nanos(a.EnrolledAt), nanos(a.LastSeen), a.Disabled)
	if err != nil {
		return err
	}
	a.ID, err = res.LastInsertId()
	return err
}

func (t *tx) UpdateAgent(a *store.Agent) error {
	return expectOne(t.exec("UPDATE agents SET hostname=?, machine_id=?, version=?, inventory=?, status=?, last_seen=?, disabled=? WHERE id=?",
		a.Hostname, a.MachineID, a.Version, jsonOr(a.Inventory), jsonOr(a.Status), nanos(a.LastSeen), a.Disabled, a.ID))
}

func jsonOr(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func (t *tx) GetAgent(id int64) (*store.Agent, error) {
	return scanAgent(t.tx.QueryRowContext(t.ctx, "SELECT "+agentCols+" FROM agents WHERE id=?", id))
}

func (t *tx) GetAgentByToken(tokenID int64) (*store.Agent, error) {
	return scanAgent(t.tx.QueryRowContext(t.ctx, "SELECT "+agentCols+" FROM agents WHERE token_id=?", tokenID))
}

func (t *tx) ListAgents(p store.Page) ([]*store.Agent, error) {
	before, n := limit(p)
	rows, err := t.tx.QueryContext(t.ctx, "SELECT "+agentCols+" FROM agents WHERE id < ? ORDER BY id DESC LIMIT ?", before, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *tx) SetAgentToken(id, tokenID int64) error {
	return expectOne(t.exec("UPDATE agents SET token_id=? WHERE id=?", tokenID, id))
}
