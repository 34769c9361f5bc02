package sigma

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// modClass groups modifiers by what they do, for the chain rules.
type modClass uint8

const (
	modList     modClass = iota + 1 // all, neq: change how values combine, not the values
	modShape                        // contains, startswith, endswith
	modEncoding                     // base64, base64offset
	modUTF16                        // utf16le, utf16be, utf16
	modWindash                      // windash
	modCased                        // cased
	modRegex                        // re
	modFlag                         // i, m, s
	modCIDR                         // cidr
	modExists                       // exists
	modFieldRef                     // fieldref
	modCompare                      // lt, lte, gt, gte
	modTime                         // minute, hour, day, week, month, year
	modExpand                       // expand
)

// modifiers maps every accepted modifier name, aliases included, to its canonical
// name. The list is the v2.1 modifiers appendix plus pySigma's long names of the
// regular expression flags (ignorecase, multiline, dotall) and the wide alias.
var modifiers = map[string]string{
	"all": "all", "neq": "neq",
	"contains": "contains", "startswith": "startswith", "endswith": "endswith",
	"base64": "base64", "base64offset": "base64offset",
	"utf16le": "utf16le", "wide": "utf16le", "utf16be": "utf16be", "utf16": "utf16",
	"windash": "windash", "cased": "cased",
	"re": "re", "i": "i", "ignorecase": "i", "m": "m", "multiline": "m", "s": "s", "dotall": "s",
	"cidr": "cidr", "exists": "exists", "fieldref": "fieldref", "expand": "expand",
	"lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte",
	"minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month", "year": "year",
}

var modClasses = map[string]modClass{
	"all": modList, "neq": modList,
	"contains": modShape, "startswith": modShape, "endswith": modShape,
	"base64": modEncoding, "base64offset": modEncoding,
	"utf16le": modUTF16, "utf16be": modUTF16, "utf16": modUTF16,
	"windash": modWindash, "cased": modCased,
	"re": modRegex, "i": modFlag, "m": modFlag, "s": modFlag,
	"cidr": modCIDR, "exists": modExists, "fieldref": modFieldRef, "expand": modExpand,
	"lt": modCompare, "lte": modCompare, "gt": modCompare, "gte": modCompare,
	"minute": modTime, "hour": modTime, "day": modTime, "week": modTime, "month": modTime, "year": modTime,
}

// companions lists, for each modifier class that gives the value a type of its own,
// the classes it may be chained with; a chain has at most one such modifier.
var companions = map[modClass]map[modClass]bool{
	modRegex:    {modList: true, modFlag: true, modExpand: true},
	modCIDR:     {modList: true},
	modExists:   {},
	modFieldRef: {modList: true, modShape: true},
	modCompare:  {modList: true},
	modTime:     {modList: true},
}

// needsField lists the modifiers that make no sense without a field.
var needsField = map[modClass]bool{modExists: true, modFieldRef: true, modCIDR: true, modCompare: true, modTime: true}

// ParseModifiers checks a chain of modifier names (the parts of a key after the field
// name) and returns their canonical names in order. The rules, from the
// specification and pySigma's typing of modifiers:
//
//   - every name must be a known modifier, and none may repeat;
//   - contains, startswith and endswith exclude each other, as do base64 and
//     base64offset, the three UTF-16 encodings, the four comparisons and the six
//     time parts;
//   - re, cidr, exists, fieldref, the comparisons and the time parts give the value
//     a type of their own: only one of them per chain, and each takes few
//     companions (re: i, m, s, expand; fieldref: contains, startswith, endswith;
//     cidr, comparisons, time parts: none; exists: nothing at all), besides all and
//     neq, which only change how values combine and may stand anywhere;
//   - re, cidr, exists and the time parts read the value as written, so only all and
//     neq may come before them;
//   - i, m and s are flags of re and must follow it;
//   - exists, fieldref, cidr, comparisons and time parts need a field.
//
// re with contains, startswith or endswith is an error: a Sigma regular expression
// already matches anywhere, and recent pySigma versions, which accept re|contains,
// only rewrite it with .* around the expression.
func ParseModifiers(field string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	seen := map[string]bool{}
	byClass := map[modClass]string{}
	var typed string
	for _, raw := range names {
		name, ok := modifiers[raw]
		if !ok {
			if raw == "" {
				return nil, errors.New("empty modifier (two | in a row)")
			}
			if s := suggestModifier(raw); s != "" {
				return nil, fmt.Errorf("unknown modifier %q (did you mean %q?)", raw, s)
			}
			return nil, fmt.Errorf("unknown modifier %q", raw)
		}
		if seen[name] {
			return nil, fmt.Errorf("modifier %q appears twice", name)
		}
		seen[name] = true
		class := modClasses[name]
		if prev, dup := byClass[class]; dup && class != modList && class != modFlag {
			return nil, fmt.Errorf("modifiers %q and %q exclude each other", prev, name)
		}
		byClass[class] = name
		if _, isTyped := companions[class]; isTyped {
			if typed != "" {
				return nil, fmt.Errorf("modifiers %q and %q cannot be combined", typed, name)
			}
			typed = name
			if class == modRegex || class == modCIDR || class == modExists || class == modTime {
				for _, before := range out {
					if modClasses[before] != modList {
						return nil, fmt.Errorf("%q must come first in the chain (before %q): it reads the value as written", name, before)
					}
				}
			}
		}
		if class == modFlag && !seen["re"] {
			return nil, fmt.Errorf("%q is a flag of the re modifier and must follow re", raw)
		}
		if needsField[class] && field == "" {
			return nil, fmt.Errorf("modifier %q needs a field name", name)
		}
		out = append(out, name)
	}
	if typed != "" {
		allowed := companions[modClasses[typed]]
		for _, name := range out {
			c := modClasses[name]
			if name == typed || allowed[c] {
				continue
			}
			if typed == "re" && c == modShape {
				return nil, fmt.Errorf("re cannot be combined with %s: a regular expression matches anywhere in the value; write .*, ^ or $ in the expression instead", name)
			}
			return nil, fmt.Errorf("%s cannot be combined with %s", typed, name)
		}
	}
	return out, nil
}

// suggestModifier returns the known modifier closest to an unknown name, if it is
// close enough to be a likely typo.
func suggestModifier(name string) string {
	best, bestDist := "", 3
	keys := make([]string, 0, len(modifiers))
	for k := range modifiers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lname := strings.ToLower(name)
	for _, k := range keys {
		if len(k) < 3 {
			continue
		}
		if d := editDistance(lname, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
