package rulestest_test

import (
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/rulestest"
)

// Every positive case of every project rule fires the rule, and no negative case does,
// through the real engine with the default logsource mapping.
func TestProjectRulesThroughEngine(t *testing.T) {
	results, err := rulestest.Run(filepath.Join("..", "..", "rules"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 200 {
		t.Fatalf("only %d cases ran", len(results))
	}
	failed := 0
	for _, r := range results {
		if !r.Passed() {
			failed++
			t.Error(r.String())
		}
	}
	t.Logf("%d cases, %d failed", len(results), failed)
}
