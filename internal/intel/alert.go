package intel

import (
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
)

// Alerts turns the hits of one event into alerts, one per list in the order the lists
// were first hit: rule id "intel:<list>", title "Threat intelligence match: <list>", kind
// "intel", the highest level of the matched indicators (DefaultLevel for those without)
// and the union of their tags. Matched holds each matched field with the event's value,
// then threat.indicator.type, .description and .provider of the first matched indicator.
func Alerts(ev *event.Event, hits []Hit) []detect.Alert {
	var out []detect.Alert
	for i, h := range hits {
		list := h.Indicator.List
		done := false
		for _, g := range hits[:i] {
			done = done || g.Indicator.List == list
		}
		if done {
			continue
		}
		a := detect.Alert{Time: ev.Time, EventCount: 1, First: ev.Time, Last: ev.Time,
			Rule: detect.RuleRef{ID: "intel:" + list, Title: "Threat intelligence match: " + list, Kind: "intel", File: list, Tags: []string{}}}
		if ev.ID != "" {
			a.EventIDs = []string{ev.ID}
		}
		level := ""
		for _, g := range hits[i:] {
			ind := g.Indicator
			if ind.List != list {
				continue
			}
			if level == "" || rank(ind.Level) > rank(level) {
				level = ind.Level
				if level == "" {
					level = DefaultLevel
				}
			}
			for _, t := range ind.Tags {
				if !contains(a.Rule.Tags, t) {
					a.Rule.Tags = append(a.Rule.Tags, t)
				}
			}
			a.Matched = append(a.Matched, detect.MatchedField{Field: g.Field, Value: g.Value})
		}
		a.Rule.Level = level
		a.Matched = append(a.Matched, detect.MatchedField{Field: "threat.indicator.type", Value: h.Indicator.Type})
		if h.Indicator.Description != "" {
			a.Matched = append(a.Matched, detect.MatchedField{Field: "threat.indicator.description", Value: h.Indicator.Description})
		}
		if h.Indicator.Source != "" {
			a.Matched = append(a.Matched, detect.MatchedField{Field: "threat.indicator.provider", Value: h.Indicator.Source})
		}
		out = append(out, a)
	}
	return out
}
