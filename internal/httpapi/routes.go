package httpapi

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// registerRoutes is the route table of /api/v1. Add a route here and it is served,
// authorized and documented in the OpenAPI document; the authorization test covers it.
func (a *API) registerRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/openapi.json", Public: true, Tag: "meta",
		Summary: "This OpenAPI 3 document", Response: map[string]any{}, handle: a.openAPI})
	a.add(&Route{Method: "GET", Path: "/api/v1/roles", Tag: "meta", Summary: "Roles and their permissions",
		Response: rolesResponse{}, handle: a.listRoles})

	a.add(&Route{Method: "GET", Path: "/api/v1/me", DuringSetup: true, Tag: "me",
		Summary: "The signed-in caller", Response: me{}, handle: a.getMe})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/me", DuringSetup: true, UsersOnly: true, Tag: "me",
		Summary: "Change my language", Request: patchMe{}, Response: me{}, handle: a.patchMe})
	a.add(&Route{Method: "POST", Path: "/api/v1/me/password", DuringSetup: true, UsersOnly: true, Tag: "me",
		Summary: "Change my password", Request: changePassword{}, Status: http.StatusNoContent, handle: a.changePassword})
	a.add(&Route{Method: "POST", Path: "/api/v1/me/totp/enroll", DuringSetup: true, UsersOnly: true, Tag: "me",
		Summary: "Start TOTP enrolment", Response: auth.Enrollment{}, handle: a.totpEnroll})
	a.add(&Route{Method: "POST", Path: "/api/v1/me/totp/confirm", DuringSetup: true, UsersOnly: true, Tag: "me",
		Summary: "Activate TOTP with a first code; returns recovery codes", Request: totpRequest{},
		Response: recoveryCodes{}, handle: a.totpConfirm})
	a.add(&Route{Method: "POST", Path: "/api/v1/me/totp/disable", DuringSetup: true, UsersOnly: true, Tag: "me",
		Summary: "Turn TOTP off (needs a current code)", Request: totpRequest{}, Status: http.StatusNoContent, handle: a.totpDisable})

	a.add(&Route{Method: "GET", Path: "/api/v1/users", Perm: auth.PermUsersRead, Tag: "users",
		Summary: "List users", Response: list[auth.UserView]{}, handle: a.listUsers})
	a.add(&Route{Method: "POST", Path: "/api/v1/users", Perm: auth.PermUsersWrite, Tag: "users",
		Summary: "Create a user", Request: createUser{}, Response: createdUser{}, Status: http.StatusCreated, handle: a.createUser})
	a.add(&Route{Method: "GET", Path: "/api/v1/users/{id}", Perm: auth.PermUsersRead, Tag: "users",
		Summary: "One user", Response: auth.UserView{}, handle: a.getUser})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/users/{id}", Perm: auth.PermUsersWrite, Tag: "users",
		Summary: "Change a user's role or disable/enable", Request: patchUser{}, Response: auth.UserView{}, handle: a.patchUser})
	a.add(&Route{Method: "POST", Path: "/api/v1/users/{id}/reset-password", Perm: auth.PermUsersWrite, Tag: "users",
		Summary: "Give a user a one-time password", Response: oneTimePassword{}, handle: a.resetPassword})

	a.add(&Route{Method: "GET", Path: "/api/v1/tokens", Perm: auth.PermTokensRead, Tag: "tokens",
		Summary: "List API tokens", Response: list[auth.TokenView]{}, handle: a.listTokens})
	a.add(&Route{Method: "POST", Path: "/api/v1/tokens", Perm: auth.PermTokensWrite, Tag: "tokens",
		Summary: "Create an API token (the secret is shown once)", Request: createToken{}, Response: createdToken{},
		Status: http.StatusCreated, handle: a.createToken})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/tokens/{id}", Perm: auth.PermTokensWrite, Tag: "tokens",
		Summary: "Revoke an API token", Status: http.StatusNoContent, handle: a.revokeToken})

	a.add(&Route{Method: "GET", Path: "/api/v1/audit", Perm: auth.PermAuditRead, Tag: "audit",
		Summary: "Audit log, newest first", Response: list[auditEntry]{}, handle: a.listAudit})
	a.add(&Route{Method: "GET", Path: "/api/v1/audit/verify", Perm: auth.PermAuditRead, Tag: "audit",
		Summary: "Verify the audit hash chain", Response: audit.Result{}, handle: a.verifyAudit})

	a.registerIngestRoutes()
	a.registerAgentRoutes()
	a.registerMatrixRoutes()
	a.registerAlertRoutes()
	a.registerIncidentRoutes()
	a.registerExceptionRoutes()
	a.registerNotifyRoutes()
	a.registerRuleRoutes()

	a.add(&Route{Method: "GET", Path: "/api/v1/settings/security", Perm: auth.PermSettingsRead, Tag: "settings",
		Summary: "Security settings", Response: securitySettings{}, handle: a.getSecurity})
	a.add(&Route{Method: "PUT", Path: "/api/v1/settings/security", Perm: auth.PermSettingsWrite, Tag: "settings",
		Summary: "Change security settings", Request: securitySettings{}, Response: securitySettings{}, handle: a.putSecurity})
}

