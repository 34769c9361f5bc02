package sigma

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TokenKind is the kind of one element of a Pattern.
type TokenKind uint8

// The kinds of pattern tokens.
const (
	// TokenLiteral is text matched as is (case-insensitively unless the operand is cased).
	TokenLiteral TokenKind = iota + 1
	// TokenAnyString is the * wildcard: any run of characters, possibly empty.
	TokenAnyString
	// TokenAnyChar is the ? wildcard: exactly one character.
	TokenAnyChar
)

// Token is one element of a Pattern. Text is set for literals only; it may hold any
// bytes, because the encoding modifiers (utf16le, base64, ...) produce bytes that are
// not UTF-8.
type Token struct {
	Kind TokenKind
	Text string
}

// Pattern is a Sigma string value after escape processing: a sequence of literal text
// and wildcards. A pattern never holds two adjacent literals or an empty literal.
type Pattern []Token

// ParsePattern reads a Sigma string value. Following the specification's escaping
// rules (and pySigma's reading of them):
//
//   - * and ? are wildcards;
//   - \* and \? are a literal * and ?;
//   - \\ is one literal backslash, so \\* is a backslash followed by a wildcard and
//     \\\* a backslash followed by a literal *;
//   - a backslash before any other character, or at the end, is a literal backslash,
//     so C:\Windows needs no doubling and \\\\ reads as two backslashes.
func ParsePattern(s string) Pattern {
	var p Pattern
	var acc strings.Builder
	flush := func() {
		if acc.Len() > 0 {
			p = append(p, Token{Kind: TokenLiteral, Text: acc.String()})
			acc.Reset()
		}
	}
	escaped := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			if c != '*' && c != '?' && c != '\\' {
				acc.WriteByte('\\')
			}
			acc.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '*':
			flush()
			p = append(p, Token{Kind: TokenAnyString})
		case c == '?':
			flush()
			p = append(p, Token{Kind: TokenAnyChar})
		default:
			acc.WriteByte(c)
		}
	}
	if escaped {
		acc.WriteByte('\\')
	}
	flush()
	return p
}

// LiteralPattern is the pattern that matches exactly s, with no wildcards.
func LiteralPattern(s string) Pattern {
	if s == "" {
		return Pattern{}
	}
	return Pattern{{Kind: TokenLiteral, Text: s}}
}

