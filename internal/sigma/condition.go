package sigma

import (
	"fmt"
	"strings"
)

// CondOp is the kind of a condition node.
type CondOp uint8

// The kinds of condition nodes.
const (
	// CondIdent is a search identifier: Name.
	CondIdent CondOp = iota + 1
	// CondAnd is the conjunction of Args (two or more).
	CondAnd
	// CondOr is the disjunction of Args (two or more).
	CondOr
	// CondNot negates Args[0].
	CondNot
	// CondOneOf is "1 of Pattern" or "any of Pattern": the OR of the matching searches.
	CondOneOf
	// CondAllOf is "all of Pattern": the AND of the matching searches.
	CondAllOf
)

// Condition is a node of a parsed condition. Pattern is "them" for "1 of them" and
// "all of them". Matches lists the search identifiers a "1 of"/"all of" node stands
// for, in the order they appear in the detection, once the condition is resolved
// against a detection.
type Condition struct {
	Op      CondOp
	Args    []*Condition
	Name    string
	Pattern string
	Matches []string
	// Offset is the byte offset of the node's first token in the condition text.
	Offset int
}

// ConditionError is a problem in a condition, at a byte offset of its text.
type ConditionError struct {
	Offset int
	Reason string
}

// Error formats the reason with its offset.
func (e *ConditionError) Error() string {
	return fmt.Sprintf("%s (at offset %d)", e.Reason, e.Offset)
}

// maxConditionDepth bounds the nesting of parentheses and not, so that a hostile
// condition cannot exhaust the stack.
const maxConditionDepth = 100

// aggregationReason explains why the old pipe syntax is refused.
const aggregationReason = "aggregations in the condition (| count() by ..., | near ...) were deprecated in Sigma 2.0: express them as a correlation rule"

// aggregateFuncs are the functions of the old aggregation syntax.
var aggregateFuncs = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

// condToken is one token of a condition.
type condToken struct {
	text string
	pos  int
}

// lexCondition splits a condition into words, parentheses and pipes.
func lexCondition(s string) []condToken {
	var toks []condToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '|':
			toks = append(toks, condToken{s[i : i+1], i})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			toks = append(toks, condToken{s[i:j], i})
			i = j
		}
	}
	return toks
}

// condParser is a recursive-descent parser over the tokens of one condition.
type condParser struct {
	toks  []condToken
	pos   int
	end   int
	depth int
}

func (p *condParser) peek() (condToken, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return condToken{pos: p.end}, false
}

func (p *condParser) fail(at int, format string, args ...any) error {
	return &ConditionError{Offset: at, Reason: fmt.Sprintf(format, args...)}
}

// ParseCondition parses one condition of the Sigma grammar. Operators bind, from
// loosest to tightest: or, and, not, "1 of"/"any of"/"all of", parentheses; and and or
// are left-associative and not is a prefix operator. Keywords are lower case, as in
// pySigma. Identifiers are letters, digits, _ and -; patterns after "of" may add *
// wildcards, or be "them". The pipe syntax of old aggregations and near are refused
// with a reason pointing to correlation rules.
func ParseCondition(s string) (*Condition, error) {
	p := &condParser{toks: lexCondition(s), end: len(s)}
	for i, t := range p.toks {
		if t.text == "|" || t.text == "near" || (aggregateFuncs[t.text] && i+1 < len(p.toks) && p.toks[i+1].text == "(") {
			return nil, p.fail(t.pos, "%s", aggregationReason)
		}
	}
	if len(p.toks) == 0 {
		return nil, p.fail(0, "the condition is empty")
	}
	c, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); ok {
		if t.text == ")" {
			return nil, p.fail(t.pos, "unbalanced ): no ( to close")
		}
		return nil, p.fail(t.pos, "unexpected %q: expected and, or or the end of the condition%s", t.text, caseHint(t.text))
	}
	return c, nil
}

func (p *condParser) parseOr() (*Condition, error) {
	return p.parseBinary("or", CondOr, p.parseAnd)
}

func (p *condParser) parseAnd() (*Condition, error) {
	return p.parseBinary("and", CondAnd, p.parseNot)
}

// parseBinary parses operands joined by the keyword op into one n-ary node.
func (p *condParser) parseBinary(op string, kind CondOp, next func() (*Condition, error)) (*Condition, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	node := first
	for {
		t, ok := p.peek()
		if !ok || t.text != op {
			return node, nil
		}
		p.pos++
		rhs, err := next()
		if err != nil {
			return nil, err
		}
		if node == first {
			node = &Condition{Op: kind, Args: []*Condition{first}, Offset: first.Offset}
		}
		node.Args = append(node.Args, rhs)
	}
}

func (p *condParser) parseNot() (*Condition, error) {
	t, ok := p.peek()
	if ok && t.text == "not" {
		p.pos++
		if p.depth++; p.depth > maxConditionDepth {
			return nil, p.fail(t.pos, "the condition is nested more than %d levels deep", maxConditionDepth)
		}
		arg, err := p.parseNot()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Condition{Op: CondNot, Args: []*Condition{arg}, Offset: t.pos}, nil
	}
	return p.parsePrimary()
}

// caseHint explains an operator written in upper case.
func caseHint(word string) string {
	if low := strings.ToLower(word); low != word && conditionKeywords[low] {
		return " (operators are lower case: " + low + ")"
	}
	return ""
}

