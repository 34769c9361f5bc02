package rulestest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/sigma"
)

// rulesDir is the project's rule tree, relative to this package.
const rulesDir = "../../rules"

var (
	attackTechniqueRE = regexp.MustCompile(`^t\d{4}(\.\d{3})?$`)
	fileNameRE        = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*\.yml$`)
)

// loadTree loads the rule tree: the rules (with the placeholder values of the test
// files), the test files by the path of their rule file, and the catalog.
func loadTree(t *testing.T) (*sigma.Collection, []string, map[string]*File, *matrix.Catalog) {
	t.Helper()
	catalog, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	ruleFiles, testFiles, err := RuleFiles(rulesDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ruleFiles) == 0 {
		t.Fatalf("no rule files under %s", rulesDir)
	}
	tests := map[string]*File{}
	var loaded []*File
	for _, p := range testFiles {
		f, err := LoadFile(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if !slices.Contains(ruleFiles, RuleFor(p)) {
			t.Errorf("%s: no rule file %s beside it", p, filepath.Base(RuleFor(p)))
		}
		tests[RuleFor(p)] = f
		loaded = append(loaded, f)
	}
	ph, err := Placeholders(loaded)
	if err != nil {
		t.Error(err)
	}
	c, errs := (&sigma.Loader{Placeholders: ph}).LoadPaths(ruleFiles...)
	for _, e := range errs {
		t.Errorf("rejected: %v", e)
	}
	for _, w := range c.Warnings {
		t.Errorf("warning: %v", w)
	}
	if c.Rejected != 0 {
		t.Errorf("%d documents rejected", c.Rejected)
	}
	return c, ruleFiles, tests, catalog
}

// tacticDir is the directory name of a tactic: its English name in lower case with
// dashes (rules/initial-access).
func tacticDir(t *matrix.Tactic) string {
	return strings.ReplaceAll(strings.ToLower(t.Name.En), " ", "-")
}

// TestRules checks every rule file and its tests: the rules load without rejections
// or warnings; each file has one main rule with id, title, description, status,
// level, false positives, matrix tags that the catalog knows (the first one naming
// the tactic of the rule's directory) and an ATT&CK technique tag that the catalog
// maps to one of those techniques; helper documents have an id, a name, a title and
// a description; and every rule has a test file with positive and negative cases
// whose input parses into events of the rule's log sources.
func TestRules(t *testing.T) {
	c, ruleFiles, tests, catalog := loadTree(t)
	mains := MainRules(c)
	byFile := map[string][]*sigma.Rule{}
	for _, r := range c.Rules {
		byFile[r.File] = append(byFile[r.File], r)
	}
	for _, rf := range ruleFiles {
		rel, _ := filepath.Rel(rulesDir, rf)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			if !fileNameRE.MatchString(filepath.Base(rf)) {
				t.Errorf("file name %q: use lower-case words joined by _ and the .yml extension", filepath.Base(rf))
			}
			if len(byFile[rf]) == 0 {
				t.Fatal("the file holds no loaded rule")
			}
			main := mains[rf]
			if len(main) != 1 {
				var refs []string
				for _, r := range main {
					refs = append(refs, r.Title)
				}
				t.Fatalf("the file has %d main rules (rules no correlation refers to), want 1: %q", len(main), refs)
			}
			r := main[0]
			checkMain(t, r, rf, catalog)
			for _, h := range byFile[rf] {
				if h == r {
					continue
				}
				checkHelper(t, h)
			}
			checkReferences(t, r, rf)
			f := tests[rf]
			if f == nil {
				t.Fatalf("no test file %s", filepath.Base(TestsFor(rf)))
			}
			checkCases(t, r, f)
		})
	}
}

// checkMain checks the metadata and tags of a main rule.
func checkMain(t *testing.T, r *sigma.Rule, file string, catalog *matrix.Catalog) {
	t.Helper()
	if r.ID == "" {
		t.Error("no id")
	}
	for what, v := range map[string]string{"title": r.Title, "description": r.Description, "status": r.Status, "level": r.Level, "author": r.Author} {
		if strings.TrimSpace(v) == "" {
			t.Errorf("no %s", what)
		}
	}
	if r.Date.IsZero() {
		t.Error("no date")
	}
	if len(r.FalsePositives) == 0 {
		t.Error("no falsepositives")
	}
	var tags, attack []string
	for _, tag := range r.Tags {
		tags = append(tags, tag.String())
		if tag.Namespace == "attack" && attackTechniqueRE.MatchString(tag.Name) {
			attack = append(attack, tag.Name)
		}
	}
	if err := catalog.ValidateRuleTags(tags); err != nil {
		t.Error(err)
	}
	techniques := catalog.TechniquesForTags(tags)
	if len(techniques) == 0 {
		t.Fatalf("no %s.* tag naming a technique of the matrix: %q", matrix.TagNamespace, tags)
	}
	for _, tech := range techniques {
		if !tech.Detectable {
			t.Errorf("tagged %s, which the catalog marks as not detectable", tech.Tag())
		}
	}
	tactic, _ := catalog.Tactic(techniques[0].Tactic)
	if dir := filepath.Base(filepath.Dir(file)); tactic != nil && dir != tacticDir(tactic) {
		t.Errorf("the first matrix tag %s is of tactic %s: the rule belongs in rules/%s, not rules/%s",
			techniques[0].Tag(), tactic.ID, tacticDir(tactic), dir)
	}
	if len(attack) == 0 {
		t.Errorf("no attack.t<nnnn> technique tag: %q", tags)
	}
	mapped := false
	for _, a := range attack {
		for _, tech := range catalog.ByAttack(a) {
			if slices.Contains(techniques, tech) {
				mapped = true
			}
		}
	}
	if len(attack) > 0 && !mapped {
		var want []string
		for _, tech := range techniques {
			want = append(want, fmt.Sprintf("%s: %v", tech.ID, tech.Attack))
		}
		t.Errorf("none of the ATT&CK tags %v is mapped by the catalog to the rule's techniques (%s)", attack, strings.Join(want, "; "))
	}
}

// checkHelper checks a document that a correlation refers to.
func checkHelper(t *testing.T, r *sigma.Rule) {
	t.Helper()
	if r.ID == "" || r.Name == "" || strings.TrimSpace(r.Title) == "" || strings.TrimSpace(r.Description) == "" {
		t.Errorf("helper document %q needs an id, a name, a title and a description", r.Ref())
	}
}

// checkReferences checks that a correlation refers only to documents of its own file,
// so that each file can be read alone.
func checkReferences(t *testing.T, r *sigma.Rule, file string) {
	t.Helper()
	seen := map[*sigma.Rule]bool{}
	var walk func(*sigma.Rule)
	walk = func(r *sigma.Rule) {
		if seen[r] || r.Correlation == nil {
			return
		}
		seen[r] = true
		for _, target := range r.Correlation.Targets {
			if target.File != file {
				t.Errorf("correlation %q refers to %q of %s: keep a correlation and its rules in one file", r.Ref(), target.Ref(), target.File)
			}
			walk(target)
		}
	}
	walk(r)
}

// checkCases checks that a rule's tests have positive and negative cases whose input
// parses into events that the rule's log sources cover.
func checkCases(t *testing.T, r *sigma.Rule, f *File) {
	t.Helper()
	if len(f.Positive) == 0 {
		t.Error("no positive case")
	}
	if len(f.Negative) == 0 {
		t.Error("no negative case")
	}
	var allowed []string
	for _, ls := range LogSources(r) {
		types, err := EventTypes(ls)
		if err != nil {
			t.Error(err)
		}
		allowed = append(allowed, types...)
	}
	for _, c := range f.Cases() {
		events, err := c.Events("")
		if err != nil {
			t.Errorf("%s:%d: case %q: %v", f.Path, c.Line, c.Name, err)
			continue
		}
		if len(events) == 0 {
			t.Errorf("%s:%d: case %q gives no event", f.Path, c.Line, c.Name)
		}
		for i, ev := range events {
			if !slices.Contains(allowed, ev.Type) {
				what := ev.Message
				if what == "" {
					what = ev.GetString("event.action")
				}
				t.Errorf("%s:%d: case %q: event %d is of type %q, which the rule's log sources (%v) do not cover: %.120s",
					f.Path, c.Line, c.Name, i+1, ev.Type, allowed, what)
			}
		}
	}
}

// TestCoverage checks that every technique the catalog marks detectable has at least
// one main rule, and lists the ones that have none.
func TestCoverage(t *testing.T) {
	c, _, _, catalog := loadTree(t)
	covered := map[string][]string{}
	products := map[string]map[string]bool{} // technique id → log source products
	for _, rules := range MainRules(c) {
		for _, r := range rules {
			var tags []string
			for _, tag := range r.Tags {
				tags = append(tags, tag.String())
			}
			for _, tech := range catalog.TechniquesForTags(tags) {
				covered[tech.ID] = append(covered[tech.ID], filepath.Base(r.File))
				if products[tech.ID] == nil {
					products[tech.ID] = map[string]bool{}
				}
				for _, ls := range LogSources(r) {
					products[tech.ID][ls.Product] = true
				}
			}
		}
	}
	var missing []string
	detectable := 0
	for _, tech := range catalog.Techniques() {
		if !tech.Detectable {
			continue
		}
		detectable++
		if len(covered[tech.ID]) == 0 {
			missing = append(missing, fmt.Sprintf("%s (%s)", tech.ID, tech.Name.En))
		}
	}
	// The cloud providers whose audit events the catalog lists for a technique but
	// no rule of that provider reads: reported, not failed (see docs/RULES.md).
	product := map[string]string{matrix.ProviderAWS: "aws", matrix.ProviderTencent: "tencentcloud", matrix.ProviderAlibaba: "alibabacloud"}
	for _, tech := range catalog.Techniques() {
		if !tech.Detectable {
			continue
		}
		for _, p := range matrix.Providers() {
			if len(tech.DataSources.Cloud.For(p)) > 0 && !products[tech.ID][product[p]] {
				t.Logf("%s (%s): no rule reads %s audit events", tech.ID, tech.Name.En, product[p])
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d detectable techniques have no rule:\n  %s", len(missing), detectable, strings.Join(missing, "\n  "))
	}
	t.Logf("%d of %d detectable techniques have rules", detectable-len(missing), detectable)
}

// TestGuideListsRules checks that the table of docs/RULES.md lists every rule file, and
// no file that does not exist.
func TestGuideListsRules(t *testing.T) {
	data, err := os.ReadFile("../../docs/RULES.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "## Rules by technique")
	if !ok {
		t.Fatal("docs/RULES.md has no section \"Rules by technique\"")
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z-]+/[a-z0-9_]+\\.yml)`").FindAllStringSubmatch(table, -1) {
		listed[m[1]] = true
	}
	ruleFiles, _, err := RuleFiles(rulesDir)
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, rf := range ruleFiles {
		rel, _ := filepath.Rel(rulesDir, rf)
		rel = filepath.ToSlash(rel)
		exists[rel] = true
		if !listed[rel] {
			t.Errorf("docs/RULES.md does not list %s under its techniques", rel)
		}
	}
	for p := range listed {
		if !exists[p] {
			t.Errorf("docs/RULES.md lists %s, which does not exist", p)
		}
	}
}
