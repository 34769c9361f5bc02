package sigma

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kind is the kind of a Sigma document.
type Kind uint8

// The kinds of documents.
const (
	KindDetection   Kind = iota + 1 // a detection rule (detection section)
	KindCorrelation                 // a correlation rule (correlation section)
	KindFilter                      // a filter, also called meta-filter (filter section)
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindDetection:
		return "detection rule"
	case KindCorrelation:
		return "correlation rule"
	case KindFilter:
		return "filter"
	}
	return "document"
}

// Rule is one Sigma document: a detection rule, a correlation rule or a filter. The
// metadata is common to the three kinds; exactly one of Detection, Correlation and
// Filter is set, according to Kind.
type Rule struct {
	Kind Kind
	// File, Line and Column locate the document (its first key); Index is its
	// 1-based position among the documents of the file.
	File         string
	Line, Column int
	Index        int

	Title       string
	ID          string // a UUID, as written
	Name        string // the unique name correlations and filters may use instead of the id
	Taxonomy    string // "sigma" when not given
	Status      string // stable, test, experimental, deprecated, unsupported, or empty
	Description string
	License     string
	Author      string
	Level       string // informational, low, medium, high, critical, or empty
	References  []string
	// FalsePositives, Fields and Scope are the lists of the same names.
	FalsePositives []string
	Fields         []string
	Scope          []string
	Tags           []Tag
	Related        []Related
	// Date and Modified are zero when absent.
	Date     time.Time
	Modified time.Time

	LogSource   *LogSource
	Detection   *Detection
	Correlation *Correlation
	Filter      *Filter

	// Custom holds the attributes the specification does not define, decoded into
	// maps, slices, strings, numbers and booleans.
	Custom map[string]any

	// keyPos records where the id and name values are, for errors found later.
	keyPos map[string][2]int
}

// posOf returns the position of a top-level attribute's value, or of the document.
func (r *Rule) posOf(key string) (int, int) {
	if pos, ok := r.keyPos[key]; ok {
		return pos[0], pos[1]
	}
	return r.Line, r.Column
}

// Ref names the rule for messages: its id, else its name, else its title.
func (r *Rule) Ref() string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Name != "":
		return r.Name
	}
	return r.Title
}

// docParser reads one YAML document into a Rule.
type docParser struct {
	nodeReader
	placeholders Placeholders
	lines        []string
}

// sourceLine returns line n (1-based) of the file, or "".
func (p *docParser) sourceLine(n int) string {
	if n <= 0 || n > len(p.lines) {
		return ""
	}
	return p.lines[n-1]
}

// parseDocument reads a document's root mapping into a Rule. The rule is worth
// keeping only if no error was recorded.
func (p *docParser) parseDocument(root *yaml.Node, index int) *Rule {
	r := &Rule{File: p.file, Line: root.Line, Column: root.Column, Index: index, Taxonomy: "sigma", keyPos: map[string][2]int{}}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "a Sigma document must be a mapping, not a %s", kindName(root))
		return nil
	}
	kvs := p.pairs(root)
	byKey := map[string]pair{}
	for _, kv := range kvs {
		byKey[kv.key.Value] = kv
		if kv.key.Value == "id" || kv.key.Value == "name" {
			r.keyPos[kv.key.Value] = [2]int{kv.val.Line, kv.val.Column}
		}
	}
	// Name the document early so that every message carries it.
	if kv, ok := byKey["id"]; ok && kv.val.Kind == yaml.ScalarNode {
		p.setRule(kv.val.Value)
	} else if kv, ok := byKey["title"]; ok && kv.val.Kind == yaml.ScalarNode {
		p.setRule(kv.val.Value)
	} else {
		p.setRule("document " + strconv.Itoa(index))
	}

	_, hasDet := byKey["detection"]
	_, hasCorr := byKey["correlation"]
	_, hasFilter := byKey["filter"]
	switch {
	case hasDet && !hasCorr && !hasFilter:
		r.Kind = KindDetection
	case hasCorr && !hasDet && !hasFilter:
		r.Kind = KindCorrelation
	case hasFilter && !hasDet && !hasCorr:
		r.Kind = KindFilter
	case !hasDet && !hasCorr && !hasFilter:
		p.errorf(root, "the document has none of detection, correlation or filter")
		return nil
	default:
		p.errorf(root, "the document may have only one of detection, correlation and filter")
		return nil
	}

	var generateTop *yaml.Node
	for _, kv := range kvs {
		p.metadata(r, kv, &generateTop)
	}
	if _, ok := byKey["title"]; !ok {
		p.errorf(root, "title is missing")
	}
	if r.ID == "" {
		if r.Kind == KindDetection {
			p.warnf(root, "the rule has no id")
		}
	}
	switch r.Kind {
	case KindDetection:
		if _, ok := byKey["logsource"]; !ok {
			p.errorf(root, "logsource is missing")
		}
	case KindFilter:
		if _, ok := byKey["logsource"]; !ok {
			p.errorf(root, "logsource is missing: a filter applies to the rules of one log source")
		}
		for _, k := range []string{"level", "status"} {
			if kv, ok := byKey[k]; ok {
				p.warnf(kv.key, "a filter has no %s: it only narrows the rules it applies to", k)
			}
		}
	case KindCorrelation:
		if kv, ok := byKey["logsource"]; ok {
			p.errorf(kv.key, "a correlation rule has no logsource: its rules have theirs")
		}
		if r.Correlation != nil && generateTop != nil {
			if r.Correlation.generateSet {
				p.errorf(generateTop, "generate is given twice, at the top and in the correlation section")
			} else {
				r.Correlation.Generate = p.boolean(generateTop, "generate")
			}
		}
	}
	if !r.Date.IsZero() && !r.Modified.IsZero() && r.Modified.Before(r.Date) {
		if kv, ok := byKey["modified"]; ok {
			p.warnf(kv.val, "modified (%s) is before date (%s)", r.Modified.Format(time.DateOnly), r.Date.Format(time.DateOnly))
		}
	}
	return r
}

