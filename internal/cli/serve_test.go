package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/cli"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// output is a writer that goroutines may share and that tests can wait on.
type output struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func newOutput() *output { return &output{wrote: make(chan struct{}, 1)} }

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

var runningAt = regexp.MustCompile(`(?m)^Vigil is running at (\S+)$`)

// waitURL waits until the server announces its URL, or fails if done closes first.
func (o *output) waitURL(t *testing.T, done <-chan struct{}) string {
	t.Helper()
	for {
		if m := runningAt.FindStringSubmatch(o.String()); m != nil {
			return m[1]
		}
		select {
		case <-o.wrote:
		case <-done:
			if m := runningAt.FindStringSubmatch(o.String()); m != nil {
				return m[1]
			}
			t.Fatalf("the server stopped before it was ready; it printed:\n%s", o)
		}
	}
}

// runInBackground runs fn with a context that is cancelled by the returned stop function
// (and at the end of the test); stop waits for fn to return.
func runInBackground(t *testing.T, fn func(ctx context.Context)) (done <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	go func() { defer close(d); fn(ctx) }()
	stop = func() { cancel(); <-d }
	t.Cleanup(stop)
	return d, stop
}

func getJSON(t *testing.T, url, bearer string, v any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestAdminCommandsWhileServing runs admin commands on the data directory of a running
// server and uses their results against it.
func TestAdminCommandsWhileServing(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Data, cfg.Listen = dir, "127.0.0.1:0"
	out := newOutput()
	var runErr error
	done, stop := runInBackground(t, func(ctx context.Context) { runErr = server.Run(ctx, cfg, out, quiet) })
	url := out.waitURL(t, done)

	_, secret := createToken(t, dir, "--role", "admin", "--name", "ci")
	var me struct{ Role, Kind, Username string }
	if code := getJSON(t, url+"api/v1/me", secret, &me); code != http.StatusOK {
		t.Fatalf("GET /api/v1/me with the new token: %d", code)
	}
	if me.Role != "admin" || me.Kind != "token" || !strings.Contains(me.Username, "ci") {
		t.Errorf("/api/v1/me = %+v, want the admin token ci", me)
	}

	r := mustVigil(t, "", "user", "add", "bob", "--role", "analyst", "--data", dir)
	var users struct {
		Items []struct{ Username, Role string }
	}
	if code := getJSON(t, url+"api/v1/users", secret, &users); code != http.StatusOK {
		t.Fatalf("GET /api/v1/users: %d", code)
	}
	if len(users.Items) != 2 || users.Items[0].Username != "bob" || users.Items[0].Role != "analyst" {
		t.Errorf("the server does not see the user the CLI added: %+v\n%s", users.Items, r.stdout)
	}

	mustVigil(t, "", "token", "revoke", "1", "--data", dir)
	if code := getJSON(t, url+"api/v1/me", secret, nil); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me with the token revoked by the CLI: %d, want 401", code)
	}
	if r := mustVigil(t, "", "audit", "verify", "--data", dir); !strings.HasPrefix(r.stdout, "audit log OK") {
		t.Errorf("audit verify while serving: %q", r.stdout)
	}

	stop()
	if runErr != nil {
		t.Errorf("server.Run after cancel = %v, want nil", runErr)
	}
}

// TestServeCommand starts `vigil serve` through the command line and stops it by
// cancelling its context.
func TestServeCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stdout, stderr := newOutput(), newOutput()
	code := -1
	done, stop := runInBackground(t, func(ctx context.Context) {
		code = cli.Execute(ctx, []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json"},
			strings.NewReader(""), stdout, stderr)
	})
	url := stdout.waitURL(t, done)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("URL %q, want http://127.0.0.1:PORT/", url)
	}
	if !strings.Contains(stdout.String(), "  username: admin\n") {
		t.Errorf("first start did not print the admin account:\n%s", stdout)
	}
	if code := getJSON(t, url+"healthz", "", nil); code != http.StatusOK {
		t.Errorf("GET /healthz: %d", code)
	}
	stop()
	if code != 0 {
		t.Errorf("serve exited %d after cancel, want 0; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Errorf("serve did not create the database: %v", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"vigil serving"`) {
		t.Errorf("--log-format json did not give a JSON log:\n%s", stderr)
	}
}

// TestServeRefusesBadConfiguration checks that serve reports a bad configuration instead
// of starting.
func TestServeRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"log format", []string{"--log-format", "xml"}, `log format "xml"`},
		{"log level", []string{"--log-level", "loud"}, `log level "loud"`},
		{"cert without key", []string{"--tls-cert", "c.pem"}, "tls cert and key must be given together"},
		{"cert and self-signed", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed"}, "not both"},
		{"bool flag", []string{"--tls-self-signed=maybe"}, `invalid argument "maybe"`},
		{"argument", []string{"now"}, `unknown command "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			args := append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}, tt.args...)
			wantFailure(t, vigil(t, "", args...), tt.want)
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("serve created the data directory despite the bad configuration")
			}
		})
	}
}
