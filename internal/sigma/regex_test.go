package sigma

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCompileRegexSupported(t *testing.T) {
	tests := []struct {
		expr  string
		flags RegexFlags
		match string
		miss  string
	}{
		{`^a.*b$`, RegexFlags{}, "axxb", "axxB"},
		{`abc`, RegexFlags{IgnoreCase: true}, "xABCx", "ab"},
		{`(?i)\.exe["']?\s+\d{2,10}`, RegexFlags{}, `A.EXE" 1234`, `a.exe x`},
		{`^b$`, RegexFlags{Multiline: true}, "a\nb\nc", "abc"},
		{`a.b`, RegexFlags{DotAll: true}, "a\nb", "ab"},
		{`[^a-z]+`, RegexFlags{}, "123", "abc"},
		{`(?:set).*&&\s?set`, RegexFlags{}, "set x && set", "set"},
		{`[(?=]x`, RegexFlags{}, "(x", "x"},     // inside a class, (?= is three plain characters
		{`\(?=x`, RegexFlags{}, "=x", "x"},      // an escaped ( is plain
		{`a+?b`, RegexFlags{}, "aab", "b"},      // lazy, not possessive
		{`a{2}`, RegexFlags{}, "aa", "a"},       // counted
		{`(?P<n>a)`, RegexFlags{}, "a", "b"},    // named group, Python syntax
		{`(?i:A)b`, RegexFlags{}, "ab", "aB"},   // flag group
		{`\Qa.b\E`, RegexFlags{}, "a.b", "axb"}, // quoting
		{`\\d`, RegexFlags{}, `\d`, "1"},        // escaped backslash
		{`[\]]`, RegexFlags{}, "]", "a"},        // escaped bracket in a class
		{`[]a]`, RegexFlags{}, "]", "b"},        // leading bracket in a class
		{`x\z`, RegexFlags{}, "ax", "xa"},       // \z is RE2
		{`\x41`, RegexFlags{}, "A", "B"},        // hex escape
		{`^C:\\Users\\[^\\]+$`, RegexFlags{}, `C:\Users\bob`, `C:\Users\bob\x`},
	}
	for _, tt := range tests {
		re, err := CompileRegex(tt.expr, tt.flags)
		if err != nil {
			t.Errorf("CompileRegex(%q) = %v", tt.expr, err)
			continue
		}
		if !re.MatchString(tt.match) {
			t.Errorf("%q does not match %q", tt.expr, tt.match)
		}
		if re.MatchString(tt.miss) {
			t.Errorf("%q matches %q", tt.expr, tt.miss)
		}
	}
}

// TestCompileRegexUnsupported checks that the PCRE constructs RE2 lacks are refused
// with a reason that names them.
func TestCompileRegexUnsupported(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`a(?=b)`, "lookahead"},
		{`a(?!b)`, "negative lookahead"},
		{`(?<=a)b`, "lookbehind"},
		{`(?<!a)b`, "negative lookbehind"},
		{`(a)\1`, `backreference \1`},
		{`(?<n>a)\k<n>`, `backreference \k`},
		{`(?>a+)b`, "atomic group"},
		{`a*+b`, "possessive quantifier *+"},
		{`a++b`, "possessive quantifier ++"},
		{`a?+b`, "possessive quantifier ?+"},
		{`(?(1)a|b)`, "conditional"},
		{`(?R)`, "recursion"},
		{`(?1)`, "recursion"},
		{`(?|a|b)`, "branch reset"},
		{`(?#comment)a`, "comment group"},
		{`a\Z`, `\Z`},
		{`\Ga`, `\G`},
		{`a\Kb`, `\K`},
		{`a\Rb`, `\R`},
		{`\h`, `\h`},
		{`(*FAIL)`, "backtracking verb"},
		{`a{1001}`, "invalid regular expression: invalid repeat count"},
		{`[a`, "invalid regular expression: missing closing ]"},
		{`\p{Nope}`, "invalid regular expression: invalid character class range"},
	}
	for _, tt := range tests {
		_, err := CompileRegex(tt.expr, RegexFlags{})
		if err == nil {
			t.Errorf("CompileRegex(%q) succeeded, want %q", tt.expr, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CompileRegex(%q) = %q, want it to mention %q", tt.expr, err, tt.want)
		}
	}
}

func TestParseCIDR(t *testing.T) {
	good := map[string]string{
		"10.0.0.0/8":     "10.0.0.0/8",
		"192.168.0.0/16": "192.168.0.0/16",
		"0.0.0.0/0":      "0.0.0.0/0",
		"127.0.0.1":      "127.0.0.1/32",
		"::1":            "::1/128",
		"fe80::/10":      "fe80::/10",
		"2001:db8::/32":  "2001:db8::/32",
		" 10.1.0.0/16 ":  "10.1.0.0/16",
	}
	for in, want := range good {
		p, err := ParseCIDR(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseCIDR(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"10.0.0.1/8", "10.0.0.0/40", "10.0.0", "abc", "", "fe80::1%eth0", "fe80::1/10", "1.2.3.4/-1"} {
		if p, err := ParseCIDR(in); err == nil {
			t.Errorf("ParseCIDR(%q) = %v, want an error", in, p)
		}
	}
	p, _ := ParseCIDR("10.0.0.0/8")
	if !p.Contains(netip.MustParseAddr("10.200.1.1")) {
		t.Error("10.0.0.0/8 must contain 10.200.1.1")
	}
}

func TestParseTimespan(t *testing.T) {
	good := map[string]time.Duration{
		"10s": 10 * time.Second, "5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour,
		"90m": 90 * time.Minute, "24h": 24 * time.Hour, "365d": 365 * 24 * time.Hour,
	}
	for in, want := range good {
		if got, err := ParseTimespan(in); err != nil || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v", in, got, err)
		}
	}
	bad := map[string]string{
		"0s": "greater than zero", "1w": "followed by s, m, h or d", "1M": "followed by s, m, h or d",
		"1y": "followed by s, m, h or d", "1H": "followed by s, m, h or d", "h": "whole number",
		"1.5h": "whole number", "-1h": "whole number", " 1h": "whole number", "1h30m": "whole number",
		"": "whole number", "99999999999999999999d": "too long", "9999999999999d": "too long",
	}
	for in, want := range bad {
		_, err := ParseTimespan(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTimespan(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestFindPlaceholders(t *testing.T) {
	tests := map[string][]string{
		"%a%":               {"a"},
		"x%a%y%b%":          {"a", "b"},
		`\%a%`:              nil,
		`\%plain%name%`:     {"name"},
		"%not a name%":      nil,
		"%%":                nil,
		"100%":              nil,
		"%Größe%":           {"Größe"},
		"%a%%b%":            {"a", "b"},
		"%dc_ip_addresses%": {"dc_ip_addresses"},
	}
	for in, want := range tests {
		var got []string
		for _, r := range findPlaceholders(in) {
			got = append(got, r.name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("findPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}
