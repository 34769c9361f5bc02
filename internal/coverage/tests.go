package coverage

import (
	"fmt"
	"os"

	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/rulestest"
	"github.com/vigilsec/vigil/rules"
)

// TestStatuses runs the test cases of the rules in dir through the detection engine and
// returns each rule's status: pass when all its cases behave, fail otherwise.
func TestStatuses(dir string) (map[string]TestStatus, error) {
	results, err := rulestest.Run(dir, nil)
	if err != nil {
		return nil, err
	}
	status := map[string]TestStatus{}
	for _, r := range results {
		for _, id := range r.RuleIDs {
			switch {
			case !r.Passed():
				status[id] = TestFail
			case status[id] != TestFail:
				status[id] = TestPass
			}
		}
	}
	return status, nil
}

// ForDir computes the coverage of the rules in dir, with their test results.
func ForDir(dir string) (*Report, error) {
	cat, err := matrix.Load()
	if err != nil {
		return nil, err
	}
	rs, err := LoadFS(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	status, err := TestStatuses(dir)
	if err != nil {
		return nil, err
	}
	return Compute(cat, rs, status), nil
}

// Builtin computes the coverage of the rules built into the binary, with their test
// results (the files are unpacked to a temporary directory for the test runner).
func Builtin() (*Report, error) {
	dir, cleanup, err := UnpackBuiltin()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return ForDir(dir)
}

// UnpackBuiltin writes the built-in rules and their tests to a new temporary directory.
func UnpackBuiltin() (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "vigil-rules-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.CopyFS(dir, rules.FS); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("unpack the built-in rules: %w", err)
	}
	return dir, cleanup, nil
}
