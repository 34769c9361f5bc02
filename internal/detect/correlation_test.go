package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// baseRules are two detection rules over generic events: a failed and a successful
// login, by the field action.
const baseRules = `
title: failed login
id: 10000000-0000-4000-8000-000000000001
name: failed
logsource: {product: test}
detection:
    sel: {action: fail}
    condition: sel
---
title: successful login
id: 10000000-0000-4000-8000-000000000002
name: success
logsource: {product: test}
detection:
    sel: {action: ok}
    condition: sel
`

// correlationYAML adds a correlation document to the base rules.
func correlationYAML(body string) string {
	return baseRules + "---\ntitle: the correlation\nid: 20000000-0000-4000-8000-000000000001\nname: corr\nlevel: high\ncorrelation:\n" + indent(body)
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// ev is a generic event at t0 plus offset seconds.
type ev struct {
	at     float64
	fields map[string]any
}

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

// play runs events through an engine with each event's time as the clock, then
// flushes, and returns the alerts of one rule (by name) as "fire@offset(count)" strings.
func play(t *testing.T, e *Engine, evs []ev, name string) []string {
	t.Helper()
	var out []string
	collect := func(as []Alert) {
		for _, a := range as {
			if a.Rule.ID != name && !strings.Contains(a.Rule.Title, name) {
				continue
			}
			v := 0.0
			if a.Correlation != nil {
				v = a.Correlation.Value
			}
			out = append(out, fmt.Sprintf("%g(%g)", a.Last.Sub(t0).Seconds(), v))
		}
	}
	for i, x := range evs {
		e2 := &event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(x.at), Original: x.fields}
		collect(e.Eval(e2, e2.Time))
	}
	collect(e.Flush())
	return out
}

func fail(user string) map[string]any { return map[string]any{"action": "fail", "user": user} }
func ok(user string) map[string]any   { return map[string]any{"action": "ok", "user": user} }

