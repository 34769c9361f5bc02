package sigma

import (
	"encoding/base64"
	"unicode/utf16"
)

// Base64 encodes data with the standard alphabet and padding, as the base64 modifier
// does.
func Base64(data []byte) string {
	return base64.StdEncoding.EncodeToString(data)
}

// Base64Offset returns the three forms data can take inside a longer Base64 string,
// one for each offset of its first byte modulo three (the base64offset modifier).
// Each form keeps only the characters that do not depend on the bytes around the
// value, following pySigma: data is prefixed with 0, 1 or 2 bytes, encoded, and cut
// at 0, 2 or 3 characters in front and at the characters that the following bytes
// would change at the end. For "/bin/sh" the forms are "L2Jpbi9za", "9iaW4vc2" and
// "vYmluL3No".
func Base64Offset(data []byte) [3]string {
	starts := [3]int{0, 2, 3}
	ends := [3]int{0, 3, 2} // characters to cut at the end, by (len+offset) mod 3
	var out [3]string
	for i := 0; i < 3; i++ {
		buf := make([]byte, i+len(data))
		for j := 0; j < i; j++ {
			buf[j] = ' '
		}
		copy(buf[i:], data)
		enc := base64.StdEncoding.EncodeToString(buf)
		end := len(enc) - ends[(len(data)+i)%3]
		start := starts[i]
		if end < start {
			end = start
		}
		out[i] = enc[start:end]
	}
	return out
}

// UTF16LE encodes s as UTF-16 little-endian without a byte order mark (the utf16le
// modifier, also called wide): "cmd" gives 63 00 6d 00 64 00. Unlike pySigma, which
// only accepts ASCII here, every Unicode character is encoded (surrogate pairs beyond
// the Basic Multilingual Plane); invalid UTF-8 bytes become U+FFFD.
func UTF16LE(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// UTF16BE encodes s as UTF-16 big-endian without a byte order mark (the utf16be
// modifier): "cmd" gives 00 63 00 6d 00 64.
func UTF16BE(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

// UTF16 encodes s as UTF-16 little-endian after the byte order mark FF FE (the utf16
// modifier): "cmd" gives FF FE 63 00 6d 00 64 00.
func UTF16(s string) []byte {
	return append([]byte{0xFF, 0xFE}, UTF16LE(s)...)
}

// utf16Pattern encodes the literal parts of a pattern, keeping its wildcards in
// place; with bom, the byte order mark is put first, in front of any wildcard, as
// pySigma does.
func utf16Pattern(p Pattern, enc func(string) []byte, bom bool) Pattern {
	out := make(Pattern, 0, len(p)+1)
	if bom {
		out = append(out, Token{Kind: TokenLiteral, Text: "\xff\xfe"})
	}
	for _, t := range p {
		if t.Kind == TokenLiteral {
			t.Text = string(enc(t.Text))
		}
		out = append(out, t)
	}
	return out.normalize()
}
