package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// LoginResult is the outcome of a successful password check.
type LoginResult struct {
	// SessionSecret is the cookie value; only its hash is stored.
	SessionSecret string
	Session       *store.Session
	User          *store.User
	// TOTPRequired is true when the session is pending until the second factor is given.
	TOTPRequired bool
}

// Client describes where a request comes from, for sessions and the audit log.
type Client struct {
	RemoteAddr string
	UserAgent  string
}

// Login checks a user name and password. Failures are counted per user; after
// Policy.MaxFailedLogins consecutive failures the user is locked out for
// Policy.LockoutDuration (a *LockedError), also for the right password.
func (s *Service) Login(ctx context.Context, username, password string, c Client) (*LoginResult, error) {
	now := s.now().UTC()
	var res *LoginResult
	var failed error
	err := s.store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.GetUserByName(username)
		if errors.Is(err, store.ErrNotFound) {
			CheckPassword(dummyHash(), password)
			failed = ErrBadCredentials
			_, err := audit.Append(tx, now, audit.Record{Actor: "anonymous@" + c.RemoteAddr, Action: "auth.login_failed",
				Target: "user:?:" + truncate(username, 64), After: map[string]string{"reason": "unknown user"}})
			return err
		}
		if err != nil {
			return err
		}
		if now.Before(u.LockedUntil) {
			failed = &LockedError{Until: u.LockedUntil}
			return nil
		}
		ok, err := CheckPassword(u.PasswordHash, password)
		if err != nil {
			return err
		}
		if !ok || u.Disabled {
			reason := "wrong password"
			if ok {
				reason = "user disabled"
			}
			failed = ErrBadCredentials
			return s.recordFailure(tx, u, now, c, reason, &failed)
		}
		u.FailedLogins, u.LockedUntil = 0, time.Time{}
		u.UpdatedAt = now
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		res = &LoginResult{User: u, TOTPRequired: u.TOTPEnabled}
		ttl := s.policy.SessionTTL
		if res.TOTPRequired {
			ttl = s.policy.PendingTTL
		}
		res.SessionSecret, res.Session, err = s.newSession(tx, u, now, ttl, res.TOTPRequired, c)
		if err != nil {
			return err
		}
		if res.TOTPRequired {
			return nil // the login is audited when the second factor is given
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: userTarget(u), Action: "auth.login",
			Target: userTarget(u), After: map[string]string{"remote_addr": c.RemoteAddr, "factors": "password"}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, failed
	}
	return res, nil
}

