package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

var quiet = slog.New(slog.DiscardHandler)

// testLog is the agent's log in tests: shown with -v, silent otherwise.
func testLog(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return quiet
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// output collects what server.Run prints, safely across goroutines.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

var runningAt = regexp.MustCompile(`(?m)^Vigil is running at (\S+)$`)

// testServer is a real server (server.Run) on a loopback port with its own data
// directory; it can be stopped and started again on the same port and data.
type testServer struct {
	t      *testing.T
	data   string
	listen string
	url    string
	stop   func()
}

func startServer(t *testing.T, data, listen string) *testServer {
	t.Helper()
	s := &testServer{t: t, data: data, listen: listen}
	s.start()
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	cfg := config.Default()
	cfg.Data, cfg.Listen = s.data, s.listen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	out := &output{}
	var runErr error
	go func() {
		defer close(done)
		runErr = server.Run(ctx, cfg, out, quiet)
	}()
	var once sync.Once
	s.stop = func() { once.Do(func() { cancel(); <-done }) }
	s.t.Cleanup(s.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := runningAt.FindStringSubmatch(out.String()); m != nil {
			s.url = strings.TrimSuffix(m[1], "/")
			if s.listen == "127.0.0.1:0" {
				s.listen = strings.TrimPrefix(s.url, "http://")
			}
			return
		}
		select {
		case <-done:
			s.t.Fatalf("server stopped before serving: %v\n%s", runErr, out)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatal("server did not start")
		}
	}
}

// token creates an API token on the server's data directory, as `vigil token create`.
func (s *testServer) token(role string) string {
	s.t.Helper()
	st, err := sqlite.Open(s.t.Context(), s.data)
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	_, secret, err := auth.NewService(st, time.Now, auth.DefaultPolicy, quiet).CreateToken(s.t.Context(), "cli:test@host", "fleet-"+role, role, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// agents returns GET /api/v1/agents.
func (s *testServer) agents(bearer string) []agentView {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/api/v1/agents", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Items []agentView }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		s.t.Fatal(err)
	}
	return list.Items
}

type agentView struct {
	ID        int64     `json:"id"`
	Hostname  string    `json:"hostname"`
	MachineID string    `json:"machine_id"`
	Inventory Inventory `json:"inventory"`
	Status    Status    `json:"status"`
}

// storedEvents reads every event the server stored (after it stopped).
func storedEvents(t *testing.T, data string) []map[string]any {
	t.Helper()
	ev, err := sqlite.OpenEvents(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	var out []map[string]any
	err = ev.Scan(t.Context(), time.Time{}, time.Time{}, func(se store.StoredEvent) error {
		var doc map[string]any
		if err := json.Unmarshal(se.Doc, &doc); err != nil {
			return err
		}
		out = append(out, doc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeMetadata answers like AWS's instance metadata service (IMDSv2).
func fakeMetadata(t *testing.T) *httptest.Server {
	const token = "imds-session"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" && r.URL.Path == "/latest/api/token" {
			io.WriteString(w, token)
			return
		}
		if r.Header.Get("X-aws-ec2-metadata-token") != token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/latest/meta-data/instance-id":
			io.WriteString(w, "i-0abc123")
		case "/latest/meta-data/public-ipv4":
			io.WriteString(w, "203.0.113.10")
		case "/latest/dynamic/instance-identity/document":
			io.WriteString(w, `{"instanceId":"i-0abc123","region":"ap-east-1","availabilityZone":"ap-east-1a"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is an agent configuration for tests: one file, no journal, no audit log,
// metadata from a local fake (never the real addresses), fast timers.
func testConfig(t *testing.T, serverURL, stateDir string, files ...string) Config {
	cfg := DefaultConfig()
	cfg.Server, cfg.StateDir = serverURL, stateDir
	var fs []FileSource
	for _, f := range files {
		fs = append(fs, FileSource{Path: f})
	}
	cfg.Files = &fs
	cfg.Journald.Enabled = "false"
	cfg.Auditd.Enabled = false
	cfg.HeartbeatInterval = 200 * time.Millisecond
	cfg.PollInterval = 20 * time.Millisecond
	cfg.Batch.Interval = 50 * time.Millisecond
	cfg.CloudMetadata = CloudMetadata{Enabled: false, Timeout: time.Second}
	cfg.rotateGrace = 200 * time.Millisecond
	cfg.machineIDFile = filepath.Join(t.TempDir(), "machine-id")
	os.WriteFile(cfg.machineIDFile, []byte("machine-"+strings.ReplaceAll(t.Name(), "/", "-")+"\n"), 0o644)
	return cfg
}

// runAgent runs the agent in the background; the returned function stops it and
// returns Run's error.
func runAgent(t *testing.T, cfg Config) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, Options{}, testLog(t)) }()
	var once sync.Once
	var err error
	stop = func() error { once.Do(func() { cancel(); err = <-done }); return err }
	t.Cleanup(func() { stop() })
	return stop
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}
