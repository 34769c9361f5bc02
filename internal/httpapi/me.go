package httpapi

import (
	"net/http"

	"github.com/vigilsec/vigil/internal/auth"
)

// me describes the caller. Tokens have no user: ID 0, Username the token name.
type me struct {
	ID                 int64             `json:"id"`
	Username           string            `json:"username"`
	Role               string            `json:"role"`
	Kind               string            `json:"kind"` // "user" or "token"
	Language           string            `json:"language"`
	TOTPEnabled        bool              `json:"totp_enabled"`
	TOTPRequired       bool              `json:"totp_required"`
	MustChangePassword bool              `json:"must_change_password"`
	Permissions        []auth.Permission `json:"permissions"`
	CSRFToken          string            `json:"csrf_token,omitempty"`
}

func (a *API) meOf(r *http.Request, p *principal) (*me, error) {
	m := &me{Role: p.Role, Kind: "token", Username: p.Actor, Permissions: auth.PermissionsOf(p.Role)}
	if m.Permissions == nil {
		m.Permissions = []auth.Permission{}
	}
	if u := p.User; u != nil {
		required, err := a.cfg.Auth.TOTPRequired(r.Context(), u.Role)
		if err != nil {
			return nil, err
		}
		m.ID, m.Username, m.Kind, m.Language = u.ID, u.Username, "user", u.Language
		m.TOTPEnabled, m.TOTPRequired, m.MustChangePassword = u.TOTPEnabled, required, u.MustChangePassword
	}
	if p.Session != nil {
		m.CSRFToken = p.Session.CSRFToken
	}
	return m, nil
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := a.meOf(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

type patchMe struct {
	Language *string `json:"language,omitempty"`
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req patchMe
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Language != nil {
		u, err := a.cfg.Auth.SetLanguage(r.Context(), p.User.ID, *req.Language)
		if err != nil {
			return err
		}
		p.User = u
	}
	return a.getMe(w, r, p)
}

type changePassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req changePassword
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := a.cfg.Auth.ChangePassword(r.Context(), p.User.ID, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type recoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (a *API) totpEnroll(w http.ResponseWriter, r *http.Request, p *principal) error {
	enr, err := a.cfg.Auth.BeginTOTP(r.Context(), p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enr)
	return nil
}

func (a *API) totpConfirm(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req totpRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	codes, err := a.cfg.Auth.ConfirmTOTP(r.Context(), p.User.ID, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodes{RecoveryCodes: codes})
	return nil
}

func (a *API) totpDisable(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req totpRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := a.cfg.Auth.DisableTOTP(r.Context(), p.User.ID, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
