package httpapi

import (
	"net/http"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *API) registerExceptionRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/exceptions", Perm: auth.PermAlertsRead, Tag: "exceptions",
		Summary:  "False-positive exceptions with their author, reason, expiry and the events they suppressed",
		Response: list[store.Exception]{}, handle: a.listExceptions})
	a.add(&Route{Method: "GET", Path: "/api/v1/exceptions/export", Perm: auth.PermAlertsRead, Tag: "exceptions",
		Summary: "Every exception as Sigma filter documents (YAML)", handle: a.exportExceptions})
	a.add(&Route{Method: "PATCH", Path: "/api/v1/exceptions/{id}", Perm: auth.PermExceptionsWrite, Tag: "exceptions",
		Summary: "Change an exception's fields, reason, expiry or disable it", Request: exceptionRequest{},
		Response: store.Exception{}, handle: a.patchException})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/exceptions/{id}", Perm: auth.PermExceptionsWrite, Tag: "exceptions",
		Summary: "Delete an exception", Status: http.StatusNoContent, handle: a.deleteException})

	a.add(&Route{Method: "GET", Path: "/api/v1/assets", Perm: auth.PermHostsRead, Tag: "hosts",
		Summary: "Hosts' criticality and groups", Response: list[store.Asset]{}, handle: a.listAssets})
	a.add(&Route{Method: "DELETE", Path: "/api/v1/assets/{host}", Perm: auth.PermAssetsWrite, Tag: "hosts",
		Summary: "Forget a host's criticality and groups", Status: http.StatusNoContent, handle: a.deleteAsset})
	a.add(&Route{Method: "PUT", Path: "/api/v1/assets/{host}", Perm: auth.PermAssetsWrite, Tag: "hosts",
		Summary: "Set a host's criticality (low, medium, high, critical) and groups", Request: assetRequest{},
		Response: store.Asset{}, handle: a.putAsset})
}

func (a *API) listExceptions(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	list, err := svc.Exceptions(r.Context())
	if err != nil {
		return err
	}
	out := make([]store.Exception, len(list))
	for i, e := range list {
		out[i] = *e
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (a *API) exportExceptions(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	doc, err := svc.ExportExceptions(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-exceptions.yml"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(doc)
	return nil
}

func (a *API) patchException(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncident(w, r, func(svc *incident.Service, id int64) (any, error) {
		var req exceptionRequest
		if err := decode(w, r, &req); err != nil {
			return nil, err
		}
		return svc.UpdateException(r.Context(), p.Actor, id,
			incident.ExceptionInput{Fields: req.Fields, Reason: req.Reason, Expires: req.Expires, Disabled: req.Disabled})
	})
}

func (a *API) deleteException(w http.ResponseWriter, r *http.Request, p *principal) error {
	return a.onIncidentStatus(w, r, http.StatusNoContent, func(svc *incident.Service, id int64) (any, error) {
		return nil, svc.DeleteException(r.Context(), p.Actor, id)
	})
}

type assetRequest struct {
	Criticality string   `json:"criticality"`
	Groups      []string `json:"groups"`
}

func (a *API) listAssets(w http.ResponseWriter, r *http.Request, _ *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	list, err := svc.Assets(r.Context())
	if err != nil {
		return err
	}
	out := make([]store.Asset, len(list))
	for i, x := range list {
		out[i] = *x
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (a *API) putAsset(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	var req assetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	x, err := svc.PutAsset(r.Context(), p.Actor, r.PathValue("host"), req.Criticality, req.Groups)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (a *API) deleteAsset(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := a.incidents()
	if err != nil {
		return err
	}
	if err := svc.DeleteAsset(r.Context(), p.Actor, r.PathValue("host")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
