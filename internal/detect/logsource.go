package detect

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Mapping tells the engine which events can satisfy a Sigma logsource and how the rules
// of that logsource name event fields. See logsources.yaml for the default mapping and
// the meaning of each key; LoadMapping reads the same format.
type Mapping struct {
	Sources []Source `yaml:"sources"`
}

// Source is one logsource of a Mapping.
type Source struct {
	// Name identifies the source in messages and statistics, e.g. "linux/auditd".
	Name string `yaml:"name"`
	// LogSource is the rule logsource the source stands for (or a list of them, for
	// names that mean the same logs). A key left empty means that rules must not set it
	// either.
	LogSource LogSourceKeys `yaml:"logsource"`
	// When lists the alternatives of events that satisfy the source: in each, every
	// field must hold one of its values ("*" for any value).
	When []map[string]Values `yaml:"when"`
	// Fields is the field pipeline: Sigma field name to event paths.
	Fields map[string][]string `yaml:"fields"`
}

// LogSourceKey is the product, category and service of a logsource.
type LogSourceKey struct {
	Product  string `yaml:"product"`
	Category string `yaml:"category"`
	Service  string `yaml:"service"`
}

func (k LogSourceKey) String() string {
	var parts []string
	for _, kv := range [][2]string{{"product", k.Product}, {"category", k.Category}, {"service", k.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if len(parts) == 0 {
		return "an empty logsource"
	}
	return strings.Join(parts, ", ")
}

// LogSourceKeys is one logsource or several; YAML gives a mapping or a list of them.
type LogSourceKeys []LogSourceKey

// UnmarshalYAML reads a mapping or a list of mappings.
func (ks *LogSourceKeys) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var k LogSourceKey
		if err := n.Decode(&k); err != nil {
			return err
		}
		*ks = LogSourceKeys{k}
		return nil
	}
	var list []LogSourceKey
	if err := n.Decode(&list); err != nil {
		return err
	}
	*ks = list
	return nil
}

func (k LogSourceKey) lower() LogSourceKey {
	return LogSourceKey{strings.ToLower(k.Product), strings.ToLower(k.Category), strings.ToLower(k.Service)}
}

// Values is a list of strings that YAML may also give as one scalar.
type Values []string

// UnmarshalYAML reads a scalar or a list of scalars.
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = Values{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Values, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a value list holds plain values only", c.Line)
			}
			out = append(out, c.Value)
		}
		*v = out
		return nil
	}
	return fmt.Errorf("line %d: expected a value or a list of values", n.Line)
}

//go:embed logsources.yaml
var defaultMappingYAML []byte

// DefaultMappingYAML returns the text of the default mapping, for documentation and as a
// starting point for a configuration of one's own.
func DefaultMappingYAML() []byte { return bytes.Clone(defaultMappingYAML) }

// DefaultMapping returns the default mapping (a new copy each time).
func DefaultMapping() *Mapping {
	m, err := LoadMapping(defaultMappingYAML)
	if err != nil {
		panic("detect: the default logsource mapping is invalid: " + err.Error())
	}
	return m
}

// LoadMapping reads a mapping in the format of logsources.yaml and checks it.
func LoadMapping(data []byte) (*Mapping, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("logsource mapping: %w", err)
	}
	if _, err := compileMapping(&m); err != nil {
		return nil, err
	}
	return &m, nil
}

// maxSources bounds the sources of a mapping: an event's set of sources is a bit set of
// this size.
const maxSources = 256

// source is a compiled Source.
type source struct {
	name  string
	keys  []LogSourceKey // lower case
	alts  [][]pcond
	exact map[string][]string
	digit []digitTemplate
	any   []string // the paths of the "*" entry, or nil
}

// pcond is one field test of a When alternative.
type pcond struct {
	path   pathSpec
	values []string
	any    bool
	acc    int // the engine's accessor of the path, so routing and rules share reads
}

// digitTemplate is a field pipeline key with "#" for a run of digits.
type digitTemplate struct {
	re    *regexp.Regexp
	paths []string
}

