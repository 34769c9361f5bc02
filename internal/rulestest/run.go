package rulestest

import (
	"fmt"
	"slices"
	"sort"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Result is the outcome of one test case of one rule file.
type Result struct {
	RuleFile string
	RuleIDs  []string // the rules of the file that raise alerts
	Case     *Case
	Alerts   int    // alerts of the file's rules on this case
	Err      string // why the case could not run (a parse or load error), or ""
}

// Passed tells whether the case behaved as expected: positive cases raise at least one
// alert of the file's rules, negative cases none.
func (r Result) Passed() bool {
	if r.Err != "" {
		return false
	}
	if r.Case.Positive {
		return r.Alerts > 0
	}
	return r.Alerts == 0
}

// Run runs every test case under dir through the detection engine with the given
// logsource mapping (nil: the default). Each case gets a fresh engine, so correlation
// state never leaks between cases; events are fed in time order, and open windows are
// decided at the end.
func Run(dir string, mapping *detect.Mapping) ([]Result, error) {
	ruleFiles, _, err := RuleFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, rf := range ruleFiles {
		out = append(out, runFile(rf, mapping)...)
	}
	return out, nil
}

func runFile(ruleFile string, mapping *detect.Mapping) []Result {
	tf, err := LoadFile(TestsFor(ruleFile))
	if err != nil {
		return []Result{{RuleFile: ruleFile, Case: &Case{Name: "(test file)", Positive: true}, Err: err.Error()}}
	}
	ph, err := Placeholders([]*File{tf})
	if err != nil {
		return []Result{{RuleFile: ruleFile, Case: &Case{Name: "(placeholders)", Positive: true}, Err: err.Error()}}
	}
	loader := sigma.Loader{Placeholders: ph}
	coll, errs := loader.LoadPaths(ruleFile)
	fail := func(msg string) []Result {
		var rs []Result
		for _, c := range tf.Cases() {
			rs = append(rs, Result{RuleFile: ruleFile, Case: c, Err: msg})
		}
		return rs
	}
	if len(errs) > 0 {
		return fail(errs[0].Error())
	}
	var ids []string
	for _, r := range MainRules(coll)[ruleFile] {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return fail("the file has no rule that raises alerts")
	}
	var out []Result
	for _, c := range tf.Cases() {
		res := Result{RuleFile: ruleFile, RuleIDs: ids, Case: c}
		eng, cerrs := detect.Compile(coll, detect.Options{Mapping: mapping})
		if len(cerrs) > 0 {
			res.Err = cerrs[0].Error()
			out = append(out, res)
			continue
		}
		events, err := c.Events("")
		if err != nil {
			res.Err = err.Error()
			out = append(out, res)
			continue
		}
		sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
		count := func(alerts []detect.Alert) {
			for _, a := range alerts {
				if slices.Contains(ids, a.Rule.ID) {
					res.Alerts++
				}
			}
		}
		for _, ev := range events {
			count(eng.Eval(ev, ev.Time))
		}
		count(eng.Flush())
		out = append(out, res)
	}
	return out
}

// String describes a result for people, "tests-file:line: case: ok" or what went wrong.
func (r Result) String() string {
	at := TestsFor(r.RuleFile)
	kind := "negative"
	if r.Case.Positive {
		kind = "positive"
	}
	switch {
	case r.Err != "":
		return fmt.Sprintf("%s:%d: %s case %q: %s", at, r.Case.Line, kind, r.Case.Name, r.Err)
	case r.Passed():
		return fmt.Sprintf("%s:%d: %s case %q: ok (%d alerts)", at, r.Case.Line, kind, r.Case.Name, r.Alerts)
	case r.Case.Positive:
		return fmt.Sprintf("%s:%d: positive case %q: MISSED (no alert)", at, r.Case.Line, r.Case.Name)
	}
	return fmt.Sprintf("%s:%d: negative case %q: FALSE HIT (%d alerts)", at, r.Case.Line, r.Case.Name, r.Alerts)
}
