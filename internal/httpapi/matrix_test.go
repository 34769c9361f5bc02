package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

func TestMatrixRoutes(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleViewer)

	res := e.bearer(tok, "GET", "/api/v1/matrix", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/matrix: %d %s", res.Status, res.Body)
	}
	var rep struct {
		Tactics []struct {
			ID         string `json:"id"`
			Techniques []struct {
				ID        string `json:"id"`
				Name      struct{ Zh, En string }
				Response  []struct{ Phase string }
				RuleCount int `json:"rule_count"`
				Rules     []struct{ ID, Title, Tests string }
				Tests     string `json:"tests"`
			} `json:"techniques"`
		} `json:"tactics"`
		BestPractices []struct{ ID string } `json:"best_practices"`
		Summary       struct{ Techniques, Covered, Rules int }
	}
	res.json(t, &rep)
	if len(rep.Tactics) == 0 || rep.Tactics[0].ID != "IA" {
		t.Fatalf("tactics: %+v", rep.Tactics)
	}
	ia01 := rep.Tactics[0].Techniques[0]
	if ia01.ID != "CS-IA-01" || ia01.Name.Zh == "" || ia01.Name.En == "" || len(ia01.Response) == 0 {
		t.Errorf("first technique: %+v", ia01)
	}
	if ia01.RuleCount == 0 || len(ia01.Rules) != ia01.RuleCount || ia01.Rules[0].Title == "" {
		t.Errorf("CS-IA-01 rules: %d %+v", ia01.RuleCount, ia01.Rules)
	}
	// The built-in rules' tests run once when the matrix is first asked for.
	if ia01.Tests != "pass" || ia01.Rules[0].Tests != "pass" {
		t.Errorf("tests: %q %q, want pass", ia01.Tests, ia01.Rules[0].Tests)
	}
	if len(rep.BestPractices) == 0 || rep.Summary.Rules == 0 || rep.Summary.Covered == 0 {
		t.Errorf("best practices %d, summary %+v", len(rep.BestPractices), rep.Summary)
	}

	res = e.bearer(tok, "GET", "/api/v1/matrix/navigator", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/matrix/navigator: %d %s", res.Status, res.Body)
	}
	var layer struct {
		Domain     string
		Versions   struct{ Layer string }
		Techniques []struct {
			TechniqueID string
			Score       int
		}
	}
	res.json(t, &layer)
	if layer.Domain != "enterprise-attack" || layer.Versions.Layer != "4.5" || len(layer.Techniques) == 0 {
		t.Errorf("layer: %+v", layer)
	}
	for _, lt := range layer.Techniques {
		if !strings.HasPrefix(lt.TechniqueID, "T") {
			t.Errorf("technique id %q", lt.TechniqueID)
		}
	}

	// A machine that only sends logs has no use for the matrix.
	if res := e.bearer(e.token(auth.RoleIngest), "GET", "/api/v1/matrix", nil); res.Status != http.StatusForbidden {
		t.Errorf("ingest token: %d, want 403", res.Status)
	}
}
