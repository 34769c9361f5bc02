package sigma

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rule builds a small valid detection rule with extra top-level lines.
func rule(extra string) string {
	return "title: Test rule\nid: 33333333-3333-4333-8333-333333333333\n" + extra +
		"logsource:\n  product: linux\ndetection:\n  selection:\n    event.action: ssh_login\n  condition: selection\n"
}

// warningsOf loads a document that must load and returns its warnings' reasons.
func warningsOf(t *testing.T, doc string) []string {
	t.Helper()
	c, errs := Load("w.yml", []byte(doc))
	for _, e := range errs {
		t.Fatalf("unexpected error: %v", e)
	}
	var out []string
	for _, w := range c.Warnings {
		out = append(out, w.Reason)
	}
	return out
}

func TestWarnings(t *testing.T) {
	tests := []struct{ doc, want string }{
		{rule("tags:\n  - foo.bar\n"), `tag "foo.bar" has the unknown namespace "foo"`},
		{rule("tags:\n  - attack.lateral_movement\n"), "Sigma 2.0 writes ATT&CK tactics with dashes: lateral-movement"},
		{rule("tags:\n  - attack.t123\n"), `tag "attack.t123" is not a valid attack tag`},
		{rule("tags:\n  - cve.2021.44228\n"), "cve.2021-44228"},
		{rule("tags:\n  - tlp.white\n"), "TLP 2.0 renamed white to clear"},
		{rule("tags:\n  - Attack.T1059\n"), "should be namespace.name in lower case"},
		{rule("tags:\n  - attack.t1059\n  - attack.t1059\n"), `tags lists "attack.t1059" twice`},
		{rule("date: 2020/10/05\n"), `date "2020/10/05" uses the YYYY/MM/DD form dropped in Sigma 2.0: write 2020-10-05`},
		{rule("date: 2024-05-01\nmodified: 2024-01-01\n"), "modified (2024-01-01) is before date (2024-05-01)"},
		{rule("level: High\n"), `level "High" should be written in lower case`},
		{strings.Replace(rule(""), "33333333-3333-4333", "33333333-3333-1333", 1), "is not a version 4 (random) UUID"},
		{strings.Replace(rule(""), "id: 33333333-3333-4333-8333-333333333333\n", "", 1), "the rule has no id"},
		{strings.Replace(rule(""), "product: linux", "product: Linux Server", 1), `logsource product "Linux Server" should be lower case`},
		{strings.Replace(rule(""), "  condition: selection", "  unused:\n    a: 1\n  condition: selection", 1), `search identifier "unused" is not used by the condition`},
		{"title: t\nlogsource:\n  product: linux\nlevel: high\nfilter:\n  rules: all\n  s:\n    a: 1\n  condition: not s\n", "a filter has no level"},
		{"title: t\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n  condition: {gte: 1}\n---\ntitle: a\nname: a\nid: 44444444-4444-4444-8444-444444444444\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n",
			"group-by is missing (the specification makes it mandatory)"},
		{"title: t\ncorrelation:\n  type: temporal\n  rules: [a]\n  group-by: [x]\n  timespan: 1m\n---\ntitle: a\nname: a\nid: 44444444-4444-4444-8444-444444444444\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n",
			"a temporal correlation of a single rule only repeats that rule"},
	}
	for _, tt := range tests {
		ws := warningsOf(t, tt.doc)
		if !strings.Contains(strings.Join(ws, "\n"), tt.want) {
			t.Errorf("warnings %q do not include %q", ws, tt.want)
		}
	}
	// Tags of every known namespace, well formed, give no warning.
	good := "tags:\n  - attack.t1059.004\n  - attack.execution\n  - attack.g0016\n  - attack.s0002\n  - attack.stealth\n" +
		"  - car.2016-04-005\n  - cve.2021-44228\n  - d3fend.d3-am\n  - d3fend.d3f-WindowsNtOpenFile\n  - detection.threat-hunting\n" +
		"  - stp.3k\n  - tlp.amber-strict\n  - vigil.ssh.bruteforce\n  - cs.iam-privilege\n"
	if ws := warningsOf(t, rule(good)); len(ws) != 0 {
		t.Errorf("warnings for good tags: %q", ws)
	}
	r, _ := Load("t.yml", []byte(rule(good)))
	if tag := r.Rules[0].Tags[0]; tag.Namespace != "attack" || tag.Name != "t1059.004" || tag.String() != "attack.t1059.004" {
		t.Errorf("tag: %+v", tag)
	}
}

