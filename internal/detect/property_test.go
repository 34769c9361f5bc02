package detect

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// generateEvents makes events that come close to each rule: for every search of every
// rule with a mapped logsource, an event of a parser that satisfies the logsource, with
// each field item's first value written into the field the pipeline reads; then
// variants that flip letter case, drop a field or cut a value short, so that both
// matches and near misses are plentiful.
func generateEvents(c *sigma.Collection, n int, seed uint64) []*event.Event {
	srcs, _ := compileMapping(DefaultMapping())
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var base []*event.Event
	for _, r := range c.Rules {
		if r.Kind != sigma.KindDetection {
			continue
		}
		src := findSource(srcs, r.LogSource)
		if src == nil {
			continue
		}
		for _, s := range r.Detection.Searches {
			for _, alt := range alternatives(s) {
				ev := skeleton(src)
				for _, it := range alt.Items {
					writeItem(ev, src, it)
				}
				base = append(base, ev)
			}
		}
	}
	var out []*event.Event
	for i := 0; len(out) < n && len(base) > 0; i++ {
		ev := cloneEvent(base[i%len(base)])
		if i >= len(base) {
			mutate(ev, rng)
		}
		ev.ID = fmt.Sprintf("gen-%d", i)
		out = append(out, ev)
	}
	return out
}

func alternatives(s *sigma.Search) []*sigma.Search {
	if s.Kind != sigma.SearchList {
		return []*sigma.Search{s}
	}
	var out []*sigma.Search
	for _, a := range s.Alternatives {
		out = append(out, alternatives(a)...)
	}
	return out
}

// skeleton makes an event that satisfies the source's first alternative.
func skeleton(src *source) *event.Event {
	ev := &event.Event{Time: goldenNow, Message: "generated"}
	for _, c := range src.alts[0] {
		v := "x"
		if len(c.values) > 0 {
			v = c.values[0]
		}
		if c.path.kind == pathModule {
			ev.Type = v
			continue
		}
		ev.Set(c.path.text, v)
	}
	return ev
}

// writeItem writes a value that the item's first value would match.
func writeItem(ev *event.Event, src *source, it *sigma.Item) {
	if len(it.Values) == 0 || len(it.Values[0].Operands) == 0 {
		return
	}
	op := it.Values[0].Operands[0]
	var v any
	switch op.Kind {
	case sigma.OperandString:
		var b strings.Builder
		for _, t := range op.Pattern {
			switch t.Kind {
			case sigma.TokenLiteral:
				b.WriteString(t.Text)
			case sigma.TokenAnyChar:
				b.WriteByte('q')
			}
		}
		v = b.String()
	case sigma.OperandNumber:
		v = op.Number.Text
	case sigma.OperandBool:
		v = op.Bool
	case sigma.OperandCIDR:
		v = op.Prefix.Addr().String()
	case sigma.OperandCompare:
		v = op.Number.Int + 1
	case sigma.OperandExists:
		if op.Bool {
			v = "present"
		}
	}
	if v == nil {
		return
	}
	if it.Keyword() {
		ev.Message += " " + event.String(v)
		return
	}
	paths, ok := src.fieldPaths(it.Field)
	if !ok {
		return
	}
	p := paths[0]
	switch {
	case strings.HasPrefix(p, "="):
		return
	case strings.Contains(p, "*"):
		p = strings.Replace(p, "*", "syscall", 1)
	}
	if p == "event.module" {
		ev.Type = event.String(v)
		return
	}
	ev.Set(p, v)
}

func cloneEvent(ev *event.Event) *event.Event {
	c := *ev
	c.Fields = append([]event.Field(nil), ev.Fields...)
	return &c
}

// mutate changes an event a little: the letter case of a value, a dropped field, a
// shortened value, a value turned into a list.
func mutate(ev *event.Event, rng *rand.Rand) {
	if len(ev.Fields) == 0 {
		return
	}
	i := rng.IntN(len(ev.Fields))
	f := &ev.Fields[i]
	s, isString := f.Value.(string)
	switch rng.IntN(5) {
	case 0:
		if isString {
			f.Value = strings.Map(func(r rune) rune {
				if rng.IntN(2) == 0 {
					return unicode.ToUpper(r)
				}
				return unicode.ToLower(r)
			}, s)
		}
	case 1:
		ev.Fields = append(ev.Fields[:i], ev.Fields[i+1:]...)
	case 2:
		if isString && len(s) > 1 {
			f.Value = s[:rng.IntN(len(s))]
		}
	case 3:
		if isString {
			f.Value = []string{"other", s}
		}
	case 4:
		ev.Message = strings.ToUpper(ev.Message)
	}
}

// detectionHits runs an engine over events and returns, per event, the sorted ids of
// the detection rules that alerted.
func detectionHits(e *Engine, events []*event.Event) [][]string {
	out := make([][]string, len(events))
	for i, ev := range events {
		for _, a := range e.Eval(ev, ev.Time) {
			if a.Rule.Kind == "detection" {
				out[i] = append(out[i], a.Rule.ID)
			}
		}
		sort.Strings(out[i])
	}
	return out
}

// TestPrefilterNeverChangesResults runs every SigmaHQ linux and cloud rule over every
// golden event of the parsers and thousands of generated ones three ways: the engine
// with its prefilter, the engine without it, and the naive reference evaluator. The
// three must raise the same alerts for every event.
func TestPrefilterNeverChangesResults(t *testing.T) {
	c := loadCorpus(t)
	events := goldenEvents(t)
	gen := generateEvents(c, 6000, 1)
	events = append(events, gen...)
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore-logsource=%v", ignore), func(t *testing.T) {
			fast, _ := Compile(c, Options{IgnoreLogsource: ignore})
			slow, _ := Compile(c, Options{IgnoreLogsource: ignore, NoPrefilter: true})
			ref := newReference(c, ignore)
			a, b := detectionHits(fast, events), detectionHits(slow, events)
			hits, diffs := 0, 0
			for i, ev := range events {
				want := ref.eval(ev)
				sort.Strings(want)
				hits += len(want)
				if !reflect.DeepEqual(a[i], b[i]) || !reflect.DeepEqual(norm(a[i]), norm(want)) {
					diffs++
					if diffs <= 10 {
						t.Errorf("event %s (%s): prefilter %v, without %v, reference %v\n%s", ev.ID, ev.Type, a[i], b[i], want, mustJSON(ev))
					}
				}
			}
			st := fast.Stats()
			t.Logf("%d events, %d rules, %d hits; prefilter skipped %.1f%% of %d (event, rule) pairs; %d differences",
				len(events), fast.Len(), hits, 100*st.SkippedFraction(), st.Offered, diffs)
			if hits == 0 {
				t.Error("no rule matched any event: the test proves nothing")
			}
		})
	}
}

func norm(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func mustJSON(ev *event.Event) string {
	b, err := ev.MarshalJSON()
	if err != nil {
		return err.Error()
	}
	return string(b)
}
