package matrix

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// TagNamespace is the Sigma tag namespace of the matrix's techniques.
const TagNamespace = "cs"

// tagRE is the form of a technique tag: cs.<tactic code>-<nn> in lower case.
var tagRE = regexp.MustCompile(`^cs\.([a-z]{2})-(\d{2})$`)

// TagFor returns the Sigma tag of a technique id: CS-IA-01 is cs.ia-01. It does not
// check that the technique exists; an id not of the form CS-XX-nn gives "".
func TagFor(techniqueID string) string {
	if !techniqueIDRE.MatchString(techniqueID) {
		return ""
	}
	return TagNamespace + "." + strings.ToLower(strings.TrimPrefix(techniqueID, "CS-"))
}

// ParseTag returns the technique id of a Sigma tag: cs.ia-01 is CS-IA-01. It
// reports false for a tag of another namespace and for a cs tag not of the form
// cs.<tactic code>-<nn> in lower case.
func ParseTag(tag string) (techniqueID string, ok bool) {
	m := tagRE.FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return "CS-" + strings.ToUpper(m[1]) + "-" + m[2], true
}

// isMatrixTag reports whether a tag is in the matrix's namespace.
func isMatrixTag(tag string) bool {
	ns, _, _ := strings.Cut(tag, ".")
	return strings.EqualFold(ns, TagNamespace)
}

// ValidateRuleTags checks the tags of one rule: every tag in the cs namespace must
// be of the form cs.<tactic code>-<nn> and name a technique of the catalog. Tags of
// other namespaces are not its concern. The error lists every bad tag.
func (c *Catalog) ValidateRuleTags(tags []string) error {
	var errs []error
	for _, tag := range tags {
		if !isMatrixTag(tag) {
			continue
		}
		id, ok := ParseTag(tag)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("tag %q is not a matrix technique tag of the form cs.<tactic>-<nn> in lower case (cs.ia-01)", tag))
		case c.techniqueByID[id] == nil:
			errs = append(errs, fmt.Errorf("tag %q names %s, which is not a technique of the matrix catalog", tag, id))
		}
	}
	return errors.Join(errs...)
}

// TechniquesForTags returns the catalog's techniques that a rule's tags name, in
// the order of the tags and without repeats; other tags are ignored.
func (c *Catalog) TechniquesForTags(tags []string) []*Technique {
	var out []*Technique
	seen := map[string]bool{}
	for _, tag := range tags {
		id, ok := ParseTag(tag)
		if t := c.techniqueByID[id]; ok && t != nil && !seen[id] {
			seen[id] = true
			out = append(out, t)
		}
	}
	return out
}