// normalize merges adjacent literals, drops empty ones and collapses runs of *.
func (p Pattern) normalize() Pattern {
	// Adjacent * wildcards are collapsed: ** means the same as *.
	out := make(Pattern, 0, len(p))
	for _, t := range p {
		if t.Kind == TokenAnyString && len(out) > 0 && out[len(out)-1].Kind == TokenAnyString {
			continue
		}
		if t.Kind == TokenLiteral {
			if t.Text == "" {
				continue
			}
			if n := len(out); n > 0 && out[n-1].Kind == TokenLiteral {
				out[n-1].Text += t.Text
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// concat joins patterns into a new one.
func concat(parts ...Pattern) Pattern {
	var out Pattern
	for _, p := range parts {
		out = append(out, p...)
	}
	return out.normalize()
}

// HasWildcards tells whether the pattern has a * or ? wildcard.
func (p Pattern) HasWildcards() bool {
	for _, t := range p {
		if t.Kind != TokenLiteral {
			return true
		}
	}
	return false
}

// Literal returns the text of a pattern without wildcards, and whether it has none.
func (p Pattern) Literal() (string, bool) {
	if p.HasWildcards() {
		return "", false
	}
	var b strings.Builder
	for _, t := range p {
		b.WriteString(t.Text)
	}
	return b.String(), true
}

// startsWithAny tells whether the pattern begins with the * wildcard.
func (p Pattern) startsWithAny() bool { return len(p) > 0 && p[0].Kind == TokenAnyString }

// endsWithAny tells whether the pattern ends with the * wildcard.
func (p Pattern) endsWithAny() bool { return len(p) > 0 && p[len(p)-1].Kind == TokenAnyString }

// String writes the pattern back in Sigma notation, escaping literal *, ? and the
// backslashes that would otherwise change meaning. ParsePattern(p.String()) equals p.
func (p Pattern) String() string {
	var b strings.Builder
	for _, t := range p {
		switch t.Kind {
		case TokenAnyString:
			b.WriteByte('*')
		case TokenAnyChar:
			b.WriteByte('?')
		default:
			for i := 0; i < len(t.Text); i++ {
				c := t.Text[i]
				switch c {
				case '*', '?':
					b.WriteByte('\\')
				case '\\':
					// A backslash needs doubling when the next character would
					// otherwise be read as escaped: a wildcard, a backslash, or the end
					// of this literal (a wildcard token or a further escape may follow).
					if i+1 == len(t.Text) || t.Text[i+1] == '*' || t.Text[i+1] == '?' || t.Text[i+1] == '\\' {
						b.WriteByte('\\')
					}
				}
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

// Equal tells whether two patterns are the same.
func (p Pattern) Equal(q Pattern) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// Windash characters: the hyphen-minus, the slash and the three long dashes that the
// specification names (en dash, em dash, horizontal bar).
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindashPositions bounds the number of dashes the windash modifier varies in one
// value; each position multiplies the variants by five.
const maxWindashPositions = 5

// Windash returns every variant of s in which each command-line flag dash is replaced
// by each of -, /, – (en dash), — (em dash) and ― (horizontal bar), in that order
// with the first dash varying slowest. As in pySigma, a dash is a flag dash when it starts a word: nothing or a
// non-word character comes before it and a word character (letter, digit or _)
// follows it, so only the first dash of "-param-name" varies. Unlike pySigma, which
// only varies - and /, the long dashes are varied too, since the specification makes
// all five characters interchangeable. It returns nil when s has more flag dashes
// than are supported (see maxWindashPositions).
func Windash(s string) []string {
	vs, ok := WindashPattern(LiteralPattern(s))
	if !ok {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i], _ = v.Literal()
	}
	return out
}

// WindashPattern applies Windash to the literal parts of a pattern; each literal is
// read on its own, so a dash right after a wildcard counts as starting a word.
func WindashPattern(p Pattern) ([]Pattern, bool) {
	type site struct{ tok, start, end int }
	var sites []site
	for ti, t := range p {
		if t.Kind != TokenLiteral {
			continue
		}
		s := t.Text
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if isWindash(r) {
				before, _ := utf8.DecodeLastRuneInString(s[:i])
				after, _ := utf8.DecodeRuneInString(s[i+size:])
				if (i == 0 || !isWordRune(before)) && i+size < len(s) && isWordRune(after) {
					sites = append(sites, site{ti, i, i + size})
				}
			}
			i += size
		}
	}
	if len(sites) > maxWindashPositions {
		return nil, false
	}
	variants := []Pattern{p}
	// Vary the sites from last to first so that earlier byte offsets stay valid.
	for k := len(sites) - 1; k >= 0; k-- {
		st := sites[k]
		next := make([]Pattern, 0, len(variants)*len(windashChars))
		for _, v := range variants {
			for _, d := range windashChars {
				nv := append(Pattern(nil), v...)
				txt := nv[st.tok].Text
				nv[st.tok].Text = txt[:st.start] + d + txt[st.end:]
				next = append(next, nv)
			}
		}
		variants = next
	}
	// Put the variants in a stable order with the original first: sort by the
	// choice at each site, earliest site most significant.
	return orderVariants(variants, len(sites)), true
}

// orderVariants reorders the cartesian product built last-site-first so that the
// first site varies slowest.
func orderVariants(vs []Pattern, sites int) []Pattern {
	if sites <= 1 {
		return vs
	}
	n := len(windashChars)
	out := make([]Pattern, len(vs))
	for i, v := range vs {
		// In vs, index i encodes choices with the last site most significant.
		digits := make([]int, sites)
		x := i
		for s := 0; s < sites; s++ {
			digits[s] = x % n // digits[0] is the first site's choice
			x /= n
		}
		j := 0
		for s := 0; s < sites; s++ {
			j = j*n + digits[s]
		}
		out[j] = v
	}
	return out
}

func isWindash(r rune) bool {
	return r == '-' || r == '/' || r == '\u2013' || r == '\u2014' || r == '\u2015'
}

// isWordRune matches what a regular expression's \w means for Unicode text.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}
