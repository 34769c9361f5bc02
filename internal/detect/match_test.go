package detect

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/sigma"
)

// matchCase is one conformance case: a detection section (condition included), an
// event of exactly the given fields, and whether the rule must match.
type matchCase struct {
	name   string
	det    string
	fields map[string]any
	want   bool
}

// ruleYAML wraps a detection section into a rule with a logsource of no mapping, which
// the tests compile with IgnoreLogsource so fields are read under their own names.
func ruleYAML(det string) string {
	var b strings.Builder
	b.WriteString("title: conformance\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n    product: test\ndetection:\n")
	for _, line := range strings.Split(strings.TrimSpace(det), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// runCases checks every case with the engine (with and without the prefilter) and with
// the reference evaluator.
func runCases(t *testing.T, cases []matchCase, loader *sigma.Loader) {
	t.Helper()
	if loader == nil {
		loader = &sigma.Loader{}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := loader.Load("case.yml", []byte(ruleYAML(tc.det)))
			if len(errs) > 0 {
				t.Fatalf("load: %v", errs)
			}
			ev := jsonEvent("e1", tc.fields)
			for _, noPF := range []bool{false, true} {
				e, cerrs := Compile(c, Options{IgnoreLogsource: true, NoPrefilter: noPF})
				if len(cerrs) > 0 {
					t.Fatalf("compile: %v", cerrs)
				}
				got := len(e.Eval(ev, ev.Time)) > 0
				if got != tc.want {
					t.Errorf("engine (no prefilter %v): got %v, want %v", noPF, got, tc.want)
				}
			}
			if got := len(newReference(c, true).eval(ev)) > 0; got != tc.want {
				t.Errorf("reference: got %v, want %v", got, tc.want)
			}
		})
	}
}

func sel(field string, value string) string {
	return fmt.Sprintf("selection:\n    %s: %s\ncondition: selection", field, value)
}

