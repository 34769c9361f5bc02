// Package coverage computes how Vigil's Sigma rules cover the attack matrix: per
// technique of the catalog, the rules whose tags name it (cs.ia-01) and, when a test
// run gives them, whether those rules' tests pass. It also exports the coverage as a
// MITRE ATT&CK Navigator layer.
package coverage

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/rulestest"
	"github.com/vigilsec/vigil/internal/sigma"
)

// TestStatus is the result of a rule's tests, or of a technique's rules' tests.
type TestStatus string

// The test statuses. A status is unknown until a test run reports it.
const (
	TestUnknown TestStatus = "unknown"
	TestPass    TestStatus = "pass"
	TestFail    TestStatus = "fail"
)

// Rule is a rule that covers a technique.
type Rule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Level string `json:"level,omitempty"`
	// File is the rule's file, as the rules were loaded.
	File  string     `json:"file"`
	Tests TestStatus `json:"tests"`
	// Origin is "custom" for a rule uploaded to the server; empty for the project's own.
	Origin string `json:"origin,omitempty"`
}

// Technique is a technique of the catalog with its coverage. The catalog's fields
// are included as they are.
type Technique struct {
	*matrix.Technique
	// RuleCount is the number of rules whose tags name the technique.
	RuleCount int    `json:"rule_count"`
	Rules     []Rule `json:"rules"`
	// Tests sums up the tests of the rules: fail if one fails, pass if all pass,
	// else unknown (also when there is no rule).
	Tests TestStatus `json:"tests"`
}

// Tactic is a column of the matrix with its techniques, in id order.
type Tactic struct {
	*matrix.Tactic
	Techniques []*Technique `json:"techniques"`
}

// Summary counts the techniques and rules of a report.
type Summary struct {
	Techniques int `json:"techniques"`
	Detectable int `json:"detectable"`
	// Covered counts the techniques with at least one rule.
	Covered int `json:"covered"`
	// Rules counts the rules given; Unmapped those that name no technique.
	Rules    int `json:"rules"`
	Unmapped int `json:"unmapped"`
}

// Report is the matrix with the coverage of every technique.
type Report struct {
	Tactics []*Tactic `json:"tactics"`
	// BestPractices are the mitigations the techniques refer to.
	BestPractices []*matrix.BestPractice `json:"best_practices"`
	Summary       Summary                `json:"summary"`
}

// Technique returns the technique with the id, or nil.
func (r *Report) Technique(id string) *Technique {
	for _, ta := range r.Tactics {
		for _, te := range ta.Techniques {
			if te.ID == id {
				return te
			}
		}
	}
	return nil
}

// Compute builds the report of the rules against the catalog. rules are the rules
// that raise alerts (helper documents of correlations are left out by the caller; see
// LoadFS). status gives the test result of rules by id; nil, or a rule missing from
// it, leaves the rule's tests unknown.
func Compute(cat *matrix.Catalog, rules []*sigma.Rule, status map[string]TestStatus) *Report {
	byTech := map[string][]Rule{}
	sum := Summary{Rules: len(rules)}
	for _, r := range rules {
		tags := make([]string, len(r.Tags))
		for i, tag := range r.Tags {
			tags[i] = tag.String()
		}
		techs := cat.TechniquesForTags(tags)
		if len(techs) == 0 {
			sum.Unmapped++
			continue
		}
		st := status[r.ID]
		if st == "" {
			st = TestUnknown
		}
		for _, te := range techs {
			byTech[te.ID] = append(byTech[te.ID], Rule{ID: r.ID, Title: r.Title, Level: r.Level, File: r.File, Tests: st})
		}
	}
	rep := &Report{BestPractices: cat.BestPractices()}
	for _, ta := range cat.Tactics() {
		col := &Tactic{Tactic: ta, Techniques: []*Technique{}}
		for _, te := range cat.TechniquesOf(ta.ID) {
			rs := byTech[te.ID]
			slices.SortFunc(rs, func(a, b Rule) int {
				return cmpOr(strings.Compare(a.Title, b.Title), strings.Compare(a.ID, b.ID))
			})
			if rs == nil {
				rs = []Rule{}
			}
			col.Techniques = append(col.Techniques, &Technique{Technique: te, RuleCount: len(rs), Rules: rs, Tests: overall(rs)})
			sum.Techniques++
			if te.Detectable {
				sum.Detectable++
			}
			if len(rs) > 0 {
				sum.Covered++
			}
		}
		rep.Tactics = append(rep.Tactics, col)
	}
	rep.Summary = sum
	return rep
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// overall sums up the test statuses of a technique's rules.
func overall(rs []Rule) TestStatus {
	if len(rs) == 0 {
		return TestUnknown
	}
	all := TestPass
	for _, r := range rs {
		switch r.Tests {
		case TestFail:
			return TestFail
		case TestPass:
		default:
			all = TestUnknown
		}
	}
	return all
}

// LoadFS loads the rules under fsys (every *.yml and *.yaml file but the test files)
// and returns the rules that raise alerts: the helper documents that a correlation
// refers to are left out. The placeholder values of the expand modifier are taken
// from the test files beside the rules (NAME.tests.yml), so that rules using it load.
// Rules that do not load are reported in the error; the others are returned.
func LoadFS(fsys fs.FS) ([]*sigma.Rule, error) {
	var files []*rulestest.File
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path.Base(p), rulestest.TestsSuffix) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := rulestest.Parse(p, data)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ph, err := rulestest.Placeholders(files)
	if err != nil {
		errs = append(errs, err)
	}
	c, loadErrs := (&sigma.Loader{Placeholders: ph}).LoadDir(fsys, ".")
	for _, e := range loadErrs {
		errs = append(errs, e)
	}
	var out []*sigma.Rule
	mains := rulestest.MainRules(c)
	for _, r := range c.Rules {
		if slices.Contains(mains[r.File], r) {
			out = append(out, r)
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("loading rules: %w", errors.Join(errs...))
	}
	return out, nil
}

// WithUploaded returns a copy of the report that also counts rules uploaded to the
// server (their tests unknown: uploads come without test events). A technique's Tests
// still sums up the project's own rules only, so an upload never turns a tested
// technique to unknown. The receiver is not changed.
func (r *Report) WithUploaded(cat *matrix.Catalog, uploaded []Rule, tags map[string][]string) *Report {
	out := &Report{BestPractices: r.BestPractices, Summary: r.Summary}
	extra := map[string][]Rule{}
	for _, u := range uploaded {
		u.Tests, u.Origin = TestUnknown, "custom"
		techs := cat.TechniquesForTags(tags[u.ID])
		out.Summary.Rules++
		if len(techs) == 0 {
			out.Summary.Unmapped++
			continue
		}
		for _, te := range techs {
			extra[te.ID] = append(extra[te.ID], u)
		}
	}
	for _, ta := range r.Tactics {
		col := &Tactic{Tactic: ta.Tactic, Techniques: make([]*Technique, 0, len(ta.Techniques))}
		for _, te := range ta.Techniques {
			cp := *te
			if add := extra[te.ID]; len(add) > 0 {
				if te.RuleCount == 0 {
					out.Summary.Covered++
				}
				cp.Rules = append(slices.Clone(te.Rules), add...)
				cp.RuleCount = len(cp.Rules)
			}
			col.Techniques = append(col.Techniques, &cp)
		}
		out.Tactics = append(out.Tactics, col)
	}
	return out
}
