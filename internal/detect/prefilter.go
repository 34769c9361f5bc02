package detect

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/vigilsec/vigil/internal/sigma"
)

// The prefilter keeps most rules from being evaluated for most events. From each rule's
// condition it derives a set of literals one of which any matching event must contain
// (folded as the matchers fold): an item's set is the longest literal of each of its
// values' patterns; OR takes the union of its branches' sets (none if a branch has
// none); AND takes the most selective of its children's sets; NOT and everything that
// is not a string pattern (numbers, regular expressions, null, exists, cidr, fieldref,
// comparisons) have none. One Aho-Corasick automaton over every rule's literals scans,
// once per event, the folded text of the fields those rules read (and every string of
// the event for keyword rules); a rule with a set is evaluated only when one of its
// literals was found. Since a matching value contains its pattern's literals, and the
// automaton scans those very values, skipping a rule never changes a result.

// minLiteral is the shortest literal worth requiring: a single byte is in almost every
// event, so it would only slow the scan down.
const minLiteral = 2

// litSet is a set of literals one of which an event must contain, with where to look:
// the accessors of the items they come from, and whether keywords need every string.
type litSet struct {
	lits []string
	accs []int
	kw   bool
}

// weakest is the length of the set's shortest literal: the set's selectivity.
func (ls *litSet) weakest() int {
	m := 1 << 30
	for _, l := range ls.lits {
		m = min(m, len(l))
	}
	return m
}

// better tells whether a is a more selective requirement than b.
func better(a, b *litSet) bool {
	if b == nil {
		return true
	}
	wa, wb := a.weakest(), b.weakest()
	if wa != wb {
		return wa > wb
	}
	return len(a.lits) < len(b.lits)
}

func union(sets []*litSet) *litSet {
	out := &litSet{}
	seen := map[string]bool{}
	accSeen := map[int]bool{}
	for _, s := range sets {
		for _, l := range s.lits {
			if !seen[l] {
				seen[l] = true
				out.lits = append(out.lits, l)
			}
		}
		for _, a := range s.accs {
			if !accSeen[a] {
				accSeen[a] = true
				out.accs = append(out.accs, a)
			}
		}
		out.kw = out.kw || s.kw
	}
	return out
}

// literals derives a condition's literal set; nil means none.
func literals(n *node) *litSet {
	switch n.op {
	case nItem:
		return itemLiterals(n.it)
	case nOr:
		sets := make([]*litSet, 0, len(n.kids))
		for _, k := range n.kids {
			s := literals(k)
			if s == nil {
				return nil
			}
			sets = append(sets, s)
		}
		return union(sets)
	case nAnd:
		var best *litSet
		for _, k := range n.kids {
			if s := literals(k); s != nil && better(s, best) {
				best = s
			}
		}
		return best
	}
	return nil
}

func itemLiterals(it *item) *litSet {
	if it.negate {
		return nil
	}
	var sets []*litSet
	var best *litSet
	for _, ops := range it.values {
		vs := &litSet{}
		for k := range ops {
			l := operandLiteral(&ops[k])
			if l == "" {
				vs = nil
				break
			}
			vs.lits = append(vs.lits, l)
		}
		switch {
		case vs == nil && !it.all:
			return nil
		case vs == nil:
		case it.all:
			if better(vs, best) {
				best = vs
			}
		default:
			sets = append(sets, vs)
		}
	}
	var out *litSet
	if it.all {
		if best == nil {
			return nil
		}
		out = union([]*litSet{best})
	} else {
		out = union(sets)
	}
	if it.keyword {
		out.kw = true
	} else {
		out.accs = []int{it.acc}
	}
	return out
}

// operandLiteral returns the literal an operand's matches must contain, or "".
func operandLiteral(o *operand) string {
	if o.kind == sigma.OperandRegex && o.re != nil {
		if l := regexLiteral(o.re.String()); len(l) >= minLiteral {
			return l
		}
		return ""
	}
	if o.kind != sigma.OperandString || o.g == nil {
		return ""
	}
	lit := o.g.longestLiteral()
	if o.cased {
		// A cased pattern matches the raw text, which the scan sees folded: only a
		// run of ASCII folds the same in both.
		lit = fold(longestASCII(lit))
	}
	if len(lit) < minLiteral {
		return ""
	}
	return lit
}

