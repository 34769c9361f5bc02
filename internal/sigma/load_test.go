package sigma

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// mustLoad loads a testdata file that must load without errors.
func mustLoad(t *testing.T, name string) *Collection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	c, errs := (&Loader{Placeholders: testPlaceholders}).Load(name, data)
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	return c
}

// byTitle finds a loaded rule by title.
func byTitle(t *testing.T, c *Collection, title string) *Rule {
	t.Helper()
	for _, r := range c.Rules {
		if r.Title == title {
			return r
		}
	}
	t.Fatalf("no rule titled %q", title)
	return nil
}

func TestSpecExamplesStructure(t *testing.T) {
	c := mustLoad(t, "spec_examples.good.yml")
	r := byTitle(t, c, "Whoami Execution")
	if r.Kind != KindDetection || r.Level != "high" || r.Author != "Florian Roth" || r.Date != time.Date(2019, 10, 23, 0, 0, 0, 0, time.UTC) {
		t.Errorf("metadata: %+v", r)
	}
	if r.LogSource.Category != "process_creation" || r.LogSource.Product != "windows" {
		t.Errorf("logsource: %+v", r.LogSource)
	}
	sel := r.Detection.Search("selection")
	if sel.Kind != SearchMap || len(sel.Items) != 1 || sel.Items[0].Field != "Image" {
		t.Fatalf("selection: %+v", sel)
	}
	op := sel.Items[0].Values[0].Operands[0]
	if s, ok := op.Pattern.Literal(); op.Kind != OperandString || !ok || s != `C:\Windows\System32\whoami.exe` {
		t.Errorf("operand: %+v", op)
	}

	r = byTitle(t, c, "Null and empty values")
	if v := r.Detection.Search("selection_empty2").Items[0].Values[0]; v.Kind != ValueNull || v.Operands[0].Kind != OperandNull {
		t.Errorf("null value: %+v", v)
	}
	if v := r.Detection.Search("selection_empty1").Items[0].Values[0]; v.Kind != ValueString || len(v.Operands[0].Pattern) != 0 {
		t.Errorf("empty value: %+v", v)
	}
	if got := r.Detection.Condition.String(); got != "selection_main and 1 of selection_empty* and not filter" {
		t.Errorf("condition: %s", got)
	}

	r = byTitle(t, c, "Keywords with all")
	kw := r.Detection.Search("mimikatz_keywords")
	if kw.Kind != SearchKeywords || !kw.Items[0].Keyword() || len(kw.Items[0].Values) != 2 || kw.Items[0].All {
		t.Errorf("keywords: %+v", kw.Items[0])
	}
	all := r.Detection.Search("keywords_cmdlet")
	if all.Kind != SearchMap || !all.Items[0].Keyword() || !all.Items[0].All || all.Items[0].Key != "|all" {
		t.Errorf("|all keywords: %+v", all.Items[0])
	}

	r = byTitle(t, c, "Lists of maps, maps of lists, exists")
	list := r.Detection.Search("selection")
	if list.Kind != SearchList || len(list.Alternatives) != 2 || list.Alternatives[1].Items[0].Field != "Description" {
		t.Errorf("list of maps: %+v", list)
	}
	ids := r.Detection.Search("selection_ids").Items[1]
	if ids.Field != "EventID" || len(ids.Values) != 2 || ids.Values[1].Number.Int != 1102 || ids.Values[1].Operands[0].Kind != OperandNumber {
		t.Errorf("EventID list: %+v", ids)
	}
	if ex := r.Detection.Search("selection_ids").Items[2].Values[0].Operands[0]; ex.Kind != OperandExists || !ex.Bool {
		t.Errorf("exists: %+v", ex)
	}
	if r.Detection.Condition.Op != CondOr || len(r.Detection.Conditions) != 2 || r.Detection.ConditionText[1] != "selection_ids" {
		t.Errorf("condition list: %+v", r.Detection.Condition)
	}
}