func TestMatchStrings(t *testing.T) {
	cmd := func(v any) map[string]any { return map[string]any{"CommandLine": v} }
	runCases(t, []matchCase{
		{"plain value is case-insensitive", sel("CommandLine", "'WHOAMI'"), cmd("whoami"), true},
		{"plain value is the whole value", sel("CommandLine", "'whoami'"), cmd("whoami /all"), false},
		{"non-ASCII letters fold", sel("CommandLine", "'ÄRGER Ωmega'"), cmd("ärger ωMEGA"), true},
		{"final sigma folds with sigma", sel("CommandLine", "'ΟΔΟΣ'"), cmd("οδος"), true},
		{"final sigma folds with sigma (ς)", sel("CommandLine", "'ΟΔΟΣ'"), cmd("οδος"), true},
		{"Kelvin sign folds to k", sel("CommandLine", "'kill'"), cmd("\u212aILL"), true},
		{"long s folds to s", sel("CommandLine", "'sudo'"), cmd("\u017fUDO"), true},
		{"sharp s is not ss", sel("CommandLine", "'STRASSE'"), cmd("straße"), false},
		{"star matches any run", sel("CommandLine", "'who*'"), cmd("whoami"), true},
		{"star matches nothing", sel("CommandLine", "'whoami*'"), cmd("whoami"), true},
		{"question mark is one character", sel("CommandLine", "'wh?ami'"), cmd("whoami"), true},
		{"question mark is not zero characters", sel("CommandLine", "'wh?oami'"), cmd("whoami"), false},
		{"question mark is one non-ASCII character", sel("CommandLine", "'caf?'"), cmd("café"), true},
		{"several stars", sel("CommandLine", "'*a*b*c*'"), cmd("xaybzc"), true},
		{"several stars out of order", sel("CommandLine", "'*a*b*c*'"), cmd("cba"), false},
		{"star and question mark", sel("CommandLine", "'a?c*e'"), cmd("abcde"), true},
		{"suffix after star", sel("CommandLine", "'*sh -c ?'"), cmd("/bin/sh -c x"), true},
		{"lone star matches any present value", sel("CommandLine", "'*'"), cmd(""), true},
		{"lone star does not match an absent field", sel("CommandLine", "'*'"), map[string]any{}, false},
		{"escaped star is literal", sel("CommandLine", `'C:\Windows\*'`), cmd(`C:\Windows*`), true},
		{"escaped star is not a wildcard", sel("CommandLine", `'C:\Windows\*'`), cmd(`C:\Windows\x`), false},
		{"escaped backslash then wildcard", sel("CommandLine", `'C:\Windows\\*'`), cmd(`C:\Windows\system32`), true},
		{"three backslashes: backslash and literal star", sel("CommandLine", `'a\\\*'`), cmd(`a\*`), true},
		{"three backslashes are not a wildcard", sel("CommandLine", `'a\\\*'`), cmd(`a\b`), false},
		{"escaped question mark", sel("CommandLine", `'what\?'`), cmd("what?"), true},
		{"escaped question mark is literal", sel("CommandLine", `'what\?'`), cmd("whatx"), false},
		{"single backslash stays", sel("CommandLine", `'C:\Windows'`), cmd(`c:\windows`), true},
		{"four backslashes are two", sel("CommandLine", `'\\\\srv'`), cmd(`\\srv`), true},
		{"cased matches exact case", sel("CommandLine|cased", "'WhoAmI'"), cmd("WhoAmI"), true},
		{"cased refuses other case", sel("CommandLine|cased", "'WhoAmI'"), cmd("whoami"), false},
		{"cased contains", sel("CommandLine|contains|cased", "'AmI'"), cmd("xWhoAmIx"), true},
		{"contains", sel("CommandLine|contains", "'oam'"), cmd("WHOAMI"), true},
		{"contains with inner wildcard", sel("CommandLine|contains", "'o*m'"), cmd("xxoaaamxx"), true},
		{"startswith", sel("CommandLine|startswith", "'who'"), cmd("whoami"), true},
		{"startswith is anchored", sel("CommandLine|startswith", "'ami'"), cmd("whoami"), false},
		{"endswith", sel("CommandLine|endswith", "'ami'"), cmd("WHOAMI"), true},
		{"endswith is anchored", sel("CommandLine|endswith", "'who'"), cmd("whoami"), false},
		{"list of values is OR", sel("CommandLine", "['a', 'whoami']"), cmd("whoami"), true},
		{"all needs every value", sel("CommandLine|contains|all", "['who', 'ami']"), cmd("whoami"), true},
		{"all fails on one missing", sel("CommandLine|contains|all", "['who', 'xyz']"), cmd("whoami"), false},
		{"list field matches any element", sel("CommandLine", "'b'"), cmd([]any{"a", "B"}), true},
		{"list field with no match", sel("CommandLine", "'c'"), cmd([]any{"a", "b"}), false},
		{"windash dash", sel("CommandLine|windash|contains", "'-exec'"), cmd("x /exec y"), true},
		{"windash en dash", sel("CommandLine|windash|contains", "'-exec'"), cmd("x \u2013exec"), true},
		{"windash other letter", sel("CommandLine|windash|contains", "'-exec'"), cmd("x +exec"), false},
		{"base64", sel("CommandLine|base64", "'/bin/sh'"), cmd("L2Jpbi9zaA=="), true},
		{"base64offset form 1", sel("CommandLine|base64offset|contains", "'/bin/sh'"), cmd("xxL2Jpbi9zaxx"), true},
		{"base64offset form 2", sel("CommandLine|base64offset|contains", "'/bin/sh'"), cmd("xx9iaW4vc2xx"), true},
		{"base64offset form 3", sel("CommandLine|base64offset|contains", "'/bin/sh'"), cmd("xxvYmluL3Noxx"), true},
		{"base64offset no form", sel("CommandLine|base64offset|contains", "'/bin/sh'"), cmd("L2Jpbi9iYXNo"), false},
		{"wide is UTF-16LE", sel("CommandLine|wide|contains", "'cmd'"), cmd("x\x63\x00\x6d\x00\x64\x00y"), true},
		{"wide is not plain", sel("CommandLine|wide|contains", "'cmd'"), cmd("cmd"), false},
		{"utf16be", sel("CommandLine|utf16be|contains", "'cmd'"), cmd("\x00c\x00m\x00d"), true},
		{"utf16 has a byte order mark", sel("CommandLine|utf16|startswith", "'cmd'"), cmd("\xff\xfec\x00m\x00d\x00"), true},
		{"wide then base64", sel("CommandLine|wide|base64offset|contains", "'ping'"), cmd("cABpAG4AZwA="), true},
	}, nil)
}

