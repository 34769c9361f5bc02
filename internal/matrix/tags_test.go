package matrix

import (
	"regexp"
	"strings"
	"testing"
)

func TestTagFor(t *testing.T) {
	for in, want := range map[string]string{
		"CS-IA-01": "cs.ia-01",
		"CS-IM-07": "cs.im-07",
		"cs-ia-01": "",
		"CS-IA-1":  "",
		"":         "",
	} {
		if got := TagFor(in); got != want {
			t.Errorf("TagFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTag(t *testing.T) {
	for _, tc := range []struct {
		tag, id string
		ok      bool
	}{
		{"cs.ia-01", "CS-IA-01", true},
		{"cs.lm-03", "CS-LM-03", true},
		{"cs.IA-01", "", false},
		{"cs.ia-1", "", false},
		{"cs.ia01", "", false},
		{"cs.ia-01.x", "", false},
		{"attack.t1078.004", "", false},
		{"vigil.cs-ia-01", "", false},
		{"cs", "", false},
	} {
		id, ok := ParseTag(tc.tag)
		if id != tc.id || ok != tc.ok {
			t.Errorf("ParseTag(%q) = %q, %v; want %q, %v", tc.tag, id, ok, tc.id, tc.ok)
		}
	}
}

// TestTagsRoundTrip checks every technique's tag: it parses back to the technique
// and fits the Sigma tag syntax (namespace.name, lower case).
func TestTagsRoundTrip(t *testing.T) {
	sigmaTag := regexp.MustCompile(`^[a-z0-9_-]+\.[a-z0-9._-]+$`)
	c := mustLoad(t)
	for _, tq := range c.Techniques() {
		tag := tq.Tag()
		if !sigmaTag.MatchString(tag) {
			t.Errorf("%s: tag %q is not valid Sigma tag syntax", tq.ID, tag)
		}
		if id, ok := ParseTag(tag); !ok || id != tq.ID {
			t.Errorf("%s: ParseTag(%q) = %q, %v", tq.ID, tag, id, ok)
		}
	}
}

func TestValidateRuleTags(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		tags []string
		errs []string
	}{
		{nil, nil},
		{[]string{"attack.initial-access", "attack.t1078.004", "cs.ia-01", "cs.lm-03"}, nil},
		{[]string{"tlp.clear", "detection.threat-hunting"}, nil},
		{[]string{"cs.ia-99"}, []string{`tag "cs.ia-99" names CS-IA-99, which is not a technique`}},
		{[]string{"cs.xx-01"}, []string{"CS-XX-01"}},
		{[]string{"cs.IA-01"}, []string{`tag "cs.IA-01" is not a matrix technique tag`}},
		{[]string{"CS.ia-01"}, []string{`tag "CS.ia-01" is not a matrix technique tag`}},
		{[]string{"cs.initial-access", "cs.ia-01", "cs.pr-09"}, []string{`"cs.initial-access"`, `"cs.pr-09"`}},
	} {
		err := c.ValidateRuleTags(tc.tags)
		if len(tc.errs) == 0 {
			if err != nil {
				t.Errorf("ValidateRuleTags(%v) = %v", tc.tags, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateRuleTags(%v) = nil, want %v", tc.tags, tc.errs)
			continue
		}
		for _, want := range tc.errs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ValidateRuleTags(%v) = %v, want %q", tc.tags, err, want)
			}
		}
	}
}

func TestTechniquesForTags(t *testing.T) {
	c := mustLoad(t)
	got := c.TechniquesForTags([]string{"attack.t1110", "cs.lm-01", "cs.ia-03", "cs.lm-01", "cs.ia-99"})
	if len(got) != 2 || got[0].ID != "CS-LM-01" || got[1].ID != "CS-IA-03" {
		var ids []string
		for _, t := range got {
			ids = append(ids, t.ID)
		}
		t.Errorf("TechniquesForTags = %v, want [CS-LM-01 CS-IA-03]", ids)
	}
}
