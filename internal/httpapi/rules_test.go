package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ruleset"
)

const uploadedRule = `title: Netcat Listener
id: 7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50
level: high
tags: [cs.ex-01]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains: 'nc -lvp'
  condition: selection
`

func TestRulesAPI(t *testing.T) {
	set, _, _ := ruleset.New(ruleset.Options{})
	e := newEnvIngest(t, ingest.Options{Detector: set})
	analyst, viewer := e.token(auth.RoleAnalyst), e.token(auth.RoleViewer)

	put := func(secret, name, body string) response {
		return e.do(nil, "PUT", "/api/v1/rules/custom/"+name, body, map[string]string{"Authorization": "Bearer " + secret})
	}
	if r := put(viewer, "nc.yml", uploadedRule); r.Status != http.StatusForbidden {
		t.Errorf("viewer upload = %d", r.Status)
	}
	r := put(analyst, "bad.yml", "title: x\nlogsource: {}\ndetection: {condition: nothing}\n")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "bad.yml:") {
		t.Errorf("bad upload = %d %s; want 422 with file:line reasons", r.Status, r.Body)
	}
	if r := put(analyst, "nc.yml", uploadedRule); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"loaded":1`) {
		t.Fatalf("upload = %d %s", r.Status, r.Body)
	}
	var rl struct {
		Items []struct {
			ID, Origin string
			Enabled    bool
		}
		Summary struct{ Events int }
	}
	res := e.bearer(viewer, "GET", "/api/v1/rules", nil)
	res.json(t, &rl)
	origins := map[string]string{}
	for _, x := range rl.Items {
		origins[x.ID] = x.Origin
	}
	if origins["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"] != "custom" || len(rl.Items) < 100 {
		t.Errorf("rules = %d items, uploaded origin %q", len(rl.Items), origins["7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50"])
	}
	// The matrix counts the uploaded rule under its technique.
	var mx struct {
		Tactics []struct {
			Techniques []struct {
				ID    string
				Rules []struct{ ID, Origin string }
			}
		}
	}
	e.bearer(viewer, "GET", "/api/v1/matrix", nil).json(t, &mx)
	counted := false
	for _, ta := range mx.Tactics {
		for _, te := range ta.Techniques {
			for _, r := range te.Rules {
				counted = counted || (te.ID == "CS-EX-01" && r.ID == "7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50" && r.Origin == "custom")
			}
		}
	}
	if !counted {
		t.Error("the matrix does not count the uploaded rule under CS-EX-01")
	}
	if r := e.bearer(analyst, "PATCH", "/api/v1/rules/7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50", map[string]any{"enabled": false}); r.Status != http.StatusNoContent {
		t.Errorf("disable = %d %s", r.Status, r.Body)
	}
	if r := e.bearer(analyst, "PATCH", "/api/v1/rules/nope", map[string]any{"enabled": false}); r.Status != http.StatusNotFound {
		t.Errorf("disable unknown = %d", r.Status)
	}
	res = e.bearer(viewer, "GET", "/api/v1/rules", nil)
	res.json(t, &rl)
	for _, x := range rl.Items {
		if x.ID == "7a1e3b9c-2d4f-4c6a-8b1e-0f9d8c7b6a50" && x.Enabled {
			t.Error("the disabled rule is listed as enabled")
		}
	}
	var files struct{ Items []struct{ Name string } }
	e.bearer(viewer, "GET", "/api/v1/rules/custom", nil).json(t, &files)
	if len(files.Items) != 1 || files.Items[0].Name != "nc.yml" {
		t.Errorf("custom files = %+v", files)
	}
	if r := e.bearer(analyst, "DELETE", "/api/v1/rules/custom/nc.yml", nil); r.Status != http.StatusNoContent {
		t.Errorf("delete = %d", r.Status)
	}
	if r := e.bearer(analyst, "DELETE", "/api/v1/rules/custom/nc.yml", nil); r.Status != http.StatusNotFound {
		t.Errorf("delete again = %d", r.Status)
	}
}
