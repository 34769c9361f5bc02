package coverage_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilsec/vigil/internal/coverage"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/rules"
)

// A small rule tree: a correlation (whose helper must not count) tagged with two
// techniques, a rule of one technique that uses a placeholder (whose value comes from
// its test file), and a rule that names no technique.
var smallTree = fstest.MapFS{
	"initial-access/burst.yml": {Data: []byte(`title: Burst of refusals
id: 00000000-0000-4000-8000-000000000001
tags: [cs.ia-01, cs.di-01, attack.t1078.004]
correlation:
  type: event_count
  rules: [denied]
  group-by: [user.name]
  timespan: 10m
  condition:
    gte: 10
level: medium
---
title: One refusal
id: 00000000-0000-4000-8000-000000000002
name: denied
logsource:
  product: linux
  service: auth
detection:
  selection:
    event.outcome: failure
  condition: selection
`)},
	"initial-access/region.yml": {Data: []byte(`title: Unused region
id: 00000000-0000-4000-8000-000000000003
tags: [cs.ia-01]
logsource:
  product: linux
  service: auth
detection:
  selection:
    cloud.region|expand: '%used_regions%'
  condition: not selection
level: low
`)},
	"initial-access/region.tests.yml": {Data: []byte(`placeholders:
  used_regions: [us-east-1]
positive:
  - name: p
    log: "x"
negative:
  - name: n
    log: "y"
`)},
	"misc/untagged.yml": {Data: []byte(`title: Untagged
id: 00000000-0000-4000-8000-000000000004
tags: [attack.t1110]
logsource:
  product: linux
  service: auth
detection:
  selection:
    user.name: root
  condition: selection
`)},
}

func load(t *testing.T) *matrix.Catalog {
	t.Helper()
	cat, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestCompute(t *testing.T) {
	cat := load(t)
	rs, err := coverage.LoadFS(smallTree)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("loaded %d main rules, want 3 (the helper left out)", len(rs))
	}
	rep := coverage.Compute(cat, rs, nil)
	if got, want := rep.Summary, (coverage.Summary{Techniques: len(cat.Techniques()), Detectable: rep.Summary.Detectable, Covered: 2, Rules: 3, Unmapped: 1}); got != want {
		t.Errorf("summary %+v, want %+v", got, want)
	}
	ia01 := rep.Technique("CS-IA-01")
	if ia01 == nil || ia01.RuleCount != 2 || len(ia01.Rules) != 2 {
		t.Fatalf("CS-IA-01: %+v", ia01)
	}
	if ia01.Rules[0].Title != "Burst of refusals" || ia01.Rules[1].Title != "Unused region" {
		t.Errorf("CS-IA-01 rules %+v, want sorted by title", ia01.Rules)
	}
	if ia01.Tests != coverage.TestUnknown || ia01.Rules[0].Tests != coverage.TestUnknown {
		t.Errorf("without a test run the status is %q, want unknown", ia01.Tests)
	}
	if di01 := rep.Technique("CS-DI-01"); di01.RuleCount != 1 || di01.Rules[0].ID != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("CS-DI-01: %+v", di01.Rules)
	}
	if ps01 := rep.Technique("CS-PS-01"); ps01.RuleCount != 0 || ps01.Rules == nil || ps01.Tests != coverage.TestUnknown {
		t.Errorf("CS-PS-01: %+v", ps01)
	}
	// Every technique of the catalog is in the report, in its tactic, in attack order.
	n := 0
	for i, ta := range rep.Tactics {
		if ta.ID != cat.Tactics()[i].ID {
			t.Errorf("tactic %d is %s", i, ta.ID)
		}
		for _, te := range ta.Techniques {
			if te.Tactic != ta.ID {
				t.Errorf("%s under %s", te.ID, ta.ID)
			}
			n++
		}
	}
	if n != len(cat.Techniques()) {
		t.Errorf("%d techniques in the report, catalog has %d", n, len(cat.Techniques()))
	}

	// With test results.
	rep = coverage.Compute(cat, rs, map[string]coverage.TestStatus{
		"00000000-0000-4000-8000-000000000001": coverage.TestPass,
		"00000000-0000-4000-8000-000000000003": coverage.TestFail,
	})
	if s := rep.Technique("CS-IA-01").Tests; s != coverage.TestFail {
		t.Errorf("CS-IA-01 with a failing rule: %q", s)
	}
	if s := rep.Technique("CS-DI-01").Tests; s != coverage.TestPass {
		t.Errorf("CS-DI-01 with its only rule passing: %q", s)
	}
	rep = coverage.Compute(cat, rs, map[string]coverage.TestStatus{"00000000-0000-4000-8000-000000000001": coverage.TestPass})
	if s := rep.Technique("CS-IA-01").Tests; s != coverage.TestUnknown {
		t.Errorf("CS-IA-01 with one rule untested: %q, want unknown", s)
	}
}

func TestLoadFSReportsRejections(t *testing.T) {
	tree := fstest.MapFS{"x/bad.yml": {Data: []byte("title: no detection\nid: 00000000-0000-4000-8000-000000000009\n")}}
	if _, err := coverage.LoadFS(tree); err == nil || !strings.Contains(err.Error(), "bad.yml") {
		t.Errorf("err = %v, want the rejected file named", err)
	}
}