func TestModifiersFileOperands(t *testing.T) {
	c := mustLoad(t, "modifiers.good.yml")
	r := c.Rules[0]
	find := func(search, field string) *Item {
		for _, it := range r.Detection.Search(search).Items {
			if it.Field == field {
				return it
			}
		}
		t.Fatalf("no item %s in %s", field, search)
		return nil
	}
	if it := find("sel_generic", "CommandLine"); !it.All || len(it.Values) != 2 {
		t.Errorf("contains|all: %+v", it)
	}
	if it := find("sel_generic", "UserName"); !it.Negate {
		t.Errorf("neq: %+v", it)
	}
	if it := find("sel_string", "CommandLine"); len(it.Values[0].Operands) != 5 {
		t.Errorf("windash variants: %d", len(it.Values[0].Operands))
	}
	if op := find("sel_string", "Payload").Values[0].Operands[0]; op.Regex.String() != "(?ims)^ab.c$" || !op.Regex.Compiled.MatchString("x\nAB\nc") {
		t.Errorf("re|i|m|s: %v", op.Regex)
	}
	if op := find("sel_time", "@timestamp").Values[0].Operands[0]; op.Kind != OperandTimePart || op.TimePart != TimeHour {
		t.Errorf("hour: %+v", op)
	}
	if op := find("sel_specific", "url.path").Values[0].Operands[0]; op.Kind != OperandFieldRef || op.Field != "file.name" || op.Anchor != AnchorSuffix {
		t.Errorf("fieldref|endswith: %+v", op)
	}
	if ops := find("sel_specific", "user.name").Values[0].Operands; len(ops) != 2 || ops[0].Pattern.String() != "adm_*" {
		t.Errorf("expand: %+v", ops)
	}
	if it := find("sel_numeric", "Count2"); it.Values[0].Operands[0].Number.Float != 5.5 {
		t.Errorf("lte 5.5: %+v", it.Values[0].Operands[0])
	}
}

func TestCollectionActions(t *testing.T) {
	c := mustLoad(t, "collection_actions.good.yml")
	if len(c.Rules) != 3 || c.Documents != 3 {
		t.Fatalf("loaded %d of %d documents", len(c.Rules), c.Documents)
	}
	sh, bash, plain := c.Rules[0], c.Rules[1], c.Rules[2]
	for _, r := range []*Rule{sh, bash} {
		if r.Title != "Suspicious shell from a web server" || r.Level != "high" || r.LogSource.Product != "linux" {
			t.Errorf("template not merged into %s: %+v", r.ID, r)
		}
		if got := r.Detection.Names(); !reflect.DeepEqual(got, []string{"selection_parent", "selection_child"}) {
			t.Errorf("searches of %s: %q", r.ID, got)
		}
		if m := r.Detection.Condition.Matches; !reflect.DeepEqual(m, []string{"selection_parent", "selection_child"}) {
			t.Errorf("all of selection* of %s: %q", r.ID, m)
		}
	}
	if got := bash.Detection.Search("selection_child").Items[0].Values[0].Raw; got != "/bash" {
		t.Errorf("repeat did not replace the child image: %q", got)
	}
	if sh.Index != 2 || bash.Index != 3 || plain.Index != 5 {
		t.Errorf("indexes %d %d %d", sh.Index, bash.Index, plain.Index)
	}
	if plain.Level != "" || plain.Title != "Without the template" {
		t.Errorf("reset did not drop the template: %+v", plain)
	}
}

