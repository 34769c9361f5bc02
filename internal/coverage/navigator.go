package coverage

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The versions a Navigator layer declares: the layer file format, the Navigator
// release that reads it and the ATT&CK release whose technique ids the catalog uses.
const (
	LayerFormatVersion = "4.5"
	NavigatorVersion   = "5.1.0"
	AttackVersion      = "16"
	// LayerDomain is the ATT&CK domain of the layer.
	LayerDomain = "enterprise-attack"
)

// Layer is a MITRE ATT&CK Navigator layer (format 4.5), the subset Vigil writes.
type Layer struct {
	Name        string           `json:"name"`
	Versions    LayerVersions    `json:"versions"`
	Domain      string           `json:"domain"`
	Description string           `json:"description"`
	Techniques  []LayerTechnique `json:"techniques"`
	Gradient    Gradient         `json:"gradient"`
	LegendItems []LegendItem     `json:"legendItems"`
	// HideDisabled and Sorting keep the view on the techniques the layer scores.
	HideDisabled bool `json:"hideDisabled"`
	Sorting      int  `json:"sorting"`
}

// LayerVersions are the versions a layer declares.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerTechnique scores one ATT&CK technique.
type LayerTechnique struct {
	TechniqueID string     `json:"techniqueID"`
	Score       int        `json:"score"`
	Color       string     `json:"color"`
	Comment     string     `json:"comment"`
	Enabled     bool       `json:"enabled"`
	Metadata    []Metadata `json:"metadata"`
}

// Metadata is a name and value shown with a technique.
type Metadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Gradient colors the scores from MinValue to MaxValue.
type Gradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// LegendItem explains a color.
type LegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// The colors of coverage: no rule, one rule, two rules or more.
const (
	ColorNone = "#f4a6a6"
	ColorOne  = "#ffe08a"
	ColorMany = "#8fd18f"
)

func coverageColor(n int) string {
	switch {
	case n <= 0:
		return ColorNone
	case n == 1:
		return ColorOne
	}
	return ColorMany
}

// Navigator returns the report as a Navigator layer: every ATT&CK technique that a
// technique of the catalog maps to, scored by the number of distinct rules that
// cover those techniques. The comment and the metadata name the catalog's
// techniques and the rules.
func (r *Report) Navigator(name string) *Layer {
	type entry struct {
		techniques []string          // catalog technique ids
		rules      map[string]string // rule id → title
	}
	byAttack := map[string]*entry{}
	for _, ta := range r.Tactics {
		for _, te := range ta.Techniques {
			for _, id := range te.Attack {
				e := byAttack[id]
				if e == nil {
					e = &entry{rules: map[string]string{}}
					byAttack[id] = e
				}
				e.techniques = append(e.techniques, te.ID+" "+te.Name.En)
				for _, ru := range te.Rules {
					e.rules[ru.ID] = ru.Title
				}
			}
		}
	}
	l := &Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: AttackVersion, Navigator: NavigatorVersion, Layer: LayerFormatVersion},
		Domain:      LayerDomain,
		Description: "Coverage of the ATT&CK techniques that the cloud-server attack matrix maps to, by Vigil's Sigma rules: the score is the number of rules.",
		Techniques:  []LayerTechnique{},
		Gradient:    Gradient{Colors: []string{ColorNone, ColorOne, ColorMany}, MinValue: 0, MaxValue: 2},
		LegendItems: []LegendItem{
			{Label: "no rule", Color: ColorNone},
			{Label: "1 rule", Color: ColorOne},
			{Label: "2 rules or more", Color: ColorMany},
		},
	}
	for _, id := range slices.Sorted(maps.Keys(byAttack)) {
		e := byAttack[id]
		titles := make([]string, 0, len(e.rules))
		for _, t := range e.rules {
			titles = append(titles, t)
		}
		slices.Sort(titles)
		meta := []Metadata{}
		for _, t := range e.techniques {
			meta = append(meta, Metadata{Name: "matrix technique", Value: t})
		}
		for _, t := range titles {
			meta = append(meta, Metadata{Name: "rule", Value: t})
		}
		n := len(e.rules)
		l.Techniques = append(l.Techniques, LayerTechnique{
			TechniqueID: id,
			Score:       n,
			Color:       coverageColor(n),
			Comment:     fmt.Sprintf("%s: %d rule(s)", strings.Join(e.techniques, "; "), n),
			Enabled:     true,
			Metadata:    meta,
		})
	}
	return l
}

// The colors of activity: none, some, many alerts.
const (
	ColorQuiet  = "#ffffff"
	ColorActive = "#ffb366"
	ColorHot    = "#e8423f"
)

// ActivityNavigator returns a Navigator layer of alert activity: every ATT&CK technique
// that a technique of the catalog maps to, scored by the alerts raised for those
// techniques (raised maps catalog technique ids to counts). Techniques without alerts
// are left out.
func (r *Report) ActivityNavigator(name, period string, raised map[string]int) *Layer {
	type entry struct {
		techniques []string
		n          int
	}
	byAttack := map[string]*entry{}
	for _, ta := range r.Tactics {
		for _, te := range ta.Techniques {
			n := raised[te.ID]
			if n == 0 {
				continue
			}
			for _, id := range te.Attack {
				e := byAttack[id]
				if e == nil {
					e = &entry{}
					byAttack[id] = e
				}
				e.techniques = append(e.techniques, fmt.Sprintf("%s %s: %d", te.ID, te.Name.En, n))
				e.n += n
			}
		}
	}
	maxN := 1
	for _, e := range byAttack {
		maxN = max(maxN, e.n)
	}
	l := &Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: AttackVersion, Navigator: NavigatorVersion, Layer: LayerFormatVersion},
		Domain:      LayerDomain,
		Description: "Alerts raised by Vigil " + period + " on the ATT&CK techniques that the cloud-server attack matrix maps to: the score is the number of alerts.",
		Techniques:  []LayerTechnique{},
		Gradient:    Gradient{Colors: []string{ColorQuiet, ColorActive, ColorHot}, MinValue: 0, MaxValue: maxN},
		LegendItems: []LegendItem{
			{Label: "no alert", Color: ColorQuiet},
			{Label: "alerts", Color: ColorActive},
			{Label: "the most alerts", Color: ColorHot},
		},
	}
	for _, id := range slices.Sorted(maps.Keys(byAttack)) {
		e := byAttack[id]
		meta := []Metadata{}
		for _, t := range e.techniques {
			meta = append(meta, Metadata{Name: "matrix technique", Value: t})
		}
		color := ColorActive
		if e.n*2 > maxN {
			color = ColorHot
		}
		l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: id, Score: e.n, Color: color,
			Comment: fmt.Sprintf("%d alert(s): %s", e.n, strings.Join(e.techniques, "; ")), Enabled: true, Metadata: meta})
	}
	return l
}
