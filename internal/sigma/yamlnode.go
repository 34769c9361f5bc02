package sigma

import (
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliasFollows bounds how many YAML aliases one document may dereference, so that a
// document built to expand exponentially ("billion laughs") is rejected quickly.
const maxAliasFollows = 10000

// pair is one key and value of a YAML mapping.
type pair struct {
	key, val *yaml.Node
}

// nodeReader walks YAML nodes of one document and reports problems to a reporter.
type nodeReader struct {
	*reporter
	aliases int
}

// deref follows aliases to the node they name. It returns nil once the document has
// used up its alias budget (and records why).
func (p *nodeReader) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		p.aliases++
		if p.aliases == maxAliasFollows {
			p.errorf(n, "document uses more than %d YAML aliases", maxAliasFollows)
		}
		if p.aliases >= maxAliasFollows {
			return nil
		}
		n = n.Alias
	}
	return n
}

// pairs returns the keys and values of mapping n in order, with aliases resolved and
// merge keys ("<<") applied. Duplicate keys are errors: YAML forbids them and a Sigma
// reader must not silently pick one of two conditions.
func (p *nodeReader) pairs(n *yaml.Node) []pair {
	n = p.deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.deref(n.Content[i]), p.deref(n.Content[i+1])
		if k == nil || v == nil {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, p.mergePairs(v)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "mapping key must be a plain value, not a %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, m := range merged {
		if _, dup := seen[m.key.Value]; !dup {
			seen[m.key.Value] = m.key
			out = append(out, m)
		}
	}
	return out
}

// mergePairs returns the pairs that a merge key brings in: those of one mapping or of
// a sequence of mappings.
func (p *nodeReader) mergePairs(v *yaml.Node) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return p.pairs(v)
	case yaml.SequenceNode:
		var out []pair
		for _, m := range v.Content {
			out = append(out, p.pairs(m)...)
		}
		return out
	}
	p.errorf(v, "a merge key (<<) needs a mapping")
	return nil
}

// items returns the elements of sequence n with aliases resolved.
func (p *nodeReader) items(n *yaml.Node) []*yaml.Node {
	n = p.deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if c = p.deref(c); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// kindName names the kind of a node for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "string"
		case "!!int", "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "date"
		}
		return "value"
	}
	return "node"
}

// isNull tells whether n is a YAML null (null, ~ or nothing).
func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// str reads a string-valued attribute: the value must be a YAML string (a date
// written without quotes counts as one).
func (p *nodeReader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "%s must be a string, not a %s", what, kindName(n))
		return "", false
	}
	if t := n.ShortTag(); t != "!!str" && t != "!!timestamp" {
		p.errorf(n, "%s must be a string, not a %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// strList reads a list of strings. When single is set, a lone string is accepted as
// a list of one.
func (p *nodeReader) strList(n *yaml.Node, what string, single bool) ([]string, bool) {
	if single && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return []string{n.Value}, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list of strings, not a %s", what, kindName(n))
		return nil, false
	}
	var out []string
	ok := true
	seen := map[string]bool{}
	for _, it := range p.items(n) {
		if it.Kind != yaml.ScalarNode || isNull(it) {
			p.errorf(it, "%s must be a list of strings; this item is a %s", what, kindName(it))
			ok = false
			continue
		}
		if seen[it.Value] {
			p.warnf(it, "%s lists %q twice", what, it.Value)
		}
		seen[it.Value] = true
		out = append(out, it.Value)
	}
	return out, ok
}

// decodeAny converts a node into plain Go values (maps, slices, strings, numbers,
// booleans, nil) for custom attributes.
func (p *nodeReader) decodeAny(n *yaml.Node, depth int) any {
	n = p.deref(n)
	if n == nil || depth > 64 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, kv := range p.pairs(n) {
			m[kv.key.Value] = p.decodeAny(kv.val, depth+1)
		}
		return m
	case yaml.SequenceNode:
		var s []any
		for _, it := range p.items(n) {
			s = append(s, p.decodeAny(it, depth+1))
		}
		return s
	case yaml.ScalarNode:
		v, _ := scalarValue(n)
		return v
	}
	return nil
}

// scalarValue converts a scalar node into a Go value: string, int64, float64, bool or
// nil. Dates stay strings. The second result is false for a malformed number.
func scalarValue(n *yaml.Node) (any, bool) {
	switch n.ShortTag() {
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return n.Value, false
		}
		return b, true
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, true
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return f, true
		}
		return n.Value, false
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return n.Value, false
		}
		return f, true
	}
	return n.Value, true
}

// numberFromNode reads a YAML number into a Number, keeping its text as written.
func numberFromNode(n *yaml.Node) (Number, bool) {
	v, ok := scalarValue(n)
	if !ok {
		return Number{}, false
	}
	switch x := v.(type) {
	case int64:
		return Number{Text: n.Value, Float: float64(x), Int: x, IsInt: true}, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Number{}, false
		}
		num := Number{Text: n.Value, Float: x}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			num.Int, num.IsInt = int64(x), true
		}
		return num, true
	}
	return Number{}, false
}

// Number is a numeric value from a rule: its text as written and its value.
type Number struct {
	// Text is the number as written in the rule, e.g. "0x17" or "4624".
	Text string
	// Float is the value; Int holds it too when IsInt (an integral value).
	Float float64
	Int   int64
	IsInt bool
}

// String formats the number canonically: an integer in decimal, else the shortest
// decimal form.
func (n Number) String() string {
	if n.IsInt {
		return strconv.FormatInt(n.Int, 10)
	}
	return strconv.FormatFloat(n.Float, 'g', -1, 64)
}

// lowerASCII reports whether s has no upper-case ASCII letters.
func lowerASCII(s string) bool { return strings.ToLower(s) == s }
