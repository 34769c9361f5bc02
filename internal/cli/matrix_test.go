package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/matrix"
)

func catalog(t *testing.T) *matrix.Catalog {
	t.Helper()
	cat, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestMatrixText(t *testing.T) {
	cat := catalog(t)
	r := mustVigil(t, "", "matrix")
	for _, ta := range cat.Tactics() {
		if !strings.Contains(r.stdout, ta.ID+"  "+ta.Name.En+"  "+ta.Name.Zh) {
			t.Errorf("tactic %s missing", ta.ID)
		}
	}
	line := regexp.MustCompile(`(?m)^  (CS-[A-Z]{2}-\d{2})\s+.*?\s+(\d+) rules?\b.*tests: (unknown|pass|fail)\s+(\S.*)$`)
	found := map[string]bool{}
	for _, m := range line.FindAllStringSubmatch(r.stdout, -1) {
		te, ok := cat.Technique(m[1])
		if !ok {
			t.Errorf("unknown technique %s", m[1])
			continue
		}
		found[m[1]] = true
		if m[4] != te.Name.Zh {
			t.Errorf("%s: Chinese name %q, want %q", m[1], m[4], te.Name.Zh)
		}
		if te.Detectable && m[2] == "0" {
			t.Errorf("%s is detectable but the built-in rules do not cover it", m[1])
		}
	}
	for _, te := range cat.Techniques() {
		if !found[te.ID] {
			t.Errorf("technique %s is not in the text output", te.ID)
		}
	}
	if !strings.Contains(r.stdout, "detectable") {
		t.Errorf("no summary line:\n%s", r.stdout)
	}
}

func TestMatrixMarkdown(t *testing.T) {
	cat := catalog(t)
	r := mustVigil(t, "", "matrix", "--format", "markdown")
	if !strings.HasPrefix(r.stdout, "# ") {
		t.Errorf("not a Markdown document:\n%.200s", r.stdout)
	}
	for _, ta := range cat.Tactics() {
		if !strings.Contains(r.stdout, "## "+ta.ID+" ") {
			t.Errorf("no section for tactic %s", ta.ID)
		}
	}
	for _, te := range cat.Techniques() {
		if !strings.Contains(r.stdout, "| "+te.ID+" | "+te.Name.Zh+" | "+te.Name.En+" | ") {
			t.Errorf("no table row for %s", te.ID)
		}
	}
}

type matrixJSON struct {
	Tactics []struct {
		ID         string `json:"id"`
		Techniques []struct {
			ID         string   `json:"id"`
			Attack     []string `json:"attack"`
			Detectable bool     `json:"detectable"`
			RuleCount  int      `json:"rule_count"`
			Rules      []struct {
				ID, Title, File, Tests string
			} `json:"rules"`
			Tests string `json:"tests"`
		} `json:"techniques"`
	} `json:"tactics"`
	Summary struct{ Techniques, Covered, Rules, Unmapped int }
}

func TestMatrixJSON(t *testing.T) {
	cat := catalog(t)
	r := mustVigil(t, "", "matrix", "--format", "json")
	var rep matrixJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%.300s", err, r.stdout)
	}
	if len(rep.Tactics) != len(cat.Tactics()) {
		t.Fatalf("%d tactics, want %d", len(rep.Tactics), len(cat.Tactics()))
	}
	n := 0
	for i, ta := range rep.Tactics {
		if ta.ID != cat.Tactics()[i].ID {
			t.Errorf("tactic %d: %s", i, ta.ID)
		}
		for _, te := range ta.Techniques {
			n++
			if te.RuleCount != len(te.Rules) {
				t.Errorf("%s: rule_count %d, %d rules", te.ID, te.RuleCount, len(te.Rules))
			}
			if te.Detectable && te.RuleCount == 0 {
				t.Errorf("%s is detectable but has no built-in rule", te.ID)
			}
			// The built-in rules' tests run: detectable techniques pass, the others
			// have no rules and so no tests.
			if want := map[bool]string{true: "pass", false: "unknown"}[te.Detectable]; string(te.Tests) != want {
				t.Errorf("%s: tests %q, want %s", te.ID, te.Tests, want)
			}
			for _, ru := range te.Rules {
				if ru.ID == "" || ru.Title == "" || filepath.IsAbs(ru.File) {
					t.Errorf("%s: rule %+v", te.ID, ru)
				}
			}
		}
	}
	if n != len(cat.Techniques()) || rep.Summary.Techniques != n {
		t.Errorf("%d techniques (summary %d), catalog has %d", n, rep.Summary.Techniques, len(cat.Techniques()))
	}
}

func TestMatrixRulesDirAndNavigator(t *testing.T) {
	dir := t.TempDir()
	rule := `title: Root login
id: 00000000-0000-4000-8000-0000000000aa
tags: [cs.ex-05]
logsource:
  product: linux
  service: auth
detection:
  selection:
    user.name: root
  condition: selection
`
	if err := os.MkdirAll(filepath.Join(dir, "execution"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "execution", "root_login.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	layerFile := filepath.Join(t.TempDir(), "layer.json")
	r := mustVigil(t, "", "matrix", "--format", "json", "--rules", dir, "--navigator", layerFile)
	var rep matrixJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Rules != 1 || rep.Summary.Covered != 1 {
		t.Errorf("summary %+v, want the one rule of the directory", rep.Summary)
	}
	data, err := os.ReadFile(layerFile)
	if err != nil {
		t.Fatal(err)
	}
	var layer struct {
		Name       string
		Domain     string
		Versions   map[string]string
		Techniques []struct {
			TechniqueID string
			Score       int
			Enabled     bool
		}
	}
	if err := json.Unmarshal(data, &layer); err != nil {
		t.Fatal(err)
	}
	if layer.Domain != "enterprise-attack" || layer.Versions["layer"] != "4.5" || layer.Name == "" {
		t.Errorf("layer header: %+v", layer)
	}
	te, _ := catalog(t).Technique("CS-EX-05")
	scored := 0
	for _, lt := range layer.Techniques {
		if lt.Score > 0 {
			scored++
			if !strings.Contains(strings.Join(te.Attack, " "), lt.TechniqueID) || lt.Score != 1 {
				t.Errorf("scored %s %d; only the ATT&CK ids of CS-EX-05 (%v) have a rule", lt.TechniqueID, lt.Score, te.Attack)
			}
		}
	}
	if scored != len(te.Attack) {
		t.Errorf("%d scored techniques, want %d", scored, len(te.Attack))
	}

	// The layer alone on standard output.
	r = mustVigil(t, "", "matrix", "--navigator", "-")
	if !strings.Contains(r.stdout, `"techniqueID"`) || strings.Contains(r.stdout, "CS-IA-01  ") {
		t.Errorf("--navigator -: %.300s", r.stdout)
	}

	wantFailure(t, vigil(t, "", "matrix", "--format", "xml"), "--format")
	wantFailure(t, vigil(t, "", "matrix", "--rules", filepath.Join(dir, "none")), "none")
}
