package detect

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// The tests of Advance: a live engine moves its clock from a timer, so that windows
// whose condition only their end decides close when no later event comes. The clock is
// injected: no test waits.

// TestAdvanceClosesWindows checks that a window is decided by Advance alone: not at
// its end, which is part of the window, and as soon as the clock passes it.
func TestAdvanceClosesWindows(t *testing.T) {
	for _, tc := range []struct {
		name string
		corr string
		evs  []ev
		want string // the alert as "last event(value)"
	}{
		{"event_count lt", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}",
			[]ev{{0, fail("a")}, {10, fail("a")}}, "10(2)"},
		{"event_count eq", "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {eq: 1}",
			[]ev{{0, fail("a")}}, "0(1)"},
		{"value_count lte", "type: value_count\nrules: [failed]\ngroup-by: [ip]\ntimespan: 60s\ncondition: {field: user, lte: 2}",
			[]ev{{0, map[string]any{"action": "fail", "ip": "x", "user": "a"}}, {5, map[string]any{"action": "fail", "ip": "x", "user": "b"}}}, "5(2)"},
		{"value_avg", "type: value_avg\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gt: 50}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "bytes": int64(100)}}, {1, map[string]any{"action": "fail", "user": "a", "bytes": int64(10)}}}, "1(55)"},
		{"value_percentile", "type: value_percentile\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, percentile: 50, lte: 20}",
			[]ev{{0, map[string]any{"action": "fail", "user": "a", "bytes": int64(10)}}, {1, map[string]any{"action": "fail", "user": "a", "bytes": int64(20)}}}, "1(10)"},
		{"temporal with at most one rule seen", "type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 2}",
			[]ev{{0, fail("a")}, {20, fail("a")}}, "20(1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := compileRules(t, correlationYAML(tc.corr), Options{IgnoreLogsource: true})
			var got []string
			collect := func(as []Alert) {
				for _, a := range as {
					if a.Rule.Kind == "correlation" {
						got = append(got, fmt.Sprintf("%g(%g)", a.Last.Sub(t0).Seconds(), a.Correlation.Value))
					}
				}
			}
			for i, x := range tc.evs {
				collect(e.Eval(&event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(x.at), Original: x.fields}, at(x.at)))
			}
			collect(e.Advance(at(59)))
			collect(e.Advance(at(60))) // the end of the window is in it
			if len(got) > 0 {
				t.Fatalf("alerts %v before the window closed", got)
			}
			collect(e.Advance(at(60).Add(time.Nanosecond)))
			if strings.Join(got, " ") != tc.want {
				t.Errorf("alerts %v after the window closed, want %s", got, tc.want)
			}
			collect(e.Advance(at(1000)))
			collect(e.Flush())
			if len(got) != 1 {
				t.Errorf("alerts %v: the window was decided twice", got)
			}
		})
	}
}

// TestAdvanceEventWithoutTime checks that an event without a time of its own is placed
// at the injected clock, and its window closed by Advance.
func TestAdvanceEventWithoutTime(t *testing.T) {
	e := compileRules(t, correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}"),
		Options{IgnoreLogsource: true})
	e.Eval(&event.Event{ID: "e1", Type: "json", Original: fail("a")}, at(100))
	if as := e.Advance(at(160)); len(as) != 0 {
		t.Fatalf("alerts %v before the window closed", as)
	}
	as := e.Advance(at(161))
	if len(as) != 1 || !as[0].First.Equal(at(100)) || as[0].Correlation.Value != 1 {
		t.Errorf("alerts %+v", as)
	}
}

