package auth

import (
	"context"

	"github.com/vigilsec/vigil/internal/store"
)

// Issuer is the name authenticator apps show for Vigil's codes.
const Issuer = "Vigil"

// BeginTOTP creates a new, not yet active TOTP secret for a user and returns what the
// authenticator app needs. It replaces an earlier unconfirmed secret; an active second
// factor must be disabled first.
func (s *Service) BeginTOTP(ctx context.Context, id int64) (*Enrollment, error) {
	var enr *Enrollment
	_, err := s.modifyUser(ctx, "", "user.totp_enroll_start", id, func(_ store.Tx, u *store.User) error {
		if u.TOTPEnabled {
			return Invalidf("two-factor authentication is already active; disable it first")
		}
		var err error
		if enr, err = newTOTPKey(Issuer, u.Username); err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPLastStep = enr.Secret, 0
		return nil
	})
	return enr, err
}

// ConfirmTOTP activates the pending secret when code matches it, and returns ten new
// recovery codes (shown once; only their hashes are kept).
func (s *Service) ConfirmTOTP(ctx context.Context, id int64, code string) ([]string, error) {
	var codes []string
	_, err := s.modifyUser(ctx, "", "user.totp_enable", id, func(_ store.Tx, u *store.User) error {
		if u.TOTPEnabled {
			return Invalidf("two-factor authentication is already active")
		}
		if u.TOTPSecret == "" {
			return Invalidf("start the enrolment first")
		}
		step, ok := matchTOTP(u.TOTPSecret, code, s.now(), u.TOTPLastStep)
		if !ok {
			return ErrBadCode
		}
		var hashes []string
		codes, hashes = newRecoveryCodes(10)
		u.TOTPEnabled, u.TOTPLastStep, u.RecoveryCodes = true, step, hashes
		return nil
	})
	return codes, err
}

// DisableTOTP turns the second factor off for a user who proves it with a current code.
// It is refused when the user's role requires a second factor.
func (s *Service) DisableTOTP(ctx context.Context, id int64, code string) error {
	_, err := s.modifyUser(ctx, "", "user.totp_disable", id, func(tx store.Tx, u *store.User) error {
		if !u.TOTPEnabled {
			return Invalidf("two-factor authentication is not active")
		}
		roles, err := totpRoles(tx)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r == u.Role {
				return Invalidf("role %s requires two-factor authentication", u.Role)
			}
		}
		if _, ok := matchTOTP(u.TOTPSecret, code, s.now(), u.TOTPLastStep); !ok {
			return ErrBadCode
		}
		u.TOTPEnabled, u.TOTPSecret, u.TOTPLastStep, u.RecoveryCodes = false, "", 0, nil
		return nil
	})
	return err
}
