// Package httpapi serves the REST API under /api/v1, the browser login endpoints under
// /auth, health and metrics endpoints, and mounts the web UI. Every API route is declared
// once in a route table with the permission it needs; the router, the authorization
// middleware and the OpenAPI document are all built from that table.
package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/fleet"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/store"
)

// Config holds what the API needs from the rest of the platform.
type Config struct {
	Auth     *auth.Service
	Store    store.Store
	Log      *slog.Logger
	Registry *prometheus.Registry // metrics are registered here and served at /metrics
	UI       http.Handler         // serves / and /assets/; may be nil
	Events   store.EventStore     // kept rejections are read from here
	Ingest   *httpin.Handler      // POST /api/v1/ingest
	Fleet    *fleet.Service       // agents: enrolment, heartbeats, hosts
	// Incidents keeps alerts, incidents, exceptions and assets.
	Incidents *incident.Service
	// Notify delivers notifications; NotifyConfig is its configuration, shown with
	// secrets hidden.
	Notify       *notify.Dispatcher
	NotifyConfig notify.Config
	// Rules manages the live rules: listing with counters, enabling, uploads.
	Rules   *ruleset.Manager
	Version string
	// SecureCookies marks session cookies Secure (set when serving TLS).
	SecureCookies bool
}

// API is the HTTP front of the platform.
type API struct {
	cfg     Config
	log     *slog.Logger
	routes  []*Route
	limiter *ipLimiter
	metrics *metrics
}

// Route is one API endpoint. Public routes need no credentials; Perm empty means any
// signed-in caller. DuringSetup routes stay open to a user who must still change their
// password or enrol a second factor.
type Route struct {
	Method      string
	Path        string
	Perm        auth.Permission
	Public      bool
	DuringSetup bool
	UsersOnly   bool // self-service for people; API tokens have no account to change
	TokensOnly  bool // for machines (agents' heartbeats); browser sessions are refused
	Summary     string
	Tag         string
	Request     any // a value of the request body type, for the OpenAPI document
	Response    any // a value of the response body type; nil = no body
	Status      int // success status; 0 = 200
	handle      func(w http.ResponseWriter, r *http.Request, p *principal) error
}

// principal is the authenticated caller of a request.
type principal struct {
	Actor   string // audit actor: "user:ID:NAME" or "token:ID:NAME"
	Role    string
	TokenID int64          // for API tokens
	User    *store.User    // nil for API tokens
	Session *store.Session // nil for API tokens
}

// New builds the API.
func New(cfg Config) *API {
	a := &API{cfg: cfg, log: cfg.Log, limiter: newIPLimiter(10, time.Minute)}
	a.metrics = newMetrics(cfg.Registry, cfg.Version)
	a.registerRoutes()
	return a
}

// Routes returns the API route table (for tests and the OpenAPI document).
func (a *API) Routes() []*Route { return a.routes }

func (a *API) add(rt *Route) { a.routes = append(a.routes, rt) }

// Handler returns the root handler of the platform.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes {
		mux.Handle(rt.Method+" "+rt.Path, a.metrics.instrument(rt.Method+" "+rt.Path, a.apiHandler(rt)))
	}
	mux.Handle("/api/", a.metrics.instrument("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Unknown API paths answer 401 to anonymous callers, so the API's shape is not
		// revealed without credentials, and 404 in the API's error shape otherwise.
		if _, err := a.authenticate(r); err != nil {
			writeError(w, a.log, errUnauthorized)
			return
		}
		if allow := a.allowedMethods(r.URL.Path); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, a.log, errf(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path))
			return
		}
		writeError(w, a.log, errf(http.StatusNotFound, "not_found", "no such API route: "+r.Method+" "+r.URL.Path))
	})))
	mux.Handle("POST /auth/login", a.metrics.instrument("POST /auth/login", http.HandlerFunc(a.login)))
	mux.Handle("POST /auth/totp", a.metrics.instrument("POST /auth/totp", http.HandlerFunc(a.loginTOTP)))
	mux.Handle("POST /auth/logout", a.metrics.instrument("POST /auth/logout", http.HandlerFunc(a.logout)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.cfg.Store.Ping(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": errf(503, "unavailable", "store: "+err.Error())})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	metricsHandler := promhttp.HandlerFor(a.cfg.Registry, promhttp.HandlerOpts{Registry: a.cfg.Registry})
	mux.Handle("GET /metrics", a.withPrincipal(auth.PermMetricsRead, metricsHandler))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, a.log, errf(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here"))
			return
		}
		if a.cfg.UI == nil {
			http.NotFound(w, r)
			return
		}
		a.cfg.UI.ServeHTTP(w, r)
	})
	// Cross-origin state-changing requests are refused outright by the browser-origin check
	// (Sec-Fetch-Site / Origin); the per-session token checked in apiHandler backs it up
	// for old browsers.
	return a.recoverPanics(securityHeaders(http.NewCrossOriginProtection().Handler(mux)))
}