// TestEmbeddedRules: the rules built into the binary load without rejection, and give
// every detectable technique at least one rule.
func TestEmbeddedRules(t *testing.T) {
	cat := load(t)
	rs, err := coverage.LoadFS(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	rep := coverage.Compute(cat, rs, nil)
	for _, ta := range rep.Tactics {
		for _, te := range ta.Techniques {
			if te.Detectable && te.RuleCount == 0 {
				t.Errorf("%s (%s): detectable but no built-in rule", te.ID, te.Name.En)
			}
		}
	}
	if rep.Summary.Unmapped != 0 {
		t.Errorf("%d built-in rules name no technique", rep.Summary.Unmapped)
	}
}

var attackIDRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// TestNavigatorLayer checks the layer's structure against the Navigator's layer format
// 4.5: the required keys, well-formed technique ids, scores that count rules.
func TestNavigatorLayer(t *testing.T) {
	cat := load(t)
	rs, err := coverage.LoadFS(rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(coverage.Compute(cat, rs, nil).Navigator("test layer"))
	if err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "versions", "domain", "description", "techniques", "gradient", "legendItems"} {
		if _, ok := l[k]; !ok {
			t.Errorf("layer has no %q", k)
		}
	}
	if l["name"] != "test layer" || l["domain"] != "enterprise-attack" {
		t.Errorf("name %v, domain %v", l["name"], l["domain"])
	}
	v, _ := l["versions"].(map[string]any)
	if v["layer"] != "4.5" || v["attack"] == "" || v["navigator"] == "" {
		t.Errorf("versions %v", v)
	}
	g, _ := l["gradient"].(map[string]any)
	if cs, _ := g["colors"].([]any); len(cs) < 2 || g["minValue"] == nil || g["maxValue"] == nil {
		t.Errorf("gradient %v", g)
	}
	techs, _ := l["techniques"].([]any)
	if len(techs) == 0 {
		t.Fatal("no techniques")
	}
	seen := map[string]bool{}
	want := map[string]bool{}
	for _, te := range cat.Techniques() {
		for _, id := range te.Attack {
			want[id] = true
		}
	}
	for _, x := range techs {
		te, _ := x.(map[string]any)
		for _, k := range []string{"techniqueID", "score", "color", "comment", "enabled", "metadata"} {
			if _, ok := te[k]; !ok {
				t.Errorf("technique %v has no %q", te["techniqueID"], k)
			}
		}
		id, _ := te["techniqueID"].(string)
		if !attackIDRE.MatchString(id) {
			t.Errorf("technique id %q is not an ATT&CK technique id", id)
		}
		if seen[id] {
			t.Errorf("technique %s twice", id)
		}
		seen[id] = true
		if s, _ := te["score"].(float64); s < 0 {
			t.Errorf("%s: score %v", id, s)
		}
		if c, _ := te["color"].(string); !regexp.MustCompile(`^#[0-9a-f]{6}$`).MatchString(c) {
			t.Errorf("%s: color %q", id, c)
		}
		for _, m := range te["metadata"].([]any) {
			mm := m.(map[string]any)
			if mm["name"] == "" || mm["value"] == "" {
				t.Errorf("%s: metadata %v", id, m)
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("ATT&CK technique %s of the catalog is not in the layer", id)
		}
	}
}

func TestActivityLayer(t *testing.T) {
	cat := load(t)
	rep := coverage.Compute(cat, nil, nil)
	ia03, _ := cat.Technique("CS-IA-03")
	l := rep.ActivityNavigator("activity", "today", map[string]int{"CS-IA-03": 7})
	if len(l.Techniques) != len(ia03.Attack) || l.Gradient.MaxValue != 7 {
		t.Fatalf("layer = %+v; want the %d ATT&CK techniques of CS-IA-03", l.Techniques, len(ia03.Attack))
	}
	for _, te := range l.Techniques {
		if te.Score != 7 || te.Color != coverage.ColorHot || !attackIDRE.MatchString(te.TechniqueID) {
			t.Errorf("technique %+v", te)
		}
	}
	if l := rep.ActivityNavigator("quiet", "today", nil); len(l.Techniques) != 0 {
		t.Errorf("a quiet period scores %d techniques", len(l.Techniques))
	}
}

func TestWithUploaded(t *testing.T) {
	cat := load(t)
	rep := coverage.Compute(cat, nil, nil)
	up := []coverage.Rule{{ID: "u1", Title: "Netcat Listener", File: "nc.yml"}, {ID: "u2", Title: "Untagged", File: "x.yml"}}
	got := rep.WithUploaded(cat, up, map[string][]string{"u1": {"cs.ex-01", "attack.t1059"}})
	te := got.Technique("CS-EX-01")
	if te == nil || te.RuleCount != 1 || te.Rules[0].Origin != "custom" || te.Rules[0].Tests != coverage.TestUnknown {
		t.Fatalf("CS-EX-01 with the upload = %+v", te)
	}
	if got.Summary.Rules != rep.Summary.Rules+2 || got.Summary.Unmapped != rep.Summary.Unmapped+1 || got.Summary.Covered != rep.Summary.Covered+1 {
		t.Errorf("summary %+v, before %+v", got.Summary, rep.Summary)
	}
	if rep.Technique("CS-EX-01").RuleCount != 0 {
		t.Error("WithUploaded changed the report it was called on")
	}
}
