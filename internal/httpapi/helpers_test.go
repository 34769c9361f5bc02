package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/fleet"
	"github.com/vigilsec/vigil/internal/httpapi"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const strongPW = "Tangerine-Volcano-Quartz-88"

type env struct {
	t        testing.TB
	api      *httpapi.API
	srv      *httptest.Server
	svc      *auth.Service
	store    store.Store
	events   store.EventStore
	ingester *ingest.Ingester
	// incidents is the incident stage; alerts reach it when a detector is set.
	incidents *incident.Service
}

// newEnv returns a test platform where no role requires TOTP, so tests can sign in with a
// password alone; newDefaultEnv keeps the shipped default (admins must enrol).
func newEnv(t testing.TB) *env {
	t.Helper()
	e := newDefaultEnv(t)
	if err := e.svc.SetTOTPRequiredRoles(context.Background(), "test", nil); err != nil {
		t.Fatal(err)
	}
	return e
}

func newDefaultEnv(t testing.TB) *env {
	t.Helper()
	return newEnvIngest(t, ingest.Options{})
}

// newEnvIngest is newDefaultEnv with the Ingester's options (a detector, say).
func newEnvIngest(t testing.TB, opts ingest.Options) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	events, err := sqlite.OpenEvents(context.Background(), st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { events.Close() })
	svc := auth.NewService(st, time.Now, auth.DefaultPolicy, log)
	reg := prometheus.NewRegistry()
	opts.MaxInFlight, opts.Wait = 2, 50*time.Millisecond
	cat, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	iopts := incident.Options{Config: incident.DefaultConfig(), Log: log}
	var rules *ruleset.Manager
	switch eng := opts.Detector.(type) {
	case *detect.Engine:
		iopts.Engine = eng
	case *ruleset.Set:
		iopts.Engine = eng
		rules = ruleset.NewManager(eng, st, time.Now)
	}
	incidents, err := incident.New(st, cat, iopts)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Detector != nil && opts.Alerts == nil {
		opts.Alerts = func(ctx context.Context, r []ingest.Raised) error { return incidents.Keep(ctx, r) }
	}
	ingester := ingest.New(events, reg, opts)
	api := httpapi.New(httpapi.Config{Auth: svc, Store: st, Log: log, Registry: reg,
		UI:     http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ui") }),
		Events: events, Ingest: httpin.New(ingester, time.Now), Fleet: fleet.New(st, time.Now), Incidents: incidents, Rules: rules, Version: "test"})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, api: api, srv: srv, svc: svc, store: st, events: events, ingester: ingester, incidents: incidents}
}

// token creates an API token of role and returns its secret.
func (e *env) token(role string) string {
	e.t.Helper()
	_, secret, err := e.svc.CreateToken(context.Background(), "test", "t-"+role, role, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// user creates a signed-up user (strong password, no one-time password) of role.
func (e *env) user(name, role string) *store.User {
	e.t.Helper()
	u, _, err := e.svc.CreateUser(context.Background(), "test", name, role, strongPW)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errCode returns the error code of an error response, or "" if the body is not one.
func (r response) errCode() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// browser is an HTTP client with a cookie jar, standing for one signed-in browser.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar}}
}

func (e *env) do(c *http.Client, method, path string, body any, hdr map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = bytes.NewBufferString(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// bearer calls the API with an API token.
func (e *env) bearer(secret, method, path string, body any) response {
	e.t.Helper()
	return e.do(nil, method, path, body, map[string]string{"Authorization": "Bearer " + secret})
}

// call makes a request as the browser, sending its CSRF token on changes.
func (b *browser) call(method, path string, body any) response {
	b.e.t.Helper()
	hdr := map[string]string{}
	if b.csrf != "" && method != http.MethodGet {
		hdr["X-CSRF-Token"] = b.csrf
	}
	return b.e.do(b.c, method, path, body, hdr)
}

func (b *browser) login(user, pw string) response {
	b.e.t.Helper()
	res := b.call("POST", "/auth/login", map[string]string{"username": user, "password": pw})
	var out struct {
		Status    string `json:"status"`
		CSRFToken string `json:"csrf_token"`
	}
	if res.Status == http.StatusOK {
		res.json(b.e.t, &out)
		b.csrf = out.CSRFToken
	}
	return res
}
