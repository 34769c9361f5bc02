package detect

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// exceptionMapping routes JSON events to two logsources whose pipelines rename some
// fields, so that exceptions are tested through a rule's pipeline.
const exceptionMapping = `
sources:
  - name: test/auth
    logsource: {product: test, service: auth}
    when:
      - event.module: [json]
    fields:
      Host: [host.name]
      User: [user.name]
      SourceIP: [source.ip]
      Secret: []
  - name: test/proc
    logsource: {product: test, category: process}
    when:
      - event.module: [json]
    fields:
      Image: [process.executable]
`

// exceptionRules are login rules, a process rule, a correlation over the failed logins
// (whose rule also alerts on its own) and a correlation built on that one.
const exceptionRules = `
title: failed login
id: 50000000-0000-4000-8000-000000000001
name: failed
logsource: {product: test, service: auth}
detection:
    sel: {action: fail}
    condition: sel
---
title: successful login
id: 50000000-0000-4000-8000-000000000002
name: success
logsource: {product: test, service: auth}
detection:
    sel: {action: ok}
    condition: sel
---
title: netcat started
id: 50000000-0000-4000-8000-000000000003
name: netcat
logsource: {product: test, category: process}
detection:
    sel: {Image|endswith: /nc}
    condition: sel
---
title: many failed logins
id: 50000000-0000-4000-8000-000000000004
name: brute
correlation:
    type: event_count
    rules: [failed]
    group-by: [SourceIP]
    timespan: 10m
    condition: {gte: 3}
    generate: true
---
title: brute force then success
id: 50000000-0000-4000-8000-000000000005
name: brute_success
correlation:
    type: temporal_ordered
    rules: [brute, success]
    group-by: [SourceIP]
    timespan: 30m
    generate: true
`

func exceptionEngine(t *testing.T) *Engine {
	t.Helper()
	m, err := LoadMapping([]byte(exceptionMapping))
	if err != nil {
		t.Fatal(err)
	}
	return compileRules(t, exceptionRules, Options{Mapping: m})
}

var authSource = &sigma.LogSource{Product: "test", Service: "auth"}

// newException writes an exception's filter with ExceptionFilter and reads it back.
func newException(t *testing.T, id, rule string, ls *sigma.LogSource, fields map[string]string) Exception {
	t.Helper()
	doc, err := ExceptionFilter(ExceptionDoc{Rule: rule, Author: "analyst", Reason: "a known scanner",
		Fields: fields, LogSource: ls, Created: t0})
	if err != nil {
		t.Fatalf("exception %s: %v", id, err)
	}
	r, err := ParseException(id, doc)
	if err != nil {
		t.Fatalf("exception %s: %v\n%s", id, err, doc)
	}
	return Exception{ID: id, Filter: r}
}

// rawException reads a hand-written filter document.
func rawException(t *testing.T, id, yml string) Exception {
	t.Helper()
	r, err := ParseException(id, []byte(yml))
	if err != nil {
		t.Fatalf("exception %s: %v", id, err)
	}
	return Exception{ID: id, Filter: r}
}

// login is a JSON event of a login attempt at t0 plus sec seconds.
func login(id string, sec float64, action, host, user, ip string) *event.Event {
	return &event.Event{ID: id, Type: "json", Time: at(sec), Original: map[string]any{
		"action": action, "host.name": host, "user.name": user, "source.ip": ip}}
}

// run evaluates events in order, then flushes, and returns "rule name|event ids" per
// alert, sorted.
func run(e *Engine, evs []*event.Event) []string {
	var all []Alert
	for _, ev := range evs {
		all = append(all, e.Eval(ev, ev.Time)...)
	}
	all = append(all, e.Flush()...)
	out := make([]string, 0, len(all))
	for _, a := range all {
		out = append(out, ruleName(a.Rule.ID)+"|"+strings.Join(a.EventIDs, ","))
	}
	sort.Strings(out)
	return out
}