func TestCorrelations(t *testing.T) {
	for _, tc := range []struct {
		name string
		corr string
		evs  []ev
		want string
	}{
		{"event_count fires at the threshold", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 3}",
			[]ev{{0, fail("a")}, {10, fail("a")}, {11, fail("b")}, {20, fail("a")}}, "20(3)"},
		{"event_count window edge is inclusive", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 3}",
			[]ev{{0, fail("a")}, {30, fail("a")}, {60, fail("a")}}, "60(3)"},
		{"event_count window slides", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 3}",
			[]ev{{0, fail("a")}, {30, fail("a")}, {61, fail("a")}, {62, fail("a")}}, "62(3)"},
		{"event_count starts afresh after firing", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 2}",
			[]ev{{0, fail("a")}, {1, fail("a")}, {2, fail("a")}, {3, fail("a")}}, "1(2) 3(2)"},
		{"event_count groups by several fields", "type: event_count\nrules: [failed]\ngroup-by: [user, host]\ntimespan: 60s\ncondition: {gte: 2}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "host": "h1"}}, {1, map[string]any{"action": "fail", "user": "a", "host": "h2"}},
				{2, map[string]any{"action": "fail", "user": "a", "host": "h2"}}}, "2(2)"},
		{"event_count over two rules", "type: event_count\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 2}",
			[]ev{{0, fail("a")}, {1, ok("a")}}, "1(2)"},
		{"event_count lt decides at the window's end", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}",
			[]ev{{0, fail("a")}, {10, fail("a")}, {0.5, fail("b")}, {1, fail("b")}, {2, fail("b")}, {100, ok("z")}}, "10(2)"},
		{"event_count range", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 2, lte: 3}",
			[]ev{{0, fail("a")}, {1, fail("a")}, {2, fail("b")}, {3, fail("b")}, {4, fail("b")}, {5, fail("b")}}, "1(2)"},
		{"event_count eq at flush", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {eq: 1}",
			[]ev{{0, fail("a")}}, "0(1)"},
		{"value_count", "type: value_count\nrules: [failed]\ngroup-by: [ip]\ntimespan: 5m\ncondition: {field: user, gte: 3}",
			[]ev{{0, map[string]any{"action": "fail", "ip": "x", "user": "a"}}, {1, map[string]any{"action": "fail", "ip": "x", "user": "a"}},
				{2, map[string]any{"action": "fail", "ip": "x", "user": "b"}}, {3, map[string]any{"action": "fail", "ip": "x", "user": "c"}}}, "3(3)"},
		{"temporal in any order", "type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s",
			[]ev{{0, ok("a")}, {5, fail("b")}, {10, fail("a")}}, "10(2)"},
		{"temporal outside the window", "type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s",
			[]ev{{0, ok("a")}, {61, fail("a")}}, ""},
		{"temporal_ordered in order", "type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s",
			[]ev{{0, fail("a")}, {10, ok("a")}}, "10(2)"},
		{"temporal_ordered out of order", "type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s",
			[]ev{{0, ok("a")}, {10, fail("a")}}, ""},
		{"temporal_ordered after a wrong start", "type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s",
			[]ev{{0, ok("a")}, {10, fail("a")}, {20, ok("a")}}, "20(2)"},
		{"value_sum", "type: value_sum\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gt: 100}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "bytes": int64(60)}}, {1, map[string]any{"action": "fail", "user": "a", "bytes": "50"}}}, "1(110)"},
		{"value_avg decides at the window's end", "type: value_avg\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gt: 50}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "bytes": int64(100)}}, {1, map[string]any{"action": "fail", "user": "a", "bytes": int64(10)}},
				{2, map[string]any{"action": "fail", "user": "b", "bytes": int64(10)}}}, "1(55)"},
		{"value_percentile with a percentile", "type: value_percentile\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, percentile: 50, gte: 20}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "bytes": int64(10)}}, {1, map[string]any{"action": "fail", "user": "a", "bytes": int64(20)}},
				{2, map[string]any{"action": "fail", "user": "a", "bytes": int64(30)}}}, "2(20)"},
		{"value_percentile share of a rare value", "type: value_percentile\nrules: [failed]\ngroup-by: [host]\ntimespan: 1h\ncondition: {field: image, lte: 25}",
			[]ev{{0, map[string]any{"action": "fail", "host": "h", "image": "bash"}}, {1, map[string]any{"action": "fail", "host": "h", "image": "bash"}},
				{2, map[string]any{"action": "fail", "host": "h", "image": "bash"}}, {3, map[string]any{"action": "fail", "host": "h", "image": "bash"}},
				{4, map[string]any{"action": "fail", "host": "h", "image": "nc"}}}, "4(20)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := compileRules(t, correlationYAML(tc.corr), Options{IgnoreLogsource: true})
			got := strings.Join(play(t, e, tc.evs, "the correlation"), " ")
			if got != tc.want {
				t.Errorf("alerts %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCorrelationGenerate(t *testing.T) {
	evs := []ev{{0, fail("a")}, {1, fail("a")}, {2, ok("a")}}
	for _, gen := range []bool{false, true} {
		e := compileRules(t, correlationYAML(fmt.Sprintf("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 2}\ngenerate: %v", gen)), Options{IgnoreLogsource: true})
		own := play(t, e, evs, "failed login")
		if gen && len(own) != 2 || !gen && len(own) != 0 {
			t.Errorf("generate %v: the referenced rule raised %d alerts", gen, len(own))
		}
		if n := len(play(t, e, []ev{{10, ok("b")}}, "successful login")); n != 1 {
			t.Errorf("generate %v: an unreferenced rule raised %d alerts, want 1", gen, n)
		}
	}
}

func TestCorrelationAliases(t *testing.T) {
	e := compileRules(t, correlationYAML(`
type: temporal
rules: [failed, success]
group-by: [ip]
timespan: 60s
aliases:
    ip:
        failed: src
        success: dst`), Options{IgnoreLogsource: true})
	got := play(t, e, []ev{
		{0, map[string]any{"action": "fail", "src": "1.2.3.4", "dst": "9.9.9.9"}},
		{1, map[string]any{"action": "ok", "src": "5.5.5.5", "dst": "1.2.3.4"}},
	}, "the correlation")
	if strings.Join(got, " ") != "1(2)" {
		t.Errorf("alerts %v", got)
	}
}

func TestCorrelationChain(t *testing.T) {
	rules := baseRules + `---
title: many failures
id: 20000000-0000-4000-8000-000000000002
name: many_failed
correlation:
    type: event_count
    rules: [failed]
    group-by: [user]
    timespan: 60s
    condition: {gte: 3}
---
title: brute force then success
id: 20000000-0000-4000-8000-000000000003
correlation:
    type: temporal_ordered
    rules: [many_failed, success]
    group-by: [user]
    timespan: 5m
`
	e := compileRules(t, rules, Options{IgnoreLogsource: true})
	var titles []string
	for i, x := range []ev{{0, fail("a")}, {1, fail("a")}, {2, fail("a")}, {3, ok("a")}, {4, ok("b")}} {
		for _, a := range e.Eval(&event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(x.at), Original: x.fields}, at(x.at)) {
			titles = append(titles, fmt.Sprintf("%s %v", a.Rule.Title, a.EventIDs))
		}
	}
	// Both referenced rules and the inner correlation raise no alerts of their own.
	want := "brute force then success [e0 e1 e2 e3]"
	if got := strings.Join(titles, "|"); got != want {
		t.Errorf("alerts %q, want %q", got, want)
	}
}

func TestCorrelationEviction(t *testing.T) {
	e := compileRules(t, correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 1h\ncondition: {gte: 2}"),
		Options{IgnoreLogsource: true, MaxGroups: 2})
	got := play(t, e, []ev{{0, fail("a")}, {1, fail("b")}, {2, fail("c")}, {3, fail("a")}, {4, fail("c")}}, "the correlation")
	if strings.Join(got, " ") != "4(2)" {
		t.Errorf("alerts %v: a's group should have been evicted when c's came", got)
	}
	st := e.Stats().Correlations[0]
	if st.Evicted != 2 || st.Groups != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestCorrelationGroupEventsCap(t *testing.T) {
	e := compileRules(t, correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 1h\ncondition: {lt: 1000000}"),
		Options{IgnoreLogsource: true, MaxGroupEvents: 10, MaxAlertEvents: 5})
	var evs []ev
	for i := range 25 {
		evs = append(evs, ev{float64(i), fail("a")})
	}
	for i, x := range evs {
		e.Eval(&event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(x.at), Original: x.fields}, at(x.at))
	}
	as := e.Flush()
	if len(as) != 1 || as[0].Correlation.Value != 10 || len(as[0].EventIDs) != 5 || as[0].EventIDs[4] != "e24" {
		t.Fatalf("alerts %+v", as)
	}
	if st := e.Stats().Correlations[0]; st.Dropped != 15 {
		t.Errorf("dropped %d, want 15", st.Dropped)
	}
}

// TestCorrelationLiveEqualsHunt feeds the same events once with each event's time as
// the clock and once as a live engine sees them, with a timer advancing the clock
// between events; the alerts are the same.
func TestCorrelationLiveEqualsHunt(t *testing.T) {
	rules := correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}")
	evs := []ev{{0, fail("a")}, {10, fail("a")}, {30, fail("b")}, {31, fail("b")}, {32, fail("b")}, {200, fail("c")}}
	hunt := play(t, compileRules(t, rules, Options{IgnoreLogsource: true}), evs, "the correlation")

	live := compileRules(t, rules, Options{IgnoreLogsource: true})
	var got []string
	collect := func(as []Alert) {
		for _, a := range as {
			if a.Rule.Kind == "correlation" {
				got = append(got, fmt.Sprintf("%g(%g)", a.Last.Sub(t0).Seconds(), a.Correlation.Value))
			}
		}
	}
	for i, x := range evs {
		collect(live.Advance(at(x.at - 0.5)))
		collect(live.Eval(&event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(x.at), Original: x.fields}, at(x.at+0.2)))
	}
	collect(live.Advance(at(1000)))
	if strings.Join(got, " ") != strings.Join(hunt, " ") || len(hunt) != 2 {
		t.Errorf("live %v, hunt %v", got, hunt)
	}
}

