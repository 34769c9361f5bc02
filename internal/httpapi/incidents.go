package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *API) registerIncidentRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/incidents", Perm: auth.PermIncidentsRead, Tag: "incidents",
		Summary:  "Incidents, newest first, with status, severity, entities, techniques and alert counts; filters: status, severity (comma-separated), host, technique",
		Response: list[store.Incident]{}, handle: a.listIncidents})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Open an incident by hand from alerts", Request: createIncident{}, Response: store.Incident{},
		Status: http.StatusCreated, handle: a.createIncident})
	a.add(&Route{Method: "GET", Path: "/api/v1/incidents/{id}", Perm: auth.PermIncidentsRead, Tag: "incidents",
		Summary:  "The whole incident: alerts in attack-path order, attack path, timeline, comments, tasks, team, metrics, allowed transitions",
		Response: incident.View{}, handle: a.getIncident})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/incidents/{id}", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Change title, severity, commander or summary", Request: patchIncident{}, Response: store.Incident{}, handle: a.patchIncident})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents/{id}/status", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Move the incident along its lifecycle (closing needs a resolution and a summary)",
		Request: statusRequest{}, Response: store.Incident{}, handle: a.setIncidentStatus})
	a.add(&Route{Method: "PUT", Path: "/api/v1/incidents/{id}/members/{username}", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Put a person on the team with a role (analyst, responder, communications, watcher)",
		Request: memberRequest{}, Response: store.Incident{}, handle: a.putMember})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/incidents/{id}/members/{username}", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Take a person off the team", Response: store.Incident{}, handle: a.deleteMember})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents/{id}/comments", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Comment in Markdown; @name mentions make the person a watcher", Request: commentRequest{},
		Response: store.Comment{}, Status: http.StatusCreated, handle: a.addComment})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents/{id}/tasks", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Add a task", Request: taskRequest{}, Response: store.Task{}, Status: http.StatusCreated, handle: a.addTask})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/incidents/{id}/tasks/{task}", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Change a task's status, owner, due time or title", Request: taskRequest{}, Response: store.Task{}, handle: a.patchTask})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents/{id}/merge", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Merge other incidents into this one (they close as duplicates)", Request: mergeRequest{},
		Response: store.Incident{}, handle: a.mergeIncidents})
	a.add(&Route{Method: "POST", Path: "/api/v1/incidents/{id}/split", Perm: auth.PermIncidentsWrite, Tag: "incidents",
		Summary: "Move alerts of this incident into a new incident", Request: splitRequest{},
		Response: store.Incident{}, Status: http.StatusCreated, handle: a.splitIncident})
	a.add(&Route{Method: "GET", Path: "/api/v1/metrics/incidents", Perm: auth.PermIncidentsRead, Tag: "incidents",
		Summary:  "Response metrics (time to detect, acknowledge, contain, resolve) and counts by severity, status, resolution, technique and tactic for incidents created in [from, to) (RFC 3339; default the last 30 days)",
		Response: incident.Summary{}, handle: a.incidentMetrics})
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.IncidentFilter{Status: csv(r, "status"), Severity: csv(r, "severity"), Host: q.Get("host"), Technique: q.Get("technique")}
	ins, err := svc.ListIncidents(r.Context(), f, pg)
	if err != nil {
		return err
	}
	out := make([]store.Incident, len(ins))
	for i, in := range ins {
		out[i] = *in
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(x store.Incident) int64 { return x.ID }))
	return nil
}

type createIncident struct {
	Title    string  `json:"title"`
	AlertIDs []int64 `json:"alert_ids"`
}

func (a *API) createIncident(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	var req createIncident
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, err := svc.Create(r.Context(), p.Actor, req.Title, req.AlertIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}

func (a *API) getIncident(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		return svc.Get(r.Context(), id)
	})
}

type patchIncident struct {
	Title     *string `json:"title,omitempty"`
	Severity  *string `json:"severity,omitempty"`
	Commander *string `json:"commander,omitempty"`
	Summary   *string `json:"summary,omitempty"`
}

func (a *API) patchIncident(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		var req patchIncident
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.Edit(r.Context(), p.Actor, id, incident.Update{Title: req.Title, Severity: req.Severity,
			Commander: req.Commander, Summary: req.Summary})
	})
}

