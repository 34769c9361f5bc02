package incident

import (
	"context"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Activity is what alerts showed of one matrix technique over a period.
type Activity struct {
	Technique string `json:"technique"`
	// Alerts counts the alert rows; Raised counts every raising (with repeats).
	Alerts    int       `json:"alerts"`
	Raised    int       `json:"raised"`
	Incidents int       `json:"incidents"`
	Hosts     []string  `json:"hosts"`
	LastSeen  time.Time `json:"last_seen"`
	// MaxLevel is the highest rule level among the alerts.
	MaxLevel string `json:"max_level"`
}

// Activity returns, per technique, the alerts last seen in [from, to) that are not
// false positives.
func (s *Service) Activity(ctx context.Context, from, to time.Time) (map[string]*Activity, error) {
	var as []*store.Alert
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		as, err = store.All(func(p store.Page) ([]*store.Alert, error) {
			return tx.ListAlerts(store.AlertFilter{SeenFrom: from, SeenTo: to}, p)
		}, func(a *store.Alert) int64 { return a.ID })
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]*Activity{}
	incidents := map[string]map[int64]bool{}
	for _, a := range as {
		if a.Status == store.AlertFalsePositive {
			continue
		}
		for _, tech := range a.Techniques {
			act := out[tech]
			if act == nil {
				act = &Activity{Technique: tech, Hosts: []string{}}
				out[tech] = act
				incidents[tech] = map[int64]bool{}
			}
			act.Alerts++
			act.Raised += a.Count
			if a.LastSeen.After(act.LastSeen) {
				act.LastSeen = a.LastSeen
			}
			if levelRank(a.Level) > levelRank(act.MaxLevel) {
				act.MaxLevel = a.Level
			}
			if a.Host != "" && len(act.Hosts) < 20 && !slices.Contains(act.Hosts, a.Host) {
				act.Hosts = append(act.Hosts, a.Host)
			}
			if a.IncidentID != 0 && !incidents[tech][a.IncidentID] {
				incidents[tech][a.IncidentID] = true
				act.Incidents++
			}
		}
	}
	return out, nil
}
