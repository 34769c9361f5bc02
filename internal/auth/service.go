// Package auth owns who may do what: users and their passwords (argon2id), the TOTP second
// factor with recovery codes, login lockout, browser sessions, API tokens, and the role
// permission matrix. Every state change it makes is written to the audit log in the same
// transaction.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Errors callers branch on (the HTTP layer maps them to status codes).
var (
	ErrInvalid        = errors.New("invalid request")
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrBadCode        = errors.New("wrong, expired or already used code")
	ErrNotFound       = store.ErrNotFound
	ErrConflict       = store.ErrConflict
	ErrUnauthorized   = errors.New("not signed in")
)

// invalidError is a refusal whose message is meant for the caller as is; it matches
// ErrInvalid with errors.Is.
type invalidError struct{ code, msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Code is a stable machine-readable reason ("weak_password"), or "" for a generic one.
func (e *invalidError) Code() string { return e.code }

// Invalidf returns a refusal whose message is meant for the caller as is; it matches
// ErrInvalid.
func Invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// weakf is an invalidf whose code tells the UI that a password was refused as too weak.
func weakf(format string, args ...any) error {
	return &invalidError{code: "weak_password", msg: fmt.Sprintf(format, args...)}
}

// LockedError says a user is locked out after repeated failures, until Until.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again after %s", e.Until.Format(time.RFC3339))
}

// Policy holds the tunables of authentication.
type Policy struct {
	MaxFailedLogins int           // consecutive failures before a lockout
	LockoutDuration time.Duration // how long a lockout lasts
	SessionTTL      time.Duration // absolute lifetime of a session
	SessionIdle     time.Duration // a session unused this long ends
	PendingTTL      time.Duration // time to enter the second factor after the password
}

// DefaultPolicy is the policy used unless configured otherwise.
var DefaultPolicy = Policy{
	MaxFailedLogins: 5,
	LockoutDuration: 15 * time.Minute,
	SessionTTL:      12 * time.Hour,
	SessionIdle:     2 * time.Hour,
	PendingTTL:      5 * time.Minute,
}

// Service implements the authentication use cases over a Store.
type Service struct {
	store  store.Store
	now    func() time.Time
	policy Policy
	log    *slog.Logger
}

// NewService returns a Service. now is the clock (time.Now in production).
func NewService(st store.Store, now func() time.Time, policy Policy, log *slog.Logger) *Service {
	return &Service{store: st, now: now, policy: policy, log: log}
}

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }

// UserView is the audit-safe and API-safe picture of a user (no secrets).
type UserView struct {
	ID                 int64     `json:"id"`
	Username           string    `json:"username"`
	Role               string    `json:"role"`
	Disabled           bool      `json:"disabled"`
	MustChangePassword bool      `json:"must_change_password"`
	TOTPEnabled        bool      `json:"totp_enabled"`
	Language           string    `json:"language"`
	LockedUntil        time.Time `json:"locked_until,omitzero"`
	CreatedAt          time.Time `json:"created_at"`
}

// View returns the secret-free view of u.
func View(u *store.User) UserView {
	return UserView{ID: u.ID, Username: u.Username, Role: u.Role, Disabled: u.Disabled,
		MustChangePassword: u.MustChangePassword, TOTPEnabled: u.TOTPEnabled, Language: u.Language,
		LockedUntil: u.LockedUntil, CreatedAt: u.CreatedAt}
}

func userTarget(u *store.User) string { return fmt.Sprintf("user:%d:%s", u.ID, u.Username) }

// Bootstrap creates the first admin when there are no users and returns its one-time
// password; created is false when users already exist.
func (s *Service) Bootstrap(ctx context.Context) (username, password string, created bool, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n > 0 {
			return err
		}
		password = GeneratePassword()
		u, err := s.createUser(tx, "system", "admin", RoleAdmin, password, true)
		if err != nil {
			return err
		}
		username, created = u.Username, true
		return nil
	})
	return username, password, created, err
}

// CreateUser adds a user. With an empty password a one-time password is generated (and
// returned) that must be changed at first sign-in.
func (s *Service) CreateUser(ctx context.Context, actor, username, role, password string) (*store.User, string, error) {
	if err := validUsername(username); err != nil {
		return nil, "", err
	}
	if !ValidRole(role) {
		return nil, "", Invalidf("unknown role %q (roles: %v)", role, Roles())
	}
	mustChange := password == ""
	if mustChange {
		password = GeneratePassword()
	} else if err := CheckStrength(password, username); err != nil {
		return nil, "", err
	}
	var u *store.User
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		u, err = s.createUser(tx, actor, username, role, password, mustChange)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, "", fmt.Errorf("user %q: %w", username, ErrConflict)
	}
	if !mustChange {
		password = ""
	}
	return u, password, err
}

func (s *Service) createUser(tx store.Tx, actor, username, role, password string, mustChange bool) (*store.User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &store.User{Username: username, Role: role, PasswordHash: hash, MustChangePassword: mustChange,
		CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateUser(u); err != nil {
		return nil, err
	}
	_, err = audit.Append(tx, now, audit.Record{Actor: actor, Action: "user.create", Target: userTarget(u), After: View(u)})
	return u, err
}

func validUsername(name string) error {
	if len(name) < 2 || len(name) > 64 {
		return Invalidf("user name must have 2 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@') {
			return Invalidf("user name may only hold letters, digits and . _ - @")
		}
	}
	return nil
}

// GetUser returns a user by id.
func (s *Service) GetUser(ctx context.Context, id int64) (u *store.User, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { u, err = tx.GetUser(id); return err })
	return u, err
}

// GetUserByName returns a user by name.
func (s *Service) GetUserByName(ctx context.Context, name string) (u *store.User, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { u, err = tx.GetUserByName(name); return err })
	return u, err
}

