// Package store defines the persistent state of the platform behind small interfaces, so the
// embedded SQLite engine and, later, PostgreSQL can be swapped without touching the stages
// that use them. The conformance suite in storetest runs against every implementation.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Store opens transactions. Every change and its audit entry happen in one Update, so the
// audit log can never miss a change that was committed.
type Store interface {
	// Update runs fn in a write transaction; writers are serialized, also across processes
	// sharing one data directory.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is the set of operations available inside a transaction. Writes inside View fail.
type Tx interface {
	CreateUser(u *User) error
	UpdateUser(u *User) error
	GetUser(id int64) (*User, error)
	GetUserByName(name string) (*User, error)
	ListUsers(p Page) ([]*User, error)
	CountUsers() (int, error)

	CreateToken(t *Token) error
	UpdateToken(t *Token) error
	GetToken(id int64) (*Token, error)
	GetTokenByHash(hash string) (*Token, error)
	ListTokens(p Page) ([]*Token, error)
	// TouchToken sets only the last-used time, so it cannot undo a concurrent revocation.
	TouchToken(id int64, at time.Time) error

	CreateSession(s *Session) error
	GetSession(idHash string) (*Session, error)
	UpdateSession(s *Session) error
	DeleteSession(idHash string) error
	DeleteUserSessions(userID int64) error
	// DeleteExpiredSessions deletes sessions past their lifetime at now or unused since
	// idleSince.
	DeleteExpiredSessions(now, idleSince time.Time) (int, error)

	// LastAudit returns the newest audit entry, or ErrNotFound on an empty log.
	LastAudit() (*AuditEntry, error)
	InsertAudit(e *AuditEntry) error
	// ListAudit returns entries with ID < p.Before (all when 0), newest first.
	ListAudit(p Page) ([]*AuditEntry, error)
	// ScanAudit calls fn for every entry in ID order until fn returns an error.
	ScanAudit(fn func(e *AuditEntry) error) error

	GetSetting(key string) (string, error)
	PutSetting(key, value string) error

	CreateAgent(a *Agent) error
	UpdateAgent(a *Agent) error
	GetAgent(id int64) (*Agent, error)
	GetAgentByToken(tokenID int64) (*Agent, error)
	SetAgentToken(id, tokenID int64) error
	ListAgents(p Page) ([]*Agent, error)

	IncidentTx
}

// Agent is an enrolled `vigil agent`: a host that sends its logs. TokenID is the agent's
// own API token, issued at enrolment.
type Agent struct {
	ID         int64
	Hostname   string
	MachineID  string
	TokenID    int64
	Version    string
	Inventory  string // JSON: OS, kernel, addresses, cloud instance
	Status     string // JSON: per-source counters, spool state
	EnrolledAt time.Time
	LastSeen   time.Time
	Disabled   bool
}

// Page selects a window of a list ordered by descending ID.
type Page struct {
	Before int64 // only IDs below this; 0 = from the newest
	Limit  int
}

// User is a person who signs in to the platform.
type User struct {
	ID                 int64
	Username           string
	Role               string
	PasswordHash       string
	MustChangePassword bool
	Disabled           bool
	Language           string
	TOTPSecret         string // empty until enrolment starts
	TOTPEnabled        bool
	TOTPLastStep       int64    // the newest time step accepted; older or equal steps are replays
	RecoveryCodes      []string // SHA-256 hashes of unused recovery codes
	FailedLogins       int
	LockedUntil        time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Token is an API credential for machines and scripts. Only its hash is stored.
type Token struct {
	ID        int64
	Name      string
	Role      string
	Hash      string
	Prefix    string // the first characters of the secret, to recognise it in lists
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time // zero = never
	LastUsed  time.Time // zero = never used
	RevokedAt time.Time // zero = active
}

// Session is a signed-in browser. IDHash is the SHA-256 of the cookie value.
type Session struct {
	IDHash      string
	UserID      int64
	CSRFToken   string
	TOTPPending bool // password accepted, second factor not yet
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastSeen    time.Time
	RemoteAddr  string
	UserAgent   string
}

// AuditEntry is one row of the append-only, hash-chained audit log.
type AuditEntry struct {
	ID       int64
	Time     time.Time
	Actor    string
	Action   string
	Target   string
	Before   string // JSON, may be empty
	After    string // JSON, may be empty
	PrevHash string
	Hash     string
}

// EventStore keeps normalized events. It is separate from Store so that the event volume
// (and its retention) does not contend with the platform's own state.
type EventStore interface {
	// Append stores events durably and returns the indexes (into events, ascending) of
	// those that were new; events whose id is already stored are duplicates (a retried
	// delivery) and are skipped. When Append returns nil, every event is durable:
	// acknowledging the sender is safe.
	Append(ctx context.Context, events []StoredEvent) (inserted []int, err error)
	// Reject keeps input that could not become an event, for review; the oldest are
	// dropped beyond a bound.
	Reject(ctx context.Context, r []Rejection) error
	// Rejections returns kept rejections, newest first.
	Rejections(ctx context.Context, p Page) ([]Rejection, error)
	// Scan calls fn for the events with Time in [from, to) in time order; zero bounds are
	// open.
	Scan(ctx context.Context, from, to time.Time, fn func(StoredEvent) error) error
	// Count returns the number of stored events.
	Count(ctx context.Context) (int64, error)
	Close() error
}

// StoredEvent is an event as kept: its id, time, routing fields and its JSON document.
type StoredEvent struct {
	ID       string
	Time     time.Time
	Received time.Time
	Type     string
	Host     string
	Source   string
	Doc      []byte // the event's JSON (event.Event.MarshalJSON)
}

// Rejection is input that was not accepted, kept for review.
type Rejection struct {
	ID     int64
	Time   time.Time
	Source string
	Reason string
	Raw    []byte
}

// All collects every item of a paginated list (newest first), page by page; id returns
// an item's ID, the cursor for the next page.
func All[T any](list func(p Page) ([]T, error), id func(T) int64) ([]T, error) {
	const size = 500
	var out []T
	p := Page{Limit: size}
	for {
		items, err := list(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < size {
			return out, nil
		}
		p.Before = id(items[len(items)-1])
	}
}
