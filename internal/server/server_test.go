package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/httpapi"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var quiet = slog.New(slog.DiscardHandler)

// output is the writer given to Run as out: safe to share and possible to wait on.
type output struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b.Write(p)
	o.mu.Unlock()
	select {
	case o.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

var (
	runningAt     = regexp.MustCompile(`(?m)^Vigil is running at (\S+)$`)
	printedUser   = regexp.MustCompile(`(?m)^  username: (\S+)$`)
	printedSecret = regexp.MustCompile(`(?m)^  password: (\S+)$`)
)

// instance is a server.Run running in the background.
type instance struct {
	url  string
	out  *output
	stop func() error // cancels Run's context and returns what Run returned
}

func testConfig(dataDir string) config.Config {
	cfg := config.Default()
	cfg.Data, cfg.Listen = dataDir, "127.0.0.1:0"
	return cfg
}

// start runs the server until the test ends or stop is called, and waits until it
// announces its URL.
func start(t *testing.T, cfg config.Config) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	inst := &instance{out: &output{wrote: make(chan struct{}, 1)}}
	go func() {
		defer close(done)
		runErr = server.Run(ctx, cfg, inst.out, quiet)
	}()
	inst.stop = sync.OnceValue(func() error { cancel(); <-done; return runErr })
	t.Cleanup(func() { inst.stop() })
	for {
		if m := runningAt.FindStringSubmatch(inst.out.String()); m != nil {
			inst.url = m[1]
			return inst
		}
		select {
		case <-inst.out.wrote:
		case <-done:
			t.Fatalf("Run returned %v before serving; it printed:\n%s", runErr, inst.out)
		}
	}
}

// stopped stops the instance and fails the test unless Run returned nil.
func (inst *instance) stopped(t *testing.T) {
	t.Helper()
	if err := inst.stop(); err != nil {
		t.Errorf("Run after cancel = %v, want nil (graceful shutdown)", err)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, method, url, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// loginStatus signs in over HTTP and returns the status code and the "status" field.
func loginStatus(t *testing.T, c *http.Client, url, user, password string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	r := do(t, c, "POST", url+"auth/login", string(body))
	var res struct{ Status string }
	json.Unmarshal(r.body, &res)
	return r.status, res.Status
}

func TestRunFirstStartAndRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	inst := start(t, testConfig(dir))
	c := http.DefaultClient

	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/$`).MatchString(inst.url) {
		t.Errorf("URL %q, want http://127.0.0.1:PORT/", inst.url)
	}
	user, pw := printedUser.FindStringSubmatch(inst.out.String()), printedSecret.FindStringSubmatch(inst.out.String())
	if user == nil || pw == nil || user[1] != "admin" {
		t.Fatalf("first start did not print the admin's credentials:\n%s", inst.out)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("data directory: %v, %v; want a directory only its owner can open", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Errorf("database: %v", err)
	}
	for _, path := range []string{"healthz", "readyz"} {
		if r := do(t, c, "GET", inst.url+path, ""); r.status != http.StatusOK {
			t.Errorf("GET /%s: %d %s", path, r.status, r.body)
		}
	}
	if code, status := loginStatus(t, c, inst.url, "admin", pw[1]); code != http.StatusOK || status != "ok" {
		t.Errorf("sign-in with the printed password: %d %q", code, status)
	}
	inst.stopped(t)

	// The second start finds the admin and prints no new credentials; the first ones work.
	again := start(t, testConfig(dir))
	if strings.Contains(again.out.String(), "password:") || strings.Contains(again.out.String(), "username:") {
		t.Errorf("restart printed credentials again:\n%s", again.out)
	}
	if code, status := loginStatus(t, c, again.url, "admin", pw[1]); code != http.StatusOK || status != "ok" {
		t.Errorf("sign-in after restart with the first password: %d %q", code, status)
	}
	again.stopped(t)
}

// TestAPINeedsCredentials sends every API route of the route table, without credentials,
// to a running server: all but the public ones answer 401.
func TestAPINeedsCredentials(t *testing.T) {
	inst := start(t, testConfig(t.TempDir()))
	c := http.DefaultClient

	// The route table the server registers (built the same way, with an unused registry).
	routes := httpapi.New(httpapi.Config{Log: quiet, Registry: prometheus.NewRegistry()}).Routes()
	if len(routes) < 2 {
		t.Fatalf("the route table has %d routes", len(routes))
	}

	// The served OpenAPI document lists exactly these routes.
	r := do(t, c, "GET", inst.url+"api/v1/openapi.json", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json without credentials: %d", r.status)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	if len(documented) != len(routes) {
		t.Errorf("the OpenAPI document has %d operations, the route table %d", len(documented), len(routes))
	}

	var public int
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		if !documented[name] {
			t.Errorf("%s is missing from the served OpenAPI document", name)
		}
		url := inst.url + strings.TrimPrefix(strings.ReplaceAll(rt.Path, "{id}", "1"), "/")
		body := ""
		if rt.Method != "GET" && rt.Method != "DELETE" {
			body = "{}"
		}
		r := do(t, c, rt.Method, url, body)
		if rt.Public {
			public++
			if r.status != http.StatusOK {
				t.Errorf("%s (public) without credentials: %d, want 200", name, r.status)
			}
			continue
		}
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(r.body, &e)
		if r.status != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
			t.Errorf("%s without credentials: %d %s, want 401 unauthorized", name, r.status, bytes.TrimSpace(r.body))
		}
	}
	if public != 1 {
		t.Errorf("%d public API routes, want only the OpenAPI document", public)
	}

	// Outside the table: metrics, unknown API paths, and credentials that are not valid.
	for _, tt := range []struct {
		method, path string
		header       []string
	}{
		{"GET", "metrics", nil},
		{"GET", "api/v1/no-such-route", nil},
		{"DELETE", "api/v1/users/1", nil},
		{"GET", "api/v1/me", []string{"Authorization", "Bearer vgl_notarealtoken"}},
		{"GET", "api/v1/me", []string{"Authorization", "Basic YWRtaW46YWRtaW4="}},
		{"GET", "api/v1/me", []string{"Cookie", "vigil_session=forged"}},
	} {
		if r := do(t, c, tt.method, inst.url+tt.path, "", tt.header...); r.status != http.StatusUnauthorized {
			t.Errorf("%s /%s %v: %d, want 401", tt.method, tt.path, tt.header, r.status)
		}
	}
	inst.stopped(t)
}

// TestRunFailsCleanly checks that Run reports a setup problem as an error instead of
// serving.
func TestRunFailsCleanly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		change func(c *config.Config)
		want   string
	}{
		{"address in use", func(c *config.Config) { c.Listen = busy.Addr().String() }, "listen:"},
		{"data directory is a file", func(c *config.Config) { c.Data = notADir }, "data directory:"},
		{"missing certificate", func(c *config.Config) {
			c.TLS.Cert, c.TLS.Key = filepath.Join(t.TempDir(), "absent.crt"), filepath.Join(t.TempDir(), "absent.key")
		}, "tls:"},
		{"certificate not PEM", func(c *config.Config) { c.TLS.Cert, c.TLS.Key = garbage, garbage }, "tls:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			tt.change(&cfg)
			out := &output{wrote: make(chan struct{}, 1)}
			err := server.Run(t.Context(), cfg, out, quiet)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(out.String(), "Vigil is running") {
				t.Errorf("Run announced a URL although it failed:\n%s", out)
			}
		})
	}
}
