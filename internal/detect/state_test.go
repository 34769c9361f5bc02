package detect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// The tests of SaveState and LoadState: an engine restarted from its saved state raises
// the alerts one engine running throughout raises; state saved for another definition
// of a correlation is dropped; a damaged file is an error and leaves no state. No test
// waits: time comes from the events and the injected clock.

var updateState = flag.Bool("update", false, "rewrite testdata/state/*.jsonl")

// stateChain is an inner correlation over failed logins and an outer one over the inner
// correlation's alerts and successful logins.
const stateChain = `
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

// stateCases are rule sets with each correlation type and decision mode.
var stateCases = []struct {
	name  string
	rules string
}{
	{"event_count gte", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 4}")},
	{"event_count lt", correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {lt: 3}")},
	{"event_count range over two rules", correlationYAML("type: event_count\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 45s\ncondition: {gte: 2, lte: 4}")},
	{"value_count gte", correlationYAML("type: value_count\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, gte: 3}")},
	{"value_count lte", correlationYAML("type: value_count\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, lte: 2}")},
	{"temporal", correlationYAML("type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s")},
	{"temporal lt", correlationYAML("type: temporal\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s\ncondition: {lt: 2}")},
	{"temporal_ordered", correlationYAML("type: temporal_ordered\nrules: [failed, success]\ngroup-by: [user]\ntimespan: 40s")},
	{"value_sum", correlationYAML("type: value_sum\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gte: 150}")},
	{"value_avg", correlationYAML("type: value_avg\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gt: 50}")},
	{"value_percentile", correlationYAML("type: value_percentile\nrules: [failed]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: bytes, percentile: 90, lt: 80}")},
	{"value_percentile share", correlationYAML("type: value_percentile\nrules: [failed, success]\ngroup-by: [host]\ntimespan: 60s\ncondition: {field: user, lt: 30}")},
	{"no group-by", correlationYAML("type: event_count\nrules: [success]\ntimespan: 30s\ncondition: {gte: 3}")},
	{"closing inside sliding", baseRules + fmt.Sprintf(stateChain, "event_count", "{lt: 3}", "temporal_ordered", "{gte: 2}")},
	{"sliding inside closing", baseRules + fmt.Sprintf(stateChain, "event_count", "{gte: 2}", "event_count", "{lt: 3}")},
	{"value_sum over value_count", baseRules + fmt.Sprintf(stateChain, "value_count", "{field: host, lte: 2}", "value_sum", "{field: host, gte: 1}")},
}

// restart saves an engine's state and loads it into a new engine compiled from rules,
// as a restart of serve does; nothing may be dropped.
func restart(t *testing.T, old *Engine, rules string, opts Options) *Engine {
	t.Helper()
	var buf bytes.Buffer
	if err := old.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, c := range old.Stats().Correlations {
		if c.Groups > 0 {
			want++
		}
	}
	e := compileRules(t, rules, opts)
	restored, dropped, err := e.LoadState(&buf)
	if err != nil || restored != want || dropped != 0 {
		t.Fatalf("LoadState = %d restored, %d dropped, %v; want %d, 0, nil", restored, dropped, err, want)
	}
	return e
}

// TestStateRestartEqualsOneRun runs the same events through one engine and through an
// engine restarted from its saved state every few events, both replaying (the events'
// times only) and live (a timer's Advance between events). The alerts are the same.
func TestStateRestartEqualsOneRun(t *testing.T) {
	opts := Options{IgnoreLogsource: true}
	for _, tc := range stateCases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(3) {
				evs := randomEvents(seed, 120)
				one := compileRules(t, tc.rules, opts)
				var want []Alert
				for _, x := range evs {
					want = append(want, one.Eval(x, x.Time)...)
				}
				want = append(want, one.Flush()...)
				if seed == 0 && len(want) == 0 {
					t.Fatal("no alert: the case tests nothing")
				}
				every := []int{4, 9, 40}[seed]

				e := compileRules(t, tc.rules, opts)
				var got []Alert
				for i, x := range evs {
					if i > 0 && i%every == 0 {
						e = restart(t, e, tc.rules, opts)
					}
					got = append(got, e.Eval(x, x.Time)...)
				}
				got = append(got, restart(t, e, tc.rules, opts).Flush()...)
				compareAlerts(t, fmt.Sprintf("seed %d, replay restarted every %d events", seed, every), got, want)

				// Live: a timer moves the clock between events, and the restart happens
				// between two ticks.
				e = compileRules(t, tc.rules, opts)
				got = nil
				step := []time.Duration{3 * time.Second, 11 * time.Second, time.Minute}[seed]
				clock := evs[0].Time
				for i, x := range evs {
					for ; !clock.After(x.Time); clock = clock.Add(step) {
						got = append(got, e.Advance(clock)...)
					}
					if i%every == 0 {
						e = restart(t, e, tc.rules, opts)
					}
					got = append(got, e.Eval(x, x.Time)...)
				}
				got = append(got, restart(t, e, tc.rules, opts).Advance(clock.Add(time.Hour))...)
				compareAlerts(t, fmt.Sprintf("seed %d, live restarted every %d events", seed, every), got, want)
			}
		})
	}
}

func compareAlerts(t *testing.T, what string, got, want []Alert) {
	t.Helper()
	g, w := alertTexts(got), alertTexts(want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("%s: restarted\n%s\none engine\n%s", what, strings.Join(diffLines(g, w), "\n"), strings.Join(diffLines(w, g), "\n"))
	}
}

// bruteForce is five failed logins of one user within a minute.
const bruteForce = "type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {gte: 5}"

func failedLogins(from, n int) []*event.Event {
	var out []*event.Event
	for i := from; i < from+n; i++ {
		out = append(out, &event.Event{ID: fmt.Sprintf("e%d", i), Type: "json", Time: at(float64(10 * i)), Original: fail("root")})
	}
	return out
}

// TestStateBruteForceAcrossRestart feeds three failed logins, restarts, and feeds two
// more: the correlation fires once, with the five events, as without the restart.
func TestStateBruteForceAcrossRestart(t *testing.T) {
	rules := correlationYAML(bruteForce)
	opts := Options{IgnoreLogsource: true}
	run := func(e *Engine, evs []*event.Event) (out []Alert) {
		for _, x := range evs {
			out = append(out, e.Eval(x, x.Time)...)
		}
		return out
	}
	one := compileRules(t, rules, opts)
	want := run(one, failedLogins(0, 5))

	first := compileRules(t, rules, opts)
	got := run(first, failedLogins(0, 3))
	got = append(got, run(restart(t, first, rules, opts), failedLogins(3, 2))...)
	compareAlerts(t, "brute force", got, want)
	if len(got) != 1 || got[0].EventCount != 5 || strings.Join(got[0].EventIDs, ",") != "e0,e1,e2,e3,e4" {
		t.Errorf("alerts %s; want one of the five events", alertTexts(got))
	}
	// Without the state the second half alone is no brute force.
	if as := run(compileRules(t, rules, opts), failedLogins(3, 2)); len(as) != 0 {
		t.Errorf("a fresh engine alerted: %s", alertTexts(as))
	}
}

// TestStateClock checks that the clock and the floor of Advance are restored: a late
// event's window, which the clock has passed, is held open while its source lags and
// decided once the source has been quiet for Options.LagIdle, as in one engine.
func TestStateClock(t *testing.T) {
	rules := correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {eq: 1}")
	opts := Options{IgnoreLogsource: true, LagIdle: 30 * time.Second}
	late := &event.Event{ID: "late", Type: "json", Time: at(0), Original: fail("a")}
	play := func(e *Engine) []Alert {
		as := e.Eval(late, at(1000))
		if held := e.Advance(at(1030)); len(held) > 0 {
			t.Fatalf("decided while its source lags: %s", alertTexts(held))
		}
		return append(as, e.Advance(at(1031))...)
	}
	one := compileRules(t, rules, opts)
	one.Advance(at(1000))
	want := play(one)
	if len(want) != 1 {
		t.Fatalf("one engine raised %s", alertTexts(want))
	}
	e := compileRules(t, rules, opts)
	e.Advance(at(1000))
	compareAlerts(t, "clock", play(restart(t, e, rules, opts)), want)
}

// TestStateDropsChangedDefinitions saves the state of a brute force and of a chain of
// correlations, then loads it into rule sets where one thing changed: a change of what
// the state means drops it, a change of how alerts read does not.
func TestStateDropsChangedDefinitions(t *testing.T) {
	opts := Options{IgnoreLogsource: true}
	chain := fmt.Sprintf(stateChain, "event_count", "{gte: 2}", "event_count", "{gte: 3}")
	rules := correlationYAML(bruteForce) + chain
	e := compileRules(t, rules, opts)
	for _, x := range append(failedLogins(0, 3), &event.Event{ID: "s", Type: "json", Time: at(25), Original: ok("root")}) {
		e.Eval(x, x.Time)
	}
	var saved bytes.Buffer
	if err := e.SaveState(&saved); err != nil {
		t.Fatal(err)
	}
	// The brute force, the inner and the outer correlation all hold state.
	for _, c := range e.Stats().Correlations {
		if c.Groups != 1 {
			t.Fatalf("correlation %s holds %d groups", c.Title, c.Groups)
		}
	}
	edit := func(old, new string) string {
		if !strings.Contains(rules, old) {
			t.Fatalf("%q is not in the rules", old)
		}
		return strings.Replace(rules, old, new, 1)
	}
	for _, tc := range []struct {
		name              string
		rules             string
		restored, dropped int
	}{
		{"unchanged", rules, 3, 0},
		{"title and level", edit("title: the correlation\n", "title: SSH brute force\n"), 3, 0},
		{"generate", edit("    timespan: 2m\n", "    timespan: 2m\n    generate: true\n"), 3, 0},
		{"detection of a rule", edit("sel: {action: fail}", "sel: {action: [fail, failure]}"), 3, 0},
		{"timespan", edit("timespan: 60s", "timespan: 90s"), 2, 1},
		{"condition", edit("condition: {gte: 5}", "condition: {gte: 6}"), 2, 1},
		{"group-by", edit("group-by: [user]\n", "group-by: [host]\n"), 2, 1},
		{"type", edit(indent(bruteForce), indent("type: value_sum\nrules: [failed]\ngroup-by: [user]\ntimespan: 60s\ncondition: {field: bytes, gte: 5}")), 2, 1},
		{"rules", edit("rules: [failed]\n    group-by: [user]\n    timespan: 60s", "rules: [failed, success]\n    group-by: [user]\n    timespan: 60s"), 2, 1},
		{"inner correlation, and so the outer", edit("timespan: 30s", "timespan: 31s"), 1, 2},
		{"id", edit("id: 20000000-0000-4000-8000-000000000001", "id: 20000000-0000-4000-8000-000000000099"), 2, 1},
		{"removed", strings.Replace(rules, correlationYAML(bruteForce), baseRules, 1), 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e2 := compileRules(t, tc.rules, opts)
			restored, dropped, err := e2.LoadState(bytes.NewReader(saved.Bytes()))
			if err != nil || restored != tc.restored || dropped != tc.dropped {
				t.Errorf("LoadState = %d restored, %d dropped, %v; want %d, %d", restored, dropped, err, tc.restored, tc.dropped)
			}
		})
	}
	// A field read through another path (a logsource mapping, an alias) is a change too.
	m, err := LoadMapping([]byte("sources:\n  - name: test\n    logsource: {product: test}\n    when:\n      - event.module: [json]\n" +
		"    fields:\n      user: [account]\n      action: [action]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e3, errs := Compile(loadRules(t, rules), Options{Mapping: m, IgnoreLogsource: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if restored, dropped, err := e3.LoadState(bytes.NewReader(saved.Bytes())); err != nil || restored != 0 || dropped != 3 {
		t.Errorf("with user read from another path: LoadState = %d restored, %d dropped, %v; want 0, 3", restored, dropped, err)
	}
}

// savedState returns the state of a few correlations part way, with values that are
// not valid UTF-8 and numbers of every kind.
func savedState(t testing.TB) (rules string, state []byte) {
	rules = correlationYAML(bruteForce) + fmt.Sprintf(stateChain, "value_avg", "{field: bytes, gt: 100}", "value_sum", "{field: user, lt: 0}")
	e, errs := Compile(loadRules(t, rules), Options{IgnoreLogsource: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	users := []string{"root", "caf\xe9", "a\x00\"<b>", "\u2028"}
	for i := range 12 {
		f := fail(users[i%len(users)])
		f["bytes"] = []any{int64(i * 40), -0.5, 1.7e308, "x"}[i%4] // two of 1.7e308 average to +Inf
		if i%5 == 4 {
			f["action"] = "ok"
		}
		id := fmt.Sprintf("e%d", i)
		if i%4 == 1 {
			id += "\xff"
		}
		e.Eval(&event.Event{ID: id, Type: "json", Time: at(float64(i * 7)), Original: f}, at(float64(i*7)))
	}
	var buf bytes.Buffer
	if err := e.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	return rules, buf.Bytes()
}

// TestStateRoundTrip checks that what LoadState restores SaveState writes again, byte
// for byte, strings that are not UTF-8 included; and the golden file of version 1 still
// loads (a change of the format that old files do not survive needs a new version).
func TestStateRoundTrip(t *testing.T) {
	rules, state := savedState(t)
	e := compileRules(t, rules, Options{IgnoreLogsource: true})
	if _, _, err := e.LoadState(bytes.NewReader(state)); err != nil {
		t.Fatalf("%v\n%s", err, state)
	}
	var again bytes.Buffer
	if err := e.SaveState(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), state) {
		t.Errorf("saved again:\n%s\nfirst:\n%s", again.Bytes(), state)
	}
	if !bytes.Contains(state, []byte(`{"base64":`)) {
		t.Errorf("no value written as base64:\n%s", state)
	}

	golden := filepath.Join("testdata", "state", "v1.jsonl")
	if *updateState {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, state, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	e = compileRules(t, rules, Options{IgnoreLogsource: true})
	restored, dropped, err := e.LoadState(bytes.NewReader(old))
	if err != nil || restored != 3 || dropped != 0 {
		t.Errorf("%s: LoadState = %d restored, %d dropped, %v; want 3, 0", golden, restored, dropped, err)
	}
}

// TestStateCorrupt checks that every truncation and every damaged byte of a state file
// is an error, and that the engine then holds no correlation state.
func TestStateCorrupt(t *testing.T) {
	rules, state := savedState(t)
	e := compileRules(t, rules, Options{IgnoreLogsource: true})
	load := func(data []byte) error {
		// The engine holds state before, so that an error must clear it.
		if _, _, err := e.LoadState(bytes.NewReader(state)); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.LoadState(bytes.NewReader(data))
		if err != nil {
			for _, c := range e.Stats().Correlations {
				if c.Groups != 0 {
					t.Fatalf("after %v, correlation %s holds %d groups", err, c.Title, c.Groups)
				}
			}
		}
		return err
	}
	for n := range len(state) {
		if err := load(state[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes loaded", n, len(state))
		}
	}
	for i := range state {
		damaged := bytes.Clone(state)
		damaged[i] ^= 0x04
		if err := load(damaged); err == nil {
			t.Errorf("byte %d changed from %q to %q loaded", i, state[i], damaged[i])
		}
	}
	for _, bad := range []string{
		"",
		"\n",
		"{}\n",
		`{"header":{"format":"vigil-detect-state","version":2,"clock":0}}` + "\n",
		`{"header":{"format":"other","version":1,"clock":0}}` + "\n",
		string(state) + "{}\n",
	} {
		err := load([]byte(bad))
		if err == nil || !errors.Is(err, errState) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := load(state); err != nil {
		t.Errorf("the file itself: %v", err)
	}
}

// TestStateCaps checks that the engine's bounds apply to a state saved with larger
// ones: the groups whose windows end first are evicted, the oldest matches dropped.
func TestStateCaps(t *testing.T) {
	rules := correlationYAML("type: event_count\nrules: [failed]\ngroup-by: [user]\ntimespan: 1h\ncondition: {lt: 1000}")
	big := compileRules(t, rules, Options{IgnoreLogsource: true})
	for i := range 50 {
		x := &event.Event{ID: fmt.Sprint(i), Type: "json", Time: at(float64(i)), Original: fail(fmt.Sprint(i % 10))}
		big.Eval(x, x.Time)
	}
	var buf bytes.Buffer
	if err := big.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	small := compileRules(t, rules, Options{IgnoreLogsource: true, MaxGroups: 3, MaxGroupEvents: 2})
	if _, _, err := small.LoadState(&buf); err != nil {
		t.Fatal(err)
	}
	st := small.Stats().Correlations[0]
	if st.Groups != 3 || st.Evicted != 7 || st.Dropped != 3*3 {
		t.Errorf("stats %+v; want 3 groups, 7 evicted, 9 dropped", st)
	}
	var got []string
	for _, a := range small.Flush() {
		got = append(got, a.GroupKey+":"+strings.Join(a.EventIDs, ","))
	}
	if strings.Join(got, " ") != "7:37,47 8:38,48 9:39,49" {
		t.Errorf("alerts %v", got)
	}
}

// FuzzLoadState checks that no input makes LoadState panic or leave state behind an
// error, and that what it accepts it writes back the same. Inputs whose end line is
// signed again reach the checks past the checksum.
func FuzzLoadState(f *testing.F) {
	rules, state := savedState(f)
	f.Add(state)
	f.Add(state[:len(state)/2])
	if old, err := os.ReadFile(filepath.Join("testdata", "state", "v1.jsonl")); err == nil {
		f.Add(old)
	}
	var empty bytes.Buffer
	e, errs := Compile(loadRules(f, rules), Options{IgnoreLogsource: true, MaxGroups: 4, MaxGroupEvents: 3})
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	if err := e.SaveState(&empty); err != nil {
		f.Fatal(err)
	}
	f.Add(empty.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, resign(data)} {
			_, _, err := e.LoadState(bytes.NewReader(in))
			if err != nil {
				for _, c := range e.Stats().Correlations {
					if c.Groups != 0 {
						t.Fatalf("after %v, correlation %s holds %d groups", err, c.Title, c.Groups)
					}
				}
				continue
			}
			var out1, out2 bytes.Buffer
			if err := e.SaveState(&out1); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.LoadState(bytes.NewReader(out1.Bytes())); err != nil {
				t.Fatalf("what SaveState wrote does not load: %v\n%s", err, out1.Bytes())
			}
			if err := e.SaveState(&out2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
				t.Fatalf("saved twice differently:\n%s\n%s", out1.Bytes(), out2.Bytes())
			}
			e.Advance(at(1e6))
		}
	})
}

// resign puts the right checksum into the end line of a state file, if it has one.
func resign(data []byte) []byte {
	body := bytes.TrimSuffix(data, []byte("\n"))
	i := bytes.LastIndexByte(body, '\n') + 1
	k := bytes.Index(body[i:], []byte(`"sha256":"`))
	if !bytes.HasPrefix(body[i:], []byte(`{"end":`)) || k < 0 {
		return data
	}
	sum := sha256.Sum256(body[:i])
	out := append(bytes.Clone(body[:i+k]), `"sha256":"`...)
	out = append(out, hex.EncodeToString(sum[:])...)
	return append(out, "\"}}\n"...)
}
