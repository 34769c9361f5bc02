package detect

import (
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/sigma"
)

// globKind is the shape of a compiled string pattern; the common shapes get a single
// string operation.
type globKind uint8

const (
	globEmpty    globKind = iota + 1 // '': the empty string
	globAny                          // *: anything
	globExact                        // lit
	globPrefix                       // lit*
	globSuffix                       // *lit
	globContains                     // *lit*
	globGeneral                      // anything else: ? wildcards or several literals
)

// gtok is a token of a general pattern: a literal, or the ? wildcard.
type gtok struct {
	lit string
	one bool
}

// glob is a compiled Sigma string pattern. Its literals are folded unless the pattern
// is cased; it is matched against folded text (or the raw text when cased).
type glob struct {
	kind globKind
	lit  string
	// General patterns are the segments between * wildcards: head is anchored at the
	// start, tail at the end (when star is set), and each middle segment is found
	// leftmost in between. Without a star, head must span the whole text.
	head, tail []gtok
	mids       [][]gtok
	star       bool
}

// compileGlob compiles a pattern; folded says whether to fold its literals.
func compileGlob(p sigma.Pattern, folded bool) *glob {
	toks := make(sigma.Pattern, 0, len(p))
	for _, t := range p {
		if t.Kind == sigma.TokenLiteral && folded {
			t.Text = fold(t.Text)
		}
		toks = append(toks, t)
	}
	g := &glob{}
	n := len(toks)
	isLit := func(i int) bool { return i < n && toks[i].Kind == sigma.TokenLiteral }
	isStar := func(i int) bool { return i < n && toks[i].Kind == sigma.TokenAnyString }
	switch {
	case n == 0:
		g.kind = globEmpty
		return g
	case n == 1 && isStar(0):
		g.kind = globAny
		return g
	case n == 1 && isLit(0):
		g.kind, g.lit = globExact, toks[0].Text
		return g
	case n == 2 && isLit(0) && isStar(1):
		g.kind, g.lit = globPrefix, toks[0].Text
		return g
	case n == 2 && isStar(0) && isLit(1):
		g.kind, g.lit = globSuffix, toks[1].Text
		return g
	case n == 3 && isStar(0) && isLit(1) && isStar(2):
		g.kind, g.lit = globContains, toks[1].Text
		return g
	}
	g.kind = globGeneral
	var segs [][]gtok
	var cur []gtok
	for _, t := range toks {
		switch t.Kind {
		case sigma.TokenAnyString:
			g.star = true
			segs = append(segs, cur)
			cur = nil
		case sigma.TokenAnyChar:
			cur = append(cur, gtok{one: true})
		default:
			cur = append(cur, gtok{lit: t.Text})
		}
	}
	segs = append(segs, cur)
	g.head = segs[0]
	if g.star {
		g.tail = segs[len(segs)-1]
		for _, s := range segs[1 : len(segs)-1] {
			if len(s) > 0 {
				g.mids = append(g.mids, s)
			}
		}
	}
	return g
}

// match tells whether the text matches the pattern.
func (g *glob) match(s string) bool {
	switch g.kind {
	case globEmpty:
		return s == ""
	case globAny:
		return true
	case globExact:
		return s == g.lit
	case globPrefix:
		return strings.HasPrefix(s, g.lit)
	case globSuffix:
		return strings.HasSuffix(s, g.lit)
	case globContains:
		return strings.Contains(s, g.lit)
	}
	i, ok := matchAt(g.head, s, 0)
	if !ok {
		return false
	}
	if !g.star {
		return i == len(s)
	}
	j := len(s)
	if len(g.tail) > 0 {
		if j, ok = matchBackward(g.tail, s, i); !ok {
			return false
		}
	}
	for _, m := range g.mids {
		if i, ok = findSegment(m, s, i, j); !ok {
			return false
		}
	}
	return true
}

// matchAt matches a segment at byte offset i and returns where it ends.
func matchAt(seg []gtok, s string, i int) (int, bool) {
	for _, t := range seg {
		if t.one {
			if i >= len(s) {
				return 0, false
			}
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if !strings.HasPrefix(s[i:], t.lit) {
			return 0, false
		}
		i += len(t.lit)
	}
	return i, true
}

// matchBackward matches a segment ending at the end of s, not before offset lo, and
// returns where it starts.
func matchBackward(seg []gtok, s string, lo int) (int, bool) {
	j := len(s)
	for k := len(seg) - 1; k >= 0; k-- {
		t := seg[k]
		if t.one {
			if j <= lo {
				return 0, false
			}
			_, size := utf8.DecodeLastRuneInString(s[lo:j])
			j -= size
			continue
		}
		if j-lo < len(t.lit) || s[j-len(t.lit):j] != t.lit {
			return 0, false
		}
		j -= len(t.lit)
	}
	return j, true
}

// findSegment finds the leftmost match of a segment within s[from:to] and returns where
// it ends. Taking the leftmost match of each middle segment is enough: a later match can
// only leave less room for the segments after it.
func findSegment(seg []gtok, s string, from, to int) (int, bool) {
	for i := from; i <= to; {
		if !seg[0].one {
			k := strings.Index(s[i:to], seg[0].lit)
			if k < 0 {
				return 0, false
			}
			i += k
		}
		if end, ok := matchAt(seg, s[:to], i); ok {
			return end, true
		}
		if i >= to {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:to])
		i += size
	}
	return 0, false
}

// longestLiteral returns the longest literal of the pattern, for the prefilter.
func (g *glob) longestLiteral() string {
	switch g.kind {
	case globExact, globPrefix, globSuffix, globContains:
		return g.lit
	case globGeneral:
		best := ""
		for _, seg := range append([][]gtok{g.head, g.tail}, g.mids...) {
			for _, t := range seg {
				if !t.one && len(t.lit) > len(best) {
					best = t.lit
				}
			}
		}
		return best
	}
	return ""
}
