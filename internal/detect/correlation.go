package detect

import (
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// corrMode is when a correlation's condition is decided.
type corrMode uint8

const (
	// modeSliding: conditions with lower bounds only (gt, gte) on counts and sums,
	// which can only grow as matches arrive. The window slides with each match (the
	// matches of the last timespan up to it) and the correlation fires as soon as
	// the condition holds; the group then starts afresh.
	modeSliding corrMode = iota + 1
	// modeClosing: every other condition (upper bounds, eq, neq, ranges, averages and
	// percentiles), which only the whole window can decide. The window opens at the
	// group's first match and is decided when it ends: when a later match or the clock
	// passes its end, or at Flush.
	modeClosing
	// modeShare: value_percentile without a percentile: the share (in percent) of the
	// group's matches in the last timespan whose field has the value of the current
	// match, decided at each match (rare values have a small share).
	modeShare
)

// corr is a compiled correlation rule with its state.
type corr struct {
	cr      *crule
	typ     sigma.CorrelationType
	span    int64 // nanoseconds
	cond    *sigma.CorrelationCondition
	mode    corrMode
	targets []*crule
	groupBy []string
	keys    [][]keySrc // per target, per group-by field
	vals    [][]keySrc // per target, per condition field (value_* types)

	groups     map[string]*group
	head, tail *group // ordered by deadline
	maxEvents  int

	evicted, dropped, expired, fired uint64
	scratch                          map[string]int
	emptyVal                         string // the value of a match without the condition fields
	seen                             []bool // scratch: the rules seen in a temporal window
	// fp is the fingerprint of the correlation's definition, which a saved state must
	// carry to be restored into it (see state.go).
	fp string
}

// keySrc reads one field of a target's match: an accessor of the event of a detection
// rule, or the index of a group-by field of a correlation's alert.
type keySrc struct {
	acc   int
	group string
}

type group struct {
	key        string
	values     []string
	entries    []entry
	head       int
	start      int64
	deadline   int64
	prev, next *group
}

// entry is one match in a group's window.
type entry struct {
	// t places the match in windows: the time of a detection rule's event, or when a
	// referenced correlation's alert was decided (the end of its window).
	t int64
	// first and last are the times of the first and the last event behind the match.
	first, last int64
	target      int
	id          string
	ids         []string // the events of a correlation's alert
	val         string
	num         float64
	hasNum      bool
}

// correlations compiles the correlation rules whose rules compiled, in an order that
// puts each after the correlations it references.
func (b *builder) correlations(c *sigma.Collection) {
	pending := c.OfKind(sigma.KindCorrelation)
	for len(pending) > 0 {
		var next []*sigma.Rule
		progress := false
		for _, r := range pending {
			ready, failed := true, ""
			for i, t := range r.Correlation.Targets {
				if t == nil {
					failed = r.Correlation.Rules[i]
					break
				}
				if b.byRule[t] == nil {
					if t.Kind == sigma.KindCorrelation && contains(pending, t) {
						ready = false
						continue
					}
					failed = r.Correlation.Rules[i]
					break
				}
			}
			switch {
			case failed != "":
				b.reject(r, r.Correlation.Line, r.Correlation.Column, "correlation references %q, which could not be compiled", failed)
				progress = true
			case !ready:
				next = append(next, r)
			default:
				b.correlation(r)
				progress = true
			}
		}
		if !progress {
			for _, r := range next {
				b.reject(r, r.Correlation.Line, r.Correlation.Column, "correlation references correlations that could not be compiled")
			}
			return
		}
		pending = next
	}
}

func contains(rs []*sigma.Rule, r *sigma.Rule) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func (b *builder) correlation(r *sigma.Rule) {
	sc := r.Correlation
	co := &corr{typ: sc.Type, span: int64(sc.Timespan), cond: sc.Condition, groupBy: sc.GroupBy,
		groups: map[string]*group{}, maxEvents: b.e.opts.MaxGroupEvents, scratch: map[string]int{}}
	if co.cond == nil {
		b.reject(r, sc.Line, sc.Column, "the correlation has no condition")
		return
	}
	if n := len(co.cond.Field); n > 1 {
		co.emptyVal = strings.Repeat("\x1f", n-1)
	}
	lowerOnly := true
	for _, bd := range co.cond.Bounds {
		if bd.Op != "gt" && bd.Op != "gte" {
			lowerOnly = false
		}
		// A count that must reach a threshold needs room for that many matches.
		lower := bd.Op == "gt" || bd.Op == "gte"
		if need := int(bd.Value.Float) + 2; lower && (co.typ == sigma.EventCount || co.typ == sigma.ValueCount) && need > co.maxEvents && need < 1<<20 {
			co.maxEvents = need
		}
	}
	switch {
	case co.typ == sigma.ValuePercentile && !co.cond.HasPercentile:
		co.mode = modeShare
	case lowerOnly && co.typ != sigma.ValueAvg && co.typ != sigma.ValuePercentile:
		co.mode = modeSliding
	default:
		co.mode = modeClosing
	}
	for _, t := range sc.Targets {
		tc := b.byRule[t]
		co.targets = append(co.targets, tc)
		var keys, vals []keySrc
		for _, g := range sc.GroupBy {
			ks, err := b.keySource(sc, tc, g)
			if err != nil {
				b.reject(r, sc.Line, sc.Column, "group-by %s for rule %s: %v", g, t.Ref(), err)
				return
			}
			keys = append(keys, ks)
		}
		for _, f := range co.cond.Field {
			ks, err := b.keySource(sc, tc, f)
			if err != nil {
				b.reject(r, sc.Line, sc.Column, "condition field %s for rule %s: %v", f, t.Ref(), err)
				return
			}
			vals = append(vals, ks)
		}
		co.keys = append(co.keys, keys)
		co.vals = append(co.vals, vals)
	}
	cr := b.newRule(r, sigma.KindCorrelation)
	cr.corr = co
	co.cr = cr
	if r.Level == "" {
		cr.ref.Level = ""
	}
	for i, tc := range co.targets {
		tc.parents = append(tc.parents, corrTarget{c: co, pos: i})
	}
	b.e.corrs = append(b.e.corrs, co)
}

// keySource resolves a group-by or condition field for one target, through the
// correlation's aliases.
func (b *builder) keySource(sc *sigma.Correlation, tc *crule, name string) (keySrc, error) {
	field := name
	for _, a := range sc.Aliases {
		if a.Name != name {
			continue
		}
		for k, t := range a.Targets {
			if t == tc.rule {
				field = a.Fields[k]
			}
		}
	}
	if tc.kind == sigma.KindCorrelation {
		return keySrc{acc: -1, group: field}, nil
	}
	acc, err := b.accessorFor(tc.src, field)
	if err != nil {
		return keySrc{}, err
	}
	return keySrc{acc: acc}, nil
}

// corrTarget is a correlation that references a rule, and the rule's position in its
// list.
type corrTarget struct {
	c   *corr
	pos int
}

// matchEvent feeds a detection rule's match on the current event.
func (co *corr) matchEvent(e *Engine, pos int, t time.Time, id string) {
	c := e.ctx
	keys := make([]string, len(co.keys[pos]))
	for i, ks := range co.keys[pos] {
		keys[i] = slotText(c.slot(ks.acc))
	}
	en := entry{t: t.UnixNano(), first: t.UnixNano(), last: t.UnixNano(), target: pos, id: id}
	if vs := co.vals[pos]; len(vs) > 0 {
		parts := make([]string, len(vs))
		for i, ks := range vs {
			sl := c.slot(ks.acc)
			parts[i] = slotText(sl)
			if i == 0 {
				en.num, en.hasNum = slotNumber(sl)
			}
		}
		en.val = strings.Join(parts, "\x1f")
	}
	co.add(e, en, keys)
}

// matchAlert feeds a referenced correlation's alert. The alert counts at the time it
// was decided, the end of its window, rather than at its last event: a window that
// only its end decides is decided after its last event, by as much as its timespan,
// and a correlation over it must not have closed the window that the alert belongs to
// by then. So the alerts are the same whether the clock moves with events only
// (replay) or also with a timer (live).
func (co *corr) matchAlert(e *Engine, pos int, a *Alert) {
	keys := make([]string, len(co.keys[pos]))
	for i, ks := range co.keys[pos] {
		keys[i] = groupValue(a, ks.group)
	}
	decided := a.Last
	if a.Window != nil {
		decided = a.Window.End
	}
	en := entry{t: decided.UnixNano(), first: a.First.UnixNano(), last: a.Last.UnixNano(), target: pos, ids: a.EventIDs}
	if vs := co.vals[pos]; len(vs) > 0 {
		parts := make([]string, len(vs))
		for i, ks := range vs {
			parts[i] = groupValue(a, ks.group)
		}
		en.val = strings.Join(parts, "\x1f")
		if a.Correlation != nil {
			en.num, en.hasNum = a.Correlation.Value, true
		}
	}
	co.add(e, en, keys)
}

func groupValue(a *Alert, name string) string {
	for _, g := range a.Group {
		if g.Field == name {
			s, _ := g.Value.(string)
			return s
		}
	}
	return ""
}

// slotText is a field's value as one string (list elements joined with commas), copied
// out of the event's arena.
func slotText(sl *slot) string {
	switch len(sl.vals) {
	case 0:
		return ""
	case 1:
		return strings.Clone(sl.vals[0].s)
	}
	parts := make([]string, len(sl.vals))
	for i, v := range sl.vals {
		parts[i] = v.s
	}
	return strings.Join(parts, ",")
}

func slotNumber(sl *slot) (float64, bool) {
	for _, v := range sl.vals {
		switch v.kind {
		case kNumber:
			return v.num, true
		case kString:
			if f, ok := parseNumber(v.s); ok {
				return f, true
			}
		}
	}
	return 0, false
}
