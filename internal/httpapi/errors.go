package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/store"
)

// apiError is the one error shape of the API: {"error":{"code":..,"message":..}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Message }

func errf(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

var (
	errUnauthorized = errf(http.StatusUnauthorized, "unauthorized", "sign in or send an API token (Authorization: Bearer ...)")
	errCSRF         = errf(http.StatusForbidden, "csrf", "missing or wrong X-CSRF-Token header for a cookie-authenticated change")
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(true)
		enc.Encode(v)
	}
}

// writeError maps an error from the stages to the API's error shape. Errors the caller
// cannot act on are logged and answered with a generic message, so internals do not leak.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var ae *apiError
	var locked *auth.LockedError
	var refused *incident.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &refused):
		status := http.StatusBadRequest
		if refused.Code == "invalid_transition" {
			status = http.StatusConflict
		}
		ae = errf(status, refused.Code, refused.Msg)
	case errors.As(err, &locked):
		secs := int(time.Until(locked.Until).Seconds()) + 1
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		ae = errf(http.StatusTooManyRequests, "rate_limited", locked.Error())
	case errors.Is(err, auth.ErrInvalid):
		ae = errf(http.StatusBadRequest, "bad_request", err.Error())
		var coded interface{ Code() string }
		if errors.As(err, &coded) && coded.Code() != "" {
			ae.Code = coded.Code()
		}
	case errors.Is(err, auth.ErrBadCode):
		ae = errf(http.StatusBadRequest, "bad_request", auth.ErrBadCode.Error())
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrUnauthorized):
		ae = errf(http.StatusUnauthorized, "unauthorized", err.Error())
	case errors.Is(err, store.ErrNotFound):
		ae = errf(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, store.ErrConflict):
		ae = errf(http.StatusConflict, "conflict", err.Error())
	default:
		log.Error("request failed", "err", err)
		ae = errf(http.StatusInternalServerError, "internal", "internal error; see the server log")
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae})
}

// maxBody bounds request bodies of the JSON API.
const maxBody = 1 << 20

// decode reads a JSON body into v, refusing unknown fields, trailing data and large bodies.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errf(http.StatusRequestEntityTooLarge, "bad_request", "request body too large")
		}
		return errf(http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
	}
	if dec.More() {
		return errf(http.StatusBadRequest, "bad_request", "invalid JSON body: trailing data")
	}
	return nil
}

// page reads ?limit= and ?cursor= into a store.Page.
func page(r *http.Request) (store.Page, error) {
	p := store.Page{Limit: 50}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, errf(http.StatusBadRequest, "bad_request", "limit must be 1..500")
		}
		p.Limit = n
	}
	if s := r.URL.Query().Get("cursor"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return p, errf(http.StatusBadRequest, "bad_request", "invalid cursor")
		}
		p.Before = n
	}
	return p, nil
}

// list is the paginated list shape.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newList[T any](items []T, p store.Page, id func(T) int64) list[T] {
	l := list[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(items) == p.Limit && len(items) > 0 {
		l.NextCursor = strconv.FormatInt(id(items[len(items)-1]), 10)
	}
	return l
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errf(http.StatusBadRequest, "bad_request", "invalid id")
	}
	return id, nil
}
