package sigma

import (
	"strings"
	"testing"
	"time"
)

func TestCorrelationTypes(t *testing.T) {
	c := mustLoad(t, "correlation_types.good.yml")
	failure, success := c.Lookup("ssh_failure"), c.Lookup("ssh_success")
	if failure == nil || success == nil || c.Lookup("0d9f6b8e-3c55-4f0e-9a65-1b0a6f1e2c02") != success {
		t.Fatal("base rules not found by name and id")
	}
	tests := []struct {
		title    string
		typ      CorrelationType
		targets  []*Rule
		span     time.Duration
		bounds   string
		field    string
		holds    []float64
		notHolds []float64
	}{
		{"Many SSH failures from one address", EventCount, []*Rule{failure}, 5 * time.Minute, "gt 20, lte 1000", "", []float64{21, 1000}, []float64{20, 1001}},
		{"Password spraying", ValueCount, []*Rule{failure}, time.Hour, "gte 10", "user.name", []float64{10}, []float64{9}},
		{"Failures then success", TemporalOrdered, []*Rule{failure, success}, 90 * time.Minute, "gte 2", "", []float64{2}, []float64{1}},
		{"Failure and success in any order, by address", Temporal, []*Rule{failure, success}, 10 * time.Second, "eq 2", "", []float64{2}, []float64{1}},
		{"Bytes sent", ValueSum, []*Rule{success}, 24 * time.Hour, "gt 1000000", "network.bytes", []float64{1000001}, []float64{1000000}},
		{"Average bytes", ValueAvg, []*Rule{success}, 24 * time.Hour, "gt 500.5", "network.bytes", []float64{500.6}, []float64{500.5}},
		{"Rare users", ValuePercentile, []*Rule{success}, 24 * time.Hour, "lte 1", "user.name", []float64{0.5, 1}, []float64{1.5}},
	}
	for _, tt := range tests {
		r := byTitle(t, c, tt.title)
		co := r.Correlation
		if r.Kind != KindCorrelation || co.Type != tt.typ || co.Timespan != tt.span {
			t.Errorf("%s: %+v", tt.title, co)
			continue
		}
		if len(co.Targets) != len(tt.targets) {
			t.Errorf("%s: targets %v", tt.title, co.Targets)
		}
		for i := range tt.targets {
			if co.Targets[i] != tt.targets[i] {
				t.Errorf("%s: target %d is %s", tt.title, i, co.Targets[i].Ref())
			}
		}
		var bs []string
		for _, b := range co.Condition.Bounds {
			bs = append(bs, b.Op+" "+b.Value.Text)
		}
		if got := strings.Join(bs, ", "); got != tt.bounds {
			t.Errorf("%s: bounds %q, want %q", tt.title, got, tt.bounds)
		}
		if got := strings.Join(co.Condition.Field, ","); got != tt.field {
			t.Errorf("%s: field %q", tt.title, got)
		}
		for _, x := range tt.holds {
			if !co.Condition.Holds(x) {
				t.Errorf("%s: %v should hold", tt.title, x)
			}
		}
		for _, x := range tt.notHolds {
			if co.Condition.Holds(x) {
				t.Errorf("%s: %v should not hold", tt.title, x)
			}
		}
	}
	if r := byTitle(t, c, "Failures then success"); !r.Correlation.Generate {
		t.Error("generate: true was lost")
	}
	alias := byTitle(t, c, "Failure and success in any order, by address").Correlation.Aliases
	if len(alias) != 1 || alias[0].Name != "remote" || alias[0].Targets["ssh_success"] != success || alias[0].Fields["ssh_failure"] != "source.ip" {
		t.Errorf("aliases: %+v", alias)
	}
}

// TestCorrelationChain checks the specification's example, where a temporal_ordered
// correlation references an event_count correlation by name.
func TestCorrelationChain(t *testing.T) {
	c := mustLoad(t, "correlation_brute_force.good.yml")
	outer := c.Lookup("b180ead8-d58f-40b2-ae54-c8940995b9b6")
	inner := c.Lookup("multiple_failed_login")
	if outer == nil || inner == nil || outer.Correlation.Targets[0] != inner || inner.Correlation.Targets[0] != c.Lookup("failed_login") {
		t.Fatal("chain not resolved")
	}
	if b := outer.Correlation.Condition.Bounds; len(b) != 1 || b[0].Op != "gte" || b[0].Value.Int != 2 {
		t.Errorf("default temporal condition: %+v", b)
	}
	if outer.Level != "high" || inner.Correlation.Timespan != 10*time.Minute {
		t.Errorf("outer %+v inner %+v", outer, inner.Correlation)
	}
}

