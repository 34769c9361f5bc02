package sigma

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// CorrelationType is the type of a correlation rule.
type CorrelationType string

// The correlation types of the v2.1 specification.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

// valueTypes are the types that aggregate a field and need condition.field.
var valueTypes = map[CorrelationType]bool{ValueCount: true, ValueSum: true, ValueAvg: true, ValuePercentile: true}

// Temporal tells whether the type is temporal or temporal_ordered.
func (t CorrelationType) Temporal() bool { return t == Temporal || t == TemporalOrdered }

// Correlation is the correlation section of a correlation rule.
type Correlation struct {
	Type CorrelationType
	// Rules are the references as written (ids or names); Targets are the rules
	// they resolve to in the collection, in the same order.
	Rules   []string
	Targets []*Rule
	GroupBy []string
	// Timespan is the time window; TimespanText is as written, e.g. "5m".
	Timespan     time.Duration
	TimespanText string
	// Condition is never nil once loaded: temporal rules without one get the
	// default of pySigma, at least as many distinct rules as are listed.
	Condition *CorrelationCondition
	Aliases   []*Alias
	// Generate asks for the referenced rules to also raise their own matches.
	Generate     bool
	Line, Column int

	generateSet bool
	refNodes    []*yaml.Node
}

// Alias is a field name alias of a correlation: in events of the rule named by each
// key of Fields, the alias stands for the field given as the value.
type Alias struct {
	Name   string
	Fields map[string]string
	// Targets maps the same keys to the resolved rules.
	Targets map[string]*Rule

	keyNodes map[string]*yaml.Node
}

// Bound is one comparison of a correlation condition: the aggregate Op Value.
type Bound struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value Number
}

// CorrelationCondition is the condition of a correlation rule: one comparison, or a
// range written as a lower and an upper bound that must both hold.
type CorrelationCondition struct {
	Bounds []Bound
	// Field is the field aggregated by the value_* types (several fields are linked
	// with AND, that is, the combination of their values counts).
	Field []string
	// Percentile is the percentile of value_percentile when the rule names it
	// (pySigma's percentile key); otherwise the bound is the percentage.
	Percentile    int
	HasPercentile bool
}

// Holds tells whether an aggregate value x satisfies every bound.
func (c *CorrelationCondition) Holds(x float64) bool {
	for _, b := range c.Bounds {
		v := b.Value.Float
		ok := false
		switch b.Op {
		case "gt":
			ok = x > v
		case "gte":
			ok = x >= v
		case "lt":
			ok = x < v
		case "lte":
			ok = x <= v
		case "eq":
			ok = x == v
		case "neq":
			ok = x != v
		}
		if !ok {
			return false
		}
	}
	return true
}

var timespanRE = regexp.MustCompile(`^([0-9]+)([smhd])$`)

