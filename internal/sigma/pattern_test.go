package sigma

import (
	"reflect"
	"strings"
	"testing"
)

// lit, any and one build expected patterns.
func lit(s string) Token { return Token{Kind: TokenLiteral, Text: s} }

var (
	anyTok = Token{Kind: TokenAnyString}
	oneTok = Token{Kind: TokenAnyChar}
)

// TestParsePatternSpec covers every case of the specification's "Escape Character"
// and "String Wildcard" sections. Inputs are written as they appear in the YAML value
// (after YAML quoting), in Go raw strings.
func TestParsePatternSpec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Pattern
	}{
		{"empty", ``, Pattern{}},
		{"plain", `cmd.exe`, Pattern{lit(`cmd.exe`)}},
		{"single wildcard", `prog?.exe`, Pattern{lit(`prog`), oneTok, lit(`.exe`)}},
		{"multi wildcard", `antivirus_V*.exe`, Pattern{lit(`antivirus_V`), anyTok, lit(`.exe`)}},
		{"contains shape", `*something*`, Pattern{anyTok, lit(`something`), anyTok}},
		{"only star", `*`, Pattern{anyTok}},
		{"two stars kept by the parser", `a**b`, Pattern{lit(`a`), anyTok, anyTok, lit(`b`)}},
		// Plain backslash not followed by a wildcard: single or double.
		{"single backslash", `C:\Windows\System32`, Pattern{lit(`C:\Windows\System32`)}},
		{"double backslash", `C:\\Windows\\System32`, Pattern{lit(`C:\Windows\System32`)}},
		{"backslash before letter stays", `\n\t`, Pattern{lit(`\n\t`)}},
		// A wildcard has to be escaped to be handled as a plain character.
		{"escaped star", `\*`, Pattern{lit(`*`)}},
		{"escaped question", `\?`, Pattern{lit(`?`)}},
		{"escaped star inside", `a\*b`, Pattern{lit(`a*b`)}},
		// The backslash before a wildcard has to be escaped: \\* is \ then wildcard.
		{"backslash then wildcard", `\\*`, Pattern{lit(`\`), anyTok}},
		{"backslash then single wildcard", `\\?`, Pattern{lit(`\`), oneTok}},
		{"path then wildcard", `C:\Users\\*`, Pattern{lit(`C:\Users\`), anyTok}},
		// Three backslashes escape both: \\\* is a plain \ and a plain *.
		{"three backslashes star", `\\\*`, Pattern{lit(`\*`)}},
		{"three backslashes question", `\\\?`, Pattern{lit(`\?`)}},
		// Three or four backslashes are a double backslash.
		{"four backslashes", `\\\\`, Pattern{lit(`\\`)}},
		{"three backslashes before letter", `a\\\b`, Pattern{lit(`a\\b`)}},
		{"three backslashes at end", `a\\\`, Pattern{lit(`a\\`)}},
		{"four backslashes before letter", `a\\\\b`, Pattern{lit(`a\\b`)}},
		{"four backslashes then wildcard", `\\\\*`, Pattern{lit(`\\`), anyTok}},
		{"five backslashes then star", `\\\\\*`, Pattern{lit(`\\*`)}},
		{"trailing backslash", `C:\`, Pattern{lit(`C:\`)}},
		{"lone backslash", `\`, Pattern{lit(`\`)}},
		{"escaped backslash at end", `C:\\`, Pattern{lit(`C:\`)}},
		{"mixed", `*\Temp\*.exe?`, Pattern{anyTok, lit(`\Temp*.exe`), oneTok}},
		{"windows share", `\\\\server\share\*`, Pattern{lit(`\\server\share*`)}},
		{"percent untouched", `%APPDATA%\*`, Pattern{lit(`%APPDATA%*`)}},
		{"utf-8", `Größe*`, Pattern{lit(`Größe`), anyTok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParsePattern(tt.in)
			if !got.Equal(tt.want) {
				t.Fatalf("ParsePattern(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			// Writing the pattern back and parsing it again gives the same pattern.
			if again := ParsePattern(got.String()); !again.Equal(got) {
				t.Fatalf("round trip of %q through %q gave %#v", tt.in, got.String(), again)
			}
		})
	}
}

func TestPatternHelpers(t *testing.T) {
	p := ParsePattern(`a*b`)
	if !p.HasWildcards() {
		t.Error("a*b has wildcards")
	}
	if _, ok := p.Literal(); ok {
		t.Error("a*b is not literal")
	}
	if s, ok := ParsePattern(`a\*b`).Literal(); !ok || s != "a*b" {
		t.Errorf(`Literal(a\*b) = %q, %v`, s, ok)
	}
	if got := concat(Pattern{anyTok}, Pattern{anyTok, lit("x")}, Pattern{lit("y")}); !got.Equal(Pattern{anyTok, lit("xy")}) {
		t.Errorf("concat = %#v", got)
	}
	if LiteralPattern("").HasWildcards() || len(LiteralPattern("")) != 0 {
		t.Error("empty literal pattern")
	}
	if got := (Pattern{lit(`a\`), anyTok}).String(); got != `a\\*` {
		t.Errorf("String = %q", got)
	}
	if got := (Pattern{lit(`a*?`)}).String(); got != `a\*\?` {
		t.Errorf("String = %q", got)
	}
}

func TestWindash(t *testing.T) {
	all5 := func(prefix, suffix string) []string {
		var out []string
		for _, d := range []string{"-", "/", "\u2013", "\u2014", "\u2015"} {
			out = append(out, prefix+d+suffix)
		}
		return out
	}
	tests := []struct {
		in   string
		want []string
	}{
		{"-enc", all5("", "enc")},
		{"/c", all5("", "c")},
		{" -LoadDLL ", all5(" ", "LoadDLL ")},
		{"\u2013enc", all5("", "enc")}, // a long dash in the rule varies too
		// Only a dash that starts a word varies: not inside -param-name.
		{"-param-name", all5("", "param-name")},
		{"a-b", []string{"a-b"}},
		{"x -", []string{"x -"}},
		{"--foo", all5("-", "foo")},
		{"no dash", []string{"no dash"}},
		{"", []string{""}},
	}
	for _, tt := range tests {
		if got := Windash(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Windash(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Two dashes: 25 variants, the first dash varying slowest.
	got := Windash("-a -b")
	if len(got) != 25 || got[0] != "-a -b" || got[1] != "-a /b" || got[5] != "/a -b" || got[24] != "\u2015a \u2015b" {
		t.Errorf("Windash(-a -b) = %q", got)
	}
	seen := map[string]bool{}
	for _, v := range got {
		if seen[v] {
			t.Errorf("duplicate variant %q", v)
		}
		seen[v] = true
	}
	// Too many dashes.
	if got := Windash("-a -b -c -d -e -f"); got != nil {
		t.Errorf("six dashes gave %d variants, want none", len(got))
	}
	// In a pattern, a literal that follows a wildcard starts a word.
	vs, ok := WindashPattern(ParsePattern("*-c*"))
	if !ok || len(vs) != 5 || vs[1].String() != "*/c*" {
		t.Errorf("WindashPattern(*-c*) = %v, %v", vs, ok)
	}
}

func TestPatternRegex(t *testing.T) {
	if got := PatternRegex(ParsePattern(`a.b*c?`)); got != `a\.b(?s:.*)c(?s:.)` {
		t.Errorf("PatternRegex = %q", got)
	}
	if !strings.Contains(PatternRegex(ParsePattern(`\*`)), `\*`) {
		t.Error("a literal star must be quoted")
	}
}
