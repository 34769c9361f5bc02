// Package rules carries Vigil's own Sigma rules, and their test files, in the
// binary, so that commands and the server can use them without a rules directory on
// disk. The files are laid out as in the source tree: one directory per tactic,
// each rule NAME.yml beside its tests NAME.tests.yml (see docs/RULES.md).
package rules

import "embed"

// FS holds every *.yml file under rules/, at paths relative to rules/
// (initial-access/NAME.yml).
//
//go:embed */*.yml
var FS embed.FS
