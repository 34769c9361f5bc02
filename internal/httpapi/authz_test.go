package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vigilsec/vigil/internal/auth"
)

// Every route: 401 without credentials (the OpenAPI document excepted), 403 for every role
// that lacks its permission, and neither for a role that has it — checked with an API
// token and with a browser session of each role.
func TestEveryRouteIsAuthorized(t *testing.T) {
	e := newEnv(t)
	tokens := map[string]string{}
	browsers := map[string]*browser{}
	for _, role := range auth.Roles() {
		tokens[role] = e.token(role)
		e.user("u-"+role, role)
		browsers[role] = e.browser()
		if res := browsers[role].login("u-"+role, strongPW); res.Status != http.StatusOK {
			t.Fatalf("login %s: %d %s", role, res.Status, res.Body)
		}
	}
	routes := e.api.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, rt := range routes {
		// A missing object: the checks must come before the handler looks anything up.
		path := strings.ReplaceAll(rt.Path, "{id}", "999")
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			res := e.do(nil, rt.Method, path, nil, nil)
			if rt.Public {
				if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden {
					t.Errorf("public route answered %d", res.Status)
				}
				return
			}
			if res.Status != http.StatusUnauthorized || res.errCode() != "unauthorized" {
				t.Errorf("no credentials: %d %s, want 401 unauthorized", res.Status, res.Body)
			}
			if res := e.bearer("vgl_forged", rt.Method, path, nil); res.Status != http.StatusUnauthorized {
				t.Errorf("forged token: %d, want 401", res.Status)
			}
			for _, role := range auth.Roles() {
				allowed := rt.Perm == "" || auth.Can(role, rt.Perm)
				check := func(how string, res response, allowed bool) {
					denied := res.Status == http.StatusForbidden && res.errCode() == "forbidden"
					if allowed && (res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden) {
						t.Errorf("%s of role %s, which may: %d %s", how, role, res.Status, res.Body)
					}
					if !allowed && !denied {
						t.Errorf("%s of role %s, which may not: %d %s, want 403 forbidden", how, role, res.Status, res.Body)
					}
				}
				check("token", e.bearer(tokens[role], rt.Method, path, nil), allowed && !rt.UsersOnly)
				check("session", browsers[role].call(rt.Method, path, nil), allowed && !rt.TokensOnly)
			}
		})
	}
	// Unknown API paths do not reveal themselves without credentials either.
	if res := e.do(nil, "GET", "/api/v1/no-such-thing", nil, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("unknown API path without credentials: %d", res.Status)
	}
	if res := e.bearer(tokens[auth.RoleViewer], "GET", "/api/v1/no-such-thing", nil); res.Status != http.StatusNotFound || res.errCode() != "not_found" {
		t.Errorf("unknown API path with credentials: %d %s", res.Status, res.Body)
	}
}

// Every permission guards at least one route or endpoint, and every role lacks at least
// one permission but the admin: otherwise the matrix has dead entries.
func TestPermissionsAreUsed(t *testing.T) {
	e := newEnv(t)
	used := []auth.Permission{auth.PermMetricsRead}
	for _, rt := range e.api.Routes() {
		used = append(used, rt.Perm)
	}
	for _, p := range auth.AllPermissions() {
		if !slices.Contains(used, p) {
			t.Errorf("permission %s guards nothing", p)
		}
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	res := e.do(nil, "GET", "/api/v1/openapi.json", nil, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("openapi.json: %d", res.Status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	var inDoc, registered []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			inDoc = append(inDoc, method+" "+path)
			if op.Security == nil {
				t.Errorf("%s %s: no security requirement stated", method, path)
			}
		}
	}
	for _, rt := range e.api.Routes() {
		registered = append(registered, rt.Method+" "+rt.Path)
		op := doc.Paths.Find(rt.Path).GetOperation(rt.Method)
		if rt.Public != (len(*op.Security) == 0) {
			t.Errorf("%s %s: public=%v but document security %v", rt.Method, rt.Path, rt.Public, *op.Security)
		}
		if !rt.Public && op.Responses.Status(401) == nil {
			t.Errorf("%s %s: 401 response not documented", rt.Method, rt.Path)
		}
		if rt.Perm != "" && op.Responses.Status(403) == nil {
			t.Errorf("%s %s: 403 response not documented", rt.Method, rt.Path)
		}
	}
	slices.Sort(inDoc)
	slices.Sort(registered)
	if !slices.Equal(inDoc, registered) {
		t.Errorf("document and routes differ:\n doc: %v\n reg: %v", inDoc, registered)
	}
}