// ListUsers returns a page of users, newest first.
func (s *Service) ListUsers(ctx context.Context, p store.Page) (out []*store.User, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { out, err = tx.ListUsers(p); return err })
	return out, err
}

// modifyUser loads a user, applies change, stores it and audits before/after. change may
// return an error to abort. An empty actor means the user acts on their own account.
func (s *Service) modifyUser(ctx context.Context, actor, action string, id int64, change func(tx store.Tx, u *store.User) error) (*store.User, error) {
	var u *store.User
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if u, err = tx.GetUser(id); err != nil {
			return err
		}
		before := View(u)
		if actor == "" {
			actor = userTarget(u)
		}
		if err := change(tx, u); err != nil {
			return err
		}
		u.UpdatedAt = s.now().UTC()
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		_, err = audit.Append(tx, u.UpdatedAt, audit.Record{Actor: actor, Action: action, Target: userTarget(u), Before: before, After: View(u)})
		return err
	})
	return u, err
}

// UpdateUser changes a user's role and/or disabled flag. Disabling ends the user's
// sessions. The last enabled admin cannot be demoted or disabled.
func (s *Service) UpdateUser(ctx context.Context, actor string, id int64, role *string, disabled *bool) (*store.User, error) {
	if role != nil && !ValidRole(*role) {
		return nil, Invalidf("unknown role %q (roles: %v)", *role, Roles())
	}
	return s.modifyUser(ctx, actor, "user.update", id, func(tx store.Tx, u *store.User) error {
		losesAdmin := u.Role == RoleAdmin && !u.Disabled &&
			(role != nil && *role != RoleAdmin || disabled != nil && *disabled)
		if losesAdmin {
			if err := s.ensureAnotherAdmin(tx, u.ID); err != nil {
				return err
			}
		}
		if role != nil {
			u.Role = *role
		}
		if disabled != nil {
			u.Disabled = *disabled
			if *disabled {
				return tx.DeleteUserSessions(u.ID)
			}
		}
		return nil
	})
}

func (s *Service) ensureAnotherAdmin(tx store.Tx, except int64) error {
	users, err := store.All(tx.ListUsers, func(u *store.User) int64 { return u.ID })
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != except && o.Role == RoleAdmin && !o.Disabled {
			return nil
		}
	}
	return Invalidf("this is the last enabled admin")
}

// ResetPassword gives a user a new one-time password (returned), clears a lockout and
// ends the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, actor string, id int64) (string, error) {
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return "", err
	}
	_, err = s.modifyUser(ctx, actor, "user.reset_password", id, func(tx store.Tx, u *store.User) error {
		u.PasswordHash, u.MustChangePassword = hash, true
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		return tx.DeleteUserSessions(u.ID)
	})
	return pw, err
}

// ChangePassword sets a new password for a user who proves the current one.
func (s *Service) ChangePassword(ctx context.Context, id int64, current, next string) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	ok, err := CheckPassword(u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return Invalidf("current password is wrong")
	}
	if current == next {
		return Invalidf("the new password must differ from the current one")
	}
	if err := CheckStrength(next, u.Username); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	_, err = s.modifyUser(ctx, "", "user.change_password", id, func(_ store.Tx, u *store.User) error {
		u.PasswordHash, u.MustChangePassword = hash, false
		return nil
	})
	return err
}

// SetLanguage stores a user's UI language ("" = follow the browser).
func (s *Service) SetLanguage(ctx context.Context, id int64, lang string) (*store.User, error) {
	if !slices.Contains([]string{"", "en", "zh-CN"}, lang) {
		return nil, Invalidf("language must be en, zh-CN or empty")
	}
	return s.modifyUser(ctx, "", "user.set_language", id, func(_ store.Tx, u *store.User) error {
		u.Language = lang
		return nil
	})
}

// Settings.

const settingTOTPRoles = "security.totp_required_roles"

// TOTPRequiredRoles returns the roles whose users must use a second factor.
func (s *Service) TOTPRequiredRoles(ctx context.Context) ([]string, error) {
	var roles []string
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		roles, err = totpRoles(tx)
		return err
	})
	return roles, err
}

// DefaultTOTPRoles must use a second factor until an admin changes the setting: the
// accounts that can change everything.
var DefaultTOTPRoles = []string{RoleAdmin}

func totpRoles(tx store.Tx) ([]string, error) {
	v, err := tx.GetSetting(settingTOTPRoles)
	if errors.Is(err, store.ErrNotFound) {
		return slices.Clone(DefaultTOTPRoles), nil
	}
	if err != nil {
		return nil, err
	}
	var roles []string
	if err := json.Unmarshal([]byte(v), &roles); err != nil {
		return nil, fmt.Errorf("setting %s: %w", settingTOTPRoles, err)
	}
	return roles, nil
}

// SetTOTPRequiredRoles sets which roles must use a second factor.
func (s *Service) SetTOTPRequiredRoles(ctx context.Context, actor string, roles []string) error {
	for _, r := range roles {
		if !ValidRole(r) {
			return Invalidf("unknown role %q", r)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	if roles == nil {
		roles = []string{}
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		before, err := totpRoles(tx)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(roles)
		if err := tx.PutSetting(settingTOTPRoles, string(b)); err != nil {
			return err
		}
		_, err = audit.Append(tx, s.now(), audit.Record{Actor: actor, Action: "settings.totp_required_roles",
			Target: "settings:security", Before: before, After: roles})
		return err
	})
}

// TOTPRequired reports whether role must use a second factor.
func (s *Service) TOTPRequired(ctx context.Context, role string) (bool, error) {
	roles, err := s.TOTPRequiredRoles(ctx)
	return slices.Contains(roles, role), err
}
