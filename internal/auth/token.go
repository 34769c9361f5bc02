package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// TokenView is the secret-free picture of a token for lists and the audit log.
type TokenView struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Prefix    string    `json:"prefix"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// ViewToken returns the secret-free view of k.
func ViewToken(k *store.Token) TokenView {
	return TokenView{ID: k.ID, Name: k.Name, Role: k.Role, Prefix: k.Prefix, CreatedBy: k.CreatedBy,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsed: k.LastUsed, RevokedAt: k.RevokedAt}
}

func tokenTarget(k *store.Token) string { return fmt.Sprintf("token:%d:%s", k.ID, k.Name) }

// CreateToken issues an API token for role and returns it with its secret, which is
// shown this once. ttl 0 means it does not expire.
func (s *Service) CreateToken(ctx context.Context, actor, name, role string, ttl time.Duration) (*store.Token, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", Invalidf("token name must have 1 to 100 characters")
	}
	if !ValidRole(role) {
		return nil, "", Invalidf("unknown role %q (roles: %v)", role, Roles())
	}
	if ttl < 0 {
		return nil, "", Invalidf("expiry must not be negative")
	}
	var k *store.Token
	var secret string
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		k, secret, err = IssueToken(tx, s.now(), actor, name, role, ttl)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// IssueToken creates a token inside a caller's write transaction and audits it, for
// changes that must create a token atomically with something else (an agent's
// enrolment). Arguments are not validated: callers pass known-good values.
func IssueToken(tx store.Tx, now time.Time, actor, name, role string, ttl time.Duration) (*store.Token, string, error) {
	secret := TokenPrefix + newSecret(32)
	now = now.UTC()
	k := &store.Token{Name: name, Role: role, Hash: HashSecret(secret), Prefix: secret[:len(TokenPrefix)+6],
		CreatedBy: actor, CreatedAt: now}
	if ttl > 0 {
		k.ExpiresAt = now.Add(ttl)
	}
	if err := tx.CreateToken(k); err != nil {
		return nil, "", err
	}
	_, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "token.create", Target: tokenTarget(k), After: ViewToken(k)})
	return k, secret, err
}

// ListTokens returns a page of tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, p store.Page) (out []*store.Token, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { out, err = tx.ListTokens(p); return err })
	return out, err
}

// RevokeToken revokes a token; revoking twice is an error so scripts notice typos.
func (s *Service) RevokeToken(ctx context.Context, actor string, id int64) error {
	now := s.now().UTC()
	return s.store.Update(ctx, func(tx store.Tx) error {
		k, err := tx.GetToken(id)
		if err != nil {
			return err
		}
		if !k.RevokedAt.IsZero() {
			return Invalidf("token %d is already revoked", id)
		}
		before := ViewToken(k)
		k.RevokedAt = now
		if err := tx.UpdateToken(k); err != nil {
			return err
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: actor, Action: "token.revoke", Target: tokenTarget(k), Before: before, After: ViewToken(k)})
		return err
	})
}

// AuthenticateToken returns the live token for a bearer secret and records its use (at
// most once a minute, so a busy script does not turn every read into a write).
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*store.Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, ErrUnauthorized
	}
	now := s.now().UTC()
	var k *store.Token
	err := s.store.View(ctx, func(tx store.Tx) (err error) { k, err = tx.GetTokenByHash(HashSecret(secret)); return err })
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !k.RevokedAt.IsZero() || !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return nil, ErrUnauthorized
	}
	if now.Sub(k.LastUsed) > time.Minute {
		k.LastUsed = now
		if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.TouchToken(k.ID, now) }); err != nil {
			return nil, fmt.Errorf("record token use: %w", err)
		}
	}
	return k, nil
}