func TestCorrelationValidation(t *testing.T) {
	base := "---\ntitle: Base\nid: 12121212-1212-4121-8121-121212121212\nname: base\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"
	corr := func(body string) string {
		return "title: C\nid: 13131313-1313-4131-8131-131313131313\ncorrelation:\n" + body + base
	}
	tests := []struct{ doc, want string }{
		{corr("  type: value_percentile\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {field: u, percentile: 95, lte: 1}\n"), ""},
		{corr("  type: value_percentile\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {field: u, percentile: 101, lte: 1}\n"), "percentile must be a whole number from 0 to 100"},
		{corr("  type: value_percentile\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {field: u, gt: 150}\n"), "a value_percentile bound is a percentage from 0 to 100"},
		{corr("  type: value_sum\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {field: u, percentile: 5, gt: 1}\n"), "percentile only applies to value_percentile correlations"},
		{corr("  type: value_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {field: [u, v], neq: 3}\n"), ""},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 5, lt: 10}\n"), ""},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 5, lte: 5}\n"), ""},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gt: 5, lte: 5}\n"), "the range gt 5 and lte 5 is empty"},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {lt: 5, lte: 6}\n"), "two upper bounds (lt and lte)"},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: -1}\n"), "must be a whole number of at least 0"},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: ten}\n"), "the gte bound must be a number, not a string"},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {}\n"), "the correlation condition has no comparison"},
		{corr("  type: event_count\n  rules: []\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n"), "correlation rules is an empty list"},
		{corr("  type: event_count\n  rules: [base, base2]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n"), `references "base2", which is not a loaded rule id or name`},
		{corr("  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n  window: 5\n"), `unknown key "window" in the correlation section`},
		{corr("  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n"), "correlation type is missing"},
		{corr("  type: temporal\n  rules: [base, base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gt: 2}\n"), "can never hold"},
		{"title: C\nid: 13131313-1313-4131-8131-131313131313\ngenerate: true\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n" + base, ""},
		{"title: C\nid: 13131313-1313-4131-8131-131313131313\ngenerate: true\ncorrelation:\n  type: event_count\n  generate: false\n  rules: [base]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 1}\n" + base, "generate is given twice"},
		{strings.Replace(base, "---\n", "", 1) + "generate: true\n", "generate belongs to correlation rules"},
	}
	for _, tt := range tests {
		c, errs := Load("c.yml", []byte(tt.doc))
		var reasons []string
		for _, e := range errs {
			reasons = append(reasons, e.Reason)
		}
		joined := strings.Join(reasons, "\n")
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("unexpected errors %q for\n%s", reasons, tt.doc)
		case tt.want != "" && !strings.Contains(joined, tt.want):
			t.Errorf("errors %q do not include %q", reasons, tt.want)
		}
		if tt.want == "" && strings.Contains(tt.doc, "title: C\n") {
			if r := c.Lookup("13131313-1313-4131-8131-131313131313"); r != nil && strings.Contains(tt.doc, "generate: true") && !r.Correlation.Generate {
				t.Error("top-level generate was lost")
			}
		}
	}
}

// TestCorrelationCascade rejects a correlation whose correlation was rejected, and
// every member of a cycle.
func TestCorrelationCascade(t *testing.T) {
	doc := "title: Outer\nid: 14141414-1414-4141-8141-141414141414\ncorrelation:\n  type: temporal\n  rules: [inner, base]\n  group-by: [h]\n  timespan: 1h\n" +
		"---\ntitle: Inner\nid: 15151515-1515-4151-8151-151515151515\nname: inner\ncorrelation:\n  type: event_count\n  rules: [nothing]\n  group-by: [h]\n  timespan: 1h\n  condition: {gte: 2}\n" +
		"---\ntitle: Base\nid: 16161616-1616-4161-8161-161616161616\nname: base\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"
	c, errs := Load("cascade.yml", []byte(doc))
	if c.Loaded() != 1 || c.Rejected != 2 || len(errs) != 2 {
		t.Fatalf("loaded %d rejected %d errors %v", c.Loaded(), c.Rejected, errs)
	}
	if errs[0].Rule != "14141414-1414-4141-8141-141414141414" || errs[0].Line != 5 || !strings.Contains(errs[0].Reason, `references "inner", which was rejected`) {
		t.Errorf("cascade error: %+v", errs[0])
	}
	data := mustRead(t, "correlation_cycle.bad.yml")
	c, errs = Load("cycle.yml", data)
	if c.Loaded() != 1 || c.Rejected != 2 {
		t.Errorf("cycle: loaded %d rejected %d", c.Loaded(), c.Rejected)
	}
	lines := map[int]bool{}
	for _, e := range errs {
		if strings.Contains(e.Reason, "correlation cycle") {
			lines[e.Line] = true
		}
	}
	if !lines[8] || !lines[20] {
		t.Errorf("each member of the cycle points at its reference: %v", errs)
	}
}