func TestMatchSpecialValues(t *testing.T) {
	f := func(v any) map[string]any { return map[string]any{"Field": v} }
	none := map[string]any{"Other": "x"}
	runCases(t, []matchCase{
		{"exists true on present", sel("Field|exists", "true"), f("x"), true},
		{"exists true on empty string", sel("Field|exists", "true"), f(""), true},
		{"exists true on null", sel("Field|exists", "true"), f(nil), true},
		{"exists true on absent", sel("Field|exists", "true"), none, false},
		{"exists false on absent", sel("Field|exists", "false"), none, true},
		{"exists false on present", sel("Field|exists", "false"), f("x"), false},
		{"null on absent", sel("Field", "null"), none, true},
		{"null on null", sel("Field", "null"), f(nil), true},
		{"null on empty", sel("Field", "null"), f(""), true},
		{"null on value", sel("Field", "null"), f("x"), false},
		{"null on empty list", sel("Field", "null"), f([]any{}), true},
		{"not null is a negated selection", "selection:\n    Field: null\ncondition: not selection", f("x"), true},
		{"empty string on empty", sel("Field", "''"), f(""), true},
		{"empty string on absent", sel("Field", "''"), none, true},
		{"empty string on value", sel("Field", "''"), f("x"), false},
		{"number equals integer", sel("Field", "22"), f(int64(22)), true},
		{"number equals float", sel("Field", "22"), f(22.0), true},
		{"number matches its written form", sel("Field", "22"), f("22"), true},
		{"number matches leading zeros", sel("Field", "22"), f("022"), true},
		{"number does not match other", sel("Field", "22"), f("23"), false},
		{"number matches hex as written", sel("Field", "0x17"), f("0x17"), true},
		{"quoted number matches a number", sel("Field", "'22'"), f(int64(22)), true},
		{"quoted number with wildcard", sel("Field", "'2*'"), f(int64(22)), true},
		{"decimal number", sel("Field", "1.5"), f("1.5"), true},
		{"boolean", sel("Field", "true"), f(true), true},
		{"boolean as text", sel("Field", "true"), f("True"), true},
		{"boolean mismatch", sel("Field", "false"), f(true), false},
		{"string on boolean", sel("Field", "'true'"), f(true), true},
		{"neq differs", sel("Field|neq", "'x'"), f("y"), true},
		{"neq equal", sel("Field|neq", "'x'"), f("X"), false},
		{"neq list of values", sel("Field|neq", "['x', 'y']"), f("y"), false},
		{"neq on absent", sel("Field|neq", "'x'"), none, true},
		{"neq on list field", sel("Field|neq", "'x'"), f([]any{"a", "x"}), false},
		{"object value matches nothing", sel("Field", "'*'"), f(map[string]any{"a": "b"}), false},
		{"nested path", sel("Field.sub", "'v'"), f(map[string]any{"sub": "V"}), true},
		{"dotted key", sel("Field.sub", "'v'"), map[string]any{"Field.sub": "v"}, true},
	}, nil)
}