func longestASCII(s string) string {
	best, start := "", 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] >= 0x80 {
			if i-start > len(best) {
				best = s[start:i]
			}
			start = i + 1
		}
	}
	return best
}

// prefilter is the compiled prefilter of an engine.
type prefilter struct {
	ac       *acScanner // over every literal; built when a route needs it
	lits     []string
	litRules [][]int // the rules each literal marks
	scanAcc  [][]int // per rule: the accessors to scan
	scanKw   []bool  // per rule: whether to scan every string
	// covered tells, per accessor, whether every value it reads is also seen by the
	// walk over the whole event that keyword rules need.
	covered []bool
	buf     []byte     // scratch for folded text and formatted numbers
	cur     *acScanner // the automaton of the route being scanned
	// scanners are the automata of the routes, by the rules they serve.
	scanners map[string]*acScanner
	// msgLo and msgHi are the addresses of the message's bytes while the event is
	// walked (both zero otherwise).
	msgLo, msgHi uintptr
}

// buildPrefilter derives every detection rule's literals and builds the automaton.
func (e *Engine) buildPrefilter() {
	if e.opts.NoPrefilter {
		return
	}
	pf := &prefilter{scanAcc: make([][]int, len(e.rules)), scanKw: make([]bool, len(e.rules))}
	ids := map[string]int{}
	for _, cr := range e.rules {
		if cr.kind != sigma.KindDetection || cr.cond == nil {
			continue
		}
		ls := literals(cr.cond)
		if ls == nil {
			continue
		}
		// The automaton looks for whole literals. (Cutting each to a window of 8 or 12
		// bytes, or to its first 16 or 24, for a smaller automaton, measured no faster:
		// the parts occur without their literals often enough to cost more evaluations
		// than the smaller table saves.)
		for _, k := range ls.lits {
			id, ok := ids[k]
			if !ok {
				id = len(pf.lits)
				ids[k] = id
				pf.lits = append(pf.lits, k)
				pf.litRules = append(pf.litRules, nil)
			}
			if !slices.Contains(cr.lits, id) {
				pf.litRules[id] = append(pf.litRules[id], cr.idx)
				cr.lits = append(cr.lits, id)
			}
		}
		pf.scanAcc[cr.idx] = ls.accs
		pf.scanKw[cr.idx] = ls.kw
	}
	if len(pf.lits) == 0 {
		return
	}
	pf.covered = make([]bool, len(e.acc))
	for i, a := range e.acc {
		pf.covered[i] = true
		for _, p := range a.paths {
			switch {
			case p.kind == pathWild:
			case p.kind == pathPlain && p.text != "@timestamp" && p.text != "event.id":
			default:
				pf.covered[i] = false
			}
		}
	}
	e.pf = pf
}

// routeScanner returns the automaton of the literals of some rules, built once for
// each set of rules that have literals (routes often differ only in rules without).
func (pf *prefilter) routeScanner(rules []*crule, idx []int) *acScanner {
	var key []byte
	for _, ri := range idx {
		if rules[ri].lits != nil {
			key = strconv.AppendInt(key, int64(ri), 36)
			key = append(key, ',')
		}
	}
	if a, ok := pf.scanners[string(key)]; ok {
		return a
	}
	if pf.scanners == nil {
		pf.scanners = map[string]*acScanner{}
	}
	a := pf.buildScanner(rules, idx)
	pf.scanners[string(key)] = a
	return a
}

func (pf *prefilter) buildScanner(rules []*crule, idx []int) *acScanner {
	ids := map[int]int{}
	var lits []string
	var litRules [][]int
	for _, ri := range idx {
		for _, id := range rules[ri].lits {
			k, ok := ids[id]
			if !ok {
				k = len(lits)
				ids[id] = k
				lits = append(lits, pf.lits[id])
				litRules = append(litRules, nil)
			}
			litRules[k] = append(litRules[k], ri)
		}
	}
	return newACScanner(lits, litRules)
}

