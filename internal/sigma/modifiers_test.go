package sigma

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// opString renders an operand compactly for table tests.
func opString(op Operand) string {
	switch op.Kind {
	case OperandString:
		s := "str:" + op.Pattern.String()
		if op.Cased {
			s += " cased"
		}
		return s
	case OperandNumber:
		return "num:" + op.Number.String()
	case OperandBool:
		return "bool:" + strconv.FormatBool(op.Bool)
	case OperandNull:
		return "null"
	case OperandRegex:
		return "re:" + op.Regex.String()
	case OperandCIDR:
		return "cidr:" + op.Prefix.String()
	case OperandCompare:
		return "cmp:" + op.Compare.String() + " " + op.Number.String()
	case OperandExists:
		return "exists:" + strconv.FormatBool(op.Bool)
	case OperandFieldRef:
		return fmt.Sprintf("ref:%s/%d", op.Field, op.Anchor)
	case OperandTimePart:
		return "time:" + op.TimePart.String() + "=" + op.Number.String()
	}
	return "?"
}

// Values as they come out of YAML.
func strVal(s string) Value { return Value{Kind: ValueString, Raw: s} }
func numVal(s string) Value {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	n := Number{Text: s, Float: f}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		n.Int, n.IsInt = i, true
	}
	return Value{Kind: ValueNumber, Raw: s, Number: n}
}
func boolVal(b bool) Value { return Value{Kind: ValueBool, Raw: strconv.FormatBool(b), Bool: b} }

var nullVal = Value{Kind: ValueNull}

// transformKey runs a key such as "Field|contains|all" on one value.
func transformKey(key string, v Value, ph Placeholders) ([]string, error) {
	parts := strings.Split(key, "|")
	ops, err := Transform(parts[0], parts[1:], v, ph)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = opString(op)
	}
	return out, nil
}