// onIncident runs a request on the object (incident, alert, exception) whose id is in
// the path and answers with its result.
func (a *API) onIncident(w http.ResponseWriter, r *http.Request, fn func(svc *incident.Service, id int64) (any, error)) error {
	return a.onIncidentStatus(w, r, http.StatusOK, fn)
}

// onIncidentStatus is onIncident with the success status; a nil result answers with
// no body.
func (a *API) onIncidentStatus(w http.ResponseWriter, r *http.Request, status int, fn func(svc *incident.Service, id int64) (any, error)) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := fn(svc, id)
	if err != nil {
		return err
	}
	if v == nil {
		w.WriteHeader(status)
		return nil
	}
	writeJSON(w, status, v)
	return nil
}

type statusRequest struct {
	Status     string `json:"status"`
	Resolution string `json:"resolution,omitempty"`
	Summary    string `json:"summary,omitempty"`
}

func (a *API) setIncidentStatus(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		var req statusRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.Transition(r.Context(), p.Actor, id, req.Status, req.Resolution, req.Summary)
	})
}

type memberRequest struct {
	Role string `json:"role"`
}

func (a *API) putMember(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		var req memberRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		if req.Role == "" {
			return nil, errf(http.StatusBadRequest, "bad_request", "role is required")
		}
		return svc.SetMember(r.Context(), p.Actor, id, r.PathValue("username"), req.Role)
	})
}

func (a *API) deleteMember(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		return svc.SetMember(r.Context(), p.Actor, id, r.PathValue("username"), "")
	})
}

type commentRequest struct {
	Body string `json:"body"`
}

func (a *API) addComment(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncidentStatus(w, r, http.StatusCreated, func(svc *incident.Service, id int64) (any, error) {
		var req commentRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.Comment(r.Context(), p.Actor, actorName(p), id, req.Body)
	})
}

type taskRequest struct {
	Title  *string    `json:"title,omitempty"`
	Phase  *string    `json:"phase,omitempty"`
	Owner  *string    `json:"owner,omitempty"`
	Due    *time.Time `json:"due,omitempty"`
	Status *string    `json:"status,omitempty"`
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (a *API) addTask(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncidentStatus(w, r, http.StatusCreated, func(svc *incident.Service, id int64) (any, error) {
		var req taskRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.AddTask(r.Context(), p.Actor, id, deref(req.Title), deref(req.Phase), deref(req.Owner), deref(req.Due))
	})
}

func (a *API) patchTask(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		tid, err := strconv.ParseInt(r.PathValue("task"), 10, 64)
		if err != nil || tid < 1 {
			return nil, errf(http.StatusBadRequest, "bad_request", "invalid task id")
		}
		var req taskRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.UpdateTask(r.Context(), p.Actor, id, tid, incident.TaskChange{Status: req.Status, Owner: req.Owner,
			Due: req.Due, Title: req.Title, Phase: req.Phase})
	})
}

type mergeRequest struct {
	IncidentIDs []int64 `json:"incident_ids"`
}

func (a *API) mergeIncidents(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		var req mergeRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.Merge(r.Context(), p.Actor, id, req.IncidentIDs)
	})
}

type splitRequest struct {
	AlertIDs []int64 `json:"alert_ids"`
	Title    string  `json:"title,omitempty"`
}

func (a *API) splitIncident(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncidentStatus(w, r, http.StatusCreated, func(svc *incident.Service, id int64) (any, error) {
		var req splitRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.Split(r.Context(), p.Actor, id, req.AlertIDs, req.Title)
	})
}

// timeParam reads an RFC 3339 query parameter.
func timeParam(r *http.Request, name string, def time.Time) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, errf(http.StatusBadRequest, "bad_request", name+" must be an RFC 3339 time (2026-11-28T10:00:00Z)")
	}
	return t, nil
}

func (a *API) incidentMetrics(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	to, err := timeParam(r, "to", now)
	if err != nil {
		return err
	}
	from, err := timeParam(r, "from", to.Add(-30*24*time.Hour))
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return errf(http.StatusBadRequest, "bad_request", "from must be before to")
	}
	sum, err := svc.Summarize(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}
