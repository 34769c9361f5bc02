package detect

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Engine evaluates compiled rules against events. It is safe for concurrent use; calls
// are serialised, since correlations keep state across events.
type Engine struct {
	mu      sync.Mutex
	opts    Options
	sources []*source
	rules   []*crule // every compiled detection and correlation rule, in load order
	acc     []accessor
	// accIndex finds the accessor of a list of paths, so that exceptions compiled
	// later share the accessors (and the per-event cache) of the rules.
	accIndex map[string]int
	corrs    []*corr
	filters  []*cfilter

	bySource   [][]int // the detection rules of each source
	everywhere []int   // with IgnoreLogsource: every detection rule
	plans      map[string]*typePlan
	routes     map[srcMask]*route

	pf      *prefilter
	ctx     *evalCtx
	candGen []uint32 // rules marked by the prefilter for the event of generation gen
	gen     uint32

	out   []Alert
	st    counters
	clock int64 // the latest time seen, in Unix nanoseconds
	// floor is the latest time Advance was given (a live caller's wall clock minus the
	// lateness it allows); lagging are the sources whose events come from before it
	// while they keep sending (an agent's backlog): the windows stay open until each of
	// them has delivered past their end (see watermark).
	floor   int64
	lagging map[string]*lagSource

	// exceptions are the exceptions that apply, as SetExceptions set them; each rule
	// holds its share of them (crule.exceptions). byID and byName index the rules
	// for resolving the exceptions' references, built on first use.
	exceptions []*exception
	byID       map[string]*crule
	byName     map[string]*crule
	blocked    []bool // scratch: the correlations exceptions keep a match from
}

// crule is a compiled detection or correlation rule.
type crule struct {
	rule   *sigma.Rule
	kind   sigma.Kind
	idx    int
	srcIdx int
	src    *source
	ref    RuleRef

	cond    *node // detection rules
	corr    *corr // correlation rules
	lits    []int // the prefilter's literals, one of which the rule needs; nil: none
	filters []filterUse
	// exceptions are the exceptions that apply to the rule's matches (detection rules),
	// those that drop the match first.
	exceptions []excUse
	parents    []corrTarget
	// generate tells whether the rule raises alerts of its own (see generation).
	generate bool
	// muted rules are evaluated (correlations still count their matches) but raise
	// no alerts of their own: a person disabled them (SetDisabled).
	muted bool

	st ruleCounters
}

type ruleCounters struct {
	evals, hits, skipped, suppressed, alerts, muted uint64
	sampledNs                                       int64
	samples                                         uint64
}

// cfilter is a compiled filter.
type cfilter struct {
	rule       *sigma.Rule
	ref        RuleRef
	rules      int
	suppressed uint64
}

// filterUse is a filter's condition compiled for one rule's pipeline.
type filterUse struct {
	f    *cfilter
	cond *node
}

type counters struct {
	events, offered, skipped, evaluated, alerts uint64
}

// Eval evaluates one event and returns the alerts it raises: the matches of detection
// rules, the correlations it completes, and the correlation windows its time closed.
// Time comes from the event: it places the event in correlation windows and moves the
// engine's clock, so replaying logs (hunt) raises the alerts a live engine raised. now
// is the injected clock, used for an event without a time of its own; a live engine
// also calls Advance with it from a timer, so that windows close when no event comes.
// Neither the engine nor the alerts keep anything of the event: its memory is the
// caller's again once Eval returns.
func (e *Engine) Eval(ev *event.Event, now time.Time) []Alert {
	return e.AppendEvalFrom(nil, "", ev, now)
}

// EvalFrom is Eval for an event that a live caller received from source (an agent, a
// syslog peer, an ingest token): a source whose events come from before the clock of
// Advance while it keeps sending (a backlog after an outage) holds the correlation
// windows open until it has caught up, so that its events count in them as they would
// have live. See DETECTION.md.
func (e *Engine) EvalFrom(source string, ev *event.Event, now time.Time) []Alert {
	return e.AppendEvalFrom(nil, source, ev, now)
}

