package parse

import (
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// This file decodes JSON into the values a record holds: map[string]any, []any, string,
// int64 (an integer literal that fits), float64 (any other number), bool and nil. It
// gives what encoding/json's Decoder with UseNumber followed by normalizeNumbers gives
// (FuzzDecodeJSON compares the two), at several times the speed: a CloudTrail file is
// records of a kilobyte or two each, and decoding them was most of the time `vigil parse`
// spent on one.
//
// The input is a string: the caller copies a record's bytes into one string, and every
// string value without escapes is a substring of it, not a copy of its own. Objects and
// arrays are collected on a stack first and then made at their final size.

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonSyntaxError is invalid JSON at a byte offset of the decoded input.
type jsonSyntaxError struct {
	msg    string
	Offset int
}

func (e *jsonSyntaxError) Error() string {
	return e.msg + " at offset " + strconv.Itoa(e.Offset)
}

type valueDecoder struct {
	s     string
	pos   int
	depth int
	// members and items are the stacks of the objects and arrays being read; each
	// nested value uses the part after its parent's.
	members []member
	items   []any
	buf     []byte // for unescaping
	// mem holds the decoded maps, lists and boxed strings: a parser's arena that it
	// takes back after the record's events are emitted (Options.Reuse), or memory of
	// this value alone.
	mem *jsonArena
	own jsonArena // mem when the caller has no arena
	// canon asks for the encoding of the value as json.Marshal writes it, in out, for
	// an arena that keeps the encodings of the records it decodes (see jsonencode.go).
	canon bool
	out   []byte
	order []memberOrder
}

type member struct {
	key string
	val any
	// With canon: where the key's text starts in the input when it is also its
	// encoding (it needs no escaping), else -1; and where the value's encoding is in
	// out.
	ks, vs, ve int32
}

var valueDecoders = sync.Pool{New: func() any { return new(valueDecoder) }}

// decodeJSONValue decodes the JSON value at the start of s (after white space) and
// returns it with the offset where it ends. What follows the value is not looked at.
func decodeJSONValue(s string) (any, int, error) { return decodeJSONValueIn(s, nil) }

// decodeJSONValueIn is decodeJSONValue with the values' memory taken from an arena
// (nil: allocated for this value).
func decodeJSONValueIn(s string, a *jsonArena) (any, int, error) {
	d := valueDecoders.Get().(*valueDecoder)
	d.s, d.pos, d.depth = s, 0, 0
	if a == nil {
		a = &d.own
	}
	d.mem = a
	d.startCanon()
	v, err := d.value()
	end := d.pos
	d.endCanon(err)
	d.s, d.mem = "", nil
	d.own.strs.reset() // the value keeps its block; the next one gets its own
	clear(d.members[:cap(d.members)])
	clear(d.items[:cap(d.items)])
	d.members, d.items = d.members[:0], d.items[:0]
	if cap(d.buf) > 64<<10 {
		d.buf = nil
	}
	valueDecoders.Put(d)
	return v, end, err
}

func (d *valueDecoder) fail(msg string) error {
	return &jsonSyntaxError{msg: msg, Offset: d.pos}
}

func (d *valueDecoder) unexpected(context string) error {
	if d.pos >= len(d.s) {
		return d.fail("unexpected end of JSON input")
	}
	return d.fail("invalid character " + quoteChar(d.s[d.pos]) + " " + context)
}

// quoteChar formats a byte as encoding/json's errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (d *valueDecoder) skipSpace() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *valueDecoder) value() (any, error) {
	d.skipSpace()
	if d.pos >= len(d.s) {
		return nil, d.fail("unexpected end of JSON input")
	}
	switch c := d.s[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		start := d.pos
		str, plain, err := d.str()
		if d.depth == 0 || err != nil {
			return str, err // a value alone, not worth a block of boxes
		}
		if d.canon {
			d.canonString(str, plain, start)
		}
		return d.mem.strs.box(str), nil
	case c == '-' || c >= '0' && c <= '9':
		v, err := d.number()
		if d.canon && err == nil {
			d.canonNumber(v)
		}
		return v, err
	case c == 't':
		return true, d.canonLiteral("true")
	case c == 'f':
		return false, d.canonLiteral("false")
	case c == 'n':
		return nil, d.canonLiteral("null")
	}
	return nil, d.unexpected("looking for beginning of value")
}

func (d *valueDecoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.s) || d.s[d.pos] != word[i] {
			return d.unexpected("in literal " + word + " (expecting " + quoteChar(word[i]) + ")")
		}
		d.pos++
	}
	return nil
}

