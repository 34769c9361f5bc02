package httpapi

import (
	"errors"
	"net/http"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/fleet"
)

func (a *API) registerAgentRoutes() {
	a.add(&Route{Method: "POST", Path: "/api/v1/agents/enroll", Perm: auth.PermAgentsEnroll, Tag: "agents",
		Summary: "Enrol an agent: exchange an enrolment token for the agent's own credential (shown once)",
		Request: fleet.EnrollRequest{}, Response: fleet.Enrollment{}, Status: http.StatusCreated, handle: a.enrollAgent})
	a.add(&Route{Method: "POST", Path: "/api/v1/agents/heartbeat", Perm: auth.PermAgentsReport, Tag: "agents",
		Summary: "An agent's heartbeat with inventory and per-source counters (the agent's own token only)",
		Request: fleet.Heartbeat{}, Response: fleet.View{}, TokensOnly: true, handle: a.heartbeat})
	a.add(&Route{Method: "GET", Path: "/api/v1/agents", Perm: auth.PermHostsRead, Tag: "agents",
		Summary: "Enrolled agents with last-seen, version, inventory and counters", Response: list[fleet.View]{}, handle: a.listAgents})
	a.add(&Route{Method: "GET", Path: "/api/v1/agents/{id}", Perm: auth.PermHostsRead, Tag: "agents",
		Summary: "One agent", Response: fleet.View{}, handle: a.getAgent})
}

func (a *API) fleetOrUnavailable() (*fleet.Service, error) {
	if a.cfg.Fleet == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "agents are not enabled on this server")
	}
	return a.cfg.Fleet, nil
}

func (a *API) enrollAgent(w http.ResponseWriter, r *http.Request, p *principal) error {
	f, err := a.fleetOrUnavailable()
	if err != nil {
		return err
	}
	var req fleet.EnrollRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	enr, err := f.Enroll(r.Context(), p.Actor, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, enr)
	return nil
}

func (a *API) heartbeat(w http.ResponseWriter, r *http.Request, p *principal) error {
	f, err := a.fleetOrUnavailable()
	if err != nil {
		return err
	}
	if p.TokenID == 0 {
		return errf(http.StatusForbidden, "forbidden", fleet.ErrNotAgent.Error())
	}
	var hb fleet.Heartbeat
	if err := decode(w, r, &hb); err != nil {
		return err
	}
	ag, err := f.Beat(r.Context(), p.TokenID, hb)
	if errors.Is(err, fleet.ErrNotAgent) {
		return errf(http.StatusForbidden, "forbidden", err.Error())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fleet.ViewOf(ag))
	return nil
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request, _ *principal) error {
	f, err := a.fleetOrUnavailable()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	agents, err := f.List(r.Context(), pg)
	if err != nil {
		return err
	}
	views := make([]fleet.View, len(agents))
	for i, ag := range agents {
		views[i] = fleet.ViewOf(ag)
	}
	writeJSON(w, http.StatusOK, newList(views, pg, func(v fleet.View) int64 { return v.ID }))
	return nil
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request, _ *principal) error {
	f, err := a.fleetOrUnavailable()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ag, err := f.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fleet.ViewOf(ag))
	return nil
}