// ParseTimespan reads a correlation timespan: a positive whole number followed by
// s, m, h or d, as the specification defines. pySigma also reads w, M and y; those
// are refused here with a hint, since months and years have no fixed length.
func ParseTimespan(s string) (time.Duration, error) {
	m := timespanRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("timespan %q must be a whole number followed by s, m, h or d (e.g. 90m)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	if n <= 0 {
		return 0, fmt.Errorf("timespan %q must be greater than zero", s)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	if n > int64(math.MaxInt64/unit) {
		return 0, fmt.Errorf("timespan %q is too long", s)
	}
	return time.Duration(n) * unit, nil
}

// parseCorrelation reads the correlation section.
func (p *docParser) parseCorrelation(key, n *yaml.Node) *Correlation {
	at := keyOr(key, n)
	if n.Kind != yaml.MappingNode {
		p.errorf(at, "correlation must be a mapping, not a %s", kindName(n))
		return nil
	}
	c := &Correlation{Line: n.Line, Column: n.Column}
	var typeNode, rulesNode, groupNode, spanNode, condKey, condNode, aliasNode *yaml.Node
	for _, kv := range p.pairs(n) {
		switch kv.key.Value {
		case "type":
			typeNode = kv.val
		case "rules":
			rulesNode = kv.val
		case "group-by":
			groupNode = kv.val
		case "timespan":
			spanNode = kv.val
		case "condition":
			condKey, condNode = kv.key, kv.val
		case "aliases":
			aliasNode = kv.val
		case "generate":
			c.Generate, c.generateSet = p.boolean(kv.val, "generate"), true
		default:
			p.errorf(kv.key, "unknown key %q in the correlation section", kv.key.Value)
		}
	}
	if typeNode == nil {
		p.errorf(at, "correlation type is missing")
	} else if s, ok := p.str(typeNode, "correlation type"); ok {
		c.Type = CorrelationType(s)
		switch c.Type {
		case EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile:
		default:
			p.errorf(typeNode, "correlation type %q is not one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile", s)
		}
	}
	if rulesNode == nil {
		p.errorf(at, "correlation rules are missing")
	} else if refs, ok := p.strList(rulesNode, "correlation rules", true); ok {
		if len(refs) == 0 {
			p.errorf(rulesNode, "correlation rules is an empty list")
		}
		c.Rules, c.refNodes = refs, refNodesOf(p, rulesNode)
	}
	if groupNode == nil {
		p.warnf(at, "group-by is missing (the specification makes it mandatory): all events form one group")
	} else {
		c.GroupBy, _ = p.strList(groupNode, "group-by", true)
	}
	if spanNode == nil {
		p.errorf(at, "timespan is missing")
	} else if s, ok := p.str(spanNode, "timespan"); ok {
		d, err := ParseTimespan(s)
		if err != nil {
			p.errorf(spanNode, "%v", err)
		}
		c.Timespan, c.TimespanText = d, s
	}
	if aliasNode != nil {
		c.Aliases = p.aliases(aliasNode)
	}
	switch {
	case condNode != nil:
		c.Condition = p.correlationCondition(condKey, condNode, c)
	case c.Type.Temporal():
		c.Condition = &CorrelationCondition{Bounds: []Bound{{Op: "gte", Value: intNumber(int64(len(c.Rules)))}}}
	case c.Type != "":
		p.errorf(at, "a %s correlation needs a condition", c.Type)
	}
	if c.Type.Temporal() && len(c.Rules) == 1 {
		p.warnf(rulesNode, "a %s correlation of a single rule only repeats that rule", c.Type)
	}
	return c
}

// intNumber makes a Number of an integer.
func intNumber(i int64) Number {
	return Number{Text: strconv.FormatInt(i, 10), Float: float64(i), Int: i, IsInt: true}
}

// correlationCondition reads and checks a correlation condition for correlation c.
func (p *docParser) correlationCondition(key, n *yaml.Node, c *Correlation) *CorrelationCondition {
	at := keyOr(key, n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		p.errorf(n, "a correlation condition is a mapping such as {gte: 10}; condition expressions over rules are not part of Sigma 2.1")
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(at, "correlation condition must be a mapping such as {gte: 10}, not a %s", kindName(n))
		return nil
	}
	cc := &CorrelationCondition{}
	var lower, upper, exact *yaml.Node
	var fieldNode *yaml.Node
	for _, kv := range p.pairs(n) {
		op := kv.key.Value
		switch op {
		case "field":
			fieldNode = kv.val
			cc.Field, _ = p.strList(kv.val, "condition field", true)
			continue
		case "percentile":
			if c.Type != ValuePercentile {
				p.errorf(kv.key, "percentile only applies to value_percentile correlations")
				continue
			}
			num, ok := numberFromNode(kv.val)
			if kv.val.Kind != yaml.ScalarNode || !ok || !num.IsInt || num.Int < 0 || num.Int > 100 {
				p.errorf(kv.val, "percentile must be a whole number from 0 to 100")
				continue
			}
			cc.Percentile, cc.HasPercentile = int(num.Int), true
			continue
		case "gt", "gte", "lt", "lte", "eq", "neq":
		default:
			p.errorf(kv.key, "unknown correlation condition %q: use gt, gte, lt, lte, eq or neq", op)
			continue
		}
		num, ok := numberFromNode(kv.val)
		if kv.val.Kind != yaml.ScalarNode || !ok {
			p.errorf(kv.val, "the %s bound must be a number, not a %s", op, kindName(kv.val))
			continue
		}
		counts := c.Type == EventCount || c.Type == ValueCount || c.Type.Temporal()
		switch {
		case counts && (!num.IsInt || num.Int < 0):
			p.errorf(kv.val, "a %s condition counts, so %s must be a whole number of at least 0", c.Type, op)
			continue
		case c.Type == ValuePercentile && (num.Float < 0 || num.Float > 100):
			p.errorf(kv.val, "a value_percentile bound is a percentage from 0 to 100")
			continue
		}
		switch op {
		case "gt", "gte":
			if lower != nil {
				p.errorf(kv.key, "two lower bounds (%s and %s)", lower.Value, op)
				continue
			}
			lower = kv.key
		case "lt", "lte":
			if upper != nil {
				p.errorf(kv.key, "two upper bounds (%s and %s)", upper.Value, op)
				continue
			}
			upper = kv.key
		default:
			exact = kv.key
		}
		cc.Bounds = append(cc.Bounds, Bound{Op: op, Value: num})
	}
	switch {
	case len(cc.Bounds) == 0 && !p.failed():
		p.errorf(at, "the correlation condition has no comparison (gt, gte, lt, lte, eq or neq)")
	case exact != nil && len(cc.Bounds) > 1:
		p.errorf(exact, "%s cannot be combined with another comparison; a range is a lower and an upper bound", exact.Value)
	case lower != nil && upper != nil:
		lo, hi := boundOf(cc.Bounds, lower.Value), boundOf(cc.Bounds, upper.Value)
		if lo.Value.Float > hi.Value.Float || (lo.Value.Float == hi.Value.Float && (lo.Op == "gt" || hi.Op == "lt")) {
			p.errorf(at, "the range %s %s and %s %s is empty", lo.Op, lo.Value.Text, hi.Op, hi.Value.Text)
		}
	}
	if valueTypes[c.Type] && len(cc.Field) == 0 && fieldNode == nil {
		p.errorf(at, "a %s correlation needs condition.field, the field it aggregates", c.Type)
	}
	if !valueTypes[c.Type] && c.Type != "" && fieldNode != nil {
		p.errorf(fieldNode, "condition.field only applies to value_count, value_sum, value_avg and value_percentile")
	}
	if c.Type.Temporal() && len(c.Rules) > 0 {
		for _, b := range cc.Bounds {
			if (b.Op == "gt" && b.Value.Int >= int64(len(c.Rules))) || (b.Op != "lt" && b.Op != "lte" && b.Op != "neq" && b.Value.Int > int64(len(c.Rules))) {
				p.errorf(at, "the condition %s %s can never hold: the correlation lists only %d rules", b.Op, b.Value.Text, len(c.Rules))
			}
		}
	}
	return cc
}

// boundOf returns the bound with operator op.
func boundOf(bs []Bound, op string) Bound {
	for _, b := range bs {
		if b.Op == op {
			return b
		}
	}
	return Bound{}
}

// aliases reads the aliases mapping: alias → (rule reference → field name).
func (p *docParser) aliases(n *yaml.Node) []*Alias {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "aliases must be a mapping of alias names to mappings, not a %s", kindName(n))
		return nil
	}
	var out []*Alias
	for _, kv := range p.pairs(n) {
		a := &Alias{Name: kv.key.Value, Fields: map[string]string{}, keyNodes: map[string]*yaml.Node{}}
		if kv.val.Kind != yaml.MappingNode {
			p.errorf(kv.val, "alias %q must map rule names to field names, not be a %s", a.Name, kindName(kv.val))
			continue
		}
		for _, m := range p.pairs(kv.val) {
			if s, ok := p.str(m.val, "alias field"); ok {
				a.Fields[m.key.Value] = s
				a.keyNodes[m.key.Value] = m.key
			}
		}
		if len(a.Fields) == 0 {
			p.errorf(kv.val, "alias %q maps no rule", a.Name)
		}
		out = append(out, a)
	}
	return out
}

// refNodesOf returns the nodes of a list of references, or the node itself for a
// single reference, so that errors about references can point at each one.
func refNodesOf(p *docParser, n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return p.items(n)
	}
	return []*yaml.Node{n}
}