func TestMatchTyped(t *testing.T) {
	f := func(v any) map[string]any {
		return map[string]any{"Field": v, "Other": "whoami", "Time": "2026-11-28T10:05:30Z"}
	}
	runCases(t, []matchCase{
		{"regex anywhere", sel("Field|re", "'b+c'"), f("abbbcd"), true},
		{"regex is case-sensitive", sel("Field|re", "'ABC'"), f("abc"), false},
		{"regex i flag", sel("Field|re|i", "'ABC'"), f("xabcx"), true},
		{"regex inline flag", sel("Field|re", "'(?i)ABC'"), f("abc"), true},
		{"regex anchors", sel("Field|re", "'^abc$'"), f("abcd"), false},
		{"regex m flag", sel("Field|re|m", "'^b$'"), f("a\nb\nc"), true},
		{"regex without m flag", sel("Field|re", "'^b$'"), f("a\nb\nc"), false},
		{"regex s flag", sel("Field|re|s", "'a.b'"), f("a\nb"), true},
		{"regex without s flag", sel("Field|re", "'a.b'"), f("a\nb"), false},
		{"regex on a number", sel("Field|re", "'^4[0-9]+$'"), f(int64(4624)), true},
		{"cidr v4", sel("Field|cidr", "'10.0.0.0/8'"), f("10.1.2.3"), true},
		{"cidr v4 outside", sel("Field|cidr", "'10.0.0.0/8'"), f("11.0.0.1"), false},
		{"cidr v4-mapped v6", sel("Field|cidr", "'10.0.0.0/8'"), f("::ffff:10.1.2.3"), true},
		{"cidr v6", sel("Field|cidr", "'2001:db8::/32'"), f("2001:db8:1::5"), true},
		{"cidr v6 outside", sel("Field|cidr", "'2001:db8::/32'"), f("2001:db9::1"), false},
		{"cidr v6 does not hold v4", sel("Field|cidr", "'::/0'"), f("10.0.0.1"), false},
		{"cidr single address", sel("Field|cidr", "'192.0.2.1'"), f("192.0.2.1"), true},
		{"cidr not an address", sel("Field|cidr", "'10.0.0.0/8'"), f("host"), false},
		{"cidr list", sel("Field|cidr", "['10.0.0.0/8', '192.168.0.0/16']"), f("192.168.7.7"), true},
		{"lt", sel("Field|lt", "10"), f(int64(9)), true},
		{"lt edge", sel("Field|lt", "10"), f(int64(10)), false},
		{"lte edge", sel("Field|lte", "10"), f(int64(10)), true},
		{"gt text number", sel("Field|gt", "10"), f("11"), true},
		{"gte float", sel("Field|gte", "1.5"), f(1.5), true},
		{"gt not a number", sel("Field|gt", "1"), f("abc"), false},
		{"minute", sel("Time|minute", "5"), f(""), true},
		{"hour", sel("Time|hour", "10"), f(""), true},
		{"hour mismatch", sel("Time|hour", "11"), f(""), false},
		{"day", sel("Time|day", "28"), f(""), true},
		{"week", sel("Time|week", "48"), f(""), true},
		{"month", sel("Time|month", "11"), f(""), true},
		{"year", sel("Time|year", "2026"), f(""), true},
		{"fieldref equal", sel("Field|fieldref", "Other"), f("WHOAMI"), true},
		{"fieldref different", sel("Field|fieldref", "Other"), f("id"), false},
		{"fieldref absent", sel("Field|fieldref", "Missing"), f("id"), false},
		{"fieldref startswith", sel("Field|fieldref|startswith", "Other"), f("whoami /all"), true},
		{"fieldref endswith", sel("Field|fieldref|endswith", "Other"), f("/usr/bin/whoami"), true},
		{"fieldref contains", sel("Field|fieldref|contains", "Other"), f("x whoami y"), true},
		{"fieldref contains no", sel("Field|fieldref|contains", "Other"), f("x who y"), false},
	}, nil)
}

