package sigma

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// RegexFlags are the flags of the re modifier's sub-modifiers.
type RegexFlags struct {
	IgnoreCase bool // i (ignorecase): case-insensitive matching
	Multiline  bool // m (multiline): ^ and $ match at line breaks
	DotAll     bool // s (dotall): . matches a line break too
}

// prefix returns the inline flag group for the flags, e.g. "(?is)", or "".
func (f RegexFlags) prefix() string {
	s := ""
	if f.IgnoreCase {
		s += "i"
	}
	if f.Multiline {
		s += "m"
	}
	if f.DotAll {
		s += "s"
	}
	if s == "" {
		return ""
	}
	return "(?" + s + ")"
}

// Regex is the value of an re item: the expression as written, its flags, and the
// compiled form. A Sigma regular expression matches anywhere in the value (it is not
// anchored) and is case-sensitive unless the i flag or an inline (?i) says otherwise.
type Regex struct {
	Expr  string
	Flags RegexFlags
	// Compiled is Expr compiled with Flags by Go's regexp package (RE2 syntax).
	Compiled *regexp.Regexp
}

// String returns the expression with its flags as an inline group.
func (r *Regex) String() string { return r.Flags.prefix() + r.Expr }

// CompileRegex compiles a Sigma regular expression with its flags. The specification
// names PCRE as the flavour; Go's engine (RE2) accepts PCRE's everyday syntax (classes,
// quantifiers, groups, \d \s \w, inline flags such as (?i)) but not the constructs
// that need backtracking. Those are rejected with an error that names the construct:
// lookahead and lookbehind, backreferences, atomic groups, possessive quantifiers,
// conditionals, recursion and a few escapes (\Z, \G, \K, \R, \h).
func CompileRegex(expr string, flags RegexFlags) (*regexp.Regexp, error) {
	if c := unsupportedRegexConstruct(expr); c != "" {
		return nil, fmt.Errorf("%s is not supported (Go's RE2 engine has no backtracking)", c)
	}
	re, err := regexp.Compile(flags.prefix() + expr)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, fmt.Errorf("invalid regular expression: %s: %q", se.Code, se.Expr)
		}
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	return re, nil
}

// unsupportedRegexConstruct names the first PCRE construct in expr that RE2 lacks, or
// returns "". It skips escaped characters and the insides of character classes.
func unsupportedRegexConstruct(expr string) string {
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c == '\\' && i+1 < len(expr) {
			n := expr[i+1]
			if !inClass {
				switch {
				case n >= '1' && n <= '9':
					return fmt.Sprintf("the backreference \\%c", n)
				case n == 'k' || n == 'g':
					return fmt.Sprintf("the backreference \\%c", n)
				case n == 'Z':
					return `the anchor \Z (use \z or $)`
				case n == 'G':
					return `the anchor \G`
				case n == 'K':
					return `the match reset \K`
				case n == 'R':
					return `the line-break escape \R`
				case n == 'h' || n == 'H' || n == 'X' || n == 'V':
					return fmt.Sprintf("the escape \\%c", n)
				}
			}
			i++
			continue
		}
		if inClass {
			if c == ']' {
				inClass = false
			}
			continue
		}
		switch c {
		case '[':
			inClass = true
			// A ] right after [ or [^ is a literal member of the class.
			if strings.HasPrefix(expr[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(expr[i+1:], "]") {
				i++
			}
		case '(':
			rest := expr[i+1:]
			switch {
			case strings.HasPrefix(rest, "?="):
				return "the lookahead (?=...)"
			case strings.HasPrefix(rest, "?!"):
				return "the negative lookahead (?!...)"
			case strings.HasPrefix(rest, "?<="):
				return "the lookbehind (?<=...)"
			case strings.HasPrefix(rest, "?<!"):
				return "the negative lookbehind (?<!...)"
			case strings.HasPrefix(rest, "?>"):
				return "the atomic group (?>...)"
			case strings.HasPrefix(rest, "?|"):
				return "the branch reset group (?|...)"
			case strings.HasPrefix(rest, "?("):
				return "the conditional (?(...)...)"
			case strings.HasPrefix(rest, "?R") || strings.HasPrefix(rest, "?&") ||
				(len(rest) > 1 && rest[0] == '?' && (rest[1] >= '0' && rest[1] <= '9' || rest[1] == '+' || rest[1] == '-') && !isFlagGroup(rest[1:])):
				return "the recursion (?R)"
			case strings.HasPrefix(rest, "?#"):
				return "the comment group (?#...)"
			case strings.HasPrefix(rest, "*"):
				return "the backtracking verb (*...)"
			}
		case '*', '+', '?':
			if i+1 < len(expr) && expr[i+1] == '+' && (c != '?' || i == 0 || !isQuantifier(expr[i-1])) {
				return fmt.Sprintf("the possessive quantifier %c+", c)
			}
		}
	}
	return ""
}

// isQuantifier tells whether c ends a quantifier, so that a following ? makes it lazy
// rather than being a quantifier itself.
func isQuantifier(c byte) bool { return c == '*' || c == '+' || c == '?' || c == '}' }

// isFlagGroup tells whether s (after "(?") starts a flag group such as "-i)" or "i:".
func isFlagGroup(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'i', 'm', 's', 'U', '-':
			continue
		case ')', ':':
			return i > 0
		}
		return false
	}
	return false
}