// AppendEval is Eval appending the alerts to dst, for a caller that handles each
// event's alerts before the next event and reuses one slice for them (hunt).
func (e *Engine) AppendEval(dst []Alert, ev *event.Event, now time.Time) []Alert {
	return e.AppendEvalFrom(dst, "", ev, now)
}

// AppendEvalFrom is EvalFrom appending the alerts to dst.
func (e *Engine) AppendEvalFrom(dst []Alert, source string, ev *event.Event, now time.Time) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.out = dst
	t := ev.Time
	if t.IsZero() {
		t = now
	}
	e.arrived(source, t.UnixNano())
	e.advance(t.UnixNano())
	e.st.events++
	c := e.ctx
	c.reset(ev)
	rt := e.route(ev)
	e.st.offered += uint64(len(rt.rules))
	prefilter := e.pf != nil && len(rt.rules) > 0
	if prefilter {
		e.scan(rt)
	}
	for _, ri := range rt.rules {
		cr := e.rules[ri]
		if prefilter && cr.lits != nil && e.candGen[ri] != e.gen {
			cr.st.skipped++
			e.st.skipped++
			continue
		}
		e.evaluate(cr, ev, t)
	}
	c.ev = nil
	out := e.out
	e.out = nil
	return out
}

// evaluate runs one detection rule on the current event.
func (e *Engine) evaluate(cr *crule, ev *event.Event, t time.Time) {
	c := e.ctx
	cr.st.evals++
	e.st.evaluated++
	var began time.Time
	sampled := cr.st.evals&63 == 1
	if sampled {
		began = time.Now()
	}
	var ok bool
	if cr.generate {
		// The items that match are noted on the way; they become the alert's fields
		// only if the rule matches.
		c.recBuf = c.recBuf[:0]
		c.rec = &c.recBuf
		ok = cr.cond.eval(c)
		c.rec = nil
	} else {
		ok = cr.cond.eval(c)
	}
	if ok {
		for _, fu := range cr.filters {
			if !fu.cond.eval(c) {
				fu.f.suppressed++
				cr.st.suppressed++
				ok = false
				break
			}
		}
	}
	var blocked []bool
	if ok && len(cr.exceptions) > 0 {
		ok, blocked = e.except(cr, t.UnixNano())
	}
	if sampled {
		cr.st.sampledNs += int64(time.Since(began))
		cr.st.samples++
	}
	if !ok {
		return
	}
	cr.st.hits++
	// The id is copied: the caller may reuse the event's memory once Eval returns
	// (parse.Options.Reuse), and the alert and the correlations keep it.
	id := strings.Clone(ev.ID)
	a := Alert{Rule: cr.ref, Time: t, First: t, Last: t, EventIDs: []string{id}, EventCount: 1}
	if cr.generate {
		a.Matched = matched(c.recBuf)
	}
	for i, p := range cr.parents {
		if blocked != nil && blocked[i] {
			continue
		}
		p.c.matchEvent(e, p.pos, t, id)
	}
	if cr.generate {
		if cr.muted {
			cr.st.muted++
			return
		}
		cr.st.alerts++
		e.st.alerts++
		e.out = append(e.out, a)
	}
}

// emit delivers a correlation's alert: to the output when the correlation generates
// alerts, and to the correlations that reference it.
func (e *Engine) emit(cr *crule, a *Alert) {
	for _, p := range cr.parents {
		p.c.matchAlert(e, p.pos, a)
	}
	if cr.generate {
		if cr.muted {
			cr.st.muted++
			return
		}
		cr.st.alerts++
		e.st.alerts++
		e.out = append(e.out, *a)
	}
}

// lagSource is a source whose events come from before the floor.
type lagSource struct {
	clock int64 // the latest time of its events
	since int64 // the floor when it began to lag
	seen  int64 // the floor when its last event came
	// exhausted: it has held the windows open for Options.MaxHold; it no longer does
	// (a host whose clock is behind, rather than a backlog catching up).
	exhausted bool
}

