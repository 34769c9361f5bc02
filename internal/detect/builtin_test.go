package detect

import (
	"strings"
	"testing"
)

func TestBuiltin(t *testing.T) {
	e, loaded, rejected := Builtin()
	if e == nil || e.Len() == 0 || loaded == 0 {
		t.Fatalf("Builtin = %v rules of %d loaded, rejected %v", e, loaded, rejected)
	}
	if len(rejected) > loaded/2 {
		t.Errorf("%d of %d built-in rules rejected: %v", len(rejected), loaded, rejected)
	}
	t.Logf("%d loaded, %d compiled, %d rejected", loaded, e.Len(), len(rejected))
	// Only rules that need a site's own values (placeholders) may be left out.
	for _, err := range rejected {
		if !strings.Contains(err.Error(), "placeholder") {
			t.Errorf("built-in rule rejected: %v", err)
		}
	}
}
