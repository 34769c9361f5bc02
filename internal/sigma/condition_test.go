package sigma

import (
	"reflect"
	"strings"
	"testing"
)

// sexpr writes a condition as an s-expression, to check its structure exactly.
func sexpr(c *Condition) string {
	switch c.Op {
	case CondIdent:
		return c.Name
	case CondOneOf:
		return "(1of " + c.Pattern + ")"
	case CondAllOf:
		return "(allof " + c.Pattern + ")"
	}
	name := map[CondOp]string{CondAnd: "and", CondOr: "or", CondNot: "not"}[c.Op]
	parts := []string{name}
	for _, a := range c.Args {
		parts = append(parts, sexpr(a))
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// TestParseConditionForms covers every form of the condition grammar and the
// precedence or < and < not < x of < parentheses.
func TestParseConditionForms(t *testing.T) {
	tests := []struct{ in, want, str string }{
		{"selection", "selection", "selection"},
		{"keywords1 or keywords2", "(or keywords1 keywords2)", ""},
		{"a and b", "(and a b)", ""},
		{"a and b and c", "(and a b c)", ""},
		{"a or b or c", "(or a b c)", ""},
		{"a or b and c", "(or a (and b c))", ""},
		{"a and b or c", "(or (and a b) c)", ""},
		{"(a or b) and c", "(and (or a b) c)", ""},
		{"a and (b or c)", "(and a (or b c))", ""},
		{"a and (b and c)", "(and a (and b c))", ""},
		{"not a", "(not a)", ""},
		{"not a and b", "(and (not a) b)", ""},
		{"not a or b", "(or (not a) b)", ""},
		{"not (a and b)", "(not (and a b))", ""},
		{"not not a", "(not (not a))", ""},
		{"a and not b", "(and a (not b))", ""},
		{"keywords and not filters", "(and keywords (not filters))", ""},
		{"1 of selection*", "(1of selection*)", ""},
		{"any of selection*", "(1of selection*)", "1 of selection*"},
		{"all of selection*", "(allof selection*)", ""},
		{"1 of them", "(1of them)", ""},
		{"all of them", "(allof them)", ""},
		{"all of selection_*", "(allof selection_*)", ""},
		{"1 of *_filter", "(1of *_filter)", ""},
		{"1 of sel*_x*", "(1of sel*_x*)", ""},
		{"1 of selection", "(1of selection)", ""},
		{"1 of selection* and keywords", "(and (1of selection*) keywords)", ""},
		{"1 of selection* and not 1 of filter*", "(and (1of selection*) (not (1of filter*)))", ""},
		{"not 1 of filter*", "(not (1of filter*))", ""},
		{"selection and not 1 of filter_main_* and not 1 of filter_optional_*",
			"(and selection (not (1of filter_main_*)) (not (1of filter_optional_*)))", ""},
		{"selection1 and (keywords1 or keywords2)", "(and selection1 (or keywords1 keywords2))", ""},
		{"((a))", "a", "a"},
		{"(a or b) or c", "(or (or a b) c)", ""},
		{"selection_parent and\n(\n  selection_child or\n  selection_other\n)",
			"(and selection_parent (or selection_child selection_other))", "selection_parent and (selection_child or selection_other)"},
		{"sel-1 or 1", "(or sel-1 1)", ""},
		{"  a\tand\r\nb  ", "(and a b)", "a and b"},
		{"(a)and(b)", "(and a b)", "a and b"},
		{"all of them or not a", "(or (allof them) (not a))", ""},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.in)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tt.in, err)
			continue
		}
		if got := sexpr(c); got != tt.want {
			t.Errorf("ParseCondition(%q) = %s, want %s", tt.in, got, tt.want)
		}
		want := tt.str
		if want == "" {
			want = strings.Join(strings.Fields(tt.in), " ")
		}
		if got := c.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, want)
		}
		again, err := ParseCondition(c.String())
		if err != nil || sexpr(again) != sexpr(c) {
			t.Errorf("round trip of %q through %q: %v %v", tt.in, c.String(), err, again)
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		offset int
	}{
		{"", "the condition is empty", 0},
		{"   ", "the condition is empty", 0},
		{"a and", "the condition ends where", 5},
		{"and a", `unexpected "and"`, 0},
		{"a or or b", `unexpected "or"`, 5},
		{"(a", "unbalanced (: no ) closes it", 0},
		{"a)", "unbalanced ): no ( to close", 1},
		{"()", "unexpected )", 1},
		{"a b", `unexpected "b": expected and, or or the end`, 2},
		{"a not b", `unexpected "not"`, 2},
		{"keywords AND selection", `unexpected "AND": expected and, or or the end of the condition (operators are lower case: and)`, 9},
		{"2 of sel*", `"2" before of: only 1, any or all are allowed`, 0},
		{"selection of x", `"selection" before of`, 0},
		{"1 of", "1 of needs a search identifier pattern or them", 4},
		{"all of (a)", `"(" is not a search identifier pattern`, 7},
		{"sel*", "the wildcard in \"sel*\" is only allowed after 1 of or all of", 0},
		{"a.b", `"a.b" is not a search identifier`, 0},
		{"not", "the condition ends where", 3},
		{"them", `unexpected "them"`, 0},
		{"selection | count() by host > 10", "deprecated in Sigma 2.0: express them as a correlation rule", 10},
		{"selection | near other", "deprecated in Sigma 2.0", 10},
		{"selection_proctitle |near selection_syscall", "deprecated in Sigma 2.0", 20},
		{"count(subdomain) per x > 200", "deprecated in Sigma 2.0", 0},
		{"a near b", "deprecated in Sigma 2.0", 2},
		{strings.Repeat("(", 150) + "a" + strings.Repeat(")", 150), "nested more than 100 levels", 100},
		{strings.Repeat("not ", 150) + "a", "nested more than 100 levels", 400},
	}
	for _, tt := range tests {
		_, err := ParseCondition(tt.in)
		if err == nil {
			t.Errorf("ParseCondition(%q) succeeded, want %q", tt.in, tt.want)
			continue
		}
		ce := err.(*ConditionError)
		if !strings.Contains(ce.Reason, tt.want) {
			t.Errorf("ParseCondition(%q) = %q, want %q", tt.in, ce.Reason, tt.want)
		}
		if ce.Offset != tt.offset {
			t.Errorf("ParseCondition(%q) offset %d, want %d", tt.in, ce.Offset, tt.offset)
		}
	}
}

