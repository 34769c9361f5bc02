package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/coverage"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/matrix"
)

// registerMatrixRoutes adds the attack matrix: the catalog with the coverage of the
// rules built into the binary, and the same coverage as an ATT&CK Navigator layer.
func (a *API) registerMatrixRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix", Perm: auth.PermMatrixRead, Tag: "matrix",
		Summary:  "The attack matrix with the rule coverage of every technique (as `vigil matrix --format json`)",
		Response: coverage.Report{}, handle: a.getMatrix})
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix/navigator", Perm: auth.PermMatrixRead, Tag: "matrix",
		Summary: "The rule coverage as a MITRE ATT&CK Navigator layer", Response: coverage.Layer{}, handle: a.getNavigator})
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix/activity", Perm: auth.PermAlertsRead, Tag: "matrix",
		Summary:  "Alert activity per matrix technique for alerts last seen in [from, to) (RFC 3339; default the last 7 days): alerts, raisings, incidents, hosts, highest level; false positives left out",
		Response: matrixActivity{}, handle: a.getActivity})
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix/navigator/activity", Perm: auth.PermAlertsRead, Tag: "matrix",
		Summary: "The alert activity of [from, to) as a MITRE ATT&CK Navigator layer", Response: coverage.Layer{}, handle: a.getActivityNavigator})
}

type matrixActivity struct {
	From       time.Time            `json:"from"`
	To         time.Time            `json:"to"`
	Techniques []*incident.Activity `json:"techniques"`
}

// activity reads the period and computes the activity in it.
func (a *API) activity(r *http.Request) (*matrixActivity, error) {
	svc, err := a.incidents()
	if err != nil {
		return nil, err
	}
	to, err := timeParam(r, "to", time.Now().UTC())
	if err != nil {
		return nil, err
	}
	from, err := timeParam(r, "from", to.Add(-7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, errf(http.StatusBadRequest, "bad_request", "from must be before to")
	}
	act, err := svc.Activity(r.Context(), from, to)
	if err != nil {
		return nil, err
	}
	out := &matrixActivity{From: from, To: to, Techniques: []*incident.Activity{}}
	for _, id := range slices.Sorted(maps.Keys(act)) {
		out.Techniques = append(out.Techniques, act[id])
	}
	return out, nil
}

func (a *API) getActivity(w http.ResponseWriter, r *http.Request, _ *principal) error {
	act, err := a.activity(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, act)
	return nil
}

func (a *API) getActivityNavigator(w http.ResponseWriter, r *http.Request, _ *principal) error {
	act, err := a.activity(r)
	if err != nil {
		return err
	}
	rep, err := matrixReport()
	if err != nil {
		return err
	}
	raised := map[string]int{}
	for _, t := range act.Techniques {
		raised[t.Technique] = t.Raised
	}
	period := "from " + act.From.Format(time.RFC3339) + " to " + act.To.Format(time.RFC3339)
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-activity-layer.json"`)
	writeJSON(w, http.StatusOK, rep.ActivityNavigator("Vigil alert activity", period, raised))
	return nil
}

// matrixReport computes the coverage of the built-in rules, with their test results,
// once: the catalog and the rules are compiled into the binary and do not change while
// it runs.
var matrixReport = sync.OnceValues(coverage.Builtin)

// coverage is the built-in rules' coverage with the rules uploaded to this server.
func (a *API) coverage() (*coverage.Report, error) {
	rep, err := matrixReport()
	if err != nil {
		return nil, err
	}
	if a.cfg.Rules == nil {
		return rep, nil
	}
	var uploaded []coverage.Rule
	tags := map[string][]string{}
	for _, r := range a.cfg.Rules.Set().UploadedRules() {
		uploaded = append(uploaded, coverage.Rule{ID: r.ID, Title: r.Title, Level: r.Level, File: r.File})
		tags[r.ID] = r.Tags
	}
	if len(uploaded) == 0 {
		return rep, nil
	}
	cat, err := matrixCatalog()
	if err != nil {
		return nil, err
	}
	return rep.WithUploaded(cat, uploaded, tags), nil
}

// matrixCatalog is the catalog compiled into the binary, loaded once.
var matrixCatalog = sync.OnceValues(matrix.Load)

func (a *API) getMatrix(w http.ResponseWriter, r *http.Request, _ *principal) error {
	rep, err := a.coverage()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) getNavigator(w http.ResponseWriter, r *http.Request, _ *principal) error {
	rep, err := a.coverage()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-coverage-layer.json"`)
	writeJSON(w, http.StatusOK, rep.Navigator("Vigil rule coverage"))
	return nil
}