// scan runs the automaton over the text of the route's fields, or of the whole event
// when the route has keyword rules, and marks the rules whose literals it finds.
func (e *Engine) scan(rt *route) {
	e.gen++
	if e.gen == 0 {
		clear(e.candGen)
		if e.pf.ac != nil {
			e.pf.ac.resetStamps()
		}
		for _, a := range e.pf.scanners {
			a.resetStamps()
		}
		e.gen = 1
	}
	e.pf.cur = rt.ac
	c := e.ctx
	if rt.keywords {
		ev := c.ev
		e.scanText(ev.Message)
		// Values cut out of the message (most fields of a text line) hold nothing the
		// scan of the message did not see; unless the message is not valid UTF-8, since
		// such text only folds its ASCII letters.
		pf := e.pf
		pf.msgLo, pf.msgHi = 0, 0
		if len(ev.Message) > 0 && (!hasHigh(ev.Message) || utf8.ValidString(ev.Message)) {
			pf.msgLo = uintptr(unsafe.Pointer(unsafe.StringData(ev.Message)))
			pf.msgHi = pf.msgLo + uintptr(len(ev.Message))
		}
		for i := range ev.Fields {
			e.scanValue(ev.Fields[i].Value, 0)
		}
		if ev.Original != nil {
			e.scanValue(ev.Original, 0)
		}
		pf.msgLo, pf.msgHi = 0, 0
	}
	for _, a := range rt.scan {
		if rt.keywords && e.pf.covered[a] {
			continue
		}
		sl := c.slot(a)
		for i := range sl.vals {
			switch v := &sl.vals[i]; v.kind {
			case kString:
				e.scanText(v.s)
			case kNumber, kBool:
				// Formatted into the event's arena, which the next event overwrites:
				// never remembered.
				e.pf.cur.scan(v.s, e.candGen, e.gen)
			}
		}
	}
}

// scanValue scans every string, number and boolean inside a value, numbers and
// booleans in the written form field items match.
func (e *Engine) scanValue(v any, depth int) {
	if depth > maxDepth {
		return
	}
	pf := e.pf
	switch x := v.(type) {
	case string:
		if !pf.inMessage(x) {
			e.scanText(x)
		}
	case []string:
		for _, s := range x {
			if !pf.inMessage(s) {
				e.scanText(s)
			}
		}
	case int64:
		pf.buf = strconv.AppendInt(pf.buf[:0], x, 10)
		pf.cur.scan(string(pf.buf), e.candGen, e.gen)
	case int:
		pf.buf = strconv.AppendInt(pf.buf[:0], int64(x), 10)
		pf.cur.scan(string(pf.buf), e.candGen, e.gen)
	case float64:
		pf.buf = strconv.AppendFloat(pf.buf[:0], x, 'f', -1, 64)
		pf.cur.scan(string(pf.buf), e.candGen, e.gen)
	case bool:
		pf.cur.scan(strconv.FormatBool(x), e.candGen, e.gen)
	case []any:
		for _, y := range x {
			e.scanValue(y, depth+1)
		}
	case map[string]any:
		for _, y := range x {
			e.scanValue(y, depth+1)
		}
	}
}

// inMessage tells whether s lies inside the event's message, by its address.
func (pf *prefilter) inMessage(s string) bool {
	if len(s) == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= pf.msgLo && p+uintptr(len(s)) <= pf.msgHi
}

// scanText scans one text: as it is when it is ASCII (the automaton folds ASCII
// letters itself), else folded.
func (e *Engine) scanText(s string) {
	if len(s) < minLiteral {
		return
	}
	pf := e.pf
	if hasHigh(s) {
		pf.buf = appendFold(pf.buf[:0], s)
		pf.cur.scan(string(pf.buf), e.candGen, e.gen)
		return
	}
	pf.cur.scanShort(s, e.candGen, e.gen)
}

// regexLiteral returns the longest run of literal text that every match of a regular
// expression contains (folded), or "": the literals of its top-level sequence, looking
// into groups.
func regexLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	return fold(longestASCII(requiredLiteral(re.Simplify())))
}

func requiredLiteral(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0])
	case syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best := ""
		for _, s := range re.Sub {
			if l := requiredLiteral(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}