// ruleName maps the ids of exceptionRules to their names.
func ruleName(id string) string {
	names := []string{"failed", "success", "netcat", "brute", "brute_success"}
	for i, n := range names {
		if id == fmt.Sprintf("50000000-0000-4000-8000-00000000000%d", i+1) {
			return n
		}
	}
	return id
}

func TestExceptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		exc   func(t *testing.T) []Exception
		evs   []*event.Event
		want  []string
		stats map[string]uint64 // ExceptionStats after the events
	}{
		{
			name: "a host's matches only, whole values in any letter case",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "failed", authSource, map[string]string{"Host": "web-1"})}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "web-1", "root", "198.51.100.1"),
				login("e2", 1, "fail", "WEB-1", "root", "198.51.100.2"),
				login("e3", 2, "fail", "web-10", "root", "198.51.100.3"),
				login("e4", 3, "fail", "xweb-1", "root", "198.51.100.4"),
				login("e5", 4, "fail", "web-2", "root", "198.51.100.5"),
				login("e6", 5, "ok", "web-1", "root", "198.51.100.6"),
			},
			want:  []string{"failed|e3", "failed|e4", "failed|e5", "success|e6"},
			stats: map[string]uint64{"x1": 2},
		},
		{
			name: "every field must equal its value",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "failed", authSource, map[string]string{"Host": "web-1", "User": "backup"})}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "web-1", "backup", "198.51.100.1"),
				login("e2", 1, "fail", "web-1", "root", "198.51.100.1"),
				login("e3", 2, "fail", "web-2", "backup", "198.51.100.1"),
			},
			want:  []string{"failed|e2", "failed|e3"},
			stats: map[string]uint64{"x1": 1},
		},
		{
			name: "fields by event name, and the rule by id",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "50000000-0000-4000-8000-000000000001", authSource,
					map[string]string{"source.ip": "203.0.113.5"})}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "web-1", "root", "203.0.113.5"),
				login("e2", 1, "fail", "web-1", "root", "203.0.113.50"),
			},
			want:  []string{"failed|e2"},
			stats: map[string]uint64{"x1": 1},
		},
		{
			name: "a value with wildcards and backslashes matches only itself",
			exc: func(t *testing.T) []Exception {
				return []Exception{
					newException(t, "star", "failed", authSource, map[string]string{"Host": "web-*"}),
					newException(t, "marks", "failed", authSource, map[string]string{"User": `a?b\`}),
				}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "web-*", "root", "198.51.100.1"),
				login("e2", 1, "fail", "web-1", "root", "198.51.100.2"),
				login("e3", 2, "fail", "web-", "root", "198.51.100.3"),
				login("e4", 3, "fail", "h", `a?b\`, "198.51.100.4"),
				login("e5", 4, "fail", "h", `axb\`, "198.51.100.5"),
				login("e6", 5, "fail", "h", `a?b`, "198.51.100.6"),
			},
			want:  []string{"failed|e2", "failed|e3", "failed|e5", "failed|e6"},
			stats: map[string]uint64{"star": 1, "marks": 1},
		},
		{
			name: "an expired exception stops applying",
			exc: func(t *testing.T) []Exception {
				x := newException(t, "x1", "failed", authSource, map[string]string{"Host": "web-1"})
				x.Expires = at(60)
				return []Exception{x}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "web-1", "root", "198.51.100.1"),
				login("e2", 59.999, "fail", "web-1", "root", "198.51.100.1"),
				login("e3", 60, "fail", "web-1", "root", "198.51.100.1"),
				login("e4", 120, "fail", "web-1", "root", "198.51.100.1"),
			},
			want:  []string{"failed|e3", "failed|e4"},
			stats: map[string]uint64{"x1": 2},
		},
		{
			name: "a pipeline of another logsource",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "netcat", &sigma.LogSource{Product: "test", Category: "process"},
					map[string]string{"Image": "/usr/bin/nc"})}
			},
			evs: []*event.Event{
				{ID: "e1", Type: "json", Time: at(0), Original: map[string]any{"process.executable": "/usr/bin/nc"}},
				{ID: "e2", Type: "json", Time: at(1), Original: map[string]any{"process.executable": "/tmp/nc"}},
			},
			want:  []string{"netcat|e2"},
			stats: map[string]uint64{"x1": 1},
		},
		{
			name: "a hand-written filter for every rule of a logsource",
			exc: func(t *testing.T) []Exception {
				return []Exception{rawException(t, "lab", `
title: nothing from the lab
logsource: {product: test, service: auth}
filter:
    rules: any
    lab: {Host|startswith: lab-}
    condition: not lab
`)}
			},
			evs: []*event.Event{
				login("e1", 0, "fail", "lab-1", "root", "198.51.100.1"),
				login("e2", 1, "ok", "lab-2", "root", "198.51.100.1"),
				login("e3", 2, "ok", "web-1", "root", "198.51.100.1"),
				{ID: "e4", Type: "json", Time: at(3), Original: map[string]any{"process.executable": "/bin/nc", "host.name": "lab-1"}},
			},
			want:  []string{"netcat|e4", "success|e3"},
			stats: map[string]uint64{"lab": 2},
		},
		{
			name: "a correlation: its count leaves the source out, the rule still alerts",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "brute", nil, map[string]string{"SourceIP": "203.0.113.5"})}
			},
			evs: []*event.Event{
				login("a1", 0, "fail", "web-1", "root", "203.0.113.5"),
				login("b1", 1, "fail", "web-1", "root", "198.51.100.7"),
				login("a2", 2, "fail", "web-1", "root", "203.0.113.5"),
				login("b2", 3, "fail", "web-1", "root", "198.51.100.7"),
				login("a3", 4, "fail", "web-1", "root", "203.0.113.5"),
				login("b3", 5, "fail", "web-1", "root", "198.51.100.7"),
			},
			want: []string{"brute|b1,b2,b3", "failed|a1", "failed|a2", "failed|a3", "failed|b1", "failed|b2", "failed|b3"},
			// The failed logins from the excepted address count, but not into brute.
			stats: map[string]uint64{"x1": 3},
		},
		{
			name: "a correlation built on a correlation",
			exc: func(t *testing.T) []Exception {
				return []Exception{newException(t, "x1", "brute_success", nil, map[string]string{"SourceIP": "203.0.113.5"})}
			},
			evs: []*event.Event{
				login("a1", 0, "fail", "web-1", "root", "203.0.113.5"),
				login("a2", 1, "fail", "web-1", "root", "203.0.113.5"),
				login("a3", 2, "fail", "web-1", "root", "203.0.113.5"),
				login("a4", 3, "ok", "web-1", "root", "203.0.113.5"),
				login("b1", 10, "fail", "web-1", "root", "198.51.100.7"),
				login("b2", 11, "fail", "web-1", "root", "198.51.100.7"),
				login("b3", 12, "fail", "web-1", "root", "198.51.100.7"),
				login("b4", 13, "ok", "web-1", "root", "198.51.100.7"),
			},
			want: []string{"brute_success|b1,b2,b3,b4", "brute|b1,b2,b3", "failed|a1", "failed|a2", "failed|a3", "failed|b1", "failed|b2", "failed|b3",
				"success|a4", "success|b4"},
			stats: map[string]uint64{"x1": 4},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := exceptionEngine(t)
			if errs := e.SetExceptions(tc.exc(t)); len(errs) > 0 {
				t.Fatalf("SetExceptions: %v", errs)
			}
			got := run(e, tc.evs)
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("alerts\n got  %v\n want %v", got, tc.want)
			}
			if st := e.ExceptionStats(); fmt.Sprint(st) != fmt.Sprint(tc.stats) {
				t.Errorf("exception stats %v, want %v", st, tc.stats)
			}
		})
	}
}

// TestExceptionRuleStats checks that suppressed matches count in the suppressed
// counter of the rule the exception keeps them from.
func TestExceptionRuleStats(t *testing.T) {
	e := exceptionEngine(t)
	errs := e.SetExceptions([]Exception{
		newException(t, "host", "failed", authSource, map[string]string{"Host": "web-1"}),
		newException(t, "ip", "brute", nil, map[string]string{"SourceIP": "203.0.113.5"}),
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	run(e, []*event.Event{
		login("e1", 0, "fail", "web-1", "root", "203.0.113.5"), // dropped by host: counted once
		login("e2", 1, "fail", "web-2", "root", "203.0.113.5"), // kept from brute by ip
		login("e3", 2, "fail", "web-2", "root", "198.51.100.7"),
	})
	suppressed := map[string]uint64{}
	for _, r := range e.Stats().Rules {
		suppressed[ruleName(r.ID)] = r.Suppressed
	}
	if suppressed["failed"] != 1 || suppressed["brute"] != 1 || suppressed["success"] != 0 {
		t.Errorf("suppressed per rule %v", suppressed)
	}
	if st := e.ExceptionStats(); st["host"] != 1 || st["ip"] != 1 {
		t.Errorf("exception stats %v", st)
	}
}

// TestExceptionStatsKept checks that counts survive SetExceptions for the ids that
// stay, and that ids that go are forgotten.
func TestExceptionStatsKept(t *testing.T) {
	e := exceptionEngine(t)
	a := newException(t, "a", "failed", authSource, map[string]string{"Host": "web-1"})
	b := newException(t, "b", "failed", authSource, map[string]string{"Host": "web-2"})
	c := newException(t, "c", "failed", authSource, map[string]string{"Host": "web-3"})
	check := func(want string) {
		t.Helper()
		if got := fmt.Sprint(e.ExceptionStats()); got != want {
			t.Errorf("stats %s, want %s", got, want)
		}
	}
	e.SetExceptions([]Exception{a, b})
	run(e, []*event.Event{login("e1", 0, "fail", "web-1", "u", "ip"), login("e2", 1, "fail", "web-1", "u", "ip"), login("e3", 2, "fail", "web-2", "u", "ip")})
	check("map[a:2 b:1]")
	e.SetExceptions([]Exception{a, c})
	check("map[a:2 c:0]")
	run(e, []*event.Event{login("e4", 3, "fail", "web-1", "u", "ip"), login("e5", 4, "fail", "web-2", "u", "ip")})
	check("map[a:3 c:0]")
	e.SetExceptions(nil)
	check("map[]")
	if got := run(e, []*event.Event{login("e6", 5, "fail", "web-1", "u", "ip")}); len(got) != 1 {
		t.Errorf("alerts %v after the exceptions were removed", got)
	}
}

func TestExceptionErrors(t *testing.T) {
	e := exceptionEngine(t)
	good := newException(t, "good", "failed", authSource, map[string]string{"Host": "web-1"})
	detection := loadRules(t, `
title: a detection rule
id: 60000000-0000-4000-8000-000000000001
logsource: {product: test, service: auth}
detection:
    sel: {Host: web-1}
    condition: sel
`).Rules[0]
	list := []Exception{
		newException(t, "unknown", "no_such_rule", authSource, map[string]string{"Host": "web-1"}),
		good,
		{ID: "detection", Filter: detection},
		{ID: "nil"},
		{Filter: good.Filter},
		newException(t, "good", "success", authSource, map[string]string{"Host": "web-1"}),
		newException(t, "unavailable", "failed", authSource, map[string]string{"Secret": "x"}),
		newException(t, "logsource", "netcat", authSource, map[string]string{"Image": "/bin/nc"}),
		newException(t, "corr logsource", "brute", &sigma.LogSource{Product: "other"}, map[string]string{"SourceIP": "203.0.113.5"}),
	}
	errs := e.SetExceptions(list)
	want := map[string]string{
		"unknown":        `"no_such_rule" names no rule the engine runs`,
		"detection":      "is a detection rule, not a filter",
		"nil":            "the exception has no filter",
		"":               "the exception has no id",
		"good":           "another exception has the same id",
		"unavailable":    "field Secret is not available in events of test/auth",
		"logsource":      "does not cover logsource product test, category process",
		"corr logsource": `covers none of the rules of correlation "brute"`,
	}
	if len(errs) != len(want) {
		t.Errorf("%d errors, want %d: %v", len(errs), len(want), errs)
	}
	for _, err := range errs {
		var xe *ExceptionError
		if !errors.As(err, &xe) {
			t.Errorf("%v is not an *ExceptionError", err)
			continue
		}
		if frag, ok := want[xe.ID]; !ok || !strings.Contains(err.Error(), frag) || !strings.Contains(err.Error(), fmt.Sprintf("%q", xe.ID)) {
			t.Errorf("error %q: want it to name %q and say %q", err, xe.ID, frag)
		}
		delete(want, xe.ID)
	}
	// The good exception applies.
	got := run(e, []*event.Event{login("e1", 0, "fail", "web-1", "u", "ip"), login("e2", 1, "fail", "web-2", "u", "ip")})
	if strings.Join(got, " ") != "failed|e2" {
		t.Errorf("alerts %v", got)
	}
	if st := e.ExceptionStats(); fmt.Sprint(st) != "map[good:1]" {
		t.Errorf("stats %v", st)
	}
}

// TestExceptionsKeepCorrelationState checks that replacing the exceptions leaves open
// correlation windows as they were.
func TestExceptionsKeepCorrelationState(t *testing.T) {
	e := exceptionEngine(t)
	var got []string
	eval := func(ev *event.Event) {
		for _, a := range e.Eval(ev, ev.Time) {
			if a.Rule.Kind == "correlation" {
				got = append(got, ruleName(a.Rule.ID)+"|"+strings.Join(a.EventIDs, ","))
			}
		}
	}
	eval(login("e1", 0, "fail", "web-1", "u", "203.0.113.5"))
	eval(login("e2", 1, "fail", "web-1", "u", "203.0.113.5"))
	if errs := e.SetExceptions([]Exception{newException(t, "x", "failed", authSource, map[string]string{"Host": "web-9"})}); len(errs) > 0 {
		t.Fatal(errs)
	}
	eval(login("e3", 2, "fail", "web-1", "u", "203.0.113.5"))
	if strings.Join(got, " ") != "brute|e1,e2,e3" {
		t.Errorf("correlation alerts %v", got)
	}
}

// TestExceptionsConcurrent replaces the exceptions while events are evaluated; run
// with -race.
func TestExceptionsConcurrent(t *testing.T) {
	e := exceptionEngine(t)
	sets := [][]Exception{
		{newException(t, "a", "failed", authSource, map[string]string{"Host": "web-1"})},
		{newException(t, "a", "failed", authSource, map[string]string{"Host": "web-1"}),
			newException(t, "b", "brute", nil, map[string]string{"SourceIP": "203.0.113.5", "User": "root"})},
		nil,
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			host := fmt.Sprintf("web-%d", i%3)
			e.Eval(login(fmt.Sprint(i), float64(i), "fail", host, "root", "203.0.113.5"), at(float64(i)))
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 300 {
			if errs := e.SetExceptions(sets[i%len(sets)]); len(errs) > 0 {
				t.Error(errs)
				return
			}
			_ = e.ExceptionStats()
			_ = e.Stats()
		}
	}()
	wg.Wait()
	e.SetExceptions(sets[0])
	if got := run(e, []*event.Event{login("last", 5000, "fail", "web-1", "root", "ip")}); len(got) != 0 {
		t.Errorf("alerts %v: the last set should suppress the event", got)
	}
}

func TestExceptionFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  ExceptionDoc
		want string
	}{
		{"no rule", ExceptionDoc{Fields: map[string]string{"a": "b"}}, "no rule"},
		{"no field", ExceptionDoc{Rule: "r"}, "no field"},
		{"modifier in a field name", ExceptionDoc{Rule: "r", Fields: map[string]string{"a|contains": "b"}}, "has no |"},
		{"invalid UTF-8", ExceptionDoc{Rule: "r", Fields: map[string]string{"a": "\xff"}}, "not valid UTF-8"},
		{"an id that is not a UUID", ExceptionDoc{ID: "x-1", Rule: "r", Fields: map[string]string{"a": "b"}}, "is not a UUID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ExceptionFilter(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseExceptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"a detection rule", "title: t\nlogsource: {product: test}\ndetection:\n    sel: {a: b}\n    condition: sel\n", "an exception is a filter"},
		{"two filters", "title: t\nlogsource: {product: test}\nfilter:\n    rules: [r]\n    sel: {a: b}\n    condition: not sel\n---\n" +
			"title: u\nlogsource: {product: test}\nfilter:\n    rules: [r]\n    sel: {a: b}\n    condition: not sel\n", "2 documents"},
		{"no logsource", "title: t\nfilter:\n    rules: [r]\n    sel: {a: b}\n    condition: not sel\n", "logsource is missing"},
		{"not YAML", "title: [", "invalid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseException("exc", []byte(tc.yml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// exceptionValues are values that Sigma's string syntax or YAML would read otherwise
// than as written, each with a text that a misreading would also match.
var exceptionValues = []struct{ value, other string }{
	{"web-*", "web-1"},
	{"*", "anything"},
	{"a?c", "abc"},
	{`C:\Windows\*`, `C:\Windows\x`},
	{`ends\`, `ends`},
	{`\\server\share`, `\server\share`},
	{`\*`, `*`},
	{"22", "022"},
	{"true", "True1"},
	{"null", ""},
	{"~", ""},
	{" padded ", "padded"},
	{"it's \"quoted\"", "its quoted"},
	{"%placeholder%", "x"},
	{"line\nbreak", "line break"},
	{"#not a comment", "#"},
	{"- dash", "dash"},
	{"key: value", "key"},
	{"ümlaut", "umlaut"},
}

// TestExceptionFilterLiteral checks that each value, written by ExceptionFilter and
// compiled, suppresses exactly the events with that value.
func TestExceptionFilterLiteral(t *testing.T) {
	for _, tc := range exceptionValues {
		t.Run(tc.value, func(t *testing.T) {
			if !suppresses(t, tc.value, tc.value) {
				t.Errorf("the value %q does not suppress itself", tc.value)
			}
			if suppresses(t, tc.value, tc.other) {
				t.Errorf("the value %q suppresses %q", tc.value, tc.other)
			}
		})
	}
}

// suppresses tells whether an exception on User with value suppresses a failed login
// of user.
func suppresses(t *testing.T, value, user string) bool {
	t.Helper()
	e := exceptionEngine(t)
	if errs := e.SetExceptions([]Exception{newException(t, "x", "failed", authSource, map[string]string{"User": value})}); len(errs) > 0 {
		t.Fatal(errs)
	}
	return len(run(e, []*event.Event{login("e1", 0, "fail", "web-1", user, "ip")})) == 0
}

// FuzzExceptionFilter checks that any value ExceptionFilter accepts reads back as
// itself and suppresses an event that holds it.
func FuzzExceptionFilter(f *testing.F) {
	for _, tc := range exceptionValues {
		f.Add(tc.value)
	}
	m, err := LoadMapping([]byte(exceptionMapping))
	if err != nil {
		f.Fatal(err)
	}
	e, errs := Compile(loadRules(f, exceptionRules), Options{Mapping: m})
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	f.Fuzz(func(t *testing.T, value string) {
		doc, err := ExceptionFilter(ExceptionDoc{Rule: "failed", Fields: map[string]string{"User": value}, LogSource: authSource})
		if err != nil {
			return // invalid UTF-8, or a value too long for YAML
		}
		r, err := ParseException("fuzz", doc)
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if errs := e.SetExceptions([]Exception{{ID: "x", Filter: r}}); len(errs) > 0 {
			t.Fatal(errs)
		}
		if as := e.Eval(login("e1", 0, "fail", "web-1", value, "ip"), t0); len(as) != 0 {
			t.Errorf("the value %q does not suppress itself:\n%s", value, doc)
		}
	})
}