// TestLiveEqualsReplay feeds the same events to two engines: one live, whose timer
// advances the clock at a steady step between events (never past the next event's
// time) and past every window at the end; one replaying, with the events only and
// Flush at the end. Their alerts are the same.
func TestLiveEqualsReplay(t *testing.T) {
	chain := `
---
title: inner
id: 20000000-0000-4000-8000-000000000010
name: inner
correlation:
    type: %s
    rules: [failed]
    group-by: [user]
    timespan: 30s
    condition: %s
---
title: outer
id: 20000000-0000-4000-8000-000000000011
correlation:
    type: %s
    rules: [inner, success]
    group-by: [user]
    timespan: 2m
    condition: %s
`
	for _, tc := range []struct {
		name  string
		rules string
	}{
		{"event_count lt", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}")},
		{"event_count gte", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 3}")},
		{"event_count range", correlationYAML("type: event_count\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 45s\ncondition: {gte: 2, lte: 4}")},
		{"value_count lte", correlationYAML("type: value_count\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, lte: 2}")},
		{"value_count gte", correlationYAML("type: value_count\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, gte: 3}")},
		{"temporal", correlationYAML("type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s")},
		{"temporal lt", correlationYAML("type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s\ncondition: {lt: 2}")},
		{"temporal_ordered", correlationYAML("type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s")},
		{"value_avg", correlationYAML("type: value_avg\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gt: 50}")},
		{"value_sum", correlationYAML("type: value_sum\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gte: 150}")},
		{"value_percentile", correlationYAML("type: value_percentile\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: bytes, percentile: 90, lt: 80}")},
		{"closing inside sliding", baseRules + fmt.Sprintf(chain, "event_count", "{lt: 3}", "temporal_ordered", "{gte: 2}")},
		{"sliding inside closing", baseRules + fmt.Sprintf(chain, "event_count", "{gte: 2}", "event_count", "{lt: 3}")},
		{"closing inside closing", baseRules + fmt.Sprintf(chain, "value_count", "{field: host, lte: 2}", "temporal", "{lt: 2}")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(5) {
				evs := randomEvents(seed, 300)
				replay := compileRules(t, tc.rules, Options{IgnoreLogsource: true})
				var want []Alert
				for _, x := range evs {
					want = append(want, replay.Eval(x, x.Time)...)
				}
				want = append(want, replay.Flush()...)

				live := compileRules(t, tc.rules, Options{IgnoreLogsource: true})
				var got []Alert
				step := []time.Duration{7 * time.Second, time.Second, 13 * time.Second, 500 * time.Millisecond, time.Minute}[seed]
				clock := evs[0].Time
				for _, x := range evs {
					for ; !clock.After(x.Time); clock = clock.Add(step) {
						got = append(got, live.Advance(clock)...)
					}
					got = append(got, live.Eval(x, x.Time)...)
				}
				got = append(got, live.Advance(clock.Add(time.Hour))...)

				g, w := alertTexts(got), alertTexts(want)
				if strings.Join(g, "\n") != strings.Join(w, "\n") {
					t.Fatalf("seed %d: live\n%s\nreplay\n%s", seed, strings.Join(diffLines(g, w), "\n"), strings.Join(diffLines(w, g), "\n"))
				}
				if seed == 0 && len(w) == 0 {
					t.Errorf("no alert: the case tests nothing")
				}
			}
		})
	}
}

// randomEvents makes failed and successful logins of a few users on a few hosts, in
// time order, with gaps that sometimes exceed every window.
func randomEvents(seed uint64, n int) []*event.Event {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]*event.Event, 0, n)
	tm := t0
	for i := range n {
		gap := time.Duration(rng.IntN(12000)) * time.Millisecond
		if rng.IntN(20) == 0 {
			gap += 3 * time.Minute
		}
		tm = tm.Add(gap)
		f := map[string]any{"action": "fail", "user": string(rune('a' + rng.IntN(3))), "host": fmt.Sprintf("h%d", rng.IntN(2)),
			"bytes": int64(rng.IntN(120))}
		if rng.IntN(4) == 0 {
			f["action"] = "ok"
		}
		out = append(out, &event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: tm, Original: f})
	}
	return out
}

// alertTexts writes alerts as JSON, sorted: the live engine may raise the alerts of
// one clock step in another order than a replay does.
func alertTexts(as []Alert) []string {
	out := make([]string, len(as))
	for i := range as {
		out[i] = string(as[i].AppendJSON(nil))
	}
	sort.Strings(out)
	return out
}

