package sigma

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Detection is the detection section of a rule, or the selection part of a filter:
// named searches and the condition over them.
type Detection struct {
	// Searches are the search identifiers in the order they are written.
	Searches []*Search
	// Conditions are the parsed and resolved conditions; a list of conditions in the
	// rule means their OR. Condition is that OR (or the single condition).
	Conditions    []*Condition
	Condition     *Condition
	ConditionText []string
	Line, Column  int
}

// Search returns the search with the given identifier, or nil.
func (d *Detection) Search(name string) *Search {
	for _, s := range d.Searches {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Names returns the search identifiers in order.
func (d *Detection) Names() []string {
	out := make([]string, len(d.Searches))
	for i, s := range d.Searches {
		out[i] = s.Name
	}
	return out
}

// SearchKind is the shape of a search.
type SearchKind uint8

// The shapes of searches.
const (
	// SearchMap is a mapping of field items, all of which must match (AND).
	SearchMap SearchKind = iota + 1
	// SearchList is a list whose Alternatives are searches, one of which must match
	// (OR): a list of mappings, or a list mixing mappings and plain values.
	SearchList
	// SearchKeywords is a list of plain values searched in the whole event: Items
	// holds one item without a field whose values are linked with OR.
	SearchKeywords
)

// Search is one search identifier's definition, or a part of one.
type Search struct {
	Name         string // set on the top-level search only
	Kind         SearchKind
	Items        []*Item
	Alternatives []*Search
	Line, Column int
}

// Item is one field item of a search ("Field|mod1|mod2: values"), or a list of
// keywords (Field empty). Its values are linked with OR, or with AND under the all
// modifier; Negate (the neq modifier) inverts the item as a whole, so that the field
// must differ from every value.
type Item struct {
	Field string
	// Key is the key as written, e.g. "CommandLine|contains|all"; empty for a plain
	// keyword list.
	Key          string
	Modifiers    []string
	Values       []*Value
	All          bool
	Negate       bool
	Line, Column int
}

// Keyword tells whether the item searches the whole event rather than a field.
func (it *Item) Keyword() bool { return it.Field == "" }

// maxSearchDepth bounds the nesting of lists in a search.
const maxSearchDepth = 16

// parseDetection reads a detection mapping. reserved lists the keys that are not
// search identifiers (condition, and rules for filters); they are handled by the
// caller except condition, which is read here.
func (p *docParser) parseDetection(key, n *yaml.Node, reserved map[string]bool) *Detection {
	d := &Detection{Line: n.Line, Column: n.Column}
	at := keyOr(key, n)
	if n.Kind != yaml.MappingNode {
		p.errorf(at, "detection must be a mapping of search identifiers and a condition, not a %s", kindName(n))
		return nil
	}
	var condKey, condNode *yaml.Node
	var names []string // every search identifier, even those that failed to parse
	for _, kv := range p.pairs(n) {
		name := kv.key.Value
		switch {
		case name == "condition":
			condKey, condNode = kv.key, kv.val
			continue
		case name == "timeframe":
			p.errorf(kv.key, "timeframe belongs to the aggregations deprecated in Sigma 2.0: express it as the timespan of a correlation rule")
			continue
		case reserved[name]:
			continue
		}
		names = append(names, name)
		s := p.parseSearch(kv.val, name, 0)
		if s != nil {
			s.Name = name
			d.Searches = append(d.Searches, s)
		}
	}
	if condNode == nil {
		p.errorf(at, "%s has no condition", keyName(key, "detection"))
		return d
	}
	p.parseConditions(d, names, condKey, condNode)
	return d
}

// parseConditions reads the condition (a string or a list of strings), parses each
// one and resolves it against the search identifiers, names.
func (p *docParser) parseConditions(d *Detection, names []string, key, n *yaml.Node) {
	var nodes []*yaml.Node
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		nodes = []*yaml.Node{n}
	case n.Kind == yaml.SequenceNode:
		nodes = p.items(n)
		if len(nodes) == 0 {
			p.errorf(key, "condition is an empty list")
		}
	default:
		p.errorf(key, "condition must be a string or a list of strings, not a %s", kindName(n))
		return
	}
	for _, cn := range nodes {
		if cn.Kind != yaml.ScalarNode || cn.ShortTag() != "!!str" {
			p.errorf(cn, "condition must be a string, not a %s", kindName(cn))
			continue
		}
		c, err := ParseCondition(cn.Value)
		if err != nil {
			ce := err.(*ConditionError)
			line, col := p.scalarPos(cn, ce.Offset)
			p.errorAt(line, col, "condition: %s", ce.Reason)
			continue
		}
		for _, ce := range c.Resolve(names) {
			line, col := p.scalarPos(cn, ce.Offset)
			p.errorAt(line, col, "condition: %s", ce.Reason)
		}
		d.Conditions = append(d.Conditions, c)
		d.ConditionText = append(d.ConditionText, cn.Value)
	}
	switch len(d.Conditions) {
	case 0:
	case 1:
		d.Condition = d.Conditions[0]
	default:
		d.Condition = &Condition{Op: CondOr, Args: d.Conditions}
	}
	if p.failed() {
		return
	}
	used := map[string]bool{}
	for _, c := range d.Conditions {
		for _, id := range c.Identifiers() {
			used[id] = true
		}
	}
	for _, s := range d.Searches {
		if !used[s.Name] {
			p.warnf(key, "search identifier %q is not used by the condition", s.Name)
		}
	}
}

// parseSearch reads one search definition: a mapping, a list or a plain value.
func (p *docParser) parseSearch(n *yaml.Node, name string, depth int) *Search {
	s := &Search{Line: n.Line, Column: n.Column}
	if depth > maxSearchDepth {
		p.errorf(n, "search %q is nested more than %d lists deep", name, maxSearchDepth)
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		s.Kind = SearchMap
		kvs := p.pairs(n)
		if len(kvs) == 0 {
			p.errorf(n, "search %q is empty", name)
			return nil
		}
		for _, kv := range kvs {
			if it := p.parseItem(kv.key, kv.val); it != nil {
				s.Items = append(s.Items, it)
			}
		}
		return s
	case yaml.SequenceNode:
		elems := p.items(n)
		if len(elems) == 0 {
			p.errorf(n, "search %q is an empty list", name)
			return nil
		}
		allPlain := true
		for _, e := range elems {
			if e.Kind != yaml.ScalarNode {
				allPlain = false
			}
		}
		if allPlain {
			s.Kind = SearchKeywords
			if it := p.keywordItem(n, elems); it != nil {
				s.Items = []*Item{it}
			}
			return s
		}
		s.Kind = SearchList
		for i := 0; i < len(elems); i++ {
			e := elems[i]
			if e.Kind == yaml.ScalarNode {
				// A run of plain values in a mixed list is one keyword search.
				j := i
				for j < len(elems) && elems[j].Kind == yaml.ScalarNode {
					j++
				}
				kw := &Search{Kind: SearchKeywords, Line: e.Line, Column: e.Column}
				if it := p.keywordItem(e, elems[i:j]); it != nil {
					kw.Items = []*Item{it}
				}
				s.Alternatives = append(s.Alternatives, kw)
				i = j - 1
				continue
			}
			if alt := p.parseSearch(e, name, depth+1); alt != nil {
				s.Alternatives = append(s.Alternatives, alt)
			}
		}
		return s
	case yaml.ScalarNode:
		if isNull(n) {
			p.errorf(n, "search %q is empty (null)", name)
			return nil
		}
		s.Kind = SearchKeywords
		if it := p.keywordItem(n, []*yaml.Node{n}); it != nil {
			s.Items = []*Item{it}
		}
		return s
	}
	p.errorf(n, "search %q must be a mapping or a list, not a %s", name, kindName(n))
	return nil
}

// keywordItem builds the item of a plain keyword list.
func (p *docParser) keywordItem(at *yaml.Node, elems []*yaml.Node) *Item {
	it := &Item{Line: at.Line, Column: at.Column}
	for _, e := range elems {
		v := readValue(e)
		if v.Kind == ValueNull {
			p.errorf(e, "a keyword cannot be null: null needs a field")
			continue
		}
		p.transform(it, v, e, "keyword")
		it.Values = append(it.Values, v)
	}
	return it
}

// parseItem reads one "field|modifiers: values" entry of a mapping.
func (p *docParser) parseItem(k, v *yaml.Node) *Item {
	key := k.Value
	parts := strings.Split(key, "|")
	it := &Item{Field: parts[0], Key: key, Line: k.Line, Column: k.Column}
	mods, err := ParseModifiers(it.Field, parts[1:])
	if err != nil {
		p.errorf(k, "%q: %v", key, err)
		return nil
	}
	it.Modifiers = mods
	for _, m := range mods {
		switch m {
		case "all":
			it.All = true
		case "neq":
			it.Negate = true
		}
	}
	var elems []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		elems = []*yaml.Node{v}
	case yaml.SequenceNode:
		elems = p.items(v)
		if len(elems) == 0 {
			p.errorf(v, "%q has an empty list of values (write null to match a missing field)", key)
			return nil
		}
	default:
		p.errorf(v, "%q: a value must be a plain value or a list of them, not a %s", key, kindName(v))
		return nil
	}
	if it.All && len(elems) < 2 {
		p.errorf(k, "%q: the all modifier needs a list of two or more values", key)
	}
	for _, e := range elems {
		if e.Kind != yaml.ScalarNode {
			p.errorf(e, "%q: a list of values may only hold plain values, not a %s", key, kindName(e))
			continue
		}
		val := readValue(e)
		if val.Kind == ValueNull {
			switch {
			case len(elems) > 1:
				p.errorf(e, "%q: null cannot be part of a list of values: put it in a search of its own", key)
				continue
			case it.Field == "":
				p.errorf(e, "%q: null needs a field", key)
				continue
			}
		}
		p.transform(it, val, e, key)
		it.Values = append(it.Values, val)
	}
	return it
}

