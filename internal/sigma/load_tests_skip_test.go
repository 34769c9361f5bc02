package sigma_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/sigma"
)

// A directory of rules with their test events beside them (NAME.tests.yml) loads the
// rules only.
func TestLoadPathsSkipsTestFiles(t *testing.T) {
	dir := t.TempDir()
	rule := `title: A rule
id: 5f4c1d6e-8a3b-4c2d-9e1f-0a1b2c3d4e5f
logsource: {product: linux, service: sshd}
detection:
  sel: {event.action: ssh_login}
  condition: sel
`
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte(rule), 0o644)
	os.WriteFile(filepath.Join(dir, "a.tests.yml"), []byte("positive: []\nnegative: []\n"), 0o644)
	c, errs := sigma.LoadPaths(dir)
	if len(errs) != 0 || len(c.Rules) != 1 {
		t.Fatalf("rules %d, errors %v", len(c.Rules), errs)
	}
}
