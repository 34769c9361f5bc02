package sigma

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ParseCIDR reads the value of a cidr item: an IPv4 or IPv6 network in CIDR notation,
// or a single address (a /32 or /128 network). As in pySigma, a network whose host
// bits are set (10.0.0.1/8) is an error, since it is usually a typo; zones are not
// allowed.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP network in CIDR notation", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP network in CIDR notation", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set (the network is %s)", s, m)
	}
	return p, nil
}

// CompareOp is the operator of a numeric comparison (lt, lte, gt, gte modifiers).
type CompareOp uint8

// The comparison operators.
const (
	CompareLT CompareOp = iota + 1
	CompareLTE
	CompareGT
	CompareGTE
)

// String names the operator as its modifier.
func (o CompareOp) String() string {
	switch o {
	case CompareLT:
		return "lt"
	case CompareLTE:
		return "lte"
	case CompareGT:
		return "gt"
	case CompareGTE:
		return "gte"
	}
	return "?"
}

// TimePart is the part of a date that a time modifier extracts from the field.
type TimePart uint8

// The time parts, with the ranges the specification gives them.
const (
	TimeMinute TimePart = iota + 1 // 0..59
	TimeHour                       // 0..23
	TimeDay                        // day of the month, 1..31
	TimeWeek                       // ISO week of the year, 1..53
	TimeMonth                      // 1..12
	TimeYear                       // the year
)

// String names the part as its modifier.
func (t TimePart) String() string {
	switch t {
	case TimeMinute:
		return "minute"
	case TimeHour:
		return "hour"
	case TimeDay:
		return "day"
	case TimeWeek:
		return "week"
	case TimeMonth:
		return "month"
	case TimeYear:
		return "year"
	}
	return "?"
}

// Range returns the smallest and largest value the part can have. The specification
// says 1..52 for weeks; an ISO 8601 year has 53 weeks in some years, so 53 is accepted.
// Years are bounded to four digits.
func (t TimePart) Range() (lo, hi int64) {
	switch t {
	case TimeMinute:
		return 0, 59
	case TimeHour:
		return 0, 23
	case TimeDay:
		return 1, 31
	case TimeWeek:
		return 1, 53
	case TimeMonth:
		return 1, 12
	}
	return 0, 9999
}

// Placeholders maps placeholder names (without the percent signs) to the values
// they stand for, for the expand modifier. The values are Sigma strings: * and ? in
// them are wildcards.
type Placeholders map[string][]string

// maxExpansions bounds how many values one rule value may expand into (through
// placeholders and dash variants together).
const maxExpansions = 4096

// placeholderRef is one %name% found in a text.
type placeholderRef struct {
	start, end int // the bytes of %name%
	name       string
}

// findPlaceholders returns the %name% references in s that are not preceded by a
// backslash, as pySigma does: a name is one or more word characters.
func findPlaceholders(s string) []placeholderRef {
	var out []placeholderRef
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || (i > 0 && s[i-1] == '\\') {
			continue
		}
		j := i + 1
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		if j > i+1 && j < len(s) && s[j] == '%' {
			out = append(out, placeholderRef{start: i, end: j + 1, name: s[i+1 : j]})
			i = j
		}
	}
	return out
}

// unescapePercent turns the \% escapes of an expand value into plain percent signs.
func unescapePercent(s string) string { return strings.ReplaceAll(s, `\%`, "%") }

// ExpandPattern resolves the %name% placeholders in the literal parts of p from ph and
// returns every combination, in order. A literal \% is a plain percent sign. The
// placeholder values are read as Sigma strings, so their wildcards stay wildcards.
// It fails for a placeholder without values.
func ExpandPattern(p Pattern, ph Placeholders) ([]Pattern, error) {
	results := []Pattern{{}}
	for _, t := range p {
		if t.Kind != TokenLiteral {
			for i := range results {
				results[i] = append(results[i], t)
			}
			continue
		}
		var pieces [][]Pattern // alternatives for each piece of this literal
		last := 0
		for _, ref := range findPlaceholders(t.Text) {
			pieces = append(pieces, []Pattern{LiteralPattern(unescapePercent(t.Text[last:ref.start]))})
			vals, ok := ph[ref.name]
			if !ok || len(vals) == 0 {
				return nil, fmt.Errorf("placeholder %%%s%% has no value in the placeholder configuration", ref.name)
			}
			alts := make([]Pattern, len(vals))
			for i, v := range vals {
				alts[i] = ParsePattern(v)
			}
			pieces = append(pieces, alts)
			last = ref.end
		}
		pieces = append(pieces, []Pattern{LiteralPattern(unescapePercent(t.Text[last:]))})
		for _, alts := range pieces {
			if len(results)*len(alts) > maxExpansions {
				return nil, fmt.Errorf("placeholders expand into more than %d values", maxExpansions)
			}
			next := make([]Pattern, 0, len(results)*len(alts))
			for _, r := range results {
				for _, a := range alts {
					next = append(next, concat(r, a))
				}
			}
			results = next
		}
	}
	for i := range results {
		results[i] = results[i].normalize()
	}
	return results, nil
}

// ExpandRegex resolves the %name% placeholders of a regular expression from ph. Each
// placeholder becomes a non-capturing group of its values, each value (a Sigma
// string) translated into a regular expression: literal text quoted, * as .* and ?
// as a single character.
func ExpandRegex(expr string, ph Placeholders) (string, error) {
	var b strings.Builder
	last := 0
	for _, ref := range findPlaceholders(expr) {
		b.WriteString(expr[last:ref.start])
		vals, ok := ph[ref.name]
		if !ok || len(vals) == 0 {
			return "", fmt.Errorf("placeholder %%%s%% has no value in the placeholder configuration", ref.name)
		}
		b.WriteString("(?:")
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(PatternRegex(ParsePattern(v)))
		}
		b.WriteString(")")
		last = ref.end
	}
	b.WriteString(expr[last:])
	return b.String(), nil
}

// PatternRegex translates a pattern into the body of a regular expression: literals
// quoted, * as (?s:.*) and ? as (?s:.). Callers add anchors and flags as they need.
func PatternRegex(p Pattern) string {
	var b strings.Builder
	for _, t := range p {
		switch t.Kind {
		case TokenAnyString:
			b.WriteString("(?s:.*)")
		case TokenAnyChar:
			b.WriteString("(?s:.)")
		default:
			b.WriteString(regexp.QuoteMeta(t.Text))
		}
	}
	return b.String()
}