// readValue reads a scalar node into a Value.
func readValue(n *yaml.Node) *Value {
	v := &Value{Raw: n.Value, Line: n.Line, Column: n.Column}
	switch n.ShortTag() {
	case "!!null":
		v.Kind, v.Raw = ValueNull, ""
	case "!!bool":
		b, _ := scalarValue(n)
		v.Kind, v.Bool = ValueBool, b == true
	case "!!int", "!!float":
		num, ok := numberFromNode(n)
		if !ok {
			// Infinities, NaN and out-of-range numbers are kept as text.
			v.Kind = ValueString
			break
		}
		v.Kind, v.Number = ValueNumber, num
	default:
		v.Kind = ValueString
	}
	return v
}

// transform applies the item's modifiers to one value and records why it fails.
func (p *docParser) transform(it *Item, v *Value, n *yaml.Node, key string) {
	ops, err := Transform(it.Field, it.Modifiers, *v, p.placeholders)
	if err != nil {
		if key == "keyword" {
			p.errorf(n, "keyword %q: %v", v.Raw, err)
		} else {
			p.errorf(n, "%q: %v", key, err)
		}
		return
	}
	v.Operands = ops
}

// scalarPos maps a byte offset in a scalar's value to a line and column of the file,
// when the value appears verbatim on its line (plain and quoted one-line scalars, and
// literal block scalars); otherwise it returns the scalar's own position.
func (p *docParser) scalarPos(n *yaml.Node, off int) (int, int) {
	if off < 0 || off > len(n.Value) {
		return n.Line, n.Column
	}
	if n.Style&yaml.LiteralStyle != 0 {
		k := strings.Count(n.Value[:off], "\n")
		lineStart := strings.LastIndex(n.Value[:off], "\n") + 1
		ln := n.Line + 1 + k
		if src := p.sourceLine(ln); src != "" {
			// The block's indentation is the source line's minus the spaces that
			// belong to the value.
			valueLine := n.Value[lineStart:]
			if i := strings.IndexByte(valueLine, '\n'); i >= 0 {
				valueLine = valueLine[:i]
			}
			inValue := len(valueLine) - len(strings.TrimLeft(valueLine, " \t"))
			indent := len(src) - len(strings.TrimLeft(src, " \t")) - inValue
			return ln, indent + 1 + (off - lineStart)
		}
		return ln, 1
	}
	src := p.sourceLine(n.Line)
	col := n.Column - 1
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		col++
	}
	if col >= 0 && col <= len(src) && strings.HasPrefix(src[col:], n.Value) {
		return n.Line, col + 1 + off
	}
	return n.Line, n.Column
}

// keyOr returns the key node when there is one, else the value node: errors about a
// section as a whole point at its key.
func keyOr(key, n *yaml.Node) *yaml.Node {
	if key != nil {
		return key
	}
	return n
}

// keyName names a section for messages by its key, or by a default name.
func keyName(key *yaml.Node, def string) string {
	if key != nil && key.Value != "" {
		return key.Value
	}
	return def
}
