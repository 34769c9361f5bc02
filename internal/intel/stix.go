package intel

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// stixObject is the part of a STIX 2.1 object a list reads.
type stixObject struct {
	Type           string   `json:"type"`
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Description    string   `json:"description"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	Labels         []string `json:"labels"`
	IndicatorTypes []string `json:"indicator_types"`
	ValidUntil     string   `json:"valid_until"`
	Revoked        bool     `json:"revoked"`
	CreatedBy      string   `json:"created_by_ref"`
	Severity       string   `json:"x_severity"`
}

// readSTIX reads a STIX 2.1 bundle.
func (l *List) readSTIX(r io.Reader, now time.Time) error {
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&bundle); err != nil {
		return fmt.Errorf("STIX bundle: %w", err)
	}
	if bundle.Type != "bundle" {
		return fmt.Errorf("not a STIX 2.1 bundle: type %q, want \"bundle\"", bundle.Type)
	}
	for i, raw := range bundle.Objects {
		pos := fmt.Sprintf("objects[%d]", i)
		var o stixObject
		if err := json.Unmarshal(raw, &o); err != nil {
			l.reject(pos, "not a STIX object: %v", err)
			continue
		}
		if o.Type != "indicator" {
			l.Ignored++
			continue
		}
		if o.ID != "" {
			pos += " " + o.ID
		}
		if o.PatternType != "stix" {
			l.reject(pos, "pattern_type %q is not supported (only \"stix\")", o.PatternType)
			continue
		}
		if o.Revoked {
			l.reject(pos, "revoked")
			continue
		}
		base := Indicator{ID: o.ID, Description: o.Description, Source: o.CreatedBy}
		if base.Description == "" {
			base.Description = o.Name
		}
		for _, t := range append(append([]string(nil), o.Labels...), o.IndicatorTypes...) {
			if t != "" && !contains(base.Tags, t) {
				base.Tags = append(base.Tags, t)
			}
		}
		if o.Severity != "" {
			lv, ok := normLevel(o.Severity)
			if !ok {
				l.reject(pos, "unknown x_severity %q", o.Severity)
				continue
			}
			base.Level = lv
		}
		if o.ValidUntil != "" {
			t, err := time.Parse(time.RFC3339Nano, o.ValidUntil)
			if err != nil {
				l.reject(pos, "valid_until %q is not a timestamp", o.ValidUntil)
				continue
			}
			base.ValidUntil = t
		}
		cmps, err := parsePattern(o.Pattern)
		if err != nil {
			l.reject(pos, "pattern %q: %v", o.Pattern, err)
			continue
		}
		var inds []Indicator
		for _, c := range cmps {
			ind := base
			ind.Value, ind.Type, err = c.indicator()
			if err != nil {
				break
			}
			inds = append(inds, ind)
		}
		if err != nil {
			l.reject(pos, "pattern %q: %v", o.Pattern, err)
			continue
		}
		for _, ind := range inds {
			l.add(ind, now)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// comparison is one "object:path op 'value'" of a pattern.
type comparison struct {
	path, op, value string
}

// indicator returns the indicator value and type the comparison looks for.
func (c comparison) indicator() (string, string, error) {
	typ := ""
	switch c.path {
	case "ipv4-addr:value":
		typ = IPv4
	case "ipv6-addr:value":
		typ = IPv6
	case "domain-name:value":
		typ = Domain
	case "url:value":
		typ = URL
	default:
		obj, prop, _ := strings.Cut(c.path, ":")
		if obj != "file" {
			return "", "", fmt.Errorf("object type %q is not supported", obj)
		}
		switch strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(prop, "'", ""), "-", "")) {
		case "HASHES.MD5":
			typ = MD5
		case "HASHES.SHA1":
			typ = SHA1
		case "HASHES.SHA256":
			typ = SHA256
		default:
			return "", "", fmt.Errorf("file property %q is not supported (only hashes MD5, SHA-1, SHA-256)", prop)
		}
	}
	switch c.op {
	case "=":
	case "ISSUBSET":
		if typ != IPv4 && typ != IPv6 {
			return "", "", fmt.Errorf("ISSUBSET applies to addresses only")
		}
		typ = CIDR
	default:
		return "", "", fmt.Errorf("operator %s is not supported (only = and ISSUBSET)", c.op)
	}
	if (typ == IPv4 || typ == IPv6) && strings.Contains(c.value, "/") {
		typ = CIDR
	}
	v, typ, err := normalize(typ, c.value)
	return v, typ, err
}

// parsePattern reads a STIX pattern that is one comparison or an OR of comparisons,
// within one observation expression or across several joined by OR:
//
//	[ipv4-addr:value = '203.0.113.5' OR domain-name:value = 'evil.example']
//	[url:value = 'http://evil.example/x'] OR [file:hashes.'SHA-256' = '…']
func parsePattern(p string) ([]comparison, error) {
	toks, err := tokenize(p)
	if err != nil {
		return nil, err
	}
	var out []comparison
	i := 0
	next := func() string {
		if i < len(toks) {
			i++
			return toks[i-1]
		}
		return ""
	}
	for {
		if t := next(); t != "[" {
			return nil, unexpected(t, "'['")
		}
		for {
			path := next()
			if !strings.Contains(path, ":") || strings.HasPrefix(path, "'") {
				return nil, unexpected(path, "an object path")
			}
			op := strings.ToUpper(next())
			if op == "NOT" {
				return nil, fmt.Errorf("NOT is not supported")
			}
			val := next()
			if !strings.HasPrefix(val, "'") {
				return nil, unexpected(val, "a quoted string")
			}
			out = append(out, comparison{path: path, op: op, value: val[1:]})
			t := strings.ToUpper(next())
			if t == "]" {
				break
			}
			if t == "AND" {
				return nil, fmt.Errorf("AND is not supported (only one comparison or an OR of comparisons)")
			}
			if t != "OR" {
				return nil, unexpected(t, "OR or ']'")
			}
		}
		if i == len(toks) {
			return out, nil
		}
		switch t := strings.ToUpper(next()); t {
		case "OR":
		case "AND", "FOLLOWEDBY":
			return nil, fmt.Errorf("%s is not supported (only one comparison or an OR of comparisons)", t)
		case "WITHIN", "REPEATS", "START", "STOP":
			return nil, fmt.Errorf("qualifier %s is not supported", t)
		default:
			return nil, unexpected(t, "OR")
		}
	}
}

func unexpected(tok, want string) error {
	if tok == "" {
		return fmt.Errorf("unexpected end, want %s", want)
	}
	return fmt.Errorf("unexpected %q, want %s", tok, want)
}

// tokenize splits a pattern into '[', ']', '(', ')', operators, words (object paths,
// keywords) and string literals, returned with their opening quote and unescaped.
func tokenize(p string) ([]string, error) {
	var toks []string
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '[' || c == ']' || c == '(' || c == ')' || c == '=':
			toks = append(toks, p[i:i+1])
			i++
		case c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(p) && p[j] == '=' {
				j++
			}
			toks = append(toks, p[i:j])
			i = j
		case c == '\'':
			var b strings.Builder
			b.WriteByte('\'')
			j := i + 1
			for ; j < len(p) && p[j] != '\''; j++ {
				if p[j] == '\\' && j+1 < len(p) {
					j++
				}
				b.WriteByte(p[j])
			}
			if j == len(p) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, b.String())
			i = j + 1
		default:
			// A word: an object path (with quoted parts such as hashes.'SHA-256'),
			// a keyword or a number.
			j := i
			for j < len(p) {
				d := p[j]
				if d == '\'' && j > i && p[j-1] == '.' {
					k := strings.IndexByte(p[j+1:], '\'')
					if k < 0 {
						return nil, fmt.Errorf("unterminated string")
					}
					j += k + 2
					continue
				}
				if d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == '[' || d == ']' || d == '(' || d == ')' || d == '=' || d == '!' || d == '<' || d == '>' || d == '\'' {
					break
				}
				j++
			}
			toks = append(toks, p[i:j])
			i = j
		}
	}
	return toks, nil
}
