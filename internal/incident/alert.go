package incident

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/store"
)

// entityFields maps event fields (normalized names, and the group-by names rules use)
// to the kind of entity they hold.
var entityFields = []struct{ field, kind string }{
	{"host.name", "host"},
	{"user.name", "user"},
	{"user.target.name", "user"},
	{"source.ip", "ip"},
	{"user.access_key.id", "key"},
	{"user.roles", "role"},
}

// newAlert builds the stored alert of one raising: its techniques, entities and the
// deduplication key.
func (s *Service) newAlert(r ingest.Raised, now time.Time) *store.Alert {
	da := r.Alert
	a := &store.Alert{
		RuleID: da.Rule.ID, RuleTitle: da.Rule.Title, Level: cmp.Or(da.Rule.Level, "medium"), Kind: da.Rule.Kind,
		Tags: nonNil(da.Rule.Tags), GroupKey: da.GroupKey, Count: 1,
		FirstEvent: cmp.Or(da.First, da.Time), LastEvent: cmp.Or(da.Last, da.Time),
		FirstSeen: now, LastSeen: now, Status: store.AlertOpen,
	}
	a.EventIDs = nonNil(slices.Clone(da.EventIDs[:min(len(da.EventIDs), s.cfg.MaxEventIDs)]))
	a.Doc, _ = da.MarshalJSON()
	for _, t := range s.cat.TechniquesForTags(da.Rule.Tags) {
		a.Techniques = append(a.Techniques, t.ID)
		a.Tactics = append(a.Tactics, t.Tactic)
	}
	a.Techniques = nonNil(a.Techniques)
	a.Tactics = s.orderTactics(a.Tactics)
	a.Entities = entitiesOf(r.Event, da)
	for _, e := range a.Entities {
		if e.Kind == "host" {
			a.Host = e.Value
			break
		}
	}
	a.Key = dedupKey(a)
	return a
}

// entitiesOf collects the entities of the event that completed an alert and of the
// alert's group. Users of a host are scoped to the host and users of a cloud account
// to the account ("root@web-1"), since the same name elsewhere is someone else.
func entitiesOf(ev *event.Event, a detect.Alert) []store.Entity {
	values := map[string][]string{}
	get := func(field string) []string {
		var out []string
		if ev != nil {
			if v, ok := ev.Get(field); ok {
				out = append(out, valueStrings(v)...)
			}
		}
		for _, g := range a.Group {
			if g.Field == field {
				out = append(out, valueStrings(g.Value)...)
			}
		}
		return out
	}
	for _, f := range entityFields {
		values[f.kind] = append(values[f.kind], get(f.field)...)
	}
	scope := ""
	if hosts := values["host"]; len(hosts) > 0 {
		scope = hosts[0]
	} else if ev != nil {
		scope = ev.GetString("cloud.account.id")
	}
	var out []store.Entity
	add := func(kind, v string) {
		v = strings.TrimSpace(v)
		if v == "" || v == "-" {
			return
		}
		e := store.Entity{Kind: kind, Value: v}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	for _, f := range entityFields {
		for _, v := range values[f.kind] {
			switch f.kind {
			case "user":
				if scope != "" && !strings.Contains(v, "@") {
					v += "@" + scope
				}
			case "ip":
				addr, err := netip.ParseAddr(v)
				if err != nil {
					continue
				}
				v = addr.Unmap().String()
			}
			add(f.kind, v)
		}
	}
	return nonNilEntities(out)
}

func valueStrings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, y := range x {
			out = append(out, valueStrings(y)...)
		}
		return out
	case []string:
		return x
	default:
		return []string{event.String(v)}
	}
}

// groupingEntities are the entities that tie alerts into one incident. Loopback and
// unspecified addresses tie nothing together.
func groupingEntities(es []store.Entity) []store.Entity {
	var out []store.Entity
	for _, e := range es {
		if e.Kind == "ip" {
			if addr, err := netip.ParseAddr(e.Value); err == nil && (addr.IsLoopback() || addr.IsUnspecified()) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// dedupKey identifies "the same rule and group": a correlation's group key, or for a
// detection rule the entities it is about.
func dedupKey(a *store.Alert) string {
	group := a.GroupKey
	if group == "" {
		parts := make([]string, 0, len(a.Entities))
		for _, e := range a.Entities {
			parts = append(parts, e.Kind+"="+e.Value)
		}
		slices.Sort(parts)
		group = strings.Join(parts, ",")
	}
	return a.RuleID + "|" + group
}

// entitySuffix names an incident after its first alert's host or source.
func entitySuffix(es []store.Entity) string {
	for _, kind := range []string{"host", "ip", "user", "key"} {
		for _, e := range es {
			if e.Kind == kind {
				return " on " + e.Value
			}
		}
	}
	return ""
}

// levelRank orders Sigma rule levels; -1 for an unknown level.
func levelRank(level string) int {
	return slices.Index([]string{"informational", "low", "medium", "high", "critical"}, level)
}

// severityRank orders incident severities; -1 for an unknown one.
func severityRank(sev string) int {
	return slices.Index(Severities(), sev)
}

// Severities returns the incident severities, lowest first.
func Severities() []string { return []string{"low", "medium", "high", "critical"} }

// orderTactics sorts tactic codes along the matrix (initial access first) without
// repeats.
func (s *Service) orderTactics(codes []string) []string {
	out := []string{}
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(s.tacticOrder(a), s.tacticOrder(b)) })
	return out
}

func (s *Service) tacticOrder(code string) int {
	if t, ok := s.cat.Tactic(code); ok {
		return t.Order
	}
	return 1 << 20
}

// alertTacticOrder places an alert in the attack path: by the earliest tactic its
// techniques belong to.
func (s *Service) alertTacticOrder(a *store.Alert) int {
	if len(a.Tactics) == 0 {
		return 1 << 20
	}
	return s.tacticOrder(a.Tactics[0])
}

// SortAlongTactics orders an incident's alerts along the attack path: by tactic, then
// by the time of their first event.
func (s *Service) SortAlongTactics(as []*store.Alert) {
	slices.SortStableFunc(as, func(a, b *store.Alert) int {
		if c := cmp.Compare(s.alertTacticOrder(a), s.alertTacticOrder(b)); c != 0 {
			return c
		}
		return a.FirstEvent.Compare(b.FirstEvent)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilEntities(s []store.Entity) []store.Entity {
	if s == nil {
		return []store.Entity{}
	}
	return s
}

func docJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}
