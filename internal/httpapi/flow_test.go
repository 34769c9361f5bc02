package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/httpapi"
	"github.com/vigilsec/vigil/internal/store"
)

// totpCode returns a code for the next time step whose code has not been used yet: the
// server refuses replays within a window, so a test that needs two codes waits for the
// next 30-second step.
func totpCode(t *testing.T, secret string, after int64) (string, int64) {
	t.Helper()
	for {
		step := time.Now().Unix() / 30
		if step > after {
			c, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				t.Fatal(err)
			}
			return c, step
		}
		time.Sleep(time.Until(time.Unix((step+1)*30, 0)))
	}
}

// The first admin's path through the API: one-time password → forced change → TOTP
// required for admins by default → enrolment → sign-in with the second factor.
func TestFirstAdminFlow(t *testing.T) {
	t.Parallel() // it waits for a fresh TOTP time step
	e := newDefaultEnv(t)
	ctx := context.Background()
	_, oneTime, _, err := e.svc.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	res := b.login("admin", oneTime)
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var me struct {
		MustChangePassword bool     `json:"must_change_password"`
		TOTPRequired       bool     `json:"totp_required"`
		TOTPEnabled        bool     `json:"totp_enabled"`
		Permissions        []string `json:"permissions"`
		CSRFToken          string   `json:"csrf_token"`
	}
	b.call("GET", "/api/v1/me", nil).json(t, &me)
	if !me.MustChangePassword || me.CSRFToken != b.csrf || len(me.Permissions) == 0 {
		t.Errorf("me = %+v", me)
	}
	if res := b.call("GET", "/api/v1/users", nil); res.Status != http.StatusForbidden || res.errCode() != "password_change_required" {
		t.Errorf("users before password change: %d %s", res.Status, res.Body)
	}
	if res := b.call("POST", "/api/v1/me/password", map[string]string{"current_password": oneTime, "new_password": "admin1234567"}); res.Status != http.StatusBadRequest || res.errCode() != "weak_password" {
		t.Errorf("weak new password: %d %s", res.Status, res.Body)
	}
	if res := b.call("POST", "/api/v1/me/password", map[string]string{"current_password": oneTime, "new_password": strongPW}); res.Status != http.StatusNoContent {
		t.Fatalf("password change: %d %s", res.Status, res.Body)
	}
	// Admins must use a second factor by default: enrol before anything else.
	for _, path := range []string{"/api/v1/users", "/api/v1/settings/security"} {
		if res := b.call("GET", path, nil); res.Status != http.StatusForbidden || res.errCode() != "totp_enrollment_required" {
			t.Errorf("%s before enrolment: %d %s", path, res.Status, res.Body)
		}
	}
	if res := b.call("PUT", "/api/v1/settings/security", map[string][]string{"totp_required_roles": {}}); res.errCode() != "totp_enrollment_required" {
		t.Errorf("an admin without TOTP lifted the requirement: %d %s", res.Status, res.Body)
	}
	var enr struct {
		Secret string `json:"secret"`
		QR     string `json:"qr_png_base64"`
	}
	res = b.call("POST", "/api/v1/me/totp/enroll", nil)
	res.json(t, &enr)
	if enr.Secret == "" || !strings.HasPrefix(enr.QR, "iVBOR") { // PNG magic, base64
		t.Fatalf("enroll: %s", res.Body)
	}
	code, step := totpCode(t, enr.Secret, 0)
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	res = b.call("POST", "/api/v1/me/totp/confirm", map[string]string{"code": code})
	res.json(t, &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	if res := b.call("GET", "/api/v1/users", nil); res.Status != http.StatusOK {
		t.Errorf("users after enrolment: %d %s", res.Status, res.Body)
	}
	if res := b.call("POST", "/auth/logout", nil); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	if res := b.call("GET", "/api/v1/me", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("me after logout: %d", res.Status)
	}

	// Second sign-in: password, then the TOTP step; the confirmation code is spent.
	b2 := e.browser()
	res = b2.call("POST", "/auth/login", map[string]string{"username": "admin", "password": strongPW})
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"totp_required"`) {
		t.Fatalf("password step: %d %s", res.Status, res.Body)
	}
	if res := b2.call("GET", "/api/v1/me", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("pending session reached the API: %d", res.Status)
	}
	if res := b2.call("POST", "/auth/totp", map[string]string{"code": code}); res.Status != http.StatusUnauthorized {
		t.Errorf("replayed code: %d %s", res.Status, res.Body)
	}
	code2, _ := totpCode(t, enr.Secret, step)
	res = b2.call("POST", "/auth/totp", map[string]string{"code": code2})
	if res.Status != http.StatusOK {
		t.Fatalf("TOTP step: %d %s", res.Status, res.Body)
	}
	var ok struct {
		CSRFToken string `json:"csrf_token"`
	}
	res.json(t, &ok)
	b2.csrf = ok.CSRFToken
	if res := b2.call("GET", "/api/v1/users", nil); res.Status != http.StatusOK {
		t.Errorf("users after TOTP sign-in: %d", res.Status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.user("ann", auth.RoleAdmin)
	b := e.browser()
	b.login("ann", strongPW)
	body := map[string]string{"name": "x", "role": "viewer"}
	if res := e.do(b.c, "POST", "/api/v1/tokens", body, nil); res.Status != http.StatusForbidden || res.errCode() != "csrf" {
		t.Errorf("no CSRF header: %d %s", res.Status, res.Body)
	}
	if res := e.do(b.c, "POST", "/api/v1/tokens", body, map[string]string{"X-CSRF-Token": "wrong"}); res.errCode() != "csrf" {
		t.Errorf("wrong CSRF header: %d %s", res.Status, res.Body)
	}
	if res := e.do(b.c, "POST", "/auth/logout", nil, nil); res.errCode() != "csrf" {
		t.Errorf("logout without CSRF header: %d %s", res.Status, res.Body)
	}
	// A cross-site request is refused even with the right token (browser-origin check).
	hdr := map[string]string{"X-CSRF-Token": b.csrf, "Sec-Fetch-Site": "cross-site"}
	if res := e.do(b.c, "POST", "/api/v1/tokens", body, hdr); res.Status != http.StatusForbidden {
		t.Errorf("cross-site request: %d %s", res.Status, res.Body)
	}
	if res := e.do(nil, "POST", "/auth/login", map[string]string{"username": "ann", "password": strongPW},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); res.Status != http.StatusForbidden {
		t.Errorf("cross-site login: %d", res.Status)
	}
	if res := b.call("POST", "/api/v1/tokens", body); res.Status != http.StatusCreated {
		t.Errorf("with CSRF header: %d %s", res.Status, res.Body)
	}
	// Reads need no token; bearer calls are not subject to CSRF.
	if res := e.do(b.c, "GET", "/api/v1/tokens", nil, nil); res.Status != http.StatusOK {
		t.Errorf("read without CSRF header: %d", res.Status)
	}
	if res := e.bearer(e.token(auth.RoleAdmin), "POST", "/api/v1/tokens", body); res.Status != http.StatusCreated {
		t.Errorf("bearer change: %d %s", res.Status, res.Body)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	e := newEnv(t)
	e.user("bea", auth.RoleViewer)
	res := e.browser().login("bea", strongPW)
	c := res.Header.Get("Set-Cookie")
	for _, want := range []string{"vigil_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Secure") {
		t.Errorf("Secure cookie over plain HTTP: %q", c)
	}
}

func TestLoginRateLimitAndLockout(t *testing.T) {
	e := newEnv(t)
	e.user("cat", auth.RoleViewer)
	var last response
	for i := range 5 {
		last = e.do(nil, "POST", "/auth/login", map[string]string{"username": "cat", "password": "nope"}, nil)
		if i < 4 && last.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i, last.Status, last.Body)
		}
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("fifth failure: %d %s, want 429 with Retry-After (lockout)", last.Status, last.Body)
	}
	if res := e.do(nil, "POST", "/auth/login", map[string]string{"username": "cat", "password": strongPW}, nil); res.Status != http.StatusTooManyRequests {
		t.Errorf("right password while locked: %d", res.Status)
	}
	// The per-address limit: the burst is ten attempts a minute whatever the user names.
	var limited bool
	for range 10 {
		res := e.do(nil, "POST", "/auth/login", map[string]string{"username": "ghost", "password": "x"}, nil)
		if res.Status == http.StatusTooManyRequests && res.errCode() == "rate_limited" && strings.Contains(string(res.Body), "address") {
			limited = true
		}
	}
	if !limited {
		t.Error("no per-address rate limit after 16 attempts")
	}
	m := e.bearer(e.token(auth.RoleViewer), "GET", "/metrics", nil)
	if !strings.Contains(string(m.Body), `vigil_login_failures_total{reason="locked"}`) ||
		!strings.Contains(string(m.Body), `vigil_login_failures_total{reason="rate_limited"}`) {
		t.Errorf("metrics lack login failure counts:\n%s", m.Body)
	}
}

func TestErrorsAndLimits(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleAdmin)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"bad JSON", "POST", "/api/v1/users", `{"username":`, 400, "bad_request"},
		{"unknown field", "POST", "/api/v1/users", `{"username":"x","role":"viewer","admin":true}`, 400, "bad_request"},
		{"trailing data", "POST", "/api/v1/users", `{"username":"xy","role":"viewer"} {}`, 400, "bad_request"},
		{"huge body", "POST", "/api/v1/users", `{"username":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "bad_request"},
		{"bad role", "POST", "/api/v1/users", `{"username":"xy","role":"root"}`, 400, "bad_request"},
		{"bad name", "POST", "/api/v1/users", `{"username":"a b","role":"viewer"}`, 400, "bad_request"},
		{"bad id", "GET", "/api/v1/users/abc", nil, 400, "bad_request"},
		{"missing", "GET", "/api/v1/users/12345", nil, 404, "not_found"},
		{"bad limit", "GET", "/api/v1/users?limit=0", nil, 400, "bad_request"},
		{"bad cursor", "GET", "/api/v1/audit?cursor=x", nil, 400, "bad_request"},
		{"method", "DELETE", "/api/v1/me", nil, 405, ""},
		{"token expiry", "POST", "/api/v1/tokens", `{"name":"x","role":"viewer","expires_in_days":-1}`, 400, "bad_request"},
		{"not bearer", "GET", "/api/v1/me", nil, 401, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Authorization": "Bearer " + tok}
			if tc.name == "not bearer" {
				hdr["Authorization"] = "Basic YWRtaW46eA=="
			}
			res := e.do(nil, tc.method, tc.path, tc.body, hdr)
			if res.Status != tc.status || tc.code != "" && res.errCode() != tc.code {
				t.Errorf("%d %s, want %d %s", res.Status, res.Body, tc.status, tc.code)
			}
		})
	}
	if res := e.bearer(tok, "POST", "/api/v1/users", map[string]string{"username": "dup", "role": "viewer"}); res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	if res := e.bearer(tok, "POST", "/api/v1/users", map[string]string{"username": "DUP", "role": "viewer"}); res.Status != http.StatusConflict {
		t.Errorf("duplicate: %d %s", res.Status, res.Body)
	}
}

