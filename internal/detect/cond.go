package detect

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/sigma"
)

// nodeOp is the kind of a compiled condition node.
type nodeOp uint8

const (
	nAnd nodeOp = iota + 1
	nOr
	nNot
	nItem
)

// node is a compiled condition: the rule's condition with every search identifier
// replaced by its search, down to field items.
type node struct {
	op   nodeOp
	kids []*node
	it   *item
}

// item is a compiled field item or keyword list.
type item struct {
	keyword bool
	acc     int    // the accessor of the field (field items)
	field   string // the Sigma field name, for alerts
	values  [][]operand
	raws    []string // each value as written, for alerts on keywords
	all     bool
	negate  bool
}

func (n *node) eval(c *evalCtx) bool {
	switch n.op {
	case nItem:
		return n.it.eval(c)
	case nNot:
		if c.rec != nil {
			// Fields under a negation did not make the rule match.
			rec := c.rec
			c.rec = nil
			r := !n.kids[0].eval(c)
			c.rec = rec
			return r
		}
		return !n.kids[0].eval(c)
	case nAnd:
		mark := c.recMark()
		for _, k := range n.kids {
			if !k.eval(c) {
				c.recReset(mark)
				return false
			}
		}
		return true
	case nOr:
		for _, k := range n.kids {
			if k.eval(c) {
				return true
			}
		}
		return false
	}
	return false
}

func (c *evalCtx) recMark() int {
	if c.rec == nil {
		return 0
	}
	return len(*c.rec)
}

func (c *evalCtx) recReset(mark int) {
	if c.rec != nil {
		*c.rec = (*c.rec)[:mark]
	}
}

func (it *item) eval(c *evalCtx) bool {
	var r bool
	if it.keyword {
		r = it.evalKeywords(c)
	} else {
		r = it.evalField(c)
	}
	if it.negate {
		return !r
	}
	return r
}

func (it *item) evalField(c *evalCtx) bool {
	sl := c.slot(it.acc)
	if it.all {
		for i := range it.values {
			if !anyOperand(c, it.values[i], sl) {
				return false
			}
		}
		it.record(c, sl)
		return true
	}
	for i := range it.values {
		if anyOperand(c, it.values[i], sl) {
			it.record(c, sl)
			return true
		}
	}
	return false
}

func anyOperand(c *evalCtx, ops []operand, sl *slot) bool {
	for k := range ops {
		if ops[k].matchField(c, sl) {
			return true
		}
	}
	return false
}

// record notes that the item matched, for the alert, while the rule is evaluated for
// one (c.rec set); nothing under a negation made the rule match.
func (it *item) record(c *evalCtx, sl *slot) {
	if c.rec == nil || it.negate {
		return
	}
	*c.rec = append(*c.rec, recEntry{field: it.field, sl: sl})
}

func (it *item) evalKeywords(c *evalCtx) bool {
	texts := c.keywords()
	found := func(i int) bool {
		for k := range it.values[i] {
			o := &it.values[i][k]
			for j := range texts {
				if o.matchScalar(c, &texts[j]) {
					return true
				}
			}
		}
		return false
	}
	if it.all {
		for i := range it.values {
			if !found(i) {
				return false
			}
		}
		if c.rec != nil && !it.negate {
			for _, r := range it.raws {
				*c.rec = append(*c.rec, recEntry{field: "keyword", raw: r})
			}
		}
		return true
	}
	for i := range it.values {
		if found(i) {
			if c.rec != nil && !it.negate {
				*c.rec = append(*c.rec, recEntry{field: "keyword", raw: it.raws[i]})
			}
			return true
		}
	}
	return false
}

// detCompiler compiles the detection of one rule (or filter) with one field pipeline.
type detCompiler struct {
	e        *builder
	src      *source
	d        *sigma.Detection
	searches map[string]*node
}

