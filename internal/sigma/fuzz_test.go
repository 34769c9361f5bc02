package sigma

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must not panic, every error must
// carry the file name and a line, and what loads must be complete.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "sigmahq", "*.yml"))
	for _, p := range append(files, more...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("title: x\nlogsource: {product: a}\ndetection: {s: {a|contains|windash: -x}, condition: s}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("---\n---\n...\n"))
	f.Add([]byte("\xff\xfe\x00"))
	l := &Loader{Placeholders: testPlaceholders}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, errs := l.Load("fuzz.yml", data)
		for _, e := range errs {
			if e.File != "fuzz.yml" || e.Line < 1 || e.Column < 1 || e.Reason == "" {
				t.Fatalf("error without a position: %+v", e)
			}
			if !strings.HasPrefix(e.Error(), fmt.Sprintf("fuzz.yml:%d: ", e.Line)) {
				t.Fatalf("Error() = %q", e.Error())
			}
		}
		for _, w := range c.Warnings {
			if w.Line < 1 || w.Reason == "" {
				t.Fatalf("warning without a position: %+v", w)
			}
		}
		if c.Loaded()+c.Rejected != c.Documents {
			t.Fatalf("loaded %d + rejected %d != documents %d", c.Loaded(), c.Rejected, c.Documents)
		}
		if c.Rejected > 0 && len(errs) == 0 {
			t.Fatal("a document was rejected without a reason")
		}
		for _, r := range c.Rules {
			checkLoaded(t, r)
		}
	})
}

// checkLoaded asserts the invariants of an accepted document.
func checkLoaded(t *testing.T, r *Rule) {
	t.Helper()
	var d *Detection
	switch r.Kind {
	case KindDetection:
		d = r.Detection
	case KindFilter:
		d = r.Filter.Detection
	case KindCorrelation:
		co := r.Correlation
		if co.Condition == nil || len(co.Targets) != len(co.Rules) || co.Timespan <= 0 {
			t.Fatalf("incomplete correlation: %+v", co)
		}
		for _, tg := range co.Targets {
			if tg == nil {
				t.Fatal("unresolved correlation target")
			}
		}
		return
	default:
		t.Fatalf("kind %d", r.Kind)
	}
	if d == nil || d.Condition == nil {
		t.Fatal("detection without a condition")
	}
	var walk func(*Search)
	walk = func(s *Search) {
		for _, it := range s.Items {
			for _, v := range it.Values {
				if len(v.Operands) == 0 {
					t.Fatalf("value %q without operands", v.Raw)
				}
				for _, op := range v.Operands {
					if op.Kind == OperandRegex && op.Regex.Compiled == nil {
						t.Fatal("regex not compiled")
					}
				}
			}
		}
		for _, a := range s.Alternatives {
			walk(a)
		}
	}
	for _, s := range d.Searches {
		walk(s)
	}
}

// FuzzCondition feeds arbitrary text to the condition parser: it must not panic,
// errors must point inside the text, and what parses must print back to the same
// structure.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"selection", "a and not b", "1 of selection_* and not 1 of filter_*", "all of them",
		"(a or b) and c", "not not (x)", "a | count() by b > 5", "any of sel*x*", "((a)", "2 of x",
		"keywords AND x", "a near b", "sel-1 or _x",
	} {
		f.Add(s)
	}
	names := []string{"a", "b", "c", "selection_a", "filter_b", "_x", "keywords", "x"}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s)
		if err != nil {
			ce, ok := err.(*ConditionError)
			if !ok || ce.Offset < 0 || ce.Offset > len(s) || ce.Reason == "" {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		out := c.String()
		again, err := ParseCondition(out)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, out, err)
		}
		if sexpr(again) != sexpr(c) {
			t.Fatalf("%q: structure %s printed as %q reads back as %s", s, sexpr(c), out, sexpr(again))
		}
		for _, e := range c.Resolve(names) {
			if e.Offset < 0 || e.Offset > len(s) {
				t.Fatalf("resolve error outside the text: %+v", e)
			}
		}
	})
}
