package incident

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// clock is an injected clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	svc  *Service
	db   *sqlite.DB
	clk  *clock
	msgs []Message
	mu   sync.Mutex
}

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clk: &clock{t: t0}}
	o := Options{Config: DefaultConfig(), Now: f.clk.now, Notifier: func(m Message) {
		f.mu.Lock()
		f.msgs = append(f.msgs, m)
		f.mu.Unlock()
	}}
	for _, fn := range opts {
		fn(&o)
	}
	if f.svc, err = New(db, cat, o); err != nil {
		t.Fatal(err)
	}
	// Users for assignments and mentions.
	err = db.Update(context.Background(), func(tx store.Tx) error {
		for _, name := range []string{"alice", "bob"} {
			if err := tx.CreateUser(&store.User{Username: name, Role: auth.RoleAnalyst, PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		out = append(out, m.Kind)
	}
	return out
}

// raise makes the raising of a detection rule on an event of a host.
func raise(rule, level string, tags []string, host, ip string, evTime time.Time) ingest.Raised {
	ev := &event.Event{ID: rule + host + ip + evTime.String(), Time: evTime, Type: "sshd"}
	if host != "" {
		ev.Set("host.name", host)
	}
	if ip != "" {
		ev.Set("source.ip", ip)
	}
	return ingest.Raised{Event: ev, Alert: detect.Alert{Time: evTime, First: evTime, Last: evTime, EventIDs: []string{ev.ID},
		Rule: detect.RuleRef{ID: rule, Title: "Rule " + rule, Level: level, Tags: tags, Kind: "detection"}}}
}

func (f *fixture) keep(t *testing.T, rs ...ingest.Raised) {
	t.Helper()
	if err := f.svc.Keep(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) incidents(t *testing.T) []*store.Incident {
	t.Helper()
	ins, err := f.svc.ListIncidents(context.Background(), store.IncidentFilter{}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

func TestGroupingOrderAndTasks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Persistence arrives before the brute force is reported: the incident still
	// orders its alerts along the tactics. The platform sees the first alert five
	// minutes after the attack began.
	f.clk.add(5 * time.Minute)
	f.keep(t, raise("cron", "medium", []string{"cs.ps-01", "attack.t1053.003"}, "web-1", "", t0.Add(3*time.Minute)))
	f.clk.add(time.Minute)
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	// Another host with its own alert is another incident.
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "db-1", "198.51.100.7", t0))
	// The same IP on a third host joins db-1's incident (shared address)... through
	// the source IP; a low alert on an unrelated host opens nothing.
	f.keep(t, raise("scan", "low", []string{"cs.di-01"}, "lonely", "", t0))

	ins := f.incidents(t)
	if len(ins) != 2 {
		t.Fatalf("incidents = %d, want 2: %+v", len(ins), ins)
	}
	web := ins[1]
	if web.AlertCount != 2 || !slices.Contains(web.Entities, store.Entity{Kind: "host", Value: "web-1"}) {
		t.Fatalf("web-1 incident = %+v", web)
	}
	if !slices.Equal(web.Tactics, []string{"IA", "PS"}) {
		t.Errorf("tactics = %v, want IA then PS", web.Tactics)
	}
	// High alert + persistence reached: one step above high.
	if web.Severity != "critical" {
		t.Errorf("severity = %s, want critical", web.Severity)
	}
	v, err := f.svc.Get(ctx, web.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Alerts) != 2 || v.Alerts[0].RuleID != "brute" || v.Alerts[1].RuleID != "cron" {
		t.Errorf("alerts not in tactic order: %v, %v", v.Alerts[0].RuleID, v.Alerts[1].RuleID)
	}
	if len(v.Path) != 2 || v.Path[0].Tactic != "IA" || v.Path[1].Tactic != "PS" {
		t.Errorf("attack path = %+v", v.Path)
	}
	// Tasks from both techniques' checklists.
	cat, _ := matrix.Load()
	want := 0
	for _, id := range []string{"CS-IA-03", "CS-PS-01"} {
		tech, _ := cat.Technique(id)
		want += len(tech.Response)
	}
	if len(v.Tasks) != want || want == 0 {
		t.Errorf("tasks = %d, want %d", len(v.Tasks), want)
	}
	for _, k := range v.Tasks {
		switch {
		case k.Phase == "confirm" && !k.Due.Equal(v.AckDue), k.Phase == "contain" && !k.Due.Equal(v.ContainDue),
			k.Phase != "confirm" && k.Phase != "contain" && !k.Due.IsZero():
			t.Errorf("task %q (%s) due %v; ack due %v, contain due %v", k.Title, k.Phase, k.Due, v.AckDue, v.ContainDue)
		}
	}
	if v.Metrics.TimeToDetect == nil || *v.Metrics.TimeToDetect != 300 {
		t.Errorf("time to detect = %v, want 300s (first event %v, first alert %v)", v.Metrics.TimeToDetect, v.FirstEvent, v.FirstAlert)
	}
	if k := f.kinds(); k[0] != "incident.created" || slices.Contains(k, "") {
		t.Errorf("notifications = %v", k)
	}
	// Every creation and attachment is in the audit log, and the chain holds.
	err = f.db.View(ctx, func(tx store.Tx) error {
		res, err := audit.Verify(tx)
		if err != nil || !res.OK {
			t.Errorf("audit chain: %+v, %v", res, err)
		}
		es, err := tx.ListAudit(store.Page{Limit: 100})
		n := 0
		for _, e := range es {
			if e.Action == "incident.create" || e.Action == "incident.alert_add" {
				n++
			}
		}
		if n != 2+3 {
			t.Errorf("audit entries for incidents = %d, want 5", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDedup(t *testing.T) {
	f := newFixture(t)
	r := raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0)
	f.keep(t, r)
	f.clk.add(10 * time.Minute)
	r2 := raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0.Add(10*time.Minute))
	f.keep(t, r2)
	as, err := f.svc.ListAlerts(context.Background(), store.AlertFilter{}, store.Page{})
	if err != nil || len(as) != 1 {
		t.Fatalf("alerts = %d, %v; want 1 deduplicated", len(as), err)
	}
	if a := as[0]; a.Count != 2 || !a.LastSeen.Equal(t0.Add(10*time.Minute)) || len(a.EventIDs) != 2 || !a.LastEvent.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("deduplicated alert = %+v", a)
	}
	// Past the window (counted from the last sighting) it is a new alert.
	f.clk.add(DefaultConfig().DedupWindow + time.Second)
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", f.clk.now()))
	// Another address is another group.
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.10", f.clk.now()))
	as, _ = f.svc.ListAlerts(context.Background(), store.AlertFilter{}, store.Page{})
	if len(as) != 3 {
		t.Errorf("alerts = %d, want 3", len(as))
	}
	if ins := f.incidents(t); len(ins) != 1 || ins[0].AlertCount != 3 {
		t.Errorf("incidents = %+v", ins)
	}
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	id := f.incidents(t)[0].ID

	code := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	if _, err := f.svc.Transition(ctx, "user:1:alice", id, store.StatusContained, "", ""); code(err) != "invalid_transition" {
		t.Fatalf("new → contained: %v", err)
	}
	f.clk.add(5 * time.Minute)
	steps := []string{store.StatusTriage, store.StatusInvestigating, store.StatusContained, store.StatusEradicated, store.StatusRecovered}
	for _, st := range steps {
		if _, err := f.svc.Transition(ctx, "user:1:alice", id, st, "", ""); err != nil {
			t.Fatalf("→ %s: %v", st, err)
		}
		f.clk.add(time.Minute)
	}
	if _, err := f.svc.Transition(ctx, "user:1:alice", id, store.StatusClosed, "", "done"); code(err) != "resolution_required" {
		t.Errorf("close without resolution: %v", err)
	}
	if _, err := f.svc.Transition(ctx, "user:1:alice", id, store.StatusClosed, "true_positive", " "); code(err) != "summary_required" {
		t.Errorf("close without summary: %v", err)
	}
	in, err := f.svc.Transition(ctx, "user:1:alice", id, store.StatusClosed, "true_positive", "Key removed, host rebuilt.")
	if err != nil {
		t.Fatal(err)
	}
	m := MetricsOf(in)
	if *m.TimeToAcknowledge != 300 || *m.TimeToContain != 420 || *m.TimeToResolve != 600 {
		t.Errorf("metrics = ack %v contain %v resolve %v", *m.TimeToAcknowledge, *m.TimeToContain, *m.TimeToResolve)
	}
	v, _ := f.svc.Get(ctx, id)
	n := 0
	for _, e := range v.Timeline {
		if e.Kind == "status" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("status entries on the timeline = %d, want 6", n)
	}
	sum, err := f.svc.Summarize(ctx, time.Time{}, time.Time{})
	if err != nil || sum.Count != 1 || sum.ByResolution["true_positive"] != 1 || sum.TimeToContain.Mean != 420 || sum.ByTechnique["CS-IA-03"] != 1 {
		t.Errorf("summary = %+v, %v", sum, err)
	}
	// Reopening is allowed, and clears the resolution.
	if in, err := f.svc.Transition(ctx, "user:1:alice", id, store.StatusTriage, "", ""); err != nil || in.Resolution != "" {
		t.Errorf("reopen: %+v, %v", in, err)
	}
}

func TestTeamCommentsTasks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	id := f.incidents(t)[0].ID
	commander := "alice"
	if _, err := f.svc.Edit(ctx, "user:1:admin", id, Update{Commander: &commander}); err != nil {
		t.Fatal(err)
	}
	nobody := "mallory"
	if _, err := f.svc.Edit(ctx, "user:1:admin", id, Update{Commander: &nobody}); err == nil {
		t.Error("an unknown user became commander")
	}
	if _, err := f.svc.SetMember(ctx, "user:1:admin", id, "bob", "responder"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetMember(ctx, "user:1:admin", id, "bob", "janitor"); err == nil {
		t.Error("an unknown team role was accepted")
	}
	c, err := f.svc.Comment(ctx, "user:1:alice", "alice", id, "Blocked 203.0.113.9. @bob please check **cron**; @nobody")
	if err != nil || !slices.Equal(c.Mentions, []string{"bob"}) {
		t.Fatalf("comment = %+v, %v", c, err)
	}
	v, _ := f.svc.Get(ctx, id)
	task := v.Tasks[0]
	done := store.TaskDone
	owner := "bob"
	if _, err := f.svc.UpdateTask(ctx, "user:2:bob", id, task.ID, TaskChange{Status: &done, Owner: &owner}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateTask(ctx, "user:2:bob", id+1, task.ID, TaskChange{Status: &done}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("task of another incident: %v", err)
	}
	added, err := f.svc.AddTask(ctx, "user:1:alice", id, "Rotate the deploy key", "eradicate", "alice", t0.Add(time.Hour))
	if err != nil || added.Status != store.TaskOpen {
		t.Fatalf("AddTask = %+v, %v", added, err)
	}
	v, _ = f.svc.Get(ctx, id)
	if v.Commander != "alice" || len(v.Members) != 1 || v.Members[0] != (store.Member{Username: "bob", Role: "responder"}) {
		t.Errorf("team = %s %+v", v.Commander, v.Members)
	}
	if v.Tasks[0].Status != store.TaskDone || v.Tasks[0].Owner != "bob" || v.Tasks[len(v.Tasks)-1].Title != "Rotate the deploy key" {
		t.Errorf("tasks = %+v", v.Tasks)
	}
	if len(v.Comments) != 1 {
		t.Errorf("comments = %+v", v.Comments)
	}
}

func TestSLABreach(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	in := f.incidents(t)[0]
	sla := DefaultConfig().SLA[in.Severity]
	if !in.AckDue.Equal(t0.Add(sla.Acknowledge)) {
		t.Fatalf("ack due = %v, want %v", in.AckDue, t0.Add(sla.Acknowledge))
	}
	if err := f.svc.Tick(ctx); err != nil || slices.Contains(f.kinds(), "incident.sla_breach") {
		t.Fatalf("breach before the due time: %v %v", f.kinds(), err)
	}
	f.clk.add(sla.Acknowledge + time.Second)
	for range 2 {
		if err := f.svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, k := range f.kinds() {
		if k == "incident.sla_breach" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("breach notifications = %d, want 1", n)
	}
	if in := f.incidents(t)[0]; !in.AckBreached || in.ContainBreached {
		t.Errorf("breach flags = %v %v", in.AckBreached, in.ContainBreached)
	}
}

func TestAssetCriticality(t *testing.T) {
	f := newFixture(t)
	err := f.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutAsset(&store.Asset{Host: "db-1", Criticality: "critical", Groups: []string{"databases"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.keep(t, raise("ssh-root", "medium", []string{"cs.ia-03"}, "db-1", "203.0.113.9", t0))
	in := f.incidents(t)[0]
	if in.Severity != "critical" || in.Criticality != "critical" || !slices.Equal(in.HostGroups, []string{"databases"}) {
		t.Errorf("incident on a critical host = %s %s %v", in.Severity, in.Criticality, in.HostGroups)
	}
}

func TestBulkMergeSplit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-2", "198.51.100.1", t0))
	ins := f.incidents(t)
	if len(ins) != 2 {
		t.Fatalf("incidents = %d", len(ins))
	}
	as, _ := f.svc.ListAlerts(ctx, store.AlertFilter{}, store.Page{})
	ids := []int64{as[0].ID, as[1].ID}
	if _, err := f.svc.Bulk(ctx, "user:1:alice", BulkAction{IDs: ids, Action: ActAssign, Assignee: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Bulk(ctx, "user:1:alice", BulkAction{IDs: append(ids, 999), Action: ActAcknowledge}); err == nil {
		t.Error("bulk with an unknown id succeeded")
	}
	got, _ := f.svc.ListAlerts(ctx, store.AlertFilter{Status: []string{store.AlertAcknowledged}}, store.Page{})
	if len(got) != 2 || got[0].Assignee != "bob" {
		t.Errorf("acknowledged alerts = %+v", got)
	}
	merged, err := f.svc.Merge(ctx, "user:1:alice", ins[1].ID, []int64{ins[0].ID})
	if err != nil || merged.AlertCount != 2 {
		t.Fatalf("merge = %+v, %v", merged, err)
	}
	old, _ := f.svc.Get(ctx, ins[0].ID)
	if old.Status != store.StatusClosed || old.Resolution != "duplicate" || old.MergedInto != merged.ID || len(old.Alerts) != 0 {
		t.Errorf("merged-away incident = %+v", old.Incident)
	}
	split, err := f.svc.Split(ctx, "user:1:alice", merged.ID, []int64{as[0].ID}, "")
	if err != nil || split.AlertCount != 1 {
		t.Fatalf("split = %+v, %v", split, err)
	}
	if v, _ := f.svc.Get(ctx, merged.ID); v.AlertCount != 1 || len(v.Alerts) != 1 {
		t.Errorf("after split: %d alerts (%d listed)", v.AlertCount, len(v.Alerts))
	}
	only, _ := f.svc.ListAlerts(ctx, store.AlertFilter{IncidentID: split.ID, Technique: "CS-IA-03", Levels: []string{"high"}}, store.Page{})
	if len(only) != 1 || only[0].ID != as[0].ID {
		t.Errorf("filtered alerts = %+v", only)
	}
}

func TestActivity(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0))
	f.clk.add(time.Minute)
	f.keep(t, raise("brute", "high", []string{"cs.ia-03"}, "web-1", "203.0.113.9", t0.Add(time.Minute)))
	f.keep(t, raise("cron", "medium", []string{"cs.ps-01"}, "web-2", "", t0))
	f.keep(t, raise("noise", "low", []string{"cs.di-01"}, "web-3", "", t0))
	as, _ := f.svc.ListAlerts(ctx, store.AlertFilter{RuleID: "noise"}, store.Page{})
	if _, err := f.svc.Bulk(ctx, "user:1:alice", BulkAction{IDs: []int64{as[0].ID}, Action: ActFalsePositive}); err != nil {
		t.Fatal(err)
	}
	act, err := f.svc.Activity(ctx, t0, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ia := act["CS-IA-03"]
	if ia == nil || ia.Alerts != 1 || ia.Raised != 2 || ia.Incidents != 1 || ia.MaxLevel != "high" || !slices.Equal(ia.Hosts, []string{"web-1"}) {
		t.Errorf("CS-IA-03 activity = %+v", ia)
	}
	if act["CS-PS-01"] == nil || act["CS-DI-01"] != nil {
		t.Errorf("activity = %v; want CS-PS-01 and no false positive", act)
	}
	if act, _ := f.svc.Activity(ctx, t0.Add(time.Hour), t0.Add(2*time.Hour)); len(act) != 0 {
		t.Errorf("activity outside the period = %v", act)
	}
}
