package cli_test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/demo"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/server"
)

// demoAlert is what the test reads of GET /api/v1/alerts.
type demoAlert struct {
	Time time.Time
	Rule struct {
		Title string
		Tags  []string
	}
}

// allAlerts pages through GET /api/v1/alerts.
func allAlerts(t *testing.T, base, token string) []demoAlert {
	t.Helper()
	var out []demoAlert
	cursor := ""
	for {
		var page struct {
			Items      []demoAlert
			NextCursor string `json:"next_cursor"`
		}
		u := base + "api/v1/alerts?limit=100"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		if code := getJSON(t, u, token, &page); code != http.StatusOK {
			t.Fatalf("GET %s: %d", u, code)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// demoTechniques is the union of the techniques the scenario's stages name, as tags.
func demoTechniques(t *testing.T) []string {
	t.Helper()
	sc, err := demo.Render(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, st := range sc.Stages {
		for _, id := range st.Techniques {
			tags = append(tags, matrix.TagFor(id))
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// TestDemoAgainstServer runs `vigil demo` against a real server on a fresh data
// directory, letting the demo issue (and revoke) its own token, and reads the alerts it
// raised through the API.
func TestDemoAgainstServer(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Data, cfg.Listen = dir, "127.0.0.1:0"
	out := newOutput()
	done, _ := runInBackground(t, func(ctx context.Context) { server.Run(ctx, cfg, out, quiet) })
	url := out.waitURL(t, done)
	began := time.Now()

	r := mustVigil(t, "", "demo", "--server", url, "--data-dir", dir, "--pace", "0")
	for _, want := range []string{"Issued ingest token 1 in " + dir, "[1/9] ", "[9/9] ", "accepted 13 events, rejected 0",
		"Done: ", url + "#/alerts", url + "#/matrix"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, r.stdout)
		}
	}
	if e := newestAudit(t, dir); e.Action != "token.revoke" || e.Actor != "demo" || !strings.Contains(e.Target, "token:1:") {
		t.Errorf("newest audit entry %q of %q by %q, want the demo revoking its token 1", e.Action, e.Target, e.Actor)
	}
	if list := mustVigil(t, "", "token", "list", "--data", dir); !regexp.MustCompile(`(?m)^1\s+demo\s+ingest\s+\S+\s+revoked\s`).MatchString(list.stdout) {
		t.Errorf("the demo's token is not revoked:\n%s", list.stdout)
	}

	_, admin := createToken(t, dir, "--role", "admin", "--name", "check")
	alerts := allAlerts(t, url, admin)
	if len(alerts) < 9 {
		t.Fatalf("%d alerts after the demo, want at least one per stage", len(alerts))
	}
	var tags []string
	joined := false
	for _, a := range alerts {
		// The demo registered web-01 as an EC2 instance: the theft of its role
		// credentials on the host joins their use from the attacker's address.
		joined = joined || a.Rule.Title == "Instance Role Credentials Taken From the Metadata Service Then Used Elsewhere"
		if a.Time.Before(began.Add(-11*time.Minute)) || a.Time.After(time.Now()) {
			t.Errorf("alert %q at %s, outside the last ten minutes", a.Rule.Title, a.Time)
		}
		for _, tag := range a.Rule.Tags {
			if strings.HasPrefix(tag, "cs.") {
				tags = append(tags, tag)
			}
		}
	}
	if !joined {
		t.Error("no alert of the joined host and cloud rule")
	}
	slices.Sort(tags)
	if got, want := slices.Compact(tags), demoTechniques(t); !slices.Equal(got, want) {
		t.Errorf("the alerts are tagged %v; the scenario names %v", got, want)
	}
	// The alerts share the attacker's address, the host and the access key, so the
	// incident stage gathers all of them into one incident.
	var incidents struct {
		Items []struct {
			ID         int64
			Title      string
			AlertCount int `json:"alert_count"`
		}
	}
	if code := getJSON(t, url+"api/v1/incidents", admin, &incidents); code != http.StatusOK {
		t.Fatalf("GET /api/v1/incidents: %d", code)
	}
	if len(incidents.Items) != 1 || incidents.Items[0].AlertCount != len(alerts) {
		t.Errorf("incidents after the demo: %+v; want one holding all %d alerts", incidents.Items, len(alerts))
	}

	// A second run with a token from the environment issues none, finds the server where
	// the configuration says it listens (a wildcard address is reached on loopback), and
	// its events are new ones, so its alerts are raised again.
	_, ingest := createToken(t, dir, "--role", "ingest", "--name", "forwarder")
	t.Setenv("VIGIL_TOKEN", ingest)
	_, port, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_LISTEN", ":"+port)
	r = mustVigil(t, "", "demo", "--data", t.TempDir(), "--pace", "0")
	if strings.Contains(r.stdout, "Issued") || !strings.Contains(r.stdout, "against http://127.0.0.1:"+port) {
		t.Errorf("want the server of VIGIL_LISTEN and no token issued:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "already stored") {
		t.Errorf("the second run's events were taken for the first run's:\n%s", r.stdout)
	}

	t.Run("refused token", func(t *testing.T) {
		r := vigil(t, "", "demo", "--server", url, "--token", "vgl_notatoken", "--pace", "0")
		wantFailure(t, r, "the server refused the registration of the demo host web-01: 401 Unauthorized")
	})
	t.Run("data directory of another server", func(t *testing.T) {
		t.Setenv("VIGIL_TOKEN", "")
		other, _ := newDataDir(t)
		r := vigil(t, "", "demo", "--server", url, "--data", other, "--pace", "0")
		wantFailure(t, r, "is that the data directory of the server at "+strings.TrimSuffix(url, "/"))
		if e := newestAudit(t, other); e.Action != "token.revoke" || e.Actor != "demo" {
			t.Errorf("newest audit entry of the other directory %q by %q, want the demo revoking its token", e.Action, e.Actor)
		}
	})
}

// TestDemoFailures checks the messages of a demo that cannot start.
func TestDemoFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	r := vigil(t, "", "demo", "--server", closed, "--token", "vgl_x")
	wantFailure(t, r, "cannot reach the Vigil server at "+closed)
	if !strings.Contains(r.stderr, "make run") {
		t.Errorf("the message does not say how to start the server:\n%s", r.stderr)
	}
	wantFailure(t, vigil(t, "", "demo", "--server", "127.0.0.1:8080"), `want a URL such as http://127.0.0.1:8080`)
	wantFailure(t, vigil(t, "", "demo", "--pace", "-1s"), "--pace must not be negative")

	// Without a token the demo needs the data directory, after it found the server.
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	})}
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	missing := t.TempDir() + "/typo"
	r = vigil(t, "", "demo", "--server", "http://"+ln.Addr().String(), "--data", missing)
	wantFailure(t, r, "no token given (--token or VIGIL_TOKEN), and none can be issued: no Vigil data in "+missing)
}