func TestMatchKeywords(t *testing.T) {
	msg := map[string]any{"message": "Accepted password for root", "nested": map[string]any{"deep": []any{"Evil Service"}}, "n": int64(4624)}
	runCases(t, []matchCase{
		{"keyword is a substring", "keywords:\n    - 'password for'\ncondition: keywords", msg, true},
		{"keyword case-insensitive", "keywords:\n    - 'ACCEPTED'\ncondition: keywords", msg, true},
		{"keyword in nested original", "keywords:\n    - 'evil serv'\ncondition: keywords", msg, true},
		{"keyword absent", "keywords:\n    - 'failed'\ncondition: keywords", msg, false},
		{"keyword list is OR", "keywords:\n    - 'failed'\n    - 'root'\ncondition: keywords", msg, true},
		{"keyword all", "keywords:\n    '|all':\n        - 'accepted'\n        - 'evil'\ncondition: keywords", msg, true},
		{"keyword all missing one", "keywords:\n    '|all':\n        - 'accepted'\n        - 'failed'\ncondition: keywords", msg, false},
		{"keyword wildcard", "keywords:\n    - 'accepted*root'\ncondition: keywords", msg, true},
		{"keyword question mark", "keywords:\n    - 'pass?ord'\ncondition: keywords", msg, true},
		{"keywords skip numbers", "keywords:\n    - 4624\ncondition: keywords", msg, false},
		{"keyword regex", "keywords:\n    '|re': 'pass\\w+'\ncondition: keywords", msg, true},
		{"keyword startswith is anchored", "keywords:\n    '|startswith': 'password'\ncondition: keywords", msg, false},
		{"keyword and field", "keywords:\n    - 'root'\nselection:\n    n: 4624\ncondition: keywords and selection", msg, true},
	}, nil)
}

func TestMatchConditions(t *testing.T) {
	ev := map[string]any{"A": "a", "B": "b", "C": "c"}
	det := func(cond string) string {
		return "sel_a:\n    A: a\nsel_b:\n    B: b\nsel_x:\n    A: x\n_private:\n    C: nope\nfilter:\n    C: c\ncondition: " + cond
	}
	runCases(t, []matchCase{
		{"and", det("sel_a and sel_b"), ev, true},
		{"and false", det("sel_a and sel_x"), ev, false},
		{"or", det("sel_x or sel_b"), ev, true},
		{"not", det("not sel_x"), ev, true},
		{"not binds tighter than and", det("not sel_x and sel_a"), ev, true},
		{"and binds tighter than or", det("sel_a or sel_x and sel_x"), ev, true},
		{"parentheses", det("(sel_a or sel_x) and sel_x"), ev, false},
		{"not of parentheses", det("not (sel_a and sel_x)"), ev, true},
		{"1 of pattern", det("1 of sel_*"), ev, true},
		{"any of pattern", det("any of sel_x*"), ev, false},
		{"all of pattern", det("all of sel_*"), ev, false},
		{"all of narrower pattern", det("all of sel_a*"), ev, true},
		{"1 of them", det("1 of them"), ev, true},
		{"all of them leaves out _ identifiers", "sel_a:\n    A: a\n_private:\n    C: nope\ncondition: all of them", ev, true},
		{"filter pattern", det("sel_a and not 1 of filter*"), ev, false},
		{"list of conditions is OR", "sel_a:\n    A: x\nsel_b:\n    B: b\ncondition:\n    - sel_a\n    - sel_b", ev, true},
		{"list of maps is OR", "selection:\n    - A: x\n    - B: b\ncondition: selection", ev, true},
		{"map is AND", "selection:\n    A: a\n    B: x\ncondition: selection", ev, false},
	}, nil)
}

func TestMatchExpand(t *testing.T) {
	l := &sigma.Loader{Placeholders: sigma.Placeholders{"admins": {"root", "adm_*"}}}
	runCases(t, []matchCase{
		{"expand literal", sel("User|expand", "'%admins%'"), map[string]any{"User": "ROOT"}, true},
		{"expand wildcard", sel("User|expand", "'%admins%'"), map[string]any{"User": "adm_bob"}, true},
		{"expand no match", sel("User|expand", "'%admins%'"), map[string]any{"User": "bob"}, false},
	}, l)
}

