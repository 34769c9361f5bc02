package detect

import (
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Sigma values match case-insensitively unless the cased modifier says otherwise. The
// engine does not compare with a case-insensitive function at every match: it folds the
// rule's literals once when it compiles, folds each event value once when a rule first
// reads it, and then compares bytes. Folding maps every character to one canonical
// member of its simple case-folding orbit (the classes strings.EqualFold uses), so two
// strings are equal under EqualFold exactly when their foldings are equal, and substring,
// prefix and suffix tests carry over. ASCII letters fold to lower case, which makes the
// common case a byte loop; the Kelvin sign and the long s fold to k and s, as their
// orbits contain those letters.

// foldRune returns the canonical member of r's case-folding orbit: the lower-case ASCII
// letter when the orbit has one, else the smallest code point of the orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	best := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return foldRune(f)
		}
		if f < best {
			best = f
		}
	}
	return best
}

// needsFold tells whether folding s could change it: it has an upper-case ASCII letter
// or a byte outside ASCII.
func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c-'A' < 26 || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// appendFold appends the folding of s to dst. Text that is not valid UTF-8 (the byte
// strings of the encoding modifiers, for instance) folds its ASCII letters only, so the
// same bytes always fold the same way.
func appendFold(dst []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii || !utf8.ValidString(s) {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	for _, r := range s {
		dst = utf8.AppendRune(dst, foldRune(r))
	}
	return dst
}

// fold returns the folding of s as a new string (or s itself when folding changes
// nothing); for compile time and tests.
func fold(s string) string {
	if !needsFold(s) {
		return s
	}
	return string(appendFold(nil, s))
}

// arena holds the folded and formatted text of one event. Strings handed out point into
// its buffer and stay valid until reset: the buffer only grows by appending, and a grown
// buffer leaves the old one to the strings that still point into it.
type arena struct{ buf []byte }

func (a *arena) reset() {
	if cap(a.buf) > 1<<20 {
		a.buf = nil // one huge event should not pin its size for the rest of the stream
	}
	a.buf = a.buf[:0]
}

// take returns the bytes appended since start as a string. Later appends write after
// them (or into a new buffer), never into them.
func (a *arena) take(start int) string {
	if len(a.buf) == start {
		return ""
	}
	return unsafe.String(&a.buf[start], len(a.buf)-start)
}

// fold returns the folding of s, copying only when folding changes it.
func (a *arena) fold(s string) string {
	if !needsFold(s) {
		return s
	}
	start := len(a.buf)
	a.buf = appendFold(a.buf, s)
	return a.take(start)
}
