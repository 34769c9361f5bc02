package httpapi_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

var update = flag.Bool("update", false, "rewrite generated documents")

// docs/PERMISSIONS.md is generated from the role table and the route table; this test
// fails when they changed and the document was not regenerated (go test -update).
func TestPermissionDocIsCurrent(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("# Roles and permissions\n\n")
	b.WriteString("Generated from `internal/auth/roles.go` and the API route table by\n")
	b.WriteString("`go test ./internal/httpapi -run TestPermissionDocIsCurrent -update`; do not edit by hand.\n\n")
	b.WriteString("## Roles\n\n| role | what the person does |\n|---|---|\n")
	for _, r := range auth.Roles() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", r, auth.RoleDescription(r))
	}
	b.WriteString("\n## Permission matrix\n\n| permission |")
	for _, r := range auth.Roles() {
		fmt.Fprintf(&b, " %s |", r)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(auth.Roles())) + "\n")
	for _, p := range auth.AllPermissions() {
		fmt.Fprintf(&b, "| `%s` |", p)
		for _, r := range auth.Roles() {
			mark := ""
			if auth.Can(r, p) {
				mark = "✔"
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Routes\n\n\"signed in\" means any role; \"users only\" routes refuse API tokens; \"tokens only\" routes refuse browser sessions.\n\n")
	b.WriteString("| method | path | needs |\n|---|---|---|\n")
	for _, rt := range e.api.Routes() {
		need := "signed in"
		switch {
		case rt.Public:
			need = "public"
		case rt.Perm != "":
			need = "`" + string(rt.Perm) + "`"
		}
		if rt.UsersOnly {
			need += ", users only"
		}
		if rt.TokensOnly {
			need += ", tokens only"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", rt.Method, rt.Path, need)
	}
	b.WriteString("| GET | `/metrics` | `metrics:read` |\n")
	b.WriteString("| GET | `/healthz`, `/readyz` | public |\n")
	const path = "../../docs/PERMISSIONS.md"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Errorf("%s is stale: run go test ./internal/httpapi -run TestPermissionDocIsCurrent -update", path)
	}
}
