package notify

import (
	"slices"
	"strings"
)

// severities in increasing order; the Sigma rule levels, so an alert's level can be
// an incident's severity as it is.
var severities = []string{"informational", "low", "medium", "high", "critical"}

// severityRank returns the position of s in severities, ignoring case, or -1.
func severityRank(s string) int {
	return slices.IndexFunc(severities, func(v string) bool { return strings.EqualFold(v, s) })
}

// Match reports whether m meets all of the route's non-empty criteria.
func (r Route) Match(m Message) bool {
	if r.MinSeverity != "" {
		least, got := severityRank(r.MinSeverity), severityRank(m.Severity)
		if least < 0 || got < least {
			return false
		}
	}
	if len(r.Kinds) > 0 && !slices.ContainsFunc(r.Kinds, func(k string) bool { return kindMatches(k, m.Kind) }) {
		return false
	}
	if !anyOf(r.Tactics, m.Tactics, strings.EqualFold) ||
		!anyOf(r.Techniques, m.Techniques, strings.EqualFold) ||
		!anyOf(r.HostGroups, m.HostGroups, func(a, b string) bool { return a == b }) {
		return false
	}
	return true
}

// kindMatches matches a route's kind pattern: exact, or a prefix ending in ".*".
func kindMatches(pattern, kind string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok && strings.HasSuffix(prefix, ".") {
		return strings.HasPrefix(kind, prefix)
	}
	return pattern == kind
}

// anyOf reports whether want is empty (no criterion) or shares an entry with have.
func anyOf(want, have []string, eq func(a, b string) bool) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, h := range have {
			if eq(w, h) {
				return true
			}
		}
	}
	return false
}

// ChannelsFor returns the names of the channels that m goes to, each once, in the
// order the routes first name them.
func (c Config) ChannelsFor(m Message) []string {
	var out []string
	for _, r := range c.Routes {
		if !r.Match(m) {
			continue
		}
		for _, name := range r.Channels {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}