func TestFilterResolution(t *testing.T) {
	c := mustLoad(t, "filter_admin.good.yml")
	f := byTitle(t, c, "Filter Administrator account")
	if f.Kind != KindFilter || f.Filter.All || len(f.Filter.Targets) != 2 || f.Filter.Targets[1].Title != "Login on jump host" {
		t.Fatalf("filter: %+v", f.Filter)
	}
	if f.Filter.Detection.Condition.String() != "not selection" || f.Filter.Detection.Search("selection").Items[0].Field != "User" {
		t.Errorf("filter detection: %+v", f.Filter.Detection)
	}
	all := byTitle(t, c, "Ignore the backup agent everywhere")
	if !all.Filter.All || all.Filter.Rules != nil {
		t.Errorf("rules: all: %+v", all.Filter)
	}
	if !all.LogSource.Covers(f.Filter.Targets[0].LogSource) || f.LogSource.Covers(&LogSource{Product: "linux"}) {
		t.Error("Covers")
	}
}

// TestLoadDirAcrossFiles resolves references between files and reports references
// that a filter cannot resolve as warnings.
func TestLoadDirAcrossFiles(t *testing.T) {
	rule := "title: Failed su\nid: 11111111-1111-4111-8111-111111111111\nname: su_failure\nlogsource:\n  product: linux\n" +
		"detection:\n  selection:\n    event.action: su\n    event.outcome: failure\n  condition: selection\n"
	corr := "title: Many failed su\nid: 22222222-2222-4222-8222-222222222222\ncorrelation:\n  type: event_count\n  rules: su_failure\n" +
		"  group-by: user.name\n  timespan: 10m\n  condition:\n    gte: 5\n"
	filt := "title: Ignore the robot\nlogsource:\n  product: linux\nfilter:\n  rules:\n    - su_failure\n    - missing_rule\n" +
		"  selection:\n    user.name: robot\n  condition: not selection\n"
	fsys := fstest.MapFS{
		"rules/a/su.yml":          {Data: []byte(rule)},
		"rules/b/corr.yaml":       {Data: []byte(corr)},
		"rules/b/filter.yml":      {Data: []byte(filt)},
		"rules/b/readme.txt":      {Data: []byte("not a rule")},
		"rules/c/broken.yml":      {Data: []byte("title: [")},
		"rules/c/empty.yml":       {Data: []byte("")},
		"rules/c/only-dashes.yml": {Data: []byte("---\n---\n")},
	}
	c, errs := LoadDir(fsys, "rules")
	if c.Files != 6 || c.Loaded() != 3 || c.Rejected != 1 || c.Documents != 4 {
		t.Errorf("files %d loaded %d rejected %d documents %d", c.Files, c.Loaded(), c.Rejected, c.Documents)
	}
	if len(errs) != 1 || errs[0].File != "rules/c/broken.yml" || !strings.Contains(errs[0].Reason, "invalid YAML") {
		t.Errorf("errors: %v", errs)
	}
	cr := c.Lookup("22222222-2222-4222-8222-222222222222")
	if cr == nil || cr.Correlation.Targets[0] != c.Lookup("su_failure") || cr.Correlation.Timespan != 10*time.Minute {
		t.Fatalf("correlation: %+v", cr)
	}
	if !reflect.DeepEqual(cr.Correlation.GroupBy, []string{"user.name"}) {
		t.Errorf("group-by: %q", cr.Correlation.GroupBy)
	}
	if c.Lookup(strings.ToUpper("22222222-2222-4222-8222-222222222222")) != cr {
		t.Error("ids are looked up in any case")
	}
	f := c.OfKind(KindFilter)
	if len(f) != 1 || len(f[0].Filter.Targets) != 1 {
		t.Fatalf("filter: %+v", f)
	}
	found := false
	for _, w := range c.Warnings {
		if w.File == "rules/b/filter.yml" && w.Line == 7 && strings.Contains(w.Reason, `references "missing_rule", which is not a loaded rule id or name`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning for the missing filter reference: %v", c.Warnings)
	}
	// The same correlation loaded alone cannot resolve its rule.
	_, errs = Load("corr.yaml", []byte(corr))
	if len(errs) != 1 || errs[0].Line != 5 || !strings.Contains(errs[0].Reason, `references "su_failure", which is not a loaded rule id or name`) {
		t.Errorf("alone: %v", errs)
	}
}

// mustRead reads a testdata file.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
