package detect

import (
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/rules"
)

// Builtin compiles the rules built into the binary for live detection, with no
// placeholder values: a rule whose values need one (the expand modifier) cannot be
// resolved and is left out, as is a rule the engine cannot support. The engine runs
// the others; loaded is the number of rule documents read and rejected says why each
// left-out rule was.
func Builtin() (e *Engine, loaded int, rejected []error) {
	c, errs := sigma.LoadDir(rules.FS, ".")
	for _, err := range errs {
		rejected = append(rejected, err)
	}
	e, cerrs := Compile(c, Options{})
	rejected = append(rejected, cerrs...)
	return e, c.Documents, rejected
}