func TestConditionResolve(t *testing.T) {
	names := []string{"selection_a", "selection_b", "filter_main_x", "filter_main_mdadm.conf", "_private", "_filter_x", "keywords"}
	tests := []struct {
		cond    string
		matches [][]string // Matches of each x-of node, in order
		errs    []string
	}{
		{"1 of selection_*", [][]string{{"selection_a", "selection_b"}}, nil},
		{"all of selection*", [][]string{{"selection_a", "selection_b"}}, nil},
		{"1 of them", [][]string{{"selection_a", "selection_b", "filter_main_x", "filter_main_mdadm.conf", "keywords"}}, nil},
		{"all of them", [][]string{{"selection_a", "selection_b", "filter_main_x", "filter_main_mdadm.conf", "keywords"}}, nil},
		{"keywords and not 1 of filter_main_*", [][]string{{"filter_main_x", "filter_main_mdadm.conf"}}, nil},
		{"1 of *_x", [][]string{{"filter_main_x"}}, nil},
		{"1 of _filter*", [][]string{{"_filter_x"}}, nil},
		{"_private or keywords", nil, nil},
		{"1 of *", [][]string{{"selection_a", "selection_b", "filter_main_x", "filter_main_mdadm.conf", "keywords"}}, nil},
		{"selecton", nil, []string{`unknown search identifier "selecton"`}},
		{"NOT", nil, []string{`unknown search identifier "NOT" (operators are lower case: not)`}},
		{"1 of nomatch*", [][]string{nil}, []string{`the pattern "nomatch*" matches no search identifier`}},
		{"a or b", nil, []string{`unknown search identifier "a"`, `unknown search identifier "b"`}},
	}
	for _, tt := range tests {
		c, err := ParseCondition(tt.cond)
		if err != nil {
			t.Fatalf("%q: %v", tt.cond, err)
		}
		var errs []string
		for _, e := range c.Resolve(names) {
			errs = append(errs, e.Reason)
		}
		if !reflect.DeepEqual(errs, tt.errs) {
			t.Errorf("Resolve(%q) errors %q, want %q", tt.cond, errs, tt.errs)
		}
		var matches [][]string
		var walk func(*Condition)
		walk = func(n *Condition) {
			if n.Op == CondOneOf || n.Op == CondAllOf {
				matches = append(matches, n.Matches)
			}
			for _, a := range n.Args {
				walk(a)
			}
		}
		walk(c)
		if !reflect.DeepEqual(matches, tt.matches) {
			t.Errorf("Resolve(%q) matches %q, want %q", tt.cond, matches, tt.matches)
		}
	}
	// them matches nothing when every identifier starts with _.
	c, _ := ParseCondition("1 of them")
	if errs := c.Resolve([]string{"_a"}); len(errs) != 1 || !strings.Contains(errs[0].Reason, "them matches no search identifier") {
		t.Errorf("them over _a: %v", errs)
	}
	c, _ = ParseCondition("a and 1 of s*")
	c.Resolve([]string{"a", "s1", "s2"})
	if got := c.Identifiers(); !reflect.DeepEqual(got, []string{"a", "s1", "s2"}) {
		t.Errorf("Identifiers = %q", got)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"sel*", "selection", true}, {"sel*", "sel", true}, {"sel*", "xsel", false},
		{"*sel", "xsel", true}, {"*sel", "selx", false}, {"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false}, {"*", "", true}, {"selection", "selection", true},
		{"selection", "selection_x", false}, {"a**b", "ab", true}, {"*_*", "a_b", true},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}