// arrived notes the time of a source's event: a source whose event lies before the
// floor lags until its events reach the floor (see Advance).
func (e *Engine) arrived(source string, t int64) {
	if t >= e.floor {
		if e.lagging != nil {
			delete(e.lagging, source)
		}
		return
	}
	if t < e.clock-int64(e.opts.MaxLag) {
		return // too old to hold the windows for: its correlations are hunt's
	}
	l := e.lagging[source]
	if l == nil {
		if e.lagging == nil {
			e.lagging = map[string]*lagSource{}
		}
		if len(e.lagging) >= maxLagging {
			return
		}
		l = &lagSource{clock: t, since: e.floor}
		e.lagging[source] = l
	}
	l.clock = max(l.clock, t)
	l.seen = e.floor
}

// maxLagging bounds the sources that hold the windows open at once.
const maxLagging = 1024

// watermark is the time before which windows are closed: the clock, held back to the
// latest event of each lagging source.
func (e *Engine) watermark() int64 {
	w := e.clock
	for _, l := range e.lagging {
		if !l.exhausted {
			w = min(w, l.clock)
		}
	}
	return w
}

// advance moves the clock and closes the correlation windows that ended before the
// watermark.
func (e *Engine) advance(now int64) {
	if now > e.clock {
		e.clock = now
	}
	w := e.watermark()
	for _, co := range e.corrs {
		if co.head != nil && co.head.deadline < w {
			co.sweep(e, w)
		}
	}
}

// Advance moves the clock without an event (a live engine calls it from a timer) and
// returns the alerts of the correlation windows that closed. Events older than the
// clock still count in the windows that are open, but windows it closed stay closed:
// a caller whose events arrive late (batched by agents, queued in transit) passes the
// current time minus the delay it allows them, so that it raises the alerts a replay
// of the same events raises.
//
// The time given is also the floor for sources (EvalFrom), and the engine's measure of
// time passing: a source whose events lie before it (an agent delivering its backlog)
// holds the windows open at its own latest event while it keeps sending, so that its
// events count in them as they would have live. It lets go when its events reach the
// floor, when the floor has moved Options.LagIdle past its last event, or, still
// lagging, after Options.MaxHold.
func (e *Engine) Advance(now time.Time) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.out = nil
	n := now.UnixNano()
	e.floor = max(e.floor, n)
	for k, l := range e.lagging {
		switch {
		case l.clock >= e.floor || e.floor-l.seen > int64(e.opts.LagIdle):
			delete(e.lagging, k)
		case e.floor-l.since > int64(e.opts.MaxHold):
			l.exhausted = true
		}
	}
	e.advance(n)
	return e.out
}

// Flush decides every open correlation window as if the clock had passed its end, and
// forgets all correlation state; hunt calls it at the end of its input.
func (e *Engine) Flush() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.out = nil
	for _, co := range e.corrs {
		co.flush(e)
	}
	return e.out
}

// RuleInfo describes a compiled rule.
type RuleInfo struct {
	RuleRef
	// Source names the logsource mapping entry that routes events to the rule (empty
	// for correlations, and for rules read without a mapping).
	Source string
	// Generates tells whether the rule raises alerts of its own.
	Generates bool
	// Literals is the number of literals the prefilter requires one of (0: the rule
	// is evaluated for every event its logsource offers).
	Literals int
}

// Rules lists the compiled rules in load order.
func (e *Engine) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(e.rules))
	for _, cr := range e.rules {
		ri := RuleInfo{RuleRef: cr.ref, Generates: cr.generate, Literals: len(cr.lits)}
		if cr.src != nil {
			ri.Source = cr.src.name
		}
		out = append(out, ri)
	}
	return out
}

// Len is the number of compiled rules (detections and correlations).
func (e *Engine) Len() int { return len(e.rules) }

// sortedUnion merges sorted index lists.
func sortedUnion(lists ...[]int) []int {
	var out []int
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Ints(out)
	n := 0
	for i, x := range out {
		if i == 0 || x != out[n-1] {
			out[n] = x
			n++
		}
	}
	return out[:n]
}
