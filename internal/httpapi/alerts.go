package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *API) registerAlertRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/alerts", Perm: auth.PermAlertsRead, Tag: "alerts",
		Summary:  "The alert queue, newest first; filters: status, level (comma-separated), technique, host, rule, incident (an id or none), from and to (RFC 3339, on the last sighting)",
		Response: list[alertItem]{}, handle: a.listAlerts})
	a.add(&Route{Method: "GET", Path: "/api/v1/alerts/{id}", Perm: auth.PermAlertsRead, Tag: "alerts",
		Summary: "One alert", Response: alertItem{}, handle: a.getAlert})
	a.add(&Route{Method: "POST", Path: "/api/v1/alerts/bulk", Perm: auth.PermAlertsWrite, Tag: "alerts",
		Summary: "Acknowledge, assign, attach to an incident, mark false positive, close or reopen alerts (all or none)",
		Request: bulkRequest{}, Response: list[alertItem]{}, handle: a.bulkAlerts})
	a.add(&Route{Method: "POST", Path: "/api/v1/alerts/{id}/exception", Perm: auth.PermExceptionsWrite, Tag: "alerts",
		Summary: "Mark an alert a false positive and suppress its rule on the given field values (a Sigma filter, live at once)",
		Request: exceptionRequest{}, Response: store.Exception{}, Status: http.StatusCreated, handle: a.createException})
}

func (a *API) incidents() (*incident.Service, error) {
	if a.cfg.Incidents == nil {
		return nil, errf(http.StatusServiceUnavailable, "unavailable", "incident management is not running on this server")
	}
	return a.cfg.Incidents, nil
}

// alertItem is an alert as the API shows it.
type alertItem struct {
	*store.Alert
	// Time is the time of the latest matched event.
	Time time.Time `json:"time"`
	Rule alertRule `json:"rule"`
	// Raw is the latest raising as the detection engine wrote it (matched fields,
	// group, window, correlation).
	Raw rawJSON `json:"alert"`
}

type alertRule struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Level string   `json:"level"`
	Tags  []string `json:"tags"`
	Kind  string   `json:"kind"`
}

func itemOf(x *store.Alert) alertItem {
	return alertItem{Alert: x, Time: x.LastEvent, Raw: rawJSON(x.Doc),
		Rule: alertRule{ID: x.RuleID, Title: x.RuleTitle, Level: x.Level, Tags: x.Tags, Kind: x.Kind}}
}

// csv splits a comma-separated query parameter.
func csv(r *http.Request, name string) []string {
	var out []string
	for _, v := range strings.Split(r.URL.Query().Get(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.AlertFilter{Status: csv(r, "status"), Levels: csv(r, "level"), Technique: q.Get("technique"),
		Host: q.Get("host"), RuleID: q.Get("rule")}
	if f.SeenFrom, err = timeParam(r, "from", time.Time{}); err != nil {
		return err
	}
	if f.SeenTo, err = timeParam(r, "to", time.Time{}); err != nil {
		return err
	}
	switch s := q.Get("incident"); s {
	case "":
	case "none":
		f.IncidentID = -1
	default:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return errf(http.StatusBadRequest, "bad_request", "incident must be an id or none")
		}
		f.IncidentID = id
	}
	as, err := svc.ListAlerts(r.Context(), f, pg)
	if err != nil {
		return err
	}
	out := make([]alertItem, len(as))
	for i, x := range as {
		out[i] = itemOf(x)
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(x alertItem) int64 { return x.ID }))
	return nil
}

func (a *API) getAlert(w http.ResponseWriter, r *http.Request, _ *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		x, err := svc.GetAlert(r.Context(), id)
		if err != nil {
			return nil, err
		}
		return itemOf(x), nil
	})
}

type bulkRequest struct {
	IDs        []int64 `json:"ids"`
	Action     string  `json:"action"`
	Assignee   string  `json:"assignee,omitempty"`
	IncidentID int64   `json:"incident_id,omitempty"`
}

func (a *API) bulkAlerts(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	var req bulkRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	as, err := svc.Bulk(r.Context(), p.Actor, incident.BulkAction{IDs: req.IDs, Action: req.Action, Assignee: req.Assignee, IncidentID: req.IncidentID})
	if err != nil {
		return err
	}
	out := make([]alertItem, len(as))
	for i, x := range as {
		out[i] = itemOf(x)
	}
	writeJSON(w, http.StatusOK, list[alertItem]{Items: out})
	return nil
}

type exceptionRequest struct {
	// Fields are the event fields and the values to suppress the rule on (all must
	// match), e.g. {"host.name": "web-1", "user.name": "deploy"}.
	Fields  map[string]string `json:"fields"`
	Reason  string            `json:"reason"`
	Expires time.Time         `json:"expires,omitzero"`
	// Disabled keeps the exception without applying it (PATCH only).
	Disabled bool `json:"disabled,omitempty"`
}

func (a *API) createException(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncidentStatus(w, r, http.StatusCreated, func(svc *incident.Service, id int64) (any, error) {
		var req exceptionRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.CreateException(r.Context(), p.Actor, actorName(p), id,
			incident.ExceptionInput{Fields: req.Fields, Reason: req.Reason, Expires: req.Expires})
	})
}

// actorName is the person (or token) behind a request, as shown on comments and
// exceptions.
func actorName(p *principal) string {
	if p.User != nil {
		return p.User.Username
	}
	parts := strings.SplitN(p.Actor, ":", 3)
	return "token " + parts[len(parts)-1]
}
