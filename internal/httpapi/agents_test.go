package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

type enrollment struct {
	AgentID int64  `json:"agent_id"`
	Token   string `json:"token"`
}

func (e *env) enroll(enrollToken, host, machine string) enrollment {
	e.t.Helper()
	res := e.bearer(enrollToken, "POST", "/api/v1/agents/enroll", map[string]any{
		"hostname": host, "machine_id": machine, "version": "test",
		"inventory": map[string]any{"os": "Debian GNU/Linux 12", "kernel": "6.1.0", "ips": []string{"10.0.0.4"}},
	})
	if res.Status != http.StatusCreated {
		e.t.Fatalf("enroll: %d %s", res.Status, res.Body)
	}
	var out enrollment
	res.json(e.t, &out)
	return out
}

func TestAgentEnrolHeartbeatAndList(t *testing.T) {
	e := newEnv(t)
	fleetToken := e.token(auth.RoleIngest)
	a := e.enroll(fleetToken, "web-1", "m-1")
	if a.AgentID == 0 || !strings.HasPrefix(a.Token, auth.TokenPrefix) || a.Token == fleetToken {
		t.Fatalf("enrolment = %+v", a)
	}
	hb := map[string]any{"version": "1.2.3", "status": map[string]any{"sources": map[string]any{"file:/var/log/auth.log": map[string]int{"events": 12}}}}
	if res := e.bearer(a.Token, "POST", "/api/v1/agents/heartbeat", hb); res.Status != http.StatusOK {
		t.Fatalf("heartbeat: %d %s", res.Status, res.Body)
	}
	// Only an agent's own token may send heartbeats.
	if res := e.bearer(fleetToken, "POST", "/api/v1/agents/heartbeat", hb); res.Status != http.StatusForbidden {
		t.Errorf("heartbeat with the enrolment token: %d %s", res.Status, res.Body)
	}
	var list struct {
		Items []struct {
			ID        int64          `json:"id"`
			Hostname  string         `json:"hostname"`
			Version   string         `json:"version"`
			Inventory map[string]any `json:"inventory"`
			Status    map[string]any `json:"status"`
			LastSeen  string         `json:"last_seen"`
		} `json:"items"`
	}
	e.bearer(e.token(auth.RoleViewer), "GET", "/api/v1/agents", nil).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Hostname != "web-1" || list.Items[0].Version != "1.2.3" ||
		list.Items[0].Inventory["kernel"] != "6.1.0" || list.Items[0].Status["sources"] == nil || list.Items[0].LastSeen == "" {
		t.Errorf("agents = %+v", list.Items)
	}
	// Enrolling the same machine again keeps the record and revokes the old credential.
	b := e.enroll(fleetToken, "web-1", "m-1")
	if b.AgentID != a.AgentID {
		t.Errorf("re-enrolment made agent %d, want %d", b.AgentID, a.AgentID)
	}
	if res := e.bearer(a.Token, "POST", "/api/v1/agents/heartbeat", hb); res.Status != http.StatusUnauthorized {
		t.Errorf("old agent token after re-enrolment: %d", res.Status)
	}
	if res := e.bearer(b.Token, "POST", "/api/v1/agents/heartbeat", hb); res.Status != http.StatusOK {
		t.Errorf("new agent token: %d %s", res.Status, res.Body)
	}
	for _, bad := range []map[string]any{{"hostname": ""}, {"hostname": "a b"}, {"hostname": "h", "inventory": []int{1}}} {
		if res := e.bearer(fleetToken, "POST", "/api/v1/agents/enroll", bad); res.Status != http.StatusBadRequest {
			t.Errorf("enrol %v: %d %s", bad, res.Status, res.Body)
		}
	}
}

func TestAgentNormalizedEvents(t *testing.T) {
	e := newEnv(t)
	fleetToken := e.token(auth.RoleIngest)
	a1 := e.enroll(fleetToken, "web-1", "m-1")
	a2 := e.enroll(fleetToken, "web-2", "m-2")
	body := `{"@timestamp":"2026-11-28T10:00:01Z","event":{"id":"same-id","module":"sshd","action":"ssh_login"},"host":{"name":"web-1"},"message":"x"}
{"@timestamp":"2026-11-28T10:00:02Z","event":{"module":"sshd"}}
{"@timestamp":"yesterday","event":{"id":"x"}}
`
	res := e.post(a1.Token, "/api/v1/ingest", "application/vnd.vigil.events+x-ndjson", []byte(body), nil)
	var ans ingestAnswer
	res.json(t, &ans)
	if res.Status != http.StatusOK || ans.Accepted != 1 || ans.Rejected != 2 || len(ans.Rejections) != 2 || ans.Rejections[0].Line != 2 {
		t.Fatalf("agent events: %d %s", res.Status, res.Body)
	}
	// Another agent using the same event id does not collide: ids are per sender.
	res = e.post(a2.Token, "/api/v1/ingest", "application/vnd.vigil.events+x-ndjson", []byte(strings.SplitN(body, "\n", 2)[0]), nil)
	res.json(t, &ans)
	if ans.Stored != 1 {
		t.Errorf("second agent's event with the same id: %s", res.Body)
	}
	// A retry of the first agent is a duplicate.
	res = e.post(a1.Token, "/api/v1/ingest", "application/vnd.vigil.events+x-ndjson", []byte(body), nil)
	res.json(t, &ans)
	if ans.Stored != 0 || ans.Duplicates != 1 {
		t.Errorf("retry: %s", res.Body)
	}
	evs := storedEvents(t, e.events)
	if len(evs) != 2 {
		t.Fatalf("%d events stored", len(evs))
	}
	for _, ev := range evs {
		ag := ev["agent"].(map[string]any)
		if ag["id"] == "" || ag["name"] == nil || ev["event"].(map[string]any)["action"] != "ssh_login" {
			t.Errorf("stored event %v", ev)
		}
	}
	// Only agents send normalized events.
	if res := e.post(fleetToken, "/api/v1/ingest", "application/vnd.vigil.events+x-ndjson", []byte(body), nil); res.Status != http.StatusForbidden {
		t.Errorf("normalized events from a non-agent token: %d", res.Status)
	}
	if n, _ := e.events.Count(context.Background()); n != 2 {
		t.Errorf("%d events", n)
	}
}
