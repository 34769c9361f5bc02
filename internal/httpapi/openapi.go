package httpapi

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
)

// OpenAPI builds the OpenAPI 3 document from the route table, so the document and the
// served routes cannot disagree. Schemas are derived from the Go request/response types.
func (a *API) OpenAPI() map[string]any {
	errSchema := map[string]any{"$ref": "#/components/schemas/Error"}
	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
	}
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Response))}}
		}
		responses := map[string]any{strconv.Itoa(status): ok}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"responses":   responses,
		}
		if rt.Public {
			op["security"] = []any{}
		} else {
			responses["401"] = errResp("Not signed in, or an unknown, expired or revoked token")
			desc := "Any signed-in caller."
			if rt.Perm != "" {
				desc = "Needs permission `" + string(rt.Perm) + "`."
				responses["403"] = errResp("The caller's role lacks the permission")
			}
			op["description"] = desc
			op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
			if rt.TokensOnly {
				desc += " Only for API tokens (an enrolled agent's own token), not browser sessions."
				responses["403"] = errResp("Called from a browser session, or with a token that is not an agent's")
				op["security"] = []any{map[string]any{"bearer": []any{}}}
			}
			if rt.UsersOnly {
				desc += " Only for signed-in users (browser sessions), not API tokens."
				responses["403"] = errResp("Called with an API token")
				op["security"] = []any{map[string]any{"session": []any{}}}
			}
			op["x-vigil-permission"] = string(rt.Perm)
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Request))}}}
			responses["400"] = errResp("Invalid request")
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"schema": map[string]any{"type": "integer", "format": "int64"}})
			responses["404"] = errResp("No such object")
		}
		if rt.Response != nil && strings.HasPrefix(reflect.TypeOf(rt.Response).String(), "httpapi.list[") {
			params = append(params,
				map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
				map[string]any{"name": "cursor", "in": "query", "schema": map[string]any{"type": "string"}, "description": "next_cursor of the previous page"})
		}
		if params != nil {
			op["parameters"] = params
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Vigil API", "version": a.cfg.Version,
			"description": "Security incident management for cloud servers. Errors are always {\"error\":{\"code\",\"message\"}}."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"security": []any{
			map[string]any{"bearer": []any{}},
			map[string]any{"session": []any{}},
		},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token (vgl_...)"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "vigil_session", "description": "Browser session; state changes also need the X-CSRF-Token header. Over TLS the cookie is __Host-vigil_session."},
			},
			"schemas": map[string]any{
				"Error": map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
					"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
						"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}}},
			},
		},
	}
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func operationID(rt *Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.Split(strings.TrimPrefix(rt.Path, "/api/v1/"), "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func (a *API) openAPI(w http.ResponseWriter, r *http.Request, _ *principal) error {
	writeJSON(w, http.StatusOK, a.OpenAPI())
	return nil
}

var (
	timeType       = reflect.TypeOf(time.Time{})
	permissionType = reflect.TypeOf(auth.Permission(""))
)

// schemaOf derives a JSON schema from a Go type, following encoding/json's rules for
// field names and omitempty.
func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == permissionType:
		var perms []string
		for _, p := range auth.AllPermissions() {
			perms = append(perms, string(p))
		}
		return map[string]any{"type": "string", "enum": perms}
	case t == reflect.TypeOf(rawJSON("")):
		return map[string]any{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object"}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" && f.Anonymous {
				// An embedded struct's fields are the outer object's, as encoding/json writes them.
				inner := schemaOf(f.Type)
				if p, ok := inner["properties"].(map[string]any); ok {
					for k, v := range p {
						props[k] = v
					}
					if r, ok := inner["required"].([]string); ok {
						required = append(required, r...)
					}
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}
