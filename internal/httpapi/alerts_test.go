package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/ingest"
)

// bruteForceLog is the positive case of the built-in rule "SSH Brute Force Followed by
// a Successful Login": twelve failed passwords, then a login, from one address.
const bruteForceLog = `Nov 28 10:00:01 web-1 sshd[2100]: Failed password for root from 203.0.113.5 port 52100 ssh2
Nov 28 10:00:08 web-1 sshd[2101]: Failed password for root from 203.0.113.5 port 52102 ssh2
Nov 28 10:00:15 web-1 sshd[2102]: Failed password for root from 203.0.113.5 port 52104 ssh2
Nov 28 10:00:22 web-1 sshd[2103]: Failed password for root from 203.0.113.5 port 52106 ssh2
Nov 28 10:00:29 web-1 sshd[2104]: Failed password for root from 203.0.113.5 port 52108 ssh2
Nov 28 10:00:36 web-1 sshd[2105]: Failed password for root from 203.0.113.5 port 52110 ssh2
Nov 28 10:00:43 web-1 sshd[2106]: Failed password for root from 203.0.113.5 port 52112 ssh2
Nov 28 10:00:50 web-1 sshd[2107]: Failed password for root from 203.0.113.5 port 52114 ssh2
Nov 28 10:00:57 web-1 sshd[2108]: Failed password for root from 203.0.113.5 port 52116 ssh2
Nov 28 10:01:04 web-1 sshd[2109]: Failed password for root from 203.0.113.5 port 52118 ssh2
Nov 28 10:01:11 web-1 sshd[2110]: Failed password for root from 203.0.113.5 port 52120 ssh2
Nov 28 10:01:18 web-1 sshd[2111]: Failed password for root from 203.0.113.5 port 52122 ssh2
Nov 28 10:02:10 web-1 sshd[2300]: Accepted password for root from 203.0.113.5 port 53000 ssh2
`

type alertList struct {
	Items []struct {
		ID   int64  `json:"id"`
		Time string `json:"time"`
		Rule struct {
			ID    string   `json:"id"`
			Title string   `json:"title"`
			Level string   `json:"level"`
			Tags  []string `json:"tags"`
			Kind  string   `json:"kind"`
		} `json:"rule"`
		EventIDs []string       `json:"event_ids"`
		Alert    map[string]any `json:"alert"`
	} `json:"items"`
}

func TestLiveDetection(t *testing.T) {
	engine, _, _ := detect.Builtin()
	e := newEnvIngest(t, ingest.Options{Detector: engine})
	ingestTok, viewer := e.token(auth.RoleIngest), e.token(auth.RoleViewer)

	alerts := func() alertList {
		t.Helper()
		var l alertList
		res := e.bearer(viewer, "GET", "/api/v1/alerts", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/alerts = %d %s", res.Status, res.Body)
		}
		res.json(t, &l)
		return l
	}
	if l := alerts(); len(l.Items) != 0 {
		t.Fatalf("alerts before ingestion = %+v", l.Items)
	}

	res := e.post(ingestTok, "/api/v1/ingest", "text/plain", []byte(bruteForceLog), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("ingest = %d %s", res.Status, res.Body)
	}
	const rule = "ebaeacae-f0d0-4ea2-9bf0-123c75cc5d6f"
	count := func(l alertList) int {
		n := 0
		for _, a := range l.Items {
			if a.Rule.ID == rule {
				n++
			}
		}
		return n
	}
	l := alerts()
	if count(l) != 1 {
		t.Fatalf("alerts of the brute-force rule = %d; all: %+v", count(l), l.Items)
	}
	for _, a := range l.Items {
		if a.Rule.ID != rule {
			continue
		}
		if a.Rule.Title != "SSH Brute Force Followed by a Successful Login" || a.Rule.Level != "high" ||
			a.Rule.Kind != "correlation" || !strings.Contains(strings.Join(a.Rule.Tags, " "), "attack.t1110.001") ||
			len(a.EventIDs) == 0 || a.Alert["rule"] == nil || a.Time == "" {
			t.Errorf("alert = %+v", a)
		}
	}
	total := len(l.Items)

	// The same delivery again: its events are duplicates and raise nothing.
	res = e.post(ingestTok, "/api/v1/ingest", "text/plain", []byte(bruteForceLog), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("ingest again = %d %s", res.Status, res.Body)
	}
	if l := alerts(); len(l.Items) != total {
		t.Errorf("alerts after a retried delivery = %d; want %d", len(l.Items), total)
	}

	// An ingest token cannot read alerts.
	if res := e.bearer(ingestTok, "GET", "/api/v1/alerts", nil); res.Status != http.StatusForbidden {
		t.Errorf("GET /api/v1/alerts with an ingest token = %d", res.Status)
	}
}