func TestFilters(t *testing.T) {
	rules := baseRules + `---
title: not the admin
id: 30000000-0000-4000-8000-000000000001
logsource: {product: test}
filter:
    rules: [failed]
    admin: {user: admin}
    condition: not admin
---
title: nothing for lab hosts
id: 30000000-0000-4000-8000-000000000002
logsource: {product: test}
filter:
    rules: all
    lab: {host|startswith: lab-}
    condition: not lab
`
	e := compileRules(t, rules, Options{IgnoreLogsource: true})
	var got []string
	for i, f := range []map[string]any{fail("bob"), fail("admin"), ok("admin"), {"action": "ok", "user": "x", "host": "lab-1"}, {"action": "fail", "user": "x", "host": "LAB-2"}} {
		for _, a := range e.Eval(jsonEvent(fmt.Sprint(i), f), goldenNow) {
			got = append(got, a.Rule.Title+" "+a.EventIDs[0])
		}
	}
	if want := "failed login 0|successful login 2"; strings.Join(got, "|") != want {
		t.Errorf("alerts %q, want %q", strings.Join(got, "|"), want)
	}
	st := e.Stats()
	if st.Filters[0].Suppressed != 1 || st.Filters[1].Suppressed != 2 || st.Filters[1].Rules != 2 {
		t.Errorf("filter stats %+v", st.Filters)
	}
}