func TestMetadata(t *testing.T) {
	doc := "title: Full metadata\nid: 55555555-5555-4555-8555-555555555555\nname: full\ntaxonomy: ecs\nstatus: test\n" +
		"description: d\nlicense: DRL-1.1\nauthor: A, B\nreferences:\n  - https://example.com\ndate: 2024-01-02\nmodified: 2024-02-03\n" +
		"related:\n  - id: 66666666-6666-4666-8666-666666666666\n    type: derived\n" +
		"logsource:\n  category: process_creation\n  product: linux\n  service: auditd\n  definition: needs execve rules\n  custom_key: v\n" +
		"detection:\n  selection:\n    event.action: x\n  condition: selection\nfields:\n  - user.name\nfalsepositives: Admins\nlevel: critical\n" +
		"tags:\n  - attack.t1059\nscope:\n  - server\nsimulation:\n  tool: atomic\n  tests: [1, 2]\n"
	c, errs := Load("m.yml", []byte(doc))
	for _, e := range errs {
		t.Fatal(e)
	}
	r := c.Rules[0]
	switch {
	case r.Name != "full" || r.Taxonomy != "ecs" || r.Status != "test" || r.License != "DRL-1.1" || r.Author != "A, B":
		t.Errorf("strings: %+v", r)
	case len(r.References) != 1 || len(r.Fields) != 1 || r.FalsePositives[0] != "Admins" || r.Scope[0] != "server":
		t.Errorf("lists: %+v", r)
	case r.Related[0].Type != "derived" || r.LogSource.Definition != "needs execve rules" || r.LogSource.Custom["custom_key"] != "v":
		t.Errorf("related/logsource: %+v %+v", r.Related, r.LogSource)
	case r.Modified.Format("2006-01-02") != "2024-02-03" || r.Level != "critical":
		t.Errorf("dates/level: %+v", r)
	}
	sim, ok := r.Custom["simulation"].(map[string]any)
	if !ok || sim["tool"] != "atomic" || len(sim["tests"].([]any)) != 2 || sim["tests"].([]any)[1] != int64(2) {
		t.Errorf("custom attributes: %#v", r.Custom)
	}
	if r.Ref() != "55555555-5555-4555-8555-555555555555" {
		t.Errorf("Ref = %q", r.Ref())
	}
	// A document without a title is named by its id in errors; without both, by its place.
	_, errs = Load("x.yml", []byte("id: 77777777-7777-4777-8777-777777777777\nlogsource: {product: x}\ndetection: {s: {a: 1}, condition: s}\n"))
	if len(errs) != 1 || errs[0].Rule != "77777777-7777-4777-8777-777777777777" || errs[0].Error() != "x.yml:1: title is missing" {
		t.Errorf("errors: %v", errs)
	}
	_, errs = Load("x.yml", []byte("---\nlogsource: {product: x}\ndetection: {s: {a|foo: 1}, condition: s}\n"))
	if len(errs) != 2 || errs[0].Rule != "document 1" {
		t.Errorf("errors: %+v", errs)
	}
}

// TestYAMLFeatures checks anchors, aliases and merge keys, and that documents that
// expand exponentially through aliases are refused.
func TestYAMLFeatures(t *testing.T) {
	doc := "title: Anchors\nid: 88888888-8888-4888-8888-888888888888\nlogsource: &ls {product: linux}\n" +
		"detection:\n  base: &base\n    event.module: sshd\n  selection:\n    <<: *base\n    event.action: ssh_login\n  other: *base\n" +
		"  condition: selection or other\n"
	c, errs := Load("a.yml", []byte(doc))
	for _, e := range errs {
		t.Fatal(e)
	}
	sel := c.Rules[0].Detection.Search("selection")
	if len(sel.Items) != 2 || sel.Items[1].Field != "event.module" {
		t.Errorf("merge key: %+v", sel.Items)
	}
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("title: bomb\nlogsource: {product: x}\ndetection:\n  s:\n    a: *a11\n  condition: s\n")
	_, errs = Load("bomb.yml", []byte(b.String()))
	if len(errs) == 0 {
		t.Fatal("the alias bomb loaded")
	}
}

func TestConditionPositions(t *testing.T) {
	doc := "title: Positions\nid: 99999999-9999-4999-8999-999999999999\nlogsource: {product: x}\ndetection:\n" +
		"  selection: {a: 1}\n  condition: |\n    selection and\n      not filtr\n"
	_, errs := Load("p.yml", []byte(doc))
	if len(errs) != 1 || errs[0].Line != 8 || errs[0].Column != 11 {
		t.Errorf("literal block: %+v", errs)
	}
	doc = strings.Replace(doc, "  condition: |\n    selection and\n      not filtr\n", "  condition: 'selection and not filtr'\n", 1)
	_, errs = Load("p.yml", []byte(doc))
	if len(errs) != 1 || errs[0].Line != 6 || errs[0].Column != 33 {
		t.Errorf("quoted: %+v", errs)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yml"), []byte(rule("")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte(rule("")), 0o600); err != nil {
		t.Fatal(err)
	}
	c, errs := LoadPaths(dir, filepath.Join(dir, "b.txt"), filepath.Join(dir, "missing.yml"))
	// b.txt is read because it is named; its rule has the same id as a.yml's.
	if c.Files != 3 || c.Loaded() != 0 || c.Rejected != 2 || len(errs) != 3 {
		t.Errorf("files %d loaded %d rejected %d errors %v", c.Files, c.Loaded(), c.Rejected, errs)
	}
	var missing, dup int
	for _, e := range errs {
		switch {
		case e.Line == 0 && strings.HasSuffix(e.File, "missing.yml"):
			missing++
			if !strings.HasPrefix(e.Error(), e.File+": ") {
				t.Errorf("Error() = %q", e.Error())
			}
		case strings.Contains(e.Reason, "duplicate id") && e.Line == 2:
			dup++
		}
	}
	if missing != 1 || dup != 2 {
		t.Errorf("errors: %v", errs)
	}
}
