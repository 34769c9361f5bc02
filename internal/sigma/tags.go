package sigma

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tag is one entry of the tags list: a namespace and a name, written
// "namespace.name" (the name may hold further dots).
type Tag struct {
	Namespace string
	Name      string
}

// String writes the tag as in a rule.
func (t Tag) String() string {
	if t.Namespace == "" {
		return t.Name
	}
	return t.Namespace + "." + t.Name
}

// ParseTag splits a tag at its first dot.
func ParseTag(s string) Tag {
	ns, name, ok := strings.Cut(s, ".")
	if !ok {
		return Tag{Name: s}
	}
	return Tag{Namespace: ns, Name: name}
}

// tagSyntaxRE is the general tag syntax of the specification's JSON schema.
var tagSyntaxRE = regexp.MustCompile(`^[a-z0-9_-]+\.[a-z0-9._-]+$`)

// attackTactics are the ATT&CK tactics of the tags appendix.
var attackTactics = map[string]bool{
	"initial-access": true, "execution": true, "persistence": true, "privilege-escalation": true,
	"defense-evasion": true, "credential-access": true, "discovery": true, "lateral-movement": true,
	"collection": true, "exfiltration": true, "command-and-control": true, "impact": true,
	// Tactics ATT&CK added after the appendix was written.
	"reconnaissance": true, "resource-development": true, "stealth": true, "defense-impairment": true,
}

var (
	attackIDRE = regexp.MustCompile(`^(t\d{4}(\.\d{3})?|g\d{4}|s\d{4}|ds\d{4}|m\d{4}|a\d{4})$`)
	d3fendRE   = regexp.MustCompile(`^(d3-[a-z0-9-]+|d3f-[A-Za-z0-9-]+|model|harden|detect|isolate|deceive|evict)$`)
)

// tagNames checks the name part of a tag of each known namespace. The namespaces
// are those of the tags appendix (attack, car, cve, d3fend, detection, stp, tlp) and
// Vigil's own: vigil, and cs for the cloud-server matrix, whose names are free.
var tagNames = map[string]func(string) bool{
	"attack":    func(s string) bool { return attackTactics[s] || attackIDRE.MatchString(s) },
	"car":       regexp.MustCompile(`^\d{4}-\d{2}-\d{3}$`).MatchString,
	"cve":       regexp.MustCompile(`^\d{4}-\d{4,}$`).MatchString,
	"d3fend":    d3fendRE.MatchString,
	"detection": func(s string) bool { return s == "dfir" || s == "emerging-threats" || s == "threat-hunting" },
	"stp":       regexp.MustCompile(`^[1-5][auk]?$`).MatchString,
	"tlp": func(s string) bool {
		return s == "red" || s == "amber" || s == "amber-strict" || s == "green" || s == "clear"
	},
	"vigil": regexp.MustCompile(`^[a-z0-9_.-]+$`).MatchString,
	"cs":    regexp.MustCompile(`^[a-z0-9_.-]+$`).MatchString,
}

// oldTagHint explains the Sigma 1 spellings that Sigma 2 changed.
func oldTagHint(t Tag) string {
	switch {
	case t.Namespace == "attack" && strings.Contains(t.Name, "_"):
		return " (Sigma 2.0 writes ATT&CK tactics with dashes: " + strings.ReplaceAll(t.Name, "_", "-") + ")"
	case t.Namespace == "cve" && strings.Count(t.Name, ".") == 1:
		return " (Sigma 2.0 writes CVE tags with a dash: cve." + strings.Replace(t.Name, ".", "-", 1) + ")"
	case t.Namespace == "tlp" && t.Name == "white":
		return " (TLP 2.0 renamed white to clear)"
	}
	return ""
}

// tag reads one tag. Tags only categorize rules, and the specification words its
// rules as recommendations, so problems with tags are warnings: an unknown
// namespace, a name that does not fit its namespace, or a tag outside the syntax.
func (p *docParser) tag(n *yaml.Node, s string) Tag {
	t := ParseTag(s)
	if !tagSyntaxRE.MatchString(s) {
		if t.Namespace == "d3fend" && strings.HasPrefix(t.Name, "d3f-") {
			return t // D3FEND artifact names are mixed case in the appendix itself.
		}
		p.warnf(n, "tag %q should be namespace.name in lower case letters, digits, _, - and .", s)
		return t
	}
	check, known := tagNames[t.Namespace]
	switch {
	case !known:
		p.warnf(n, "tag %q has the unknown namespace %q", s, t.Namespace)
	case !check(t.Name):
		p.warnf(n, "tag %q is not a valid %s tag%s", s, t.Namespace, oldTagHint(t))
	}
	return t
}
