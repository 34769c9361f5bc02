package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/ruleset"
)

func (a *API) registerRuleRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/rules", Perm: auth.PermAlertsRead, Tag: "rules",
		Summary:  "The live rules (built-in and uploaded) with origin, enabled state and counters since start: evaluations, prefilter skips, hits, suppressed, alerts, muted, estimated cost",
		Response: rulesResponse{}, handle: a.listRules})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/rules/{id}", Perm: auth.PermRulesWrite, Tag: "rules",
		Summary: "Enable or disable a rule (a disabled rule raises no alerts; correlations still count its matches)",
		Request: patchRule{}, Status: http.StatusNoContent, handle: a.patchRule})
	a.add(&Route{Method: "GET", Path: "/api/v1/rules/custom", Perm: auth.PermAlertsRead, Tag: "rules",
		Summary: "Uploaded rule files", Response: list[ruleset.CustomFile]{}, handle: a.listCustomRules})
	a.add(&Route{Method: "PUT", Path: "/api/v1/rules/custom/{name}", Perm: auth.PermRulesWrite, Tag: "rules",
		Summary:  "Upload or replace a Sigma rule file (YAML body, may hold several documents); refused with every file:line reason when a document does not load",
		Response: uploadResult{}, handle: a.putCustomRules})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/rules/custom/{name}", Perm: auth.PermRulesWrite, Tag: "rules",
		Summary: "Remove an uploaded rule file", Status: http.StatusNoContent, handle: a.deleteCustomRules})
}

func (a *API) rules() (*ruleset.Manager, error) {
	if a.cfg.Rules == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "live detection is not running on this server")
	}
	return a.cfg.Rules, nil
}

type rulesResponse struct {
	Items   []ruleset.Rule  `json:"items"`
	Summary ruleset.Summary `json:"summary"`
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request, _ *principal) error {
	m, err := a.rules()
	if err != nil {
		return err
	}
	rs, sum := m.Set().Rules()
	if rs == nil {
		rs = []ruleset.Rule{}
	}
	writeJSON(w, http.StatusOK, rulesResponse{Items: rs, Summary: sum})
	return nil
}

type patchRule struct {
	Enabled *bool `json:"enabled"`
}

func (a *API) patchRule(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := a.rules()
	if err != nil {
		return err
	}
	var req patchRule
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Enabled == nil {
		return errf(http.StatusBadRequest, "bad_request", "enabled is required")
	}
	if err := m.SetEnabled(r.Context(), p.Actor, r.PathValue("id"), *req.Enabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listCustomRules(w http.ResponseWriter, r *http.Request, _ *principal) error {
	m, err := a.rules()
	if err != nil {
		return err
	}
	files, err := m.CustomFiles(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[ruleset.CustomFile]{Items: files})
	return nil
}

type uploadResult struct {
	Loaded int `json:"loaded"`
}

// rejectedRules is the answer to a refused upload: the error shape plus every reason.
type rejectedRules struct {
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Loaded   int      `json:"loaded"`
	Rejected []string `json:"rejected"`
}

func (a *API) putCustomRules(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := a.rules()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ruleset.MaxCustomBytes+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errf(http.StatusRequestEntityTooLarge, "bad_request", "a rule file is at most 1 MiB")
		}
		return errf(http.StatusBadRequest, "bad_request", "read body: "+err.Error())
	}
	n, err := m.PutCustom(r.Context(), p.Actor, r.PathValue("name"), body)
	var rej *ruleset.RejectedError
	var inv *ruleset.InvalidError
	switch {
	case errors.As(err, &rej):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": rejectedRules{Code: "rules_rejected",
			Message: "some documents do not load; nothing was changed", Loaded: rej.Loaded, Rejected: rej.Reasons}})
		return nil
	case errors.As(err, &inv):
		return errf(http.StatusBadRequest, "bad_request", inv.Msg)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, uploadResult{Loaded: n})
	return nil
}

func (a *API) deleteCustomRules(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := a.rules()
	if err != nil {
		return err
	}
	if err := m.DeleteCustom(r.Context(), p.Actor, strings.TrimSpace(r.PathValue("name"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
