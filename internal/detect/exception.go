package detect

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Exceptions are filters that change while the engine runs: a user marks an alert as
// a false positive, and from then on matches like it are suppressed. The filters of
// the collection are joined to their rules once, by Compile; exceptions are replaced
// as a whole by SetExceptions, which compiles only them, so the engine keeps its
// correlation state and its counters.

// Exception is a filter added while the engine runs.
type Exception struct {
	// ID is the caller's id, reported in errors and in ExceptionStats.
	ID string
	// Filter is a filter document (Kind sigma.KindFilter; ParseException reads one)
	// naming the rules it applies to by id or name. As for every Sigma filter, its
	// condition must hold for a match to stand: an exception says "not selection".
	Filter *sigma.Rule
	// Expires is when the exception stops applying: it does not apply to events whose
	// time (or, for an event without one, the clock given to Eval) is at or after
	// Expires. Zero means never.
	Expires time.Time
}

// ExceptionError is why an exception cannot apply. The other exceptions of the same
// SetExceptions call apply all the same.
type ExceptionError struct {
	ID  string // the exception's id
	Err error
}

func (e *ExceptionError) Error() string { return fmt.Sprintf("exception %q: %v", e.ID, e.Err) }

func (e *ExceptionError) Unwrap() error { return e.Err }

// exception is an exception that applies.
type exception struct {
	id         string
	until      int64 // Unix nanoseconds: applies to events before it
	suppressed uint64
}

// excUse is an exception compiled for one detection rule, with the rule's field
// pipeline.
type excUse struct {
	x *exception
	// cond is the filter's condition: where it does not hold, the exception applies.
	cond *node
	// whole tells that the exception names the rule itself and drops its match.
	// Otherwise it names correlations over the rule, and keeps the match only from
	// the correlations at links (positions in the rule's parents).
	whole bool
	links []int
}

// SetExceptions replaces the set of exceptions at once; it is safe concurrently with
// Eval, which sees either the old set or the new one. It returns an *ExceptionError for
// each exception that cannot apply (no id or a repeated one, not a filter, a rule
// reference that names no rule of the engine or a filter, a logsource that does not
// cover the rule's, a condition that does not compile with the rule's field
// pipeline); the others apply. ExceptionStats keeps the counts of the ids that stay.
//
// An exception naming a detection rule drops the rule's matches on the events for
// which its condition does not hold, as a filter of the collection would. An exception
// naming a correlation keeps such matches of the detection rules under it only from
// that correlation and the correlations it is built on: the rules' own alerts, and
// other correlations over them, still see them. The filter's logsource must cover the
// detection rule's (for a correlation, that of one rule under it at least; the rules
// it does not cover are not excepted), as for the filters of the collection.
func (e *Engine) SetExceptions(list []Exception) []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byID == nil {
		e.indexRules()
	}
	counts := map[string]uint64{}
	for _, x := range e.exceptions {
		counts[x.id] = x.suppressed
	}
	b := &builder{e: e, accIndex: e.accIndex}
	uses := map[*crule][]excUse{}
	seen := map[string]bool{}
	var applied []*exception
	var errs []error
	for _, x := range list {
		var err error
		switch {
		case x.ID == "":
			err = errors.New("the exception has no id")
		case seen[x.ID]:
			err = errors.New("another exception has the same id")
		}
		seen[x.ID] = true
		var rus []ruleUse
		if err == nil {
			rus, err = e.compileException(b, x.Filter)
		}
		if err != nil {
			errs = append(errs, &ExceptionError{ID: x.ID, Err: err})
			continue
		}
		cx := &exception{id: x.ID, until: math.MaxInt64, suppressed: counts[x.ID]}
		if !x.Expires.IsZero() {
			cx.until = x.Expires.UnixNano()
		}
		for _, ru := range rus {
			ru.use.x = cx
			uses[ru.cr] = append(uses[ru.cr], ru.use)
		}
		applied = append(applied, cx)
	}
	// New fields read by the exceptions get slots in the per-event cache.
	c := e.ctx
	c.acc = e.acc
	c.slots = append(c.slots, make([]slot, len(e.acc)-len(c.slots))...)
	for _, cr := range e.rules {
		us := uses[cr]
		// An exception that drops the match is tried before those that keep it from
		// correlations, which would count it in vain.
		slices.SortStableFunc(us, func(a, b excUse) int {
			switch {
			case a.whole == b.whole:
				return 0
			case a.whole:
				return -1
			}
			return 1
		})
		cr.exceptions = us
	}
	e.exceptions = applied
	return errs
}

// ExceptionStats returns, per exception id, how many events each exception that
// applies suppressed since it was first set (an event counts once per exception, even
// when it is kept from several rules or correlations).
func (e *Engine) ExceptionStats() map[string]uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]uint64, len(e.exceptions))
	for _, x := range e.exceptions {
		out[x.id] = x.suppressed
	}
	return out
}

// ruleUse is an exception's share for one detection rule, before it is set.
type ruleUse struct {
	cr  *crule
	use excUse
}