// isIdentifier tells whether s may name a search identifier in a condition.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// conditionKeywords are the words a search identifier cannot be called.
var conditionKeywords = map[string]bool{"and": true, "or": true, "not": true, "of": true, "them": true, "all": true, "any": true, "near": true}

func (p *condParser) parsePrimary() (*Condition, error) {
	t, ok := p.peek()
	if !ok {
		return nil, p.fail(t.pos, "the condition ends where a search identifier, not, 1 of, all of or ( is expected")
	}
	switch {
	case t.text == "(":
		p.pos++
		if p.depth++; p.depth > maxConditionDepth {
			return nil, p.fail(t.pos, "the condition is nested more than %d levels deep", maxConditionDepth)
		}
		inner, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok || c.text != ")" {
			return nil, p.fail(t.pos, "unbalanced (: no ) closes it")
		}
		p.pos++
		return inner, nil
	case t.text == ")":
		return nil, p.fail(t.pos, "unexpected ): expected a search identifier, not, 1 of, all of or (")
	}
	// A quantified selection: 1/any/all of target.
	if p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "of" {
		op := CondOneOf
		switch t.text {
		case "1", "any":
		case "all":
			op = CondAllOf
		default:
			return nil, p.fail(t.pos, "%q before of: only 1, any or all are allowed", t.text)
		}
		p.pos += 2
		target, ok := p.peek()
		if !ok {
			return nil, p.fail(target.pos, "%s of needs a search identifier pattern or them", t.text)
		}
		if target.text != "them" && !isPattern(target.text) {
			return nil, p.fail(target.pos, "%q is not a search identifier pattern (letters, digits, _, - and *)", target.text)
		}
		p.pos++
		return &Condition{Op: op, Pattern: target.text, Offset: t.pos}, nil
	}
	switch {
	case conditionKeywords[t.text]:
		return nil, p.fail(t.pos, "unexpected %q: expected a search identifier, not, 1 of, all of or (", t.text)
	case strings.Contains(t.text, "*"):
		return nil, p.fail(t.pos, "the wildcard in %q is only allowed after 1 of or all of", t.text)
	case !isIdentifier(t.text):
		return nil, p.fail(t.pos, "%q is not a search identifier (letters, digits, _ and -)", t.text)
	}
	p.pos++
	return &Condition{Op: CondIdent, Name: t.text, Offset: t.pos}, nil
}

// isPattern tells whether s is an identifier pattern: identifier characters and *.
func isPattern(s string) bool {
	return isIdentifier(strings.ReplaceAll(s, "*", "x"))
}

// matchPattern matches name against a pattern whose only wildcard is *, which stands
// for any run of characters.
func matchPattern(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// Resolve checks a parsed condition against the search identifiers of its detection,
// in their order, and fills Matches of its "1 of"/"all of" nodes. Every identifier
// must exist and every pattern must match at least one identifier. "them" and
// patterns that do not themselves start with _ leave out identifiers starting with
// _, which by convention are only referenced by name (pySigma leaves them out of
// every pattern).
func (c *Condition) Resolve(names []string) []*ConditionError {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	var errs []*ConditionError
	var walk func(*Condition)
	walk = func(n *Condition) {
		switch n.Op {
		case CondIdent:
			if !known[n.Name] {
				reason := fmt.Sprintf("unknown search identifier %q%s", n.Name, caseHint(n.Name))
				errs = append(errs, &ConditionError{Offset: n.Offset, Reason: reason})
			}
		case CondOneOf, CondAllOf:
			n.Matches = nil
			for _, name := range names {
				if n.Pattern == "them" || matchPattern(n.Pattern, name) {
					if strings.HasPrefix(name, "_") && !strings.HasPrefix(n.Pattern, "_") {
						continue
					}
					n.Matches = append(n.Matches, name)
				}
			}
			if len(n.Matches) == 0 {
				what := fmt.Sprintf("the pattern %q matches no search identifier", n.Pattern)
				if n.Pattern == "them" {
					what = "them matches no search identifier (identifiers starting with _ are left out)"
				}
				errs = append(errs, &ConditionError{Offset: n.Offset, Reason: what})
			}
		}
		for _, a := range n.Args {
			walk(a)
		}
	}
	walk(c)
	return errs
}

// String writes the condition back in Sigma syntax with the parentheses its structure
// needs, so that ParseCondition(c.String()) has the same structure.
func (c *Condition) String() string {
	switch c.Op {
	case CondIdent:
		return c.Name
	case CondOneOf:
		return "1 of " + c.Pattern
	case CondAllOf:
		return "all of " + c.Pattern
	case CondNot:
		a := c.Args[0]
		if a.Op == CondAnd || a.Op == CondOr {
			return "not (" + a.String() + ")"
		}
		return "not " + a.String()
	case CondAnd, CondOr:
		sep := " and "
		if c.Op == CondOr {
			sep = " or "
		}
		parts := make([]string, len(c.Args))
		for i, a := range c.Args {
			s := a.String()
			if a.Op == CondOr || (a.Op == CondAnd && c.Op == CondAnd) {
				s = "(" + s + ")"
			}
			parts[i] = s
		}
		return strings.Join(parts, sep)
	}
	return "?"
}

// Identifiers returns every search identifier the condition references, directly or
// through a resolved pattern.
func (c *Condition) Identifiers() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Condition)
	walk = func(n *Condition) {
		add := func(s string) {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		if n.Op == CondIdent {
			add(n.Name)
		}
		for _, m := range n.Matches {
			add(m)
		}
		for _, a := range n.Args {
			walk(a)
		}
	}
	walk(c)
	return out
}