func (dc *detCompiler) condition(c *sigma.Condition) (*node, error) {
	switch c.Op {
	case sigma.CondIdent:
		return dc.search(c.Name)
	case sigma.CondNot:
		k, err := dc.condition(c.Args[0])
		if err != nil {
			return nil, err
		}
		return &node{op: nNot, kids: []*node{k}}, nil
	case sigma.CondAnd, sigma.CondOr:
		op := nAnd
		if c.Op == sigma.CondOr {
			op = nOr
		}
		n := &node{op: op}
		for _, a := range c.Args {
			k, err := dc.condition(a)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
		return n, nil
	case sigma.CondOneOf, sigma.CondAllOf:
		op := nOr
		if c.Op == sigma.CondAllOf {
			op = nAnd
		}
		n := &node{op: op}
		for _, name := range c.Matches {
			k, err := dc.search(name)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
		if len(n.kids) == 0 {
			return nil, fmt.Errorf("%q matches no search identifier", c.Pattern)
		}
		return n, nil
	}
	return nil, fmt.Errorf("unknown condition operator %d", c.Op)
}

func (dc *detCompiler) search(name string) (*node, error) {
	if n, ok := dc.searches[name]; ok {
		return n, nil
	}
	s := dc.d.Search(name)
	if s == nil {
		return nil, fmt.Errorf("unknown search identifier %q", name)
	}
	n, err := dc.searchNode(s)
	if err != nil {
		return nil, err
	}
	dc.searches[name] = n
	return n, nil
}

func (dc *detCompiler) searchNode(s *sigma.Search) (*node, error) {
	switch s.Kind {
	case sigma.SearchMap, sigma.SearchKeywords:
		n := &node{op: nAnd}
		for _, it := range s.Items {
			ci, err := dc.item(it)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, &node{op: nItem, it: ci})
		}
		if len(n.kids) == 1 {
			return n.kids[0], nil
		}
		return n, nil
	case sigma.SearchList:
		n := &node{op: nOr}
		for _, a := range s.Alternatives {
			k, err := dc.searchNode(a)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
		return n, nil
	}
	return nil, fmt.Errorf("search %q has an unknown shape", s.Name)
}

// lineError is an error at a line of the rule file.
type lineError struct {
	line, col int
	msg       string
}

func (e *lineError) Error() string { return e.msg }

func (dc *detCompiler) item(it *sigma.Item) (*item, error) {
	ci := &item{keyword: it.Keyword(), all: it.All, negate: it.Negate, field: it.Field, acc: -1}
	fail := func(format string, args ...any) (*item, error) {
		return nil, &lineError{it.Line, it.Column, fmt.Sprintf(format, args...)}
	}
	if !ci.keyword {
		acc, err := dc.e.accessorFor(dc.src, it.Field)
		if err != nil {
			return fail("%v", err)
		}
		ci.acc = acc
	}
	shaped := false
	for _, m := range it.Modifiers {
		switch m {
		case "contains", "startswith", "endswith":
			shaped = true
		}
	}
	for _, v := range it.Values {
		ops := make([]operand, 0, len(v.Operands))
		for _, so := range v.Operands {
			o, err := dc.operand(so, ci.keyword, shaped)
			if err != nil {
				return nil, &lineError{v.Line, v.Column, err.Error()}
			}
			ops = append(ops, o)
		}
		if len(ops) == 0 {
			return fail("the value %q has no operand to match", v.Raw)
		}
		ci.values = append(ci.values, ops)
		ci.raws = append(ci.raws, v.Raw)
	}
	return ci, nil
}

func (dc *detCompiler) operand(so sigma.Operand, keyword, shaped bool) (operand, error) {
	o := operand{kind: so.Kind, cased: so.Cased, num: so.Number, b: so.Bool, pfx: so.Prefix, cmp: so.Compare, part: so.TimePart, refTo: so.Anchor}
	if keyword {
		// A keyword is searched for inside every string of the event: a number or a
		// boolean is searched for as written, and a plain value is a substring.
		switch so.Kind {
		case sigma.OperandNumber:
			so = sigma.Operand{Kind: sigma.OperandString, Pattern: sigma.LiteralPattern(so.Number.Text)}
		case sigma.OperandBool:
			so = sigma.Operand{Kind: sigma.OperandString, Pattern: sigma.LiteralPattern(fmt.Sprint(so.Bool))}
		case sigma.OperandString, sigma.OperandRegex:
		default:
			return o, fmt.Errorf("a keyword cannot be matched as a %s value: it needs a field", kindName(so.Kind))
		}
		o.kind = so.Kind
		if so.Kind == sigma.OperandString && !shaped {
			so.Pattern = substring(so.Pattern)
		}
	}
	switch so.Kind {
	case sigma.OperandString:
		o.g = compileGlob(so.Pattern, !so.Cased)
	case sigma.OperandRegex:
		if so.Regex == nil || so.Regex.Compiled == nil {
			return o, fmt.Errorf("the regular expression was not compiled")
		}
		o.re = so.Regex.Compiled
	case sigma.OperandFieldRef:
		ref, err := dc.e.accessorFor(dc.src, so.Field)
		if err != nil {
			return o, fmt.Errorf("fieldref: %v", err)
		}
		o.ref = ref
	case sigma.OperandNumber, sigma.OperandBool, sigma.OperandNull, sigma.OperandCIDR,
		sigma.OperandCompare, sigma.OperandExists, sigma.OperandTimePart:
	default:
		return o, fmt.Errorf("unsupported operand kind %d", so.Kind)
	}
	return o, nil
}

// substring turns a pattern into one that matches it anywhere in the text.
func substring(p sigma.Pattern) sigma.Pattern {
	out := make(sigma.Pattern, 0, len(p)+2)
	if len(p) == 0 || p[0].Kind != sigma.TokenAnyString {
		out = append(out, sigma.Token{Kind: sigma.TokenAnyString})
	}
	out = append(out, p...)
	if len(p) == 0 || p[len(p)-1].Kind != sigma.TokenAnyString {
		out = append(out, sigma.Token{Kind: sigma.TokenAnyString})
	}
	if len(p) == 0 {
		out = out[:1]
	}
	return out
}

func kindName(k sigma.OperandKind) string {
	switch k {
	case sigma.OperandNull:
		return "null"
	case sigma.OperandCIDR:
		return "cidr"
	case sigma.OperandCompare:
		return "comparison"
	case sigma.OperandExists:
		return "exists"
	case sigma.OperandFieldRef:
		return "fieldref"
	case sigma.OperandTimePart:
		return "time part"
	}
	return "special"
}