func TestPaginationAndAuditOfAPIChanges(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleAdmin)
	for _, n := range []string{"u1", "u2", "u3"} {
		var created struct {
			User     struct{ ID int64 } `json:"user"`
			Password string             `json:"password"`
		}
		res := e.bearer(tok, "POST", "/api/v1/users", map[string]string{"username": n, "role": "analyst"})
		res.json(t, &created)
		if created.Password == "" || created.User.ID == 0 {
			t.Fatalf("create %s: %s", n, res.Body)
		}
	}
	var page1, page2 struct {
		Items []struct {
			Username string `json:"username"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	e.bearer(tok, "GET", "/api/v1/users?limit=2", nil).json(t, &page1)
	if len(page1.Items) != 2 || page1.NextCursor == "" || page1.Items[0].Username != "u3" {
		t.Fatalf("page 1: %+v", page1)
	}
	e.bearer(tok, "GET", "/api/v1/users?limit=2&cursor="+page1.NextCursor, nil).json(t, &page2)
	if len(page2.Items) != 1 || page2.NextCursor != "" || page2.Items[0].Username != "u1" {
		t.Fatalf("page 2: %+v", page2)
	}
	role := "responder"
	e.bearer(tok, "PATCH", "/api/v1/users/2", map[string]any{"role": role, "disabled": true})
	e.bearer(tok, "POST", "/api/v1/users/2/reset-password", nil)
	e.bearer(tok, "DELETE", "/api/v1/tokens/1", nil) // revokes itself
	if res := e.bearer(tok, "GET", "/api/v1/me", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", res.Status)
	}
	var entries []*store.AuditEntry
	e.store.View(context.Background(), func(tx store.Tx) error {
		return tx.ScanAudit(func(a *store.AuditEntry) error { entries = append(entries, a); return nil })
	})
	var got []string
	for _, a := range entries {
		got = append(got, a.Action+" by "+a.Actor)
	}
	want := []string{"settings.totp_required_roles by test", "token.create by test", "user.create by token:1:t-admin", "user.create by token:1:t-admin",
		"user.create by token:1:t-admin", "user.update by token:1:t-admin", "user.reset_password by token:1:t-admin",
		"token.revoke by token:1:t-admin"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	upd := entries[5]
	if !strings.Contains(upd.Before, `"role":"analyst"`) || !strings.Contains(upd.After, `"role":"responder"`) || !strings.Contains(upd.After, `"disabled":true`) {
		t.Errorf("user.update before/after: %s → %s", upd.Before, upd.After)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if res := e.do(nil, "GET", p, nil, nil); res.Status != http.StatusOK {
			t.Errorf("%s: %d", p, res.Status)
		}
	}
	if res := e.do(nil, "GET", "/metrics", nil, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("metrics without credentials: %d", res.Status)
	}
	tok := e.token(auth.RoleViewer)
	e.bearer(tok, "GET", "/api/v1/me", nil)
	res := e.bearer(tok, "GET", "/metrics", nil)
	for _, want := range []string{`vigil_http_requests_total{code="200",route="GET /api/v1/me"} 1`, `vigil_build_info{version="test"} 1`} {
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if res := e.do(nil, "GET", "/", nil, nil); res.Status != http.StatusOK || string(res.Body) != "ui" || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("UI: %d %q %v", res.Status, res.Body, res.Header)
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t)
	api := httpapi.New(httpapi.Config{Auth: e.svc, Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(), Version: "test", SecureCookies: true})
	srv := httptest.NewTLSServer(api.Handler())
	defer srv.Close()
	e.user("dan", auth.RoleViewer)
	res, err := srv.Client().Post(srv.URL+"/auth/login", "application/json", strings.NewReader(`{"username":"dan","password":"`+strongPW+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c := res.Header.Get("Set-Cookie")
	if !strings.HasPrefix(c, "__Host-vigil_session=") || !strings.Contains(c, "Secure") || !strings.Contains(c, "Path=/") {
		t.Errorf("Set-Cookie over TLS = %q", c)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header over TLS")
	}
}