func TestFold(t *testing.T) {
	for _, tc := range [][2]string{
		{"ABC", "abc"}, {"Straße", "straße"}, {"\u212a", "k"}, {"\u017f", "s"}, {"ΣΑΣ", fold("σας")},
		{"\xff\xfeA", "\xff\xfea"}, {"", ""},
	} {
		if got := fold(tc[0]); got != tc[1] {
			t.Errorf("fold(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
	for _, pair := range [][2]string{{"ǅ", "ǆ"}, {"Ω", "ω"}, {"\u2126", "ω"}, {"ÅNGSTRÖM", "\u212bngström"}} {
		if fold(pair[0]) != fold(pair[1]) || !strings.EqualFold(pair[0], pair[1]) {
			t.Errorf("%q and %q should fold alike", pair[0], pair[1])
		}
	}
	var a arena
	s := a.fold("HeLLo")
	_ = a.fold(strings.Repeat("X", 5000))
	if s != "hello" {
		t.Errorf("arena string changed: %q", s)
	}
}

// FuzzMatchPattern compares the compiled matcher with the reference's regular
// expression for random patterns and texts.
func FuzzMatchPattern(f *testing.F) {
	for _, s := range [][2]string{{"who*", "whoami"}, {"a?c", "abc"}, {`C:\\*`, `C:\x`}, {"*a*b*", "ab"}, {"caf?", "CAFÉ"}, {"\u212a*", "kelvin"}} {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pat, text string, cased bool) {
		if !validUTF8(pat, text) {
			return // regular expressions read UTF-8 only
		}
		p := sigma.ParsePattern(pat)
		g := compileGlob(p, !cased)
		in := text
		if !cased {
			in = fold(text)
		}
		got := g.match(in)
		expr := "^(?s:" + sigma.PatternRegex(p) + ")$"
		if !cased {
			expr = "(?i)" + expr
		}
		ref := (&reference{res: map[string]*regexp.Regexp{}}).re(expr)
		if want := ref.MatchString(text); got != want {
			t.Errorf("pattern %q text %q cased %v: got %v, regexp says %v", pat, text, cased, got, want)
		}
	})
}

func TestMatchedFields(t *testing.T) {
	e := compileRules(t, ruleYAML("sel:\n    A: a\n    B|contains: b\nfilter:\n    C: z\ncondition: sel and not filter"), Options{IgnoreLogsource: true})
	alerts := e.Eval(jsonEvent("e1", map[string]any{"A": "A", "B": "xbx", "C": "c"}), goldenNow)
	if len(alerts) != 1 {
		t.Fatalf("alerts: %v", alerts)
	}
	got := fmt.Sprint(alerts[0].Matched)
	if got != "[{A A} {B xbx}]" {
		t.Errorf("matched = %s", got)
	}
	b, _ := alerts[0].MarshalJSON()
	for _, want := range []string{`"rule":{"id":"00000000-0000-4000-8000-000000000001","title":"conformance"`, `"event":{"ids":["e1"]`, `"matched":{"A":"A","B":"xbx"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}

// TestMatchedFieldsOfConditions: the matched fields are those of the searches that made
// the rule match, in the order the condition reached them: not those of a search that
// failed half-way, nor any under a negation.
func TestMatchedFieldsOfConditions(t *testing.T) {
	ev := map[string]any{"A": "a", "B": "b", "C": "c", "L": []any{"x", "y", "x"}, "msg": "run nc -e now"}
	for _, tc := range []struct{ detection, want string }{
		{"s1:\n    A: a\n    B: nope\ns2:\n    C: c\ncondition: s1 or s2", "[{C c}]"},
		{"s1:\n    A: a\ns2:\n    B: b\n    C: nope\ncondition: s1 and not s2", "[{A a}]"},
		{"s1:\n    A: a\ns2:\n    B: b\ncondition: 1 of s*", "[{A a}]"},
		{"s1:\n    A: a\ns2:\n    B: b\ncondition: all of s*", "[{A a} {B b}]"},
		{"s1:\n    L: y\ncondition: s1", "[{L [x y]}]"},
		{"kw:\n    - 'nc -e'\n    - nothing\ns1:\n    A: a\ncondition: kw and s1", "[{keyword nc -e} {A a}]"},
		{"s1:\n    A: nope\ns2:\n    - B: nope\n    - C: c\ncondition: s1 or s2", "[{C c}]"},
	} {
		e := compileRules(t, ruleYAML(tc.detection), Options{IgnoreLogsource: true})
		alerts := e.Eval(jsonEvent("e1", ev), goldenNow)
		if len(alerts) != 1 {
			t.Errorf("%s: alerts %v", tc.detection, alerts)
			continue
		}
		if got := fmt.Sprint(alerts[0].Matched); got != tc.want {
			t.Errorf("%s: matched %s, want %s", tc.detection, got, tc.want)
		}
	}
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// TestMatchPatternRandom compares the compiled matcher with regular expressions over
// random patterns and texts from a small alphabet that includes letters with special
// case folding, so that stars, question marks and folding meet often.
func TestMatchPatternRandom(t *testing.T) {
	alphabet := []string{"a", "b", "A", "B", "k", "\u212a", "s", "\u017f", "σ", "ς", "Σ", "é", "*", "?", `\`, "."}
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(n int, wild bool) string {
		var b strings.Builder
		for range rng.IntN(n) {
			c := alphabet[rng.IntN(len(alphabet))]
			if !wild && (c == "*" || c == "?" || c == `\`) {
				c = "a"
			}
			b.WriteString(c)
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		pat, text, cased := pick(8, true), pick(10, false), rng.IntN(4) == 0
		p := sigma.ParsePattern(pat)
		in := text
		if !cased {
			in = fold(text)
		}
		expr := "^(?s:" + sigma.PatternRegex(p) + ")$"
		if !cased {
			expr = "(?i)" + expr
		}
		if got, want := compileGlob(p, !cased).match(in), regexp.MustCompile(expr).MatchString(text); got != want {
			t.Fatalf("pattern %q text %q cased %v: got %v, regexp says %v", pat, text, cased, got, want)
		}
	}
}

// TestAlertJSON checks the hand-written encoder against encoding/json's reading of it.
func TestAlertJSON(t *testing.T) {
	a := &Alert{Time: goldenNow, Rule: RuleRef{ID: "id", Title: "a \"title\" <b> & \u2028 \x01 \xff é", Tags: []string{"attack.t1110"}, Kind: "correlation"},
		EventIDs: []string{"e1", "e2"}, EventCount: 2, First: goldenNow, Last: goldenNow.Add(time.Second),
		Matched: []MatchedField{{"A", "x"}, {"B", []string{"1", "2"}}, {"A", "dup"}, {"N", 3}},
		Group:   []MatchedField{{"source.ip", "1.2.3.4"}}, Window: &Window{goldenNow, goldenNow.Add(time.Minute)},
		Correlation: &Aggregate{Type: "event_count", Value: 2.5}}
	b, _ := a.MarshalJSON()
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := `{"@timestamp":"2026-11-28T12:00:00Z","correlation":{"type":"event_count","value":2.5},"event":{"count":2,"first":"2026-11-28T12:00:00Z","ids":["e1","e2"],"last":"2026-11-28T12:00:01Z"},"group":{"source.ip":"1.2.3.4"},"matched":{"A":"x","B":["1","2"],"N":3},"rule":{"id":"id","kind":"correlation","tags":["attack.t1110"],"title":"a \"title\" \u003cb\u003e \u0026 \u2028 \u0001 � é"},"window":{"end":"2026-11-28T12:01:00Z","start":"2026-11-28T12:00:00Z"}}`
	if re, _ := json.Marshal(got); string(re) != want {
		t.Errorf("got  %s\nwant %s", re, want)
	}
	std, _ := json.Marshal(a.Rule.Title)
	if !strings.Contains(string(b), string(std)) {
		t.Errorf("title %s encoded differently from encoding/json's %s", b, std)
	}
}
