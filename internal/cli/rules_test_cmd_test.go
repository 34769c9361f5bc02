package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesTestBuiltIn(t *testing.T) {
	r := mustVigil(t, "", "rules", "test")
	if !strings.Contains(r.stderr, "failed 0") || !strings.HasPrefix(r.stderr, "rules ") {
		t.Errorf("summary %q", r.stderr)
	}
}

// Swapping a rule's positive and negative cases must make the runner fail, naming the
// cases: the runner can fail.
func TestRulesTestFindsMissesAndFalseHits(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "rules", "persistence")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "persistence"), 0o755)
	swapped := ""
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		if swapped == "" && strings.HasSuffix(e.Name(), ".tests.yml") {
			s := strings.Replace(string(b), "\npositive:", "\nXXX:", 1)
			if strings.HasPrefix(s, "positive:") {
				s = "XXX:" + strings.TrimPrefix(s, "positive:")
			}
			s = strings.Replace(s, "negative:", "positive:", 1)
			b = []byte(strings.Replace(s, "XXX:", "negative:", 1))
			swapped = e.Name()
		}
		os.WriteFile(filepath.Join(dir, "persistence", e.Name()), b, 0o644)
	}
	r := vigil(t, "", "rules", "test", dir)
	if r.code != 1 || !strings.Contains(r.stdout, swapped) || !strings.Contains(r.stdout, "MISSED") || !strings.Contains(r.stdout, "FALSE HIT") {
		t.Errorf("swapped %s: %v", swapped, r)
	}
}