func (d *valueDecoder) object() (any, error) {
	d.pos++ // '{'
	if d.depth++; d.depth > maxJSONDepth {
		return nil, d.fail("exceeded max depth")
	}
	base := len(d.members)
	objStart := len(d.out)
	d.skipSpace()
	if d.pos < len(d.s) && d.s[d.pos] == '}' {
		d.pos++
		m := d.mem.newMap(0)
		if d.canon {
			d.canonObject(base, objStart)
			if d.depth == 1 {
				d.mem.encodedFor = m
			}
		}
		d.depth--
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.s) || d.s[d.pos] != '"' {
			return nil, d.unexpected("looking for beginning of object key string")
		}
		keyStart := d.pos
		k, plain, err := d.str()
		if err != nil {
			return nil, err
		}
		ks := int32(-1)
		if plain {
			ks = int32(keyStart)
		}
		d.skipSpace()
		if d.pos >= len(d.s) || d.s[d.pos] != ':' {
			return nil, d.unexpected("after object key")
		}
		d.pos++
		vs := int32(len(d.out))
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.members = append(d.members, member{key: k, val: v, ks: ks, vs: vs, ve: int32(len(d.out))})
		d.skipSpace()
		if d.pos < len(d.s) {
			if c := d.s[d.pos]; c == ',' {
				d.pos++
				continue
			} else if c == '}' {
				d.pos++
				break
			}
		}
		return nil, d.unexpected("after object key:value pair")
	}
	if d.canon {
		d.canonObject(base, objStart)
	}
	m := d.mem.newMap(len(d.members) - base)
	for _, kv := range d.members[base:] {
		m[kv.key] = kv.val // a repeated key keeps its last value, as in encoding/json
	}
	clear(d.members[base:])
	d.members = d.members[:base]
	if d.canon && d.depth == 1 {
		d.mem.encodedFor = m
	}
	d.depth--
	return m, nil
}

func (d *valueDecoder) array() (any, error) {
	d.pos++ // '['
	if d.depth++; d.depth > maxJSONDepth {
		return nil, d.fail("exceeded max depth")
	}
	base := len(d.items)
	if d.canon {
		d.out = append(d.out, '[')
	}
	d.skipSpace()
	if d.pos < len(d.s) && d.s[d.pos] == ']' {
		d.pos++
		if d.canon {
			d.out = append(d.out, ']')
		}
		d.depth--
		return d.mem.newList(0), nil
	}
	for {
		if d.canon && len(d.items) > base {
			d.out = append(d.out, ',')
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.items = append(d.items, v)
		d.skipSpace()
		if d.pos < len(d.s) {
			if c := d.s[d.pos]; c == ',' {
				d.pos++
				continue
			} else if c == ']' {
				d.pos++
				break
			}
		}
		return nil, d.unexpected("after array element")
	}
	if d.canon {
		d.out = append(d.out, ']')
	}
	list := d.mem.newList(len(d.items) - base)
	copy(list.([]any), d.items[base:])
	clear(d.items[base:])
	d.items = d.items[:base]
	d.depth--
	return list, nil
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// number reads a number literal: int64 when it is an integer that fits, else float64,
// as normalizeNumbers converts. A literal too large for float64 (1e400) is kept as its
// text: ±Inf could not be written back as JSON, and the record must not be lost.
func (d *valueDecoder) number() (any, error) {
	start := d.pos
	s := d.s
	i := d.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigitByte(s[i]) {
			i++
		}
	default:
		d.pos = i
		return nil, d.unexpected("in numeric literal")
	}
	integer := true
	if i < len(s) && s[i] == '.' {
		integer = false
		i++
		if i >= len(s) || !isDigitByte(s[i]) {
			d.pos = i
			return nil, d.unexpected("after decimal point in numeric literal")
		}
		for i < len(s) && isDigitByte(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigitByte(s[i]) {
			d.pos = i
			return nil, d.unexpected("in exponent of numeric literal")
		}
		for i < len(s) && isDigitByte(s[i]) {
			i++
		}
	}
	d.pos = i
	lit := s[start:i]
	if integer {
		// Up to 18 digits always fit: no need for strconv's overflow checks.
		if digits := lit; len(digits) <= 18 {
			neg := digits[0] == '-'
			if neg {
				digits = digits[1:]
			}
			var n int64
			for j := 0; j < len(digits); j++ {
				n = n*10 + int64(digits[j]-'0')
			}
			if neg {
				n = -n
			}
			return n, nil
		}
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return lit, nil
	}
	return f, nil
}

// str reads a string. Without escapes and invalid UTF-8 it is a substring of the input;
// otherwise it is unescaped as encoding/json does: surrogate pairs joined, lone
// surrogates and invalid bytes replaced by U+FFFD. plain reports, with canon, that
// json.Marshal writes the string as it is in the input: printable ASCII without
// escapes and without the <, > and & that it escapes.
func (d *valueDecoder) str() (str string, plain bool, err error) {
	d.pos++ // '"'
	start := d.pos
	s := d.s
	i := d.pos
	plain = d.canon
	for {
		// Skip eight plain bytes at a time, and then to the first byte that is not.
		for ; i+8 <= len(s); i += 8 {
			m := stringSpecial(load8(s, i))
			if d.canon {
				m |= htmlSpecial(load8(s, i))
			}
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
		}
		if i >= len(s) {
			d.pos = i
			return "", false, d.fail("unexpected end of JSON input")
		}
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return s[start:i], plain, nil
		case c == '\\':
			str, err := d.unescape(start, i)
			return str, false, err
		case c < ' ':
			d.pos = i
			return "", false, d.unexpected("in string literal")
		case c < utf8.RuneSelf:
			// <, > or &, or the tail of the input, fewer than eight bytes
			if c == '<' || c == '>' || c == '&' {
				plain = false
			}
			i++
		default:
			plain = false
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				str, err := d.unescape(start, i)
				return str, false, err
			}
			i += size
		}
	}
}

