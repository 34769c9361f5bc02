package detect

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
	"github.com/vigilsec/vigil/internal/sigma"
)

// moduleRoot walks up from the working directory to the directory holding go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("module root not found")
		}
		dir = parent
	}
}

// corpusRules finds the public SigmaHQ rules beside the repository
// (../shared/corpora/sigmahq-rules/rules from the module root); tests that need them
// skip when they are absent.
func corpusRules(tb testing.TB) string {
	tb.Helper()
	root := filepath.Join(moduleRoot(tb), "..", "shared", "corpora", "sigmahq-rules", "rules")
	if _, err := os.Stat(filepath.Join(root, "linux")); err != nil {
		tb.Skipf("SigmaHQ corpus not present at %s", root)
	}
	return root
}

// loadCorpus loads every SigmaHQ rule under rules/linux and rules/cloud.
func loadCorpus(tb testing.TB) *sigma.Collection {
	tb.Helper()
	root := corpusRules(tb)
	c, errs := sigma.LoadPaths(filepath.Join(root, "linux"), filepath.Join(root, "cloud"))
	for _, e := range errs {
		tb.Errorf("load: %v", e)
	}
	return c
}

// goldenNow is the reference time of the parser's golden inputs.
var goldenNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// goldenEvents parses every golden input of the parsers (internal/parse/testdata), as
// `vigil parse` would.
func goldenEvents(tb testing.TB) []*event.Event {
	tb.Helper()
	dir := filepath.Join(moduleRoot(tb), "internal", "parse", "testdata")
	var files []string
	for _, pat := range []string{"*/*.log", "*/*.json", "*/*.txt"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	sort.Strings(files)
	var out []*event.Event
	for _, f := range files {
		out = append(out, parseFile(tb, f)...)
	}
	if len(out) == 0 {
		tb.Fatal("no golden events")
	}
	return out
}

// parseFile parses one input file into events.
func parseFile(tb testing.TB, path string) []*event.Event {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return parseBytes(tb, data, path)
}

func parseBytes(tb testing.TB, data []byte, source string) []*event.Event {
	tb.Helper()
	p, err := parse.New(parse.Options{Now: func() time.Time { return goldenNow }, Source: source})
	if err != nil {
		tb.Fatal(err)
	}
	var out []*event.Event
	emit := func(ev *event.Event) { out = append(out, ev) }
	if err := parse.Read(bytes.NewReader(data), p, emit); err != nil {
		tb.Fatal(err)
	}
	p.Flush(emit)
	return out
}

// loadRules loads rules from YAML text.
func loadRules(tb testing.TB, yml string) *sigma.Collection {
	tb.Helper()
	c, errs := sigma.Load("test.yml", []byte(yml))
	for _, e := range errs {
		tb.Fatalf("load: %v", e)
	}
	return c
}

// compileRules loads and compiles rules from YAML text, failing on any error.
func compileRules(tb testing.TB, yml string, opts Options) *Engine {
	tb.Helper()
	e, errs := Compile(loadRules(tb, yml), opts)
	for _, err := range errs {
		tb.Fatalf("compile: %v", err)
	}
	return e
}

// alertKeys returns "rule id|event id" for each alert, sorted.
func alertKeys(alerts []Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Rule.ID+"|"+strings.Join(a.EventIDs, ","))
	}
	sort.Strings(out)
	return out
}

// jsonEvent makes an event of exactly the given fields, as a JSON line of no known kind
// becomes one.
func jsonEvent(id string, fields map[string]any) *event.Event {
	return &event.Event{ID: id, Type: "json", Time: goldenNow, Original: fields}
}
