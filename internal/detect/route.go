package detect

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// srcMask is a set of sources (the sources an event satisfies).
type srcMask [maxSources / 64]uint64

func (m *srcMask) set(i int)      { m[i/64] |= 1 << (i % 64) }
func (m *srcMask) has(i int) bool { return m[i/64]&(1<<(i%64)) != 0 }

// route is what the engine does with events that satisfy one set of sources: the rules
// to offer them, and what the prefilter scans.
type route struct {
	rules []int
	// scan lists the accessors whose values the prefilter scans, and keywords whether
	// it scans every string of the event, for the rules of the route that have
	// literals.
	scan     []int
	keywords bool
	// ac is the automaton over the literals of the route's rules only: smaller than
	// the engine's, so its table stays in the processor's caches.
	ac *acScanner
}

// typePlan is the part of routing that depends only on the parser that made an event
// (event.module): the sources it satisfies whatever its fields, and the alternatives
// left to test on each event.
type typePlan struct {
	base   srcMask
	checks []altCheck
	fixed  *route // the route, when no alternative is left to test
}

type altCheck struct {
	src   int
	conds []pcond
}

// maxRoutes bounds the cache of routes; events past it are routed without caching.
const maxRoutes = 4096

// maxRouteAutomata bounds the routes that get an automaton of their own; the others use
// the engine's automaton of every literal.
const maxRouteAutomata = 64

// route returns the route of the current event.
func (e *Engine) route(ev *event.Event) *route {
	if e.opts.IgnoreLogsource {
		return e.routeOf(srcMask{})
	}
	var m srcMask
	if ev.Type == "" {
		// Without a parser name (an event rebuilt from JSON), every alternative is
		// tested in full.
		for i, s := range e.sources {
			for _, alt := range s.alts {
				if e.holds(alt) {
					m.set(i)
					break
				}
			}
		}
		return e.routeOf(m)
	}
	p := e.plans[ev.Type]
	if p == nil {
		p = e.plan(ev.Type)
	}
	if p.fixed != nil {
		return p.fixed
	}
	m = p.base
	if len(p.checks) == 0 {
		p.fixed = e.routeOf(m)
		return p.fixed
	}
	for _, ck := range p.checks {
		if !m.has(ck.src) && e.holds(ck.conds) {
			m.set(ck.src)
		}
	}
	return e.routeOf(m)
}

// plan builds the type plan of one parser name.
func (e *Engine) plan(typ string) *typePlan {
	p := &typePlan{}
	for i, s := range e.sources {
		for _, alt := range s.alts {
			var rest []pcond
			ok := true
			for _, c := range alt {
				if c.path.kind != pathModule {
					rest = append(rest, c)
					continue
				}
				if !c.any && !containsString(c.values, typ) {
					ok = false
				}
			}
			switch {
			case !ok:
			case len(rest) == 0:
				p.base.set(i)
			default:
				p.checks = append(p.checks, altCheck{src: i, conds: rest})
			}
		}
	}
	if len(e.plans) < maxRoutes {
		e.plans[strings.Clone(typ)] = p // the event's memory may be reused
	}
	return p
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// holds tells whether an event satisfies every test of an alternative. It reads the
// fields through the per-event cache, which the rules then find filled.
func (e *Engine) holds(conds []pcond) bool {
	for _, c := range conds {
		sl := e.ctx.slot(c.acc)
		if !sl.present || len(sl.vals) == 0 {
			return false
		}
		if c.any {
			continue
		}
		found := false
		for _, v := range sl.vals {
			if v.kind != kNull && v.kind != kObject && containsString(c.values, v.s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// routeOf returns the route of a set of sources, building it on first use.
func (e *Engine) routeOf(m srcMask) *route {
	if rt, ok := e.routes[m]; ok {
		return rt
	}
	lists := [][]int{e.everywhere}
	for i := range e.sources {
		if m.has(i) {
			lists = append(lists, e.bySource[i])
		}
	}
	rt := &route{rules: sortedUnion(lists...)}
	if e.pf != nil {
		var scan [][]int
		for _, ri := range rt.rules {
			cr := e.rules[ri]
			if cr.lits == nil {
				continue
			}
			scan = append(scan, e.pf.scanAcc[ri])
			rt.keywords = rt.keywords || e.pf.scanKw[ri]
		}
		rt.scan = sortedUnion(scan...)
		if len(e.routes) < maxRouteAutomata {
			rt.ac = e.pf.routeScanner(e.rules, rt.rules)
		} else {
			if e.pf.ac == nil {
				e.pf.ac = newACScanner(e.pf.lits, e.pf.litRules)
			}
			rt.ac = e.pf.ac
		}
	}
	if len(e.routes) < maxRoutes {
		e.routes[m] = rt
	}
	return rt
}