// load8 reads the eight bytes of s at i as a little-endian number.
func load8[T string | []byte](s T, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// stringSpecial flags the bytes of x (eight bytes of a string, little-endian) that end
// the plain run of a string: a quote, a backslash, a control character or a non-ASCII
// byte. Each test sets the high bit of a byte that matches; the subtractions can also
// flag a byte above a match, never one below, so the lowest flag marks the first such
// byte.
func stringSpecial(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	return ((x-ones*0x20)&^x | x | zero(x^ones*'"') | zero(x^ones*'\\')) & highs
}

// htmlSpecial flags the bytes of x that are <, > or &, as stringSpecial does.
func htmlSpecial(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	return (zero(x^ones*'<') | zero(x^ones*'>') | zero(x^ones*'&')) & highs
}

// quoteOrBackslash flags the bytes of x that are '"' or '\\', as stringSpecial does.
func quoteOrBackslash(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	return (zero(x^ones*'"') | zero(x^ones*'\\')) & highs
}

// unescape finishes a string from i, the first byte that needs work, into a new string.
func (d *valueDecoder) unescape(start, i int) (string, error) {
	s := d.s
	b := append(d.buf[:0], s[start:i]...)
	for {
		if i >= len(s) {
			d.pos = i
			return "", d.fail("unexpected end of JSON input")
		}
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = b
			return string(b), nil
		case c == '\\':
			i++
			if i >= len(s) {
				d.pos = i
				return "", d.fail("unexpected end of JSON input")
			}
			switch s[i] {
			case '"', '\\', '/':
				b = append(b, s[i])
				i++
			case 'b':
				b = append(b, '\b')
				i++
			case 'f':
				b = append(b, '\f')
				i++
			case 'n':
				b = append(b, '\n')
				i++
			case 'r':
				b = append(b, '\r')
				i++
			case 't':
				b = append(b, '\t')
				i++
			case 'u':
				r, ok := hex4(s, i+1)
				if !ok {
					d.pos = i + 1
					for k := 0; k < 4 && d.pos < len(s) && isHex(s[d.pos]); k++ {
						d.pos++
					}
					return "", d.unexpected("in \\u hexadecimal character escape")
				}
				i += 5
				if utf16.IsSurrogate(r) {
					// A pair only when a \u escape of the other half follows; the
					// next escape is read on its own otherwise.
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := hex4(s, i+2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								b = utf8.AppendRune(b, dec)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
			default:
				d.pos = i
				return "", d.unexpected("in string escape code")
			}
		case c < ' ':
			d.pos = i
			return "", d.unexpected("in string literal")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			b = utf8.AppendRune(b, r) // an invalid byte becomes U+FFFD
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// hex4 reads the four hex digits of a \u escape at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// jsonValueEnd finds where the JSON value starting at s[i] ends, without decoding or
// checking it: it follows strings and counts brackets. It reports false when s ends
// first (the stream must be read further), and the position where it stopped.
func jsonValueEnd(s []byte, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch c := s[i]; c {
		case '"':
			i++
			for {
				// Eight bytes at a time while none is a quote or a backslash.
				for ; i+8 <= len(s); i += 8 {
					if m := quoteOrBackslash(load8(s, i)); m != 0 {
						i += bits.TrailingZeros64(m) / 8
						break
					}
				}
				for i < len(s) && s[i] != '"' && s[i] != '\\' {
					i++
				}
				if i >= len(s) {
					return i, false
				}
				if s[i] == '"' {
					break
				}
				i += 2 // a backslash and the byte it escapes
			}
			i++
			if depth == 0 {
				return i, true
			}
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, true // the end of a number or literal
			}
			depth--
			i++
			if depth == 0 {
				return i, true
			}
		case ' ', '\t', '\n', '\r', ',', ':':
			if depth == 0 {
				return i, true // the end of a number or literal
			}
			i++
		default:
			i++
		}
	}
	return i, false
}