// metadata reads one top-level attribute.
func (p *docParser) metadata(r *Rule, kv pair, generateTop **yaml.Node) {
	k, v := kv.key, kv.val
	switch k.Value {
	case "title":
		if s, ok := p.str(v, "title"); ok {
			if s == "" {
				p.errorf(v, "title is empty")
			} else if n := len([]rune(s)); n > 256 {
				p.errorf(v, "title is %d characters long; the limit is 256", n)
			}
			r.Title = s
		}
	case "id":
		if s, ok := p.str(v, "id"); ok {
			r.ID = s
			p.checkUUID(v, s, "id")
		}
	case "name":
		if s, ok := p.str(v, "name"); ok {
			if s == "" {
				p.errorf(v, "name is empty")
			} else if n := len([]rune(s)); n > 256 {
				p.errorf(v, "name is %d characters long; the limit is 256", n)
			}
			r.Name = s
		}
	case "taxonomy":
		if s, ok := p.str(v, "taxonomy"); ok {
			if s == "" {
				p.errorf(v, "taxonomy is empty")
			}
			r.Taxonomy = s
		}
	case "status":
		if s, ok := p.str(v, "status"); ok {
			if !statuses[s] {
				p.errorf(v, "status %q is not one of stable, test, experimental, deprecated, unsupported", s)
			}
			r.Status = s
		}
	case "level":
		if s, ok := p.str(v, "level"); ok {
			if !levels[strings.ToLower(s)] {
				p.errorf(v, "level %q is not one of informational, low, medium, high, critical", s)
			} else if !lowerASCII(s) {
				p.warnf(v, "level %q should be written in lower case", s)
			}
			r.Level = strings.ToLower(s)
		}
	case "description":
		if s, ok := p.str(v, "description"); ok {
			if len([]rune(s)) > 65535 {
				p.errorf(v, "description is longer than 65535 characters")
			}
			r.Description = s
		}
	case "license":
		r.License, _ = p.str(v, "license")
	case "author":
		r.Author, _ = p.str(v, "author")
	case "references":
		r.References, _ = p.strList(v, "references", false)
	case "falsepositives":
		r.FalsePositives, _ = p.strList(v, "falsepositives", true)
	case "fields":
		r.Fields, _ = p.strList(v, "fields", false)
	case "scope":
		r.Scope, _ = p.strList(v, "scope", false)
	case "tags":
		if tags, ok := p.strList(v, "tags", false); ok {
			items := p.items(v)
			for i, t := range tags {
				r.Tags = append(r.Tags, p.tag(items[i], t))
			}
		}
	case "date":
		r.Date = p.date(v, "date")
	case "modified":
		r.Modified = p.date(v, "modified")
	case "related":
		r.Related = p.related(v)
	case "logsource":
		r.LogSource = p.logsource(v)
	case "detection":
		r.Detection = p.parseDetection(k, v, nil)
	case "correlation":
		r.Correlation = p.parseCorrelation(k, v)
	case "filter":
		r.Filter = p.parseFilter(k, v)
	case "generate":
		if r.Kind != KindCorrelation {
			p.errorf(k, "generate belongs to correlation rules")
		}
		*generateTop = v
	default:
		if r.Custom == nil {
			r.Custom = map[string]any{}
		}
		r.Custom[k.Value] = p.decodeAny(v, 0)
	}
}
