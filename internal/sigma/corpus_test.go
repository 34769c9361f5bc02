package sigma

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// corpusRoot finds the SigmaHQ rules corpus that sits next to the repository
// (../shared/corpora/sigmahq-rules from the module root). Tests that need it skip
// when it is absent; the package never reads it at run time.
func corpusRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	root := filepath.Join(dir, "..", "shared", "corpora", "sigmahq-rules")
	if _, err := os.Stat(filepath.Join(root, "rules")); err != nil {
		t.Skipf("SigmaHQ corpus not present at %s", root)
	}
	return root
}

// TestCorpusPlaceholders loads the placeholder rules of the corpus twice: without a
// placeholder configuration they are rejected, as the specification requires of a
// tool that cannot resolve placeholders; with values for every placeholder they
// name, they all load.
func TestCorpusPlaceholders(t *testing.T) {
	root := filepath.Join(corpusRoot(t), "rules-placeholder")
	c, errs := LoadPaths(root)
	for _, e := range errs {
		if !strings.Contains(e.Reason, "has no value in the placeholder configuration") {
			t.Errorf("unexpected error: %v", e)
		}
	}
	t.Logf("without placeholders: %d loaded, %d rejected", c.Loaded(), c.Rejected)
	ph := Placeholders{}
	nameRE := regexp.MustCompile(`%(\w+)%`)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		for _, m := range nameRE.FindAllStringSubmatch(string(data), -1) {
			ph[m[1]] = []string{"example_" + m[1], "other*"}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, errs = (&Loader{Placeholders: ph}).LoadPaths(root)
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	t.Logf("with %d placeholders: %d loaded, %d rejected", len(ph), c.Loaded(), c.Rejected)
}

// TestCorpusLinuxCloud requires every public rule for Linux and the cloud to load.
func TestCorpusLinuxCloud(t *testing.T) {
	root := corpusRoot(t)
	for _, sub := range []string{"rules/linux", "rules/cloud"} {
		c, errs := LoadPaths(filepath.Join(root, sub))
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		if c.Loaded() == 0 {
			t.Errorf("%s: nothing loaded", sub)
		}
		t.Logf("%s: %d files, %d documents, %d loaded, %d rejected, %d warnings",
			sub, c.Files, c.Documents, c.Loaded(), c.Rejected, len(c.Warnings))
		for _, w := range c.Warnings {
			t.Logf("  warning: %v", w)
		}
	}
}

// TestCorpusWhole loads every directory of the corpus and reports what loads and
// what is rejected, with the reasons for rejection counted. Rules under
// deprecated/ and unsupported/ that use the old aggregation syntax must be rejected
// with a reason that says so.
func TestCorpusWhole(t *testing.T) {
	root := corpusRoot(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	total := map[string]int{}
	reasons := map[string]int{}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c, errs := LoadPaths(filepath.Join(root, e.Name()))
		total["files"] += c.Files
		total["loaded"] += c.Loaded()
		total["rejected"] += c.Rejected
		t.Logf("%-24s files %5d  documents %5d  loaded %5d  rejected %4d  warnings %5d",
			e.Name(), c.Files, c.Documents, c.Loaded(), c.Rejected, len(c.Warnings))
		for _, er := range errs {
			reasons[reasonClass(er.Reason)]++
			if testing.Verbose() && os.Getenv("SIGMA_CORPUS_DETAILS") != "" {
				t.Logf("  %v", er)
			}
		}
		if e.Name() == "unsupported" || e.Name() == "deprecated" {
			checkAggregationsRejected(t, filepath.Join(root, e.Name()), errs)
		}
	}
	t.Logf("total: files %d, loaded %d, rejected %d", total["files"], total["loaded"], total["rejected"])
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return reasons[keys[i]] > reasons[keys[j]] })
	for _, k := range keys {
		t.Logf("  %4d  %s", reasons[k], k)
	}
}

// aggregationRE finds a condition in the old aggregation syntax.
var aggregationRE = regexp.MustCompile(`(?m)^\s+condition:.*(\||\bnear\b|\bcount\()`)

// checkAggregationsRejected requires every file under dir whose condition uses the
// old aggregation syntax to be rejected with a reason that points to correlation
// rules.
func checkAggregationsRejected(t *testing.T, dir string, errs []*Error) {
	explained := map[string]bool{}
	for _, e := range errs {
		if strings.Contains(e.Reason, "correlation rule") {
			explained[e.File] = true
		}
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if aggregationRE.Match(data) {
			n++
			if !explained[p] {
				t.Errorf("%s uses an aggregation but was not rejected for it", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("  %d files with aggregations, all rejected with a pointer to correlation rules", n)
}

var placeholderRE = regexp.MustCompile(`%\w+%`)

// reasonClass shortens a reason to its kind, dropping quoted specifics.
func reasonClass(reason string) string {
	var b strings.Builder
	inQuote := false
	for _, r := range reason {
		if r == '"' {
			if !inQuote {
				b.WriteString(`"…"`)
			}
			inQuote = !inQuote
			continue
		}
		if !inQuote {
			b.WriteRune(r)
		}
	}
	s := placeholderRE.ReplaceAllString(b.String(), "%…%")
	if len(s) > 110 {
		s = s[:110] + "…"
	}
	return fmt.Sprint(s)
}
