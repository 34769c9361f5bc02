package sigma

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	uuidRE      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	slashDateRE = regexp.MustCompile(`^([1-3][0-9]{3})/([01]?[0-9])/([0-3]?[0-9])$`)
	logsourceRE = regexp.MustCompile(`^[a-z0-9_.-]+$`)
)

var (
	statuses     = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}
	levels       = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
	relatedTypes = map[string]bool{"derived": true, "obsolete": true, "merged": true, "renamed": true, "similar": true}
)

// LogSource is the logsource section.
type LogSource struct {
	Category   string
	Product    string
	Service    string
	Definition string
	// Custom holds further keys of the section, which the specification allows.
	Custom map[string]any
}

// Covers tells whether a filter with log source ls applies to a rule with log source
// other: every field set in ls is equal in other, as pySigma decides.
func (ls *LogSource) Covers(other *LogSource) bool {
	if ls == nil {
		return true
	}
	if other == nil {
		return ls.Category == "" && ls.Product == "" && ls.Service == ""
	}
	return (ls.Category == "" || strings.EqualFold(ls.Category, other.Category)) &&
		(ls.Product == "" || strings.EqualFold(ls.Product, other.Product)) &&
		(ls.Service == "" || strings.EqualFold(ls.Service, other.Service))
}

// Related is one entry of the related list.
type Related struct {
	ID   string
	Type string // derived, obsolete, merged, renamed, similar
}

// checkUUID checks that s is a UUID, and warns when it is not of version 4, which
// the specification asks for.
func (p *docParser) checkUUID(n *yaml.Node, s, what string) {
	if !uuidRE.MatchString(s) {
		p.errorf(n, "%s %q is not a UUID", what, s)
		return
	}
	if s[14] != '4' {
		p.warnf(n, "%s %q is not a version 4 (random) UUID", what, s)
	}
}

// date reads a date attribute in the form YYYY-MM-DD. The form YYYY/MM/DD, dropped
// in Sigma 2.0 but still read by pySigma, is accepted with a warning.
func (p *docParser) date(n *yaml.Node, what string) time.Time {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, "%s must be a date in the form YYYY-MM-DD, not a %s", what, kindName(n))
		return time.Time{}
	}
	if t, err := time.Parse(time.DateOnly, n.Value); err == nil {
		return t
	}
	if m := slashDateRE.FindStringSubmatch(n.Value); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Year() == y && int(t.Month()) == mo && t.Day() == d {
			p.warnf(n, "%s %q uses the YYYY/MM/DD form dropped in Sigma 2.0: write %s", what, n.Value, t.Format(time.DateOnly))
			return t
		}
	}
	p.errorf(n, "%s %q is not a valid date in the form YYYY-MM-DD", what, n.Value)
	return time.Time{}
}

// related reads the related list.
func (p *docParser) related(n *yaml.Node) []Related {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "related must be a list of id and type pairs, not a %s", kindName(n))
		return nil
	}
	var out []Related
	for _, it := range p.items(n) {
		if it.Kind != yaml.MappingNode {
			p.errorf(it, "a related entry must be a mapping with id and type, not a %s", kindName(it))
			continue
		}
		var rel Related
		var hasID, hasType bool
		for _, kv := range p.pairs(it) {
			switch kv.key.Value {
			case "id":
				if s, ok := p.str(kv.val, "related id"); ok {
					rel.ID, hasID = s, true
					p.checkUUID(kv.val, s, "related id")
				}
			case "type":
				if s, ok := p.str(kv.val, "related type"); ok {
					rel.Type, hasType = s, true
					switch {
					case s == "obsoletes":
						p.errorf(kv.val, "related type %q was renamed obsolete in Sigma 2.0", s)
					case !relatedTypes[s]:
						p.errorf(kv.val, "related type %q is not one of derived, obsolete, merged, renamed, similar", s)
					}
				}
			default:
				p.errorf(kv.key, "unknown key %q in a related entry (id and type are expected)", kv.key.Value)
			}
		}
		if !hasID {
			p.errorf(it, "a related entry needs an id")
		}
		if !hasType {
			p.errorf(it, "a related entry needs a type")
		}
		out = append(out, rel)
	}
	return out
}

// logsource reads the logsource section.
func (p *docParser) logsource(n *yaml.Node) *LogSource {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "logsource must be a mapping, not a %s", kindName(n))
		return nil
	}
	ls := &LogSource{}
	for _, kv := range p.pairs(n) {
		var dst *string
		switch kv.key.Value {
		case "category":
			dst = &ls.Category
		case "product":
			dst = &ls.Product
		case "service":
			dst = &ls.Service
		case "definition":
			ls.Definition, _ = p.str(kv.val, "logsource definition")
			continue
		default:
			if ls.Custom == nil {
				ls.Custom = map[string]any{}
			}
			ls.Custom[kv.key.Value] = p.decodeAny(kv.val, 0)
			continue
		}
		s, ok := p.str(kv.val, "logsource "+kv.key.Value)
		if !ok {
			continue
		}
		if !logsourceRE.MatchString(s) {
			p.warnf(kv.val, "logsource %s %q should be lower case letters, digits, _, . and -", kv.key.Value, s)
		}
		*dst = s
	}
	if ls.Category == "" && ls.Product == "" && ls.Service == "" {
		p.warnf(n, "logsource has none of category, product and service")
	}
	return ls
}

// boolean reads a YAML boolean.
func (p *docParser) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "%s must be true or false, not a %s", what, kindName(n))
		return false
	}
	v, _ := scalarValue(n)
	return v == true
}