// compileException resolves a filter's references against the engine's rules and
// compiles its condition for each detection rule it applies to.
func (e *Engine) compileException(b *builder, r *sigma.Rule) ([]ruleUse, error) {
	switch {
	case r == nil:
		return nil, errors.New("the exception has no filter")
	case r.Kind != sigma.KindFilter || r.Filter == nil:
		return nil, fmt.Errorf("%s is a %s, not a filter", r.Ref(), r.Kind)
	case r.Filter.Detection == nil || r.Filter.Detection.Condition == nil:
		return nil, errors.New("the filter has no condition")
	}
	f := r.Filter
	var out []ruleUse
	at := map[*crule]int{}
	use := func(cr *crule) *excUse {
		i, ok := at[cr]
		if !ok {
			i = len(out)
			at[cr] = i
			out = append(out, ruleUse{cr: cr})
		}
		return &out[i].use
	}
	var errs []error
	if f.All {
		for _, cr := range e.rules {
			if cr.kind == sigma.KindDetection && r.LogSource.Covers(cr.rule.LogSource) {
				use(cr).whole = true
			}
		}
		if len(out) == 0 {
			errs = append(errs, fmt.Errorf("the filter applies to every rule of %s, and the engine has none", describeLogSource(r.LogSource)))
		}
	}
	for _, ref := range f.Rules {
		cr := e.lookup(ref)
		switch {
		case cr == nil:
			errs = append(errs, fmt.Errorf("%q names no rule the engine runs", ref))
		case cr.kind == sigma.KindDetection:
			if !r.LogSource.Covers(cr.rule.LogSource) {
				errs = append(errs, fmt.Errorf("the filter's %s does not cover %s of rule %q", describeLogSource(r.LogSource), describeLogSource(cr.rule.LogSource), ref))
				continue
			}
			use(cr).whole = true
		default:
			n := 0
			for _, l := range correlationLinks(cr.corr) {
				if !r.LogSource.Covers(l.cr.rule.LogSource) {
					continue
				}
				u := use(l.cr)
				for _, pos := range l.links {
					if !slices.Contains(u.links, pos) {
						u.links = append(u.links, pos)
					}
				}
				n++
			}
			if n == 0 {
				errs = append(errs, fmt.Errorf("the filter's %s covers none of the rules of correlation %q", describeLogSource(r.LogSource), ref))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	conds := map[*source]*node{}
	for i := range out {
		cr := out[i].cr
		cond, ok := conds[cr.src]
		if !ok {
			dc := &detCompiler{e: b, src: cr.src, d: f.Detection, searches: map[string]*node{}}
			var err error
			if cond, err = dc.condition(f.Detection.Condition); err != nil {
				return nil, fmt.Errorf("for rule %s: %w", cr.rule.Ref(), err)
			}
			conds[cr.src] = cond
		}
		out[i].use.cond = cond
	}
	return out, nil
}

// corrLink is a detection rule under a correlation, and the positions in its parents
// of the correlations it feeds there.
type corrLink struct {
	cr    *crule
	links []int
}

// correlationLinks returns the detection rules that a correlation is built on, through
// the correlations it references, each with its links to those correlations.
func correlationLinks(top *corr) []corrLink {
	var out []corrLink
	at := map[*crule]int{}
	seen := map[*corr]bool{}
	var walk func(co *corr)
	walk = func(co *corr) {
		if seen[co] {
			return
		}
		seen[co] = true
		for _, t := range co.targets {
			if t.kind == sigma.KindCorrelation {
				walk(t.corr)
				continue
			}
			i, ok := at[t]
			if !ok {
				i = len(out)
				at[t] = i
				out = append(out, corrLink{cr: t})
			}
			for pos, p := range t.parents {
				if p.c == co && !slices.Contains(out[i].links, pos) {
					out[i].links = append(out[i].links, pos)
				}
			}
		}
	}
	walk(top)
	return out
}

// indexRules indexes the compiled rules by id (in any letter case) and name, as
// sigma.Collection.Lookup finds them.
func (e *Engine) indexRules() {
	e.byID, e.byName = map[string]*crule{}, map[string]*crule{}
	for _, cr := range e.rules {
		if cr.rule.ID != "" {
			e.byID[strings.ToLower(cr.rule.ID)] = cr
		}
		if cr.rule.Name != "" {
			e.byName[cr.rule.Name] = cr
		}
	}
}

// lookup finds a compiled rule by id or name.
func (e *Engine) lookup(ref string) *crule {
	if cr, ok := e.byID[strings.ToLower(ref)]; ok {
		return cr
	}
	return e.byName[ref]
}

// except applies a detection rule's exceptions to its match on the current event, at
// time t. It returns false when an exception drops the match; otherwise blocked, when
// not nil, marks the correlations (positions in the rule's parents) that exceptions
// keep the match from.
func (e *Engine) except(cr *crule, t int64) (ok bool, blocked []bool) {
	for i := range cr.exceptions {
		u := &cr.exceptions[i]
		if t >= u.x.until {
			continue
		}
		if !u.whole && blocked != nil && allSet(blocked, u.links) {
			continue
		}
		if u.cond.eval(e.ctx) {
			continue
		}
		u.x.suppressed++
		if u.whole {
			cr.st.suppressed++
			return false, nil
		}
		if blocked == nil {
			if n := len(cr.parents); cap(e.blocked) < n {
				e.blocked = make([]bool, n)
			}
			blocked = e.blocked[:len(cr.parents)]
			clear(blocked)
		}
		for _, pos := range u.links {
			if !blocked[pos] {
				blocked[pos] = true
				cr.parents[pos].c.cr.st.suppressed++
			}
		}
	}
	return true, blocked
}

func allSet(marks []bool, idx []int) bool {
	for _, i := range idx {
		if !marks[i] {
			return false
		}
	}
	return true
}

// SetDisabled replaces the set of disabled rules, given by id or name: a disabled rule
// is still evaluated, and correlations still count its matches, but it raises no alerts
// of its own (they are counted as muted). It is safe concurrently with Eval. Unknown
// references are returned; the others apply.
func (e *Engine) SetDisabled(refs []string) (unknown []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byID == nil {
		e.indexRules()
	}
	for _, cr := range e.rules {
		cr.muted = false
	}
	for _, ref := range refs {
		cr := e.lookup(ref)
		if cr == nil {
			unknown = append(unknown, ref)
			continue
		}
		cr.muted = true
	}
	return unknown
}
