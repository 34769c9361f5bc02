package httpapi

import (
	"net/http"
	"sync"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/coverage"
)

// registerMatrixRoutes adds the attack matrix: the catalog with the coverage of the
// rules built into the binary, and the same coverage as an ATT&CK Navigator layer.
func (a *API) registerMatrixRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix", Perm: auth.PermMatrixRead, Tag: "matrix",
		Summary:  "The attack matrix with the rule coverage of every technique (as `vigil matrix --format json`)",
		Response: coverage.Report{}, handle: a.getMatrix})
	a.add(&Route{Method: "GET", Path: "/api/v1/matrix/navigator", Perm: auth.PermMatrixRead, Tag: "matrix",
		Summary: "The rule coverage as a MITRE ATT&CK Navigator layer", Response: coverage.Layer{}, handle: a.getNavigator})
}

// matrixReport computes the coverage of the built-in rules, with their test results,
// once: the catalog and the rules are compiled into the binary and do not change while
// it runs.
var matrixReport = sync.OnceValues(coverage.Builtin)

func (a *API) getMatrix(w http.ResponseWriter, r *http.Request, _ *principal) error {
	rep, err := matrixReport()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *API) getNavigator(w http.ResponseWriter, r *http.Request, _ *principal) error {
	rep, err := matrixReport()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-coverage-layer.json"`)
	writeJSON(w, http.StatusOK, rep.Navigator("Vigil rule coverage"))
	return nil
}
