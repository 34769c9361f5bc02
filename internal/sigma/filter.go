package sigma

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Filter is the filter section of a filter document (a global or meta-filter). It
// applies to detection rules of its document's log source: to the rules it names,
// or, when All is set (rules: any or rules: all, pySigma's spelling), to every rule
// of that log source. As in pySigma, the filter's condition is joined to the
// condition of each rule it applies to with AND: "(rule condition) and (filter
// condition)", so a filter that suppresses matches says so with not, e.g.
// "not selection".
type Filter struct {
	// Rules are the references as written (ids or names); Targets are the loaded
	// rules they resolve to. References that resolve to no loaded rule are kept in
	// Rules and reported as warnings.
	Rules   []string
	All     bool
	Targets []*Rule
	// Detection holds the filter's searches (every key but rules and condition) and
	// its condition.
	Detection    *Detection
	Line, Column int

	refNodes []*yaml.Node
}

// parseFilter reads the filter section.
func (p *docParser) parseFilter(key, n *yaml.Node) *Filter {
	at := keyOr(key, n)
	if n.Kind != yaml.MappingNode {
		p.errorf(at, "filter must be a mapping with rules, the selections and a condition, not a %s", kindName(n))
		return nil
	}
	f := &Filter{Line: n.Line, Column: n.Column}
	var rulesNode *yaml.Node
	hasSearch := false
	for _, kv := range p.pairs(n) {
		switch kv.key.Value {
		case "rules":
			rulesNode = kv.val
		case "condition":
		default:
			hasSearch = true
		}
	}
	switch {
	case rulesNode == nil:
		p.errorf(at, "filter rules are missing: list the rules it applies to, or write rules: all")
	case rulesNode.Kind == yaml.ScalarNode && (strings.EqualFold(rulesNode.Value, "any") || strings.EqualFold(rulesNode.Value, "all")):
		f.All = true
	default:
		refs, ok := p.strList(rulesNode, "filter rules", true)
		if ok && len(refs) == 0 {
			p.errorf(rulesNode, "filter rules is an empty list: list the rules it applies to, or write rules: all")
		}
		f.Rules, f.refNodes = refs, refNodesOf(p, rulesNode)
	}
	if !hasSearch {
		p.errorf(at, "the filter has no selection")
	}
	f.Detection = p.parseDetection(key, n, map[string]bool{"rules": true})
	return f
}
