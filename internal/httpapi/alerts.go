package httpapi

import (
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
)

func (a *API) registerAlertRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/alerts", Perm: auth.PermAlertsRead, Tag: "alerts",
		Summary:  "Alerts raised by the detection rules on ingested events, newest first",
		Response: list[alertItem]{}, handle: a.listAlerts})
}

type alertRule struct {
	ID    string   `json:"id"`
	Title string   `json:"title"`
	Level string   `json:"level"`
	Tags  []string `json:"tags"`
	Kind  string   `json:"kind"`
}

type alertItem struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Rule     alertRule `json:"rule"`
	EventIDs []string  `json:"event_ids"`
	// Alert is the alert as the detection engine wrote it (matched fields, group,
	// window, correlation).
	Alert rawJSON `json:"alert"`
}

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if a.cfg.Events == nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "no event store on this server")
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	as, err := a.cfg.Events.ListAlerts(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]alertItem, len(as))
	for i, x := range as {
		tags, ids := x.Tags, x.EventIDs
		if tags == nil {
			tags = []string{}
		}
		if ids == nil {
			ids = []string{}
		}
		out[i] = alertItem{ID: x.ID, Time: x.Time, EventIDs: ids, Alert: rawJSON(x.Doc),
			Rule: alertRule{ID: x.RuleID, Title: x.RuleTitle, Level: x.Level, Tags: tags, Kind: x.Kind}}
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(x alertItem) int64 { return x.ID }))
	return nil
}
