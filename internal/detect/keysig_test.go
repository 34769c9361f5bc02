package detect

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/rules"
)

// TestKeySigHasNoFalseNegative: whenever a field's key is a path, or a prefix of it that
// ends before a dot, the path's signature meets the keys' signature, so the engine
// never skips a field that Get would find.
func TestKeySigHasNoFalseNegative(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = "abcdefgh.xyzABC_0"[r.IntN(17)]
		}
		return string(b)
	}
	for range 20000 {
		var keys []string
		for range r.IntN(30) {
			keys = append(keys, word())
		}
		path := word()
		if r.IntN(2) == 0 && len(keys) > 0 {
			// A path below one of the keys.
			path = keys[r.IntN(len(keys))] + "." + word()
		} else if r.IntN(2) == 0 && len(keys) > 0 {
			path = keys[r.IntN(len(keys))]
		}
		var sig keySig
		for _, k := range keys {
			sig.add(k)
		}
		ps := pathKeys(path)
		for _, k := range keys {
			if (k == path || len(path) > len(k) && path[len(k)] == '.' && path[:len(k)] == k) && !sig.meets(&ps) {
				t.Fatalf("key %q leads to path %q, but the signatures do not meet", k, path)
			}
		}
	}
}

// TestSlotReadsWhatGetReads compares the engine's read of every path the project's rules
// use with event.Get, on the parsers' golden events and on events whose fields hold the
// path, lead into it (an object) or lie beside it; with the SigmaHQ rules too when that
// corpus is present.
func TestSlotReadsWhatGetReads(t *testing.T) {
	own, _ := sigma.LoadDir(rules.FS, ".")
	t.Run("project", func(t *testing.T) { slotReadsWhatGetReads(t, own) })
	t.Run("sigmahq", func(t *testing.T) { slotReadsWhatGetReads(t, loadCorpus(t)) })
}

func slotReadsWhatGetReads(t *testing.T, rs *sigma.Collection) {
	e, errs := Compile(rs, Options{})
	if e == nil {
		t.Fatal(errs)
	}
	events := append(goldenEvents(t), cloudTrailEvents(t)...)
	events = append(events, auditdEvents(t)...)
	// Events whose normalized fields hold the rules' own paths, and objects above them.
	for i, a := range e.acc {
		for _, p := range a.paths {
			if p.kind != pathPlain {
				continue
			}
			ev := &event.Event{Type: "unknown", Original: map[string]any{"x": "y"}}
			ev.Set(p.text, fmt.Sprintf("value %d", i))
			events = append(events, ev)
			if dot := lastDot(p.text); dot > 0 {
				ev := &event.Event{Type: "unknown"}
				ev.Set(p.text[:dot], map[string]any{p.text[dot+1:]: "inside"})
				events = append(events, ev)
			}
		}
	}
	c := e.ctx
	for _, ev := range events {
		c.reset(ev)
		for i, a := range e.acc {
			if len(a.paths) != 1 || a.paths[0].kind != pathPlain {
				continue
			}
			var want slot
			want.gen = c.gen
			if v, ok := ev.Get(a.paths[0].text); ok {
				want.present = true
				c.add(&want, v, 0)
			}
			got := c.slot(i)
			if got.present != want.present || len(got.vals) != len(want.vals) || len(got.vals) > 0 && !reflect.DeepEqual(got.vals, want.vals) {
				t.Fatalf("%s of %s event: slot %+v, Get %+v", a.paths[0].text, ev.Type, got, want)
			}
		}
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

// TestAppendEvalAppends: AppendEval keeps what dst holds and adds the event's alerts;
// the alerts own their ids, whatever becomes of the event.
func TestAppendEvalAppends(t *testing.T) {
	e := compileRules(t, `title: whoami
id: 11111111-2222-3333-4444-555555555555
logsource: {product: linux}
detection:
  sel: {CommandLine: whoami}
  condition: sel
`, Options{IgnoreLogsource: true})
	id := []byte("event-1")
	ev := jsonEvent(string(id), map[string]any{"CommandLine": "whoami"})
	prior := Alert{Rule: RuleRef{ID: "prior"}}
	out := e.AppendEval([]Alert{prior}, ev, ev.Time)
	if len(out) != 2 || out[0].Rule.ID != "prior" || out[1].Rule.ID != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("alerts %+v", out)
	}
	ev.ID = "changed"
	if out[1].EventIDs[0] != "event-1" || out[1].Matched[0].Value != "whoami" {
		t.Fatalf("alert %+v", out[1])
	}
	if again := e.AppendEval(out[:0], jsonEvent("event-2", map[string]any{"CommandLine": "id"}), ev.Time); len(again) != 0 {
		t.Fatalf("alerts %+v", again)
	}
}

// TestQueueKeepsWindowEndOrder queues groups whose windows end mostly in time order,
// some late, and moves some (as a sliding window's new match does): the queue stays
// linked both ways, and in the order of the windows' ends while the late ones lie within
// maxQueueWalk of either end; past that, only linked.
func TestQueueKeepsWindowEndOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, spread := range []int{10, 60, 1000} {
		co := &corr{mode: modeSliding, span: 0}
		var all []*group
		now := int64(0)
		for i := range 2000 {
			now += int64(r.IntN(10))
			t := now
			if r.IntN(5) == 0 {
				t -= int64(r.IntN(spread)) // late
			}
			if r.IntN(4) == 0 && len(all) > 0 {
				g := all[r.IntN(len(all))]
				co.detach(g)
				co.deadline(g, t)
				continue
			}
			g := &group{key: fmt.Sprint(i)}
			co.deadline(g, t)
			all = append(all, g)
		}
		n, sorted := 0, true
		var prev *group
		for g := co.head; g != nil; g = g.next {
			if g.prev != prev {
				t.Fatalf("spread %d: broken back link at group %d", spread, n)
			}
			if prev != nil && prev.deadline > g.deadline {
				sorted = false
			}
			prev, n = g, n+1
		}
		if co.tail != prev || n != len(all) {
			t.Fatalf("spread %d: %d groups linked of %d, tail %v", spread, n, len(all), co.tail == prev)
		}
		if spread <= 60 && !sorted {
			t.Errorf("spread %d: the queue is out of order", spread)
		}
	}
}