// recordFailure counts a failed attempt, locks the user out at the threshold, and audits.
// On lockout *failed becomes the LockedError.
func (s *Service) recordFailure(tx store.Tx, u *store.User, now time.Time, c Client, reason string, failed *error) error {
	u.FailedLogins++
	after := map[string]any{"reason": reason, "remote_addr": c.RemoteAddr, "failed_logins": u.FailedLogins}
	action := "auth.login_failed"
	if u.FailedLogins >= s.policy.MaxFailedLogins {
		u.LockedUntil = now.Add(s.policy.LockoutDuration)
		u.FailedLogins = 0
		after["locked_until"] = u.LockedUntil
		action = "auth.lockout"
		*failed = &LockedError{Until: u.LockedUntil}
		if s.log != nil {
			s.log.Warn("user locked out after repeated failed sign-ins", "user", u.Username, "remote_addr", c.RemoteAddr, "until", u.LockedUntil)
		}
	}
	u.UpdatedAt = now
	if err := tx.UpdateUser(u); err != nil {
		return err
	}
	_, err := audit.Append(tx, now, audit.Record{Actor: "anonymous@" + c.RemoteAddr, Action: action, Target: userTarget(u), After: after})
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Service) newSession(tx store.Tx, u *store.User, now time.Time, ttl time.Duration, pending bool, c Client) (string, *store.Session, error) {
	secret := newSecret(32)
	sess := &store.Session{IDHash: HashSecret(secret), UserID: u.ID, CSRFToken: newSecret(32), TOTPPending: pending,
		CreatedAt: now, ExpiresAt: now.Add(ttl), LastSeen: now,
		RemoteAddr: truncate(c.RemoteAddr, 128), UserAgent: truncate(c.UserAgent, 256)}
	if err := tx.CreateSession(sess); err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

// CompleteTOTP finishes a pending login with a TOTP code or a recovery code. On success the
// pending session is replaced by a fresh full session (a new id, so a pending cookie that
// leaked is worth nothing). Wrong codes count as failed logins.
func (s *Service) CompleteTOTP(ctx context.Context, pendingSecret, code string, c Client) (*LoginResult, error) {
	now := s.now().UTC()
	var res *LoginResult
	var failed error
	err := s.store.Update(ctx, func(tx store.Tx) error {
		sess, err := tx.GetSession(HashSecret(pendingSecret))
		if errors.Is(err, store.ErrNotFound) || err == nil && (!sess.TOTPPending || !now.Before(sess.ExpiresAt)) {
			failed = ErrUnauthorized
			return nil
		}
		if err != nil {
			return err
		}
		u, err := tx.GetUser(sess.UserID)
		if err != nil {
			return err
		}
		if now.Before(u.LockedUntil) {
			failed = &LockedError{Until: u.LockedUntil}
			return tx.DeleteSession(sess.IDHash)
		}
		factor := "totp"
		if step, ok := matchTOTP(u.TOTPSecret, code, now, u.TOTPLastStep); ok {
			u.TOTPLastStep = step
		} else if i := slices.Index(u.RecoveryCodes, HashSecret(normalizeRecoveryCode(code))); i >= 0 {
			u.RecoveryCodes = slices.Delete(u.RecoveryCodes, i, i+1)
			factor = "recovery_code"
		} else {
			failed = ErrBadCode
			return s.recordFailure(tx, u, now, c, "wrong second factor code", &failed)
		}
		u.FailedLogins, u.UpdatedAt = 0, now
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		if err := tx.DeleteSession(sess.IDHash); err != nil {
			return err
		}
		res = &LoginResult{User: u}
		if res.SessionSecret, res.Session, err = s.newSession(tx, u, now, s.policy.SessionTTL, false, c); err != nil {
			return err
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: userTarget(u), Action: "auth.login", Target: userTarget(u),
			After: map[string]any{"remote_addr": c.RemoteAddr, "factors": "password+" + factor, "recovery_codes_left": len(u.RecoveryCodes)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, failed
	}
	return res, nil
}

// SessionUser returns the full (not pending) session for a cookie value and its user, and
// extends its idle deadline. ErrUnauthorized when there is no such live session.
func (s *Service) SessionUser(ctx context.Context, secret string) (*store.Session, *store.User, error) {
	now := s.now().UTC()
	var sess *store.Session
	var u *store.User
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if sess, err = tx.GetSession(HashSecret(secret)); err != nil {
			return err
		}
		u, err = tx.GetUser(sess.UserID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrUnauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	if sess.TOTPPending || u.Disabled || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.policy.SessionIdle {
		return nil, nil, ErrUnauthorized
	}
	// Record activity at most once a minute: reads stay reads on a busy UI.
	if now.Sub(sess.LastSeen) > time.Minute {
		sess.LastSeen = now
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.UpdateSession(sess) }); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return sess, u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, secret string) error {
	now := s.now().UTC()
	return s.store.Update(ctx, func(tx store.Tx) error {
		sess, err := tx.GetSession(HashSecret(secret))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(sess.IDHash); err != nil {
			return err
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: fmt.Sprintf("user:%d", sess.UserID), Action: "auth.logout",
			Target: fmt.Sprintf("user:%d", sess.UserID)})
		return err
	})
}

// PruneSessions deletes expired sessions; serve calls it periodically.
func (s *Service) PruneSessions(ctx context.Context) (n int, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		n, err = tx.DeleteExpiredSessions(now, now.Add(-s.policy.SessionIdle))
		return err
	})
	return n, err
}