// Roles.

type roleInfo struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Permissions []auth.Permission `json:"permissions"`
}

type rolesResponse struct {
	Roles []roleInfo `json:"roles"`
}

func (a *API) listRoles(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var out rolesResponse
	for _, name := range auth.Roles() {
		out.Roles = append(out.Roles, roleInfo{Name: name, Description: auth.RoleDescription(name), Permissions: auth.PermissionsOf(name)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Users.

type createUser struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Password string `json:"password,omitempty"`
}

type createdUser struct {
	User     auth.UserView `json:"user"`
	Password string        `json:"password,omitempty"` // the generated one-time password
}

type patchUser struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

type oneTimePassword struct {
	Password string `json:"password"`
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, _ *principal) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	users, err := a.cfg.Auth.ListUsers(r.Context(), p)
	if err != nil {
		return err
	}
	views := make([]auth.UserView, len(users))
	for i, u := range users {
		views[i] = auth.View(u)
	}
	writeJSON(w, http.StatusOK, newList(views, p, func(v auth.UserView) int64 { return v.ID }))
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req createUser
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, pw, err := a.cfg.Auth.CreateUser(r.Context(), p.Actor, req.Username, req.Role, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdUser{User: auth.View(u), Password: pw})
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := a.cfg.Auth.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auth.View(u))
	return nil
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req patchUser
	if err := decode(w, r, &req); err != nil {
		return err
	}
	u, err := a.cfg.Auth.UpdateUser(r.Context(), p.Actor, id, req.Role, req.Disabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auth.View(u))
	return nil
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pw, err := a.cfg.Auth.ResetPassword(r.Context(), p.Actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, oneTimePassword{Password: pw})
	return nil
}

// Tokens.

type createToken struct {
	Name          string `json:"name"`
	Role          string `json:"role"`
	ExpiresInDays int    `json:"expires_in_days,omitempty"`
}

type createdToken struct {
	Token  auth.TokenView `json:"token"`
	Secret string         `json:"secret"`
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, _ *principal) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	toks, err := a.cfg.Auth.ListTokens(r.Context(), p)
	if err != nil {
		return err
	}
	views := make([]auth.TokenView, len(toks))
	for i, k := range toks {
		views[i] = auth.ViewToken(k)
	}
	writeJSON(w, http.StatusOK, newList(views, p, func(v auth.TokenView) int64 { return v.ID }))
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req createToken
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 3650 {
		return errf(http.StatusBadRequest, "bad_request", "expires_in_days must be 0 (never) to 3650")
	}
	k, secret, err := a.cfg.Auth.CreateToken(r.Context(), p.Actor, req.Name, req.Role, time.Duration(req.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdToken{Token: auth.ViewToken(k), Secret: secret})
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Auth.RevokeToken(r.Context(), p.Actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Audit.

type auditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Before rawJSON   `json:"before,omitempty"`
	After  rawJSON   `json:"after,omitempty"`
	Hash   string    `json:"hash"`
}

// rawJSON embeds stored JSON as is; empty means absent.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) {
	if j == "" {
		return []byte("null"), nil
	}
	return []byte(j), nil
}

func (j rawJSON) IsZero() bool { return j == "" }

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ *principal) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	var entries []*store.AuditEntry
	err = a.cfg.Store.View(r.Context(), func(tx store.Tx) (err error) { entries, err = tx.ListAudit(p); return err })
	if err != nil {
		return err
	}
	out := make([]auditEntry, len(entries))
	for i, e := range entries {
		out[i] = auditEntry{ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, Target: e.Target,
			Before: rawJSON(e.Before), After: rawJSON(e.After), Hash: e.Hash}
	}
	writeJSON(w, http.StatusOK, newList(out, p, func(e auditEntry) int64 { return e.ID }))
	return nil
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var res audit.Result
	err := a.cfg.Store.View(r.Context(), func(tx store.Tx) (err error) { res, err = audit.Verify(tx); return err })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// Settings.

type securitySettings struct {
	TOTPRequiredRoles []string `json:"totp_required_roles"`
}

func (a *API) getSecurity(w http.ResponseWriter, r *http.Request, _ *principal) error {
	roles, err := a.cfg.Auth.TOTPRequiredRoles(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, securitySettings{TOTPRequiredRoles: roles})
	return nil
}

func (a *API) putSecurity(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req securitySettings
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := a.cfg.Auth.SetTOTPRequiredRoles(r.Context(), p.Actor, req.TOTPRequiredRoles); err != nil {
		return err
	}
	return a.getSecurity(w, r, p)
}