// recoverPanics turns a panic in a handler into a logged 500 in the API's error shape,
// instead of a dropped connection.
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, a.log, errf(http.StatusInternalServerError, "internal", "internal error; see the server log"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods of the routes whose path pattern matches path.
func (a *API) allowedMethods(path string) []string {
	var out []string
	got := strings.Split(path, "/")
	for _, rt := range a.routes {
		want := strings.Split(rt.Path, "/")
		if len(want) != len(got) {
			continue
		}
		match := true
		for i := range want {
			if want[i] != got[i] && !strings.HasPrefix(want[i], "{") {
				match = false
				break
			}
		}
		if match {
			out = append(out, rt.Method)
		}
	}
	return out
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// withPrincipal guards a non-API handler (metrics) with the same authentication.
func (a *API) withPrincipal(perm auth.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			writeError(w, a.log, err)
			return
		}
		if !auth.Can(p.Role, perm) {
			writeError(w, a.log, errf(http.StatusForbidden, "forbidden", "role "+p.Role+" lacks permission "+string(perm)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// apiHandler wraps a route with authentication, CSRF, account-setup gates and the
// permission check, in that order.
func (a *API) apiHandler(rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p *principal
		if !rt.Public {
			var err error
			if p, err = a.authenticate(r); err != nil {
				writeError(w, a.log, err)
				return
			}
			if err := a.authorize(r, rt, p); err != nil {
				writeError(w, a.log, err)
				return
			}
		}
		if err := rt.handle(w, r, p); err != nil {
			writeError(w, a.log, err)
		}
	})
}

func (a *API) authorize(r *http.Request, rt *Route, p *principal) error {
	if p.Session != nil && !isSafe(r.Method) {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRFToken)) != 1 {
			return errCSRF
		}
	}
	if p.User != nil && !rt.DuringSetup {
		if p.User.MustChangePassword {
			return errf(http.StatusForbidden, "password_change_required", "change your one-time password first (POST /api/v1/me/password)")
		}
		if !p.User.TOTPEnabled {
			required, err := a.cfg.Auth.TOTPRequired(r.Context(), p.User.Role)
			if err != nil {
				return err
			}
			if required {
				return errf(http.StatusForbidden, "totp_enrollment_required", "your role requires two-factor authentication: enrol first (POST /api/v1/me/totp/enroll)")
			}
		}
	}
	if rt.UsersOnly && p.User == nil {
		return errf(http.StatusForbidden, "forbidden", "this route is for signed-in users, not API tokens")
	}
	if rt.TokensOnly && p.User != nil {
		return errf(http.StatusForbidden, "forbidden", "this route is for machines' API tokens, not signed-in users")
	}
	if rt.Perm != "" && !auth.Can(p.Role, rt.Perm) {
		return errf(http.StatusForbidden, "forbidden", "role "+p.Role+" lacks permission "+string(rt.Perm))
	}
	return nil
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// authenticate identifies the caller from a bearer token or the session cookie.
func (a *API) authenticate(r *http.Request) (*principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, errf(http.StatusUnauthorized, "unauthorized", "Authorization must be 'Bearer <token>'")
		}
		k, err := a.cfg.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, auth.ErrUnauthorized) {
			return nil, errf(http.StatusUnauthorized, "unauthorized", "unknown, expired or revoked API token")
		}
		if err != nil {
			return nil, err
		}
		return &principal{Actor: tokenActor(k), Role: k.Role, TokenID: k.ID}, nil
	}
	c, err := r.Cookie(a.cookieName())
	if err != nil {
		return nil, errUnauthorized
	}
	sess, u, err := a.cfg.Auth.SessionUser(r.Context(), c.Value)
	if errors.Is(err, auth.ErrUnauthorized) {
		return nil, errf(http.StatusUnauthorized, "unauthorized", "session expired: sign in again")
	}
	if err != nil {
		return nil, err
	}
	return &principal{Actor: userActor(u), Role: u.Role, User: u, Session: sess}, nil
}

func userActor(u *store.User) string   { return "user:" + itoa(u.ID) + ":" + u.Username }
func tokenActor(k *store.Token) string { return "token:" + itoa(k.ID) + ":" + k.Name }

func clientOf(r *http.Request) auth.Client {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return auth.Client{RemoteAddr: host, UserAgent: r.UserAgent()}
}