// diffLines returns the lines of a that b does not have.
func diffLines(a, b []string) []string {
	have := map[string]int{}
	for _, l := range b {
		have[l]++
	}
	var out []string
	for _, l := range a {
		if have[l] > 0 {
			have[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}

// TestLaggingSourceEqualsReplay: a live engine receives the events of one source as
// they happen (its timer lateness behind), and in the second hour also the backlog of a
// second source that was cut off in the first (its own users and hosts), in batches
// between the first source's events and timer ticks. The backlog holds the windows open
// while it is delivered, so its correlations are found as a replay of both sources finds
// them. Not so when the backlog is not held (Options.MaxLag below its lag), nor when it
// comes under the current source's name, whose current events end the hold: then the
// backlog's windows close before its later events come.
func TestLaggingSourceEqualsReplay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules string
	}{
		{"event_count gte", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 3}")},
		{"event_count lt", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}")},
		{"value_count", correlationYAML("type: value_count\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, gte: 2}")},
		{"temporal_ordered", correlationYAML("type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := randomEvents(1, 300)
			second := randomEvents(3, 300)
			shift := first[len(first)-1].Time.Sub(t0) + time.Minute
			for _, ev := range second {
				ev.ID = "c" + ev.ID
				ev.Time = ev.Time.Add(shift)
			}
			backlog := randomEvents(2, 300)
			for _, ev := range backlog {
				ev.ID = "b" + ev.ID
				ev.Original["user"] = "backlog-" + ev.Original["user"].(string)
				ev.Original["host"] = "backlog-" + ev.Original["host"].(string)
			}
			all := append(append(append([]*event.Event(nil), first...), second...), backlog...)
			sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
			replay := compileRules(t, tc.rules, Options{IgnoreLogsource: true})
			var want []Alert
			for _, x := range all {
				want = append(want, replay.Eval(x, x.Time)...)
			}
			want = append(want, replay.Flush()...)

			const lateness = 10 * time.Second
			live := func(opts Options, backlogSource string) []Alert {
				e := compileRules(t, tc.rules, opts)
				var got []Alert
				wall := first[0].Time
				current := func(x *event.Event) {
					wall = x.Time.Add(2 * time.Second)
					got = append(got, e.EvalFrom("agent:current", x, wall)...)
					got = append(got, e.Advance(wall.Add(-lateness))...)
				}
				for _, x := range first {
					current(x)
				}
				for i, x := range second {
					current(x)
					if b := backlog[min(20*i, len(backlog)):min(20*i+20, len(backlog))]; len(b) > 0 {
						for _, y := range b {
							got = append(got, e.EvalFrom(backlogSource, y, wall)...)
						}
						got = append(got, e.Advance(wall.Add(-lateness))...)
					}
				}
				return append(got, e.Advance(wall.Add(time.Hour))...)
			}
			g, w := alertTexts(live(Options{IgnoreLogsource: true}, "agent:backlog")), alertTexts(want)
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Fatalf("live\n%s\nreplay\n%s", strings.Join(diffLines(g, w), "\n"), strings.Join(diffLines(w, g), "\n"))
			}
			if short := alertTexts(live(Options{IgnoreLogsource: true, MaxLag: time.Minute}, "agent:backlog")); strings.Join(short, "\n") == strings.Join(w, "\n") {
				t.Errorf("a backlog not held open raised the replay's alerts: the test proves nothing")
			}
			if mixed := alertTexts(live(Options{IgnoreLogsource: true}, "agent:current")); strings.Join(mixed, "\n") == strings.Join(w, "\n") {
				t.Errorf("a backlog under the current source's name raised the replay's alerts: the test proves nothing")
			}
		})
	}
}

// TestLaggingSourceLetsGo: a source that lags without catching up (a host whose clock is
// an hour behind) holds the windows open for Options.MaxHold only; one that stops sending
// for Options.LagIdle only.
func TestLaggingSourceLetsGo(t *testing.T) {
	rules := correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}")
	for _, tc := range []struct {
		name    string
		skewed  bool // the lagging source keeps sending, an hour behind
		decided float64
	}{
		{"behind for good", true, 710}, // held from the floor 100 for 600 s
		{"stops sending", false, 170},  // its last event came at the floor 100: idle past 160
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := compileRules(t, rules, Options{IgnoreLogsource: true, MaxHold: 600 * time.Second, LagIdle: 60 * time.Second})
			e.Advance(at(100))
			e.EvalFrom("current", &event.Event{ID: "a", Type: "json", Time: at(100), Original: fail("a")}, at(102))
			e.EvalFrom("skewed", &event.Event{ID: "z0", Type: "json", Time: at(100 - 3600), Original: fail("z")}, at(102))
			for f := 110.0; f <= 1000; f += 10 {
				if tc.skewed {
					e.EvalFrom("skewed", &event.Event{ID: fmt.Sprintf("z%g", f), Type: "json", Time: at(f - 3600), Original: fail("z")}, at(f))
				}
				for _, a := range e.Advance(at(f)) {
					if a.EventIDs[0] == "a" {
						if f != tc.decided {
							t.Fatalf("the current window was decided at the floor %g, want %g", f, tc.decided)
						}
						return
					}
				}
			}
			t.Fatal("the current window was never decided")
		})
	}
}