// TestTransform covers every modifier of the v2.1 appendix alone and in the chains
// the specification and pySigma allow, with the operands they yield.
func TestTransform(t *testing.T) {
	ph := Placeholders{"Admins": {"adm_*", "root"}, "Dom": {"corp.example"}, "Empty": {}}
	tests := []struct {
		key  string
		val  Value
		want []string
	}{
		// No modifier.
		{"f", strVal(`C:\Windows\*.exe`), []string{`str:C:\Windows\*.exe`}},
		{"f", numVal("4624"), []string{"num:4624"}},
		{"f", boolVal(true), []string{"bool:true"}},
		{"f", nullVal, []string{"null"}},
		{"f", strVal(""), []string{"str:"}},
		// Generic modifiers.
		{"f|contains", strVal("evil"), []string{"str:*evil*"}},
		{"f|contains", strVal("*evil*"), []string{"str:*evil*"}},
		{"f|contains", numVal("80"), []string{"str:*80*"}},
		{"f|startswith", strVal("adm"), []string{"str:adm*"}},
		{"f|endswith", strVal(`\cmd.exe`), []string{`str:*\cmd.exe`}},
		{"f|endswith", strVal(`\*`), []string{`str:*\*`}},
		{"f|contains|all", strVal("a"), []string{"str:*a*"}},
		{"f|all|contains", strVal("a"), []string{"str:*a*"}},
		{"f|exists", boolVal(true), []string{"exists:true"}},
		{"f|exists", boolVal(false), []string{"exists:false"}},
		{"f|cased", strVal("CmD"), []string{"str:CmD cased"}},
		{"f|contains|cased", strVal("CmD"), []string{"str:*CmD* cased"}},
		{"f|cased|startswith", strVal("CmD"), []string{"str:CmD* cased"}},
		{"f|neq", strVal("x"), []string{"str:x"}},
		{"f|neq", numVal("5"), []string{"num:5"}},
		{"f|neq", nullVal, []string{"null"}},
		{"f|contains|neq", strVal("x"), []string{"str:*x*"}},
		// String modifiers.
		{"f|windash", strVal("-enc"), []string{"str:-enc", "str:/enc", "str:\u2013enc", "str:\u2014enc", "str:\u2015enc"}},
		{"f|contains|windash", strVal(" -c "), []string{"str:* -c *", "str:* /c *", "str:* \u2013c *", "str:* \u2014c *", "str:* \u2015c *"}},
		{"f|windash|contains", strVal("/c"), []string{"str:*-c*", "str:*/c*", "str:*\u2013c*", "str:*\u2014c*", "str:*\u2015c*"}},
		{"f|endswith|windash", strVal("/a"), []string{"str:*-a", "str:*/a", "str:*\u2013a", "str:*\u2014a", "str:*\u2015a"}},
		{"f|re", strVal(`^a.*b$`), []string{"re:^a.*b$"}},
		{"f|re", strVal(`C:\\Windows\\*`), []string{`re:C:\\Windows\\*`}},
		{"f|re|i", strVal("abc"), []string{"re:(?i)abc"}},
		{"f|re|m", strVal("^abc$"), []string{"re:(?m)^abc$"}},
		{"f|re|s", strVal("a.b"), []string{"re:(?s)a.b"}},
		{"f|re|i|m|s", strVal("a"), []string{"re:(?ims)a"}},
		{"f|re|ignorecase|multiline|dotall", strVal("a"), []string{"re:(?ims)a"}},
		{"f|re", numVal("123"), []string{"re:123"}},
		{"f|re|expand", strVal(`^%Dom%$`), []string{`re:^(?:corp\.example)$`}},
		{"f|re|expand", strVal(`%Admins%`), []string{`re:(?:adm_(?s:.*)|root)`}},
		{"f|base64", strVal("/bin/sh"), []string{"str:L2Jpbi9zaA=="}},
		{"f|base64|contains", strVal("/bin/sh"), []string{"str:*L2Jpbi9zaA==*"}},
		{"f|base64offset", strVal("/bin/sh"), []string{"str:L2Jpbi9za", "str:9iaW4vc2", "str:vYmluL3No"}},
		{"f|base64offset|contains", strVal("/bin/sh"), []string{"str:*L2Jpbi9za*", "str:*9iaW4vc2*", "str:*vYmluL3No*"}},
		{"f|base64offset|startswith", strVal("/bin/sh"), []string{"str:L2Jpbi9za*", "str:9iaW4vc2*", "str:vYmluL3No*"}},
		{"f|base64", strVal(`a\*b`), []string{"str:" + Base64([]byte("a*b"))}},
		{"f|wide|base64offset|contains", strVal("spinstall0.aspx"), []string{
			"str:*cwBwAGkAbgBzAHQAYQBsAGwAMAAuAGEAcwBwAHgA*",
			"str:*MAcABpAG4AcwB0AGEAbABsADAALgBhAHMAcAB4A*",
			"str:*zAHAAaQBuAHMAdABhAGwAbAAwAC4AYQBzAHAAeA*"}},
		{"f|utf16le|base64", strVal("cmd"), []string{"str:YwBtAGQA"}},
		{"f|utf16|base64", strVal("cmd"), []string{"str://5jAG0AZAA="}},
		{"f|utf16be|base64", strVal("cmd"), []string{"str:AGMAbQBk"}},
		{"f|wide", strVal("cmd"), []string{"str:c\x00m\x00d\x00"}},
		{"f|utf16le|contains", strVal("cmd"), []string{"str:*c\x00m\x00d\x00*"}},
		{"f|utf16be", strVal("cmd"), []string{"str:\x00c\x00m\x00d"}},
		{"f|utf16", strVal("cmd"), []string{"str:\xff\xfec\x00m\x00d\x00"}},
		{"f|windash|base64offset", strVal("-e"), []string{
			"str:LW", "str:1l", "str:tZ", "str:L2", "str:9l", "str:vZ",
			"str:4oCTZ", "str:KAk2", "str:igJNl", "str:4oCUZ", "str:KAlG", "str:igJRl",
			"str:4oCVZ", "str:KAlW", "str:igJVl"}},
		// Numeric modifiers.
		{"f|lt", numVal("10"), []string{"cmp:lt 10"}},
		{"f|lte", numVal("10"), []string{"cmp:lte 10"}},
		{"f|gt", numVal("1.5"), []string{"cmp:gt 1.5"}},
		{"f|gte", numVal("-3"), []string{"cmp:gte -3"}},
		{"f|gt|neq", numVal("3"), []string{"cmp:gt 3"}},
		// Time modifiers.
		{"f|minute", numVal("0"), []string{"time:minute=0"}},
		{"f|minute", numVal("59"), []string{"time:minute=59"}},
		{"f|hour", numVal("23"), []string{"time:hour=23"}},
		{"f|day", numVal("31"), []string{"time:day=31"}},
		{"f|week", numVal("53"), []string{"time:week=53"}},
		{"f|month", numVal("12"), []string{"time:month=12"}},
		{"f|year", numVal("2024"), []string{"time:year=2024"}},
		{"f|hour|neq", numVal("3"), []string{"time:hour=3"}},
		// IP modifiers.
		{"f|cidr", strVal("10.0.0.0/8"), []string{"cidr:10.0.0.0/8"}},
		{"f|cidr", strVal("192.168.1.7"), []string{"cidr:192.168.1.7/32"}},
		{"f|cidr", strVal("fe80::/10"), []string{"cidr:fe80::/10"}},
		{"f|cidr", strVal("::1"), []string{"cidr:::1/128"}},
		{"f|cidr|neq", strVal("10.0.0.0/8"), []string{"cidr:10.0.0.0/8"}},
		// Specific modifiers.
		{"f|expand", strVal("%Admins%"), []string{"str:adm_*", "str:root"}},
		{"f|contains|expand", strVal("%Dom%"), []string{"str:*corp.example*"}},
		{"f|expand|endswith", strVal(`\%Dom%`), []string{"str:*%Dom%"}},
		{"f|expand|endswith", strVal(`\%%Dom%`), []string{"str:*%corp.example"}},
		{"f|expand", strVal(`\%plain%Dom%`), []string{"str:%plaincorp.example"}},
		{"f|expand", strVal(`%Dom%\%Admins%`), []string{"str:corp.example%Admins%"}},
		{"f|expand", strVal(`%Admins%-%Admins%`), []string{"str:adm_*-adm_*", "str:adm_*-root", "str:root-adm_*", "str:root-root"}},
		{"f|expand", strVal("no placeholder"), []string{"str:no placeholder"}},
		{"f|fieldref", strVal("TargetUserName"), []string{"ref:TargetUserName/0"}},
		{"f|fieldref|startswith", strVal("Other"), []string{"ref:Other/1"}},
		{"f|fieldref|endswith", strVal("Other"), []string{"ref:Other/2"}},
		{"f|fieldref|contains", strVal("Other"), []string{"ref:Other/3"}},
		{"f|fieldref|neq", strVal("Other"), []string{"ref:Other/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.val.Raw, func(t *testing.T) {
			got, err := transformKey(tt.key, tt.val, ph)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTransformErrors covers the chains and values the modifiers refuse.
func TestTransformErrors(t *testing.T) {
	ph := Placeholders{"Empty": {}}
	tests := []struct {
		key  string
		val  Value
		want string
	}{
		{"f|contain", strVal("x"), `unknown modifier "contain" (did you mean "contains"?)`},
		{"f|frobnicate", strVal("x"), `unknown modifier "frobnicate"`},
		{"f||contains", strVal("x"), "empty modifier"},
		{"f|contains|contains", strVal("x"), `modifier "contains" appears twice`},
		{"f|wide|utf16le", strVal("x"), `modifier "utf16le" appears twice`},
		{"f|contains|startswith", strVal("x"), `"contains" and "startswith" exclude each other`},
		{"f|base64|base64offset", strVal("x"), `"base64" and "base64offset" exclude each other`},
		{"f|utf16le|utf16be", strVal("x"), `"utf16le" and "utf16be" exclude each other`},
		{"f|gt|lt", numVal("1"), `"gt" and "lt" exclude each other`},
		{"f|hour|minute", numVal("1"), `"hour" and "minute" exclude each other`},
		{"f|re|contains", strVal("x"), "re cannot be combined with contains"},
		{"f|contains|re", strVal("x"), `"re" must come first`},
		{"f|re|startswith", strVal("x"), "re cannot be combined with startswith"},
		{"f|re|cased", strVal("x"), "re cannot be combined with cased"},
		{"f|re|base64", strVal("x"), "re cannot be combined with base64"},
		{"f|re|windash", strVal("x"), "re cannot be combined with windash"},
		{"f|i", strVal("x"), `"i" is a flag of the re modifier`},
		{"f|ignorecase", strVal("x"), `"ignorecase" is a flag of the re modifier`},
		{"f|cidr|contains", strVal("10.0.0.0/8"), "cidr cannot be combined with contains"},
		{"f|contains|cidr", strVal("10.0.0.0/8"), `"cidr" must come first`},
		{"f|cidr|expand", strVal("10.0.0.0/8"), "cidr cannot be combined with expand"},
		{"f|cidr|re", strVal("x"), `"cidr" and "re" cannot be combined`},
		{"f|exists|neq", boolVal(true), "exists cannot be combined with neq"},
		{"f|exists|contains", boolVal(true), "exists cannot be combined with contains"},
		{"|exists", boolVal(true), `modifier "exists" needs a field name`},
		{"|cidr", strVal("10.0.0.0/8"), `modifier "cidr" needs a field name`},
		{"|gt", numVal("1"), `modifier "gt" needs a field name`},
		{"|fieldref", strVal("x"), `modifier "fieldref" needs a field name`},
		{"|hour", numVal("1"), `modifier "hour" needs a field name`},
		{"f|hour|gt", numVal("1"), `"hour" and "gt" cannot be combined`},
		{"f|gt|contains", numVal("1"), "gt cannot be combined with contains"},
		{"f|fieldref|cased", strVal("x"), "fieldref cannot be combined with cased"},
		{"f|fieldref|base64", strVal("x"), "fieldref cannot be combined with base64"},
		{"f|contains|hour", numVal("1"), `"hour" must come first`},
		// Values the modifiers refuse.
		{"f|exists", strVal("true"), "exists needs true or false, not a string"},
		{"f|exists", numVal("1"), "exists needs true or false, not a number"},
		{"f|gt", strVal("5"), "gt needs a number, not a string"},
		{"f|lte", boolVal(true), "lte needs a number, not a boolean"},
		{"f|minute", numVal("60"), "minute must be between 0 and 59, not 60"},
		{"f|hour", numVal("24"), "hour must be between 0 and 23"},
		{"f|day", numVal("0"), "day must be between 1 and 31"},
		{"f|week", numVal("54"), "week must be between 1 and 53"},
		{"f|month", numVal("13"), "month must be between 1 and 12"},
		{"f|hour", numVal("1.5"), "hour needs a whole number"},
		{"f|year", strVal("2024"), "year needs a whole number, not a string"},
		{"f|cidr", strVal("10.0.0.1/8"), `has host bits set (the network is 10.0.0.0/8)`},
		{"f|cidr", strVal("10.0.0.0/33"), "is not an IP network"},
		{"f|cidr", strVal("not-an-ip"), "is not an IP network"},
		{"f|cidr", strVal("fe80::1%eth0"), "is not an IP network"},
		{"f|cidr", boolVal(true), "cidr needs a string, not a boolean"},
		{"f|contains", boolVal(true), "modifier contains needs a string, not a boolean"},
		{"f|contains", nullVal, "modifier contains needs a string, not a null"},
		{"f|base64", strVal("a*"), "base64 cannot encode a value with wildcards"},
		{"f|contains|base64offset", strVal("a"), "base64offset cannot encode a value with wildcards"},
		{"f|base64offset", strVal("a"), "at least two bytes"},
		{"f|fieldref", strVal("Field*"), "fieldref needs a field name without wildcards"},
		{"f|fieldref", strVal(""), "fieldref needs a field name without wildcards"},
		{"f|windash", strVal("-a -b -c -d -e -f"), "more than 5 flag dashes"},
		{"f|re", strVal("(?=x)"), "the lookahead (?=...) is not supported"},
		{"f|re", strVal("a("), "invalid regular expression: missing closing )"},
		{"f|re", boolVal(true), "re needs a string, not a boolean"},
		{"f|expand", strVal("%Nope%"), "placeholder %Nope% has no value"},
		{"f|expand", strVal("%Empty%"), "placeholder %Empty% has no value"},
		{"f|re|expand", strVal("%Nope%"), "placeholder %Nope% has no value"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.val.Raw, func(t *testing.T) {
			got, err := transformKey(tt.key, tt.val, ph)
			if err == nil {
				t.Fatalf("no error, got %q; want %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestModifierNames checks that every canonical modifier of the appendix is known,
// with pySigma's aliases.
func TestModifierNames(t *testing.T) {
	appendix := []string{"all", "startswith", "endswith", "contains", "exists", "cased", "neq", "windash",
		"re", "i", "m", "s", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide",
		"lt", "lte", "gt", "gte", "minute", "hour", "day", "week", "month", "year", "cidr", "expand", "fieldref"}
	for _, m := range appendix {
		if _, ok := modifiers[m]; !ok {
			t.Errorf("modifier %q of the appendix is unknown", m)
		}
		if _, ok := modClasses[modifiers[m]]; !ok {
			t.Errorf("modifier %q has no class", m)
		}
	}
	got, err := ParseModifiers("f", []string{"wide", "base64offset", "contains"})
	if err != nil || !reflect.DeepEqual(got, []string{"utf16le", "base64offset", "contains"}) {
		t.Errorf("ParseModifiers(wide|base64offset|contains) = %q, %v", got, err)
	}
}

// TestTransformUncheckedChain makes sure Transform refuses, rather than panics on, a
// chain that did not go through ParseModifiers.
func TestTransformUncheckedChain(t *testing.T) {
	for _, mods := range [][]string{{"i"}, {"contains", "re"}, {"frob"}, {"gt", "hour"}, {"fieldref", "windash"}} {
		if _, err := Transform("f", mods, strVal("x"), nil); err == nil {
			t.Errorf("Transform(%q) succeeded", mods)
		}
	}
}
