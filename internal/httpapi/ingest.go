package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/fleet"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
)

func (a *API) registerIngestRoutes() {
	a.add(&Route{Method: "POST", Path: "/api/v1/ingest", Perm: auth.PermIngestWrite, Tag: "ingest",
		Summary: "Submit log records (NDJSON, JSON, or text lines; gzip accepted); answers once they are durable",
		Request: map[string]any{}, Response: httpin.Response{}, handle: a.ingest})
	a.add(&Route{Method: "GET", Path: "/api/v1/ingest/rejections", Perm: auth.PermIngestRead, Tag: "ingest",
		Summary: "Input that was rejected, kept for review (newest first)", Response: list[rejection]{}, handle: a.listRejections})
}

func (a *API) ingest(w http.ResponseWriter, r *http.Request, p *principal) error {
	if a.cfg.Ingest == nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "ingestion is not enabled on this server")
	}
	from := httpin.Sender{Actor: p.Actor}
	if p.TokenID != 0 && a.cfg.Fleet != nil {
		ag, err := a.cfg.Fleet.AgentFor(r.Context(), p.TokenID)
		if err == nil {
			from.AgentID, from.AgentHost = ag.ID, ag.Hostname
		} else if !errors.Is(err, fleet.ErrNotAgent) {
			return err
		}
	}
	res, err := a.cfg.Ingest.Ingest(r, from)
	var ie *httpin.Error
	if errors.As(err, &ie) {
		if ie.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ie.RetryAfter))
		}
		return errf(ie.Status, ie.Code, ie.Message)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type rejection struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Reason string    `json:"reason"`
	Raw    string    `json:"raw"`
}

func (a *API) listRejections(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if a.cfg.Events == nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "no event store on this server")
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	rs, err := a.cfg.Events.Rejections(r.Context(), pg)
	if err != nil {
		return err
	}
	out := make([]rejection, len(rs))
	for i, x := range rs {
		out[i] = rejection{ID: x.ID, Time: x.Time, Source: x.Source, Reason: x.Reason, Raw: string(x.Raw)}
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(x rejection) int64 { return x.ID }))
	return nil
}