func compileMapping(m *Mapping) ([]*source, error) {
	if len(m.Sources) > maxSources {
		return nil, fmt.Errorf("logsource mapping: %d sources; at most %d are supported", len(m.Sources), maxSources)
	}
	var out []*source
	seen := map[LogSourceKey]string{}
	var errs []error
	for i, s := range m.Sources {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("source %d", i+1)
		}
		src := &source{name: name, exact: map[string][]string{}}
		if len(s.LogSource) == 0 {
			errs = append(errs, fmt.Errorf("logsource mapping: %s: logsource is missing", name))
		}
		for _, k := range s.LogSource {
			key := k.lower()
			if key == (LogSourceKey{}) {
				errs = append(errs, fmt.Errorf("logsource mapping: %s: logsource is empty", name))
			}
			if other, dup := seen[key]; dup {
				errs = append(errs, fmt.Errorf("logsource mapping: %s: %s is already mapped by %s", name, key, other))
			}
			seen[key] = name
			src.keys = append(src.keys, key)
		}
		if len(s.When) == 0 {
			errs = append(errs, fmt.Errorf("logsource mapping: %s: when is empty: no event could satisfy it", name))
		}
		for _, alt := range s.When {
			var conds []pcond
			for _, field := range sortedKeys(alt) {
				ps, err := parsePath(field)
				if err != nil {
					errs = append(errs, fmt.Errorf("logsource mapping: %s: %v", name, err))
					continue
				}
				c := pcond{path: ps}
				for _, v := range alt[field] {
					if v == "*" {
						c.any = true
					} else {
						c.values = append(c.values, v)
					}
				}
				if len(c.values) == 0 && !c.any {
					errs = append(errs, fmt.Errorf("logsource mapping: %s: %s has no values", name, field))
				}
				conds = append(conds, c)
			}
			// Tests of the parser name first: they are the cheapest and most selective.
			sort.SliceStable(conds, func(a, b int) bool { return conds[a].path.kind == pathModule && conds[b].path.kind != pathModule })
			src.alts = append(src.alts, conds)
		}
		for _, field := range sortedKeys(s.Fields) {
			paths := s.Fields[field]
			for _, p := range paths {
				if _, err := parsePath(strings.NewReplacer("#", "0", "{}", "x").Replace(p)); err != nil {
					errs = append(errs, fmt.Errorf("logsource mapping: %s: field %s: %v", name, field, err))
				}
			}
			switch {
			case field == "*":
				src.any = paths
			case strings.Contains(field, "#"):
				re := "^" + strings.ReplaceAll(regexp.QuoteMeta(field), "#", "([0-9]+)") + "$"
				if strings.Count(field, "#") > 1 {
					errs = append(errs, fmt.Errorf("logsource mapping: %s: field %s: only one # is allowed", name, field))
					continue
				}
				src.digit = append(src.digit, digitTemplate{re: regexp.MustCompile(re), paths: paths})
			default:
				src.exact[field] = paths
			}
		}
		out = append(out, src)
	}
	return out, errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fieldPaths returns the event paths a rule field of this source reads; ok is false when
// the pipeline marks the field as not available. A nil source reads every field under
// its own name.
func (s *source) fieldPaths(field string) (paths []string, ok bool) {
	if s == nil {
		return []string{field}, true
	}
	if ps, found := s.exact[field]; found {
		return ps, len(ps) > 0
	}
	for _, d := range s.digit {
		if m := d.re.FindStringSubmatch(field); m != nil {
			out := make([]string, len(d.paths))
			for i, p := range d.paths {
				out[i] = strings.ReplaceAll(p, "#", m[1])
			}
			return out, len(out) > 0
		}
	}
	if s.any != nil {
		out := make([]string, len(s.any))
		for i, p := range s.any {
			out[i] = strings.ReplaceAll(p, "{}", field)
		}
		return out, len(out) > 0
	}
	return []string{field}, true
}

// findSource returns the source whose logsource is exactly the rule's (letter case
// aside), or nil.
func findSource(sources []*source, ls *sigma.LogSource) *source {
	if ls == nil {
		return nil
	}
	key := LogSourceKey{ls.Product, ls.Category, ls.Service}.lower()
	for _, s := range sources {
		for _, k := range s.keys {
			if k == key {
				return s
			}
		}
	}
	return nil
}
