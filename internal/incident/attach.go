package incident

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/store"
)

// attach adds alerts to an incident: entities, techniques and tactics, counts, tasks
// from the new techniques' checklists, severity and SLA due times.
func (s *Service) attach(tx store.Tx, in *store.Incident, as []*store.Alert, actor string, now time.Time) ([]Message, error) {
	before := in.Severity
	var newTechniques []string
	for _, a := range as {
		if a.IncidentID == in.ID {
			continue
		}
		a.IncidentID = in.ID
		if err := tx.UpdateAlert(a); err != nil {
			return nil, err
		}
		in.AlertCount++
		for _, e := range a.Entities {
			if !slices.Contains(in.Entities, e) {
				in.Entities = append(in.Entities, e)
			}
		}
		for _, t := range a.Techniques {
			if !slices.Contains(in.Techniques, t) {
				in.Techniques = append(in.Techniques, t)
				newTechniques = append(newTechniques, t)
			}
		}
		in.Tactics = s.orderTactics(append(in.Tactics, a.Tactics...))
		if in.FirstEvent.IsZero() || a.FirstEvent.Before(in.FirstEvent) {
			in.FirstEvent = a.FirstEvent
		}
		if in.FirstAlert.IsZero() || a.FirstSeen.Before(in.FirstAlert) {
			in.FirstAlert = a.FirstSeen
		}
		if err := s.timeline(tx, in.ID, now, actor, "alert", fmt.Sprintf("Alert %d: %s", a.ID, a.RuleTitle),
			map[string]any{"alert": a.ID, "rule": a.RuleID, "level": a.Level, "techniques": a.Techniques}); err != nil {
			return nil, err
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "incident.alert_add", Target: target(in.ID),
			After: map[string]any{"alert": a.ID, "rule": a.RuleID}}); err != nil {
			return nil, err
		}
	}
	in.Entities = nonNilEntities(in.Entities)
	in.Techniques = nonNil(in.Techniques)
	if in.LastActivity.Before(now) {
		in.LastActivity = now
	}
	in.UpdatedAt = now
	ackDue, containDue := in.AckDue, in.ContainDue
	if err := s.rate(tx, in, now); err != nil {
		return nil, err
	}
	if err := s.moveTaskDues(tx, in, ackDue, containDue, now); err != nil {
		return nil, err
	}
	if err := s.addChecklistTasks(tx, in, newTechniques, now); err != nil {
		return nil, err
	}
	if err := tx.UpdateIncident(in); err != nil {
		return nil, err
	}
	if severityRank(in.Severity) > severityRank(before) && before != "" {
		if err := s.timeline(tx, in.ID, now, actor, "severity", "Severity "+before+" → "+in.Severity,
			map[string]any{"from": before, "to": in.Severity, "manual": false}); err != nil {
			return nil, err
		}
		return []Message{{Kind: "incident.escalated", Incident: *in, Text: "Incident escalated to " + in.Severity + ": " + in.Title}}, nil
	}
	return nil, nil
}

// addChecklistTasks creates the tasks of the response checklists of techniques new to
// the incident. Confirmation steps are due when acknowledging is, containment steps
// when containment is (the SLA); the later phases have no due time until people set one.
func (s *Service) addChecklistTasks(tx store.Tx, in *store.Incident, techniques []string, now time.Time) error {
	for _, id := range techniques {
		t, ok := s.cat.Technique(id)
		if !ok {
			continue
		}
		for _, step := range t.Response {
			task := &store.Task{IncidentID: in.ID, Technique: id, Phase: string(step.Phase), Action: string(step.Action),
				Title: step.En, TitleZh: step.Zh, Status: store.TaskOpen, CreatedAt: now, UpdatedAt: now}
			switch step.Phase {
			case matrix.PhaseConfirm:
				task.Due = in.AckDue
			case matrix.PhaseContain:
				task.Due = in.ContainDue
			}
			if err := tx.CreateTask(task); err != nil {
				return err
			}
		}
	}
	return nil
}

// moveTaskDues brings the open tasks that were due at the old SLA due times (and so
// not set by people) to the new ones.
func (s *Service) moveTaskDues(tx store.Tx, in *store.Incident, ackDue, containDue time.Time, now time.Time) error {
	if in.AckDue.Equal(ackDue) && in.ContainDue.Equal(containDue) {
		return nil
	}
	tasks, err := tx.ListTasks(in.ID)
	if err != nil {
		return err
	}
	for _, k := range tasks {
		if k.Status != store.TaskOpen || k.Due.IsZero() {
			continue
		}
		due := k.Due
		switch {
		case k.Due.Equal(ackDue):
			due = in.AckDue
		case k.Due.Equal(containDue):
			due = in.ContainDue
		}
		if !due.Equal(k.Due) {
			k.Due, k.UpdatedAt = due, now
			if err := tx.UpdateTask(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// rate sets the incident's severity from its alerts' levels, the furthest tactic it
// reached and the criticality of its hosts, and its SLA due times. Severity only rises
// on its own; people may set it by hand (SetSeverity).
func (s *Service) rate(tx store.Tx, in *store.Incident, now time.Time) error {
	as, err := tx.ListAlerts(store.AlertFilter{IncidentID: in.ID}, store.Page{Limit: 10000})
	if err != nil {
		return err
	}
	rank := 0
	for _, a := range as {
		if a.Status == store.AlertFalsePositive {
			continue
		}
		// Levels informational and low both make a low incident.
		rank = max(rank, levelRank(a.Level)-1)
	}
	// An attack that got past initial access and execution (persistence or beyond)
	// is one step more severe.
	if len(in.Tactics) > 0 && s.tacticOrder(in.Tactics[len(in.Tactics)-1]) >= 3 {
		rank++
	}
	crit, groups, err := s.hostAssets(tx, in)
	if err != nil {
		return err
	}
	in.Criticality, in.HostGroups = crit, groups
	switch crit {
	case "high":
		rank++
	case "critical":
		rank += 2
	}
	sevs := Severities()
	sev := sevs[min(max(rank, 0), len(sevs)-1)]
	if severityRank(sev) > severityRank(in.Severity) {
		in.Severity = sev
	}
	s.setDue(in)
	return nil
}

// setDue sets the SLA due times from the severity, counted from creation; a rise in
// severity can only bring them closer.
func (s *Service) setDue(in *store.Incident) {
	sla, ok := s.cfg.SLA[in.Severity]
	if !ok {
		return
	}
	ack, contain := in.CreatedAt.Add(sla.Acknowledge), in.CreatedAt.Add(sla.Contain)
	if in.AckDue.IsZero() || ack.Before(in.AckDue) {
		in.AckDue = ack
	}
	if in.ContainDue.IsZero() || contain.Before(in.ContainDue) {
		in.ContainDue = contain
	}
}

// hostAssets returns the highest criticality of the incident's hosts and their groups.
func (s *Service) hostAssets(tx store.Tx, in *store.Incident) (string, []string, error) {
	crit, groups := "", []string{}
	for _, e := range in.Entities {
		if e.Kind != "host" {
			continue
		}
		a, err := tx.GetAsset(e.Value)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if severityRank(a.Criticality) > severityRank(crit) {
			crit = a.Criticality
		}
		for _, g := range a.Groups {
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	return crit, groups, nil
}

// AttackPath is the incident's progress along the matrix: each tactic reached with its
// techniques and when it was first seen.
type AttackPath []PathStep

// PathStep is one tactic of an attack path.
type PathStep struct {
	Tactic     string    `json:"tactic"`
	Name       string    `json:"name"`
	NameZh     string    `json:"name_zh"`
	Techniques []string  `json:"techniques"`
	First      time.Time `json:"first"`
	Alerts     []int64   `json:"alerts"`
}

// Path builds the attack path of alerts (already sorted along the tactics).
func (s *Service) Path(as []*store.Alert) AttackPath {
	path := AttackPath{}
	idx := map[string]int{}
	for _, a := range as {
		if a.Status == store.AlertFalsePositive {
			continue
		}
		for i, tech := range a.Techniques {
			code := a.Tactics[0]
			if t, ok := s.cat.Technique(tech); ok {
				code = t.Tactic
			} else if i < len(a.Tactics) {
				code = a.Tactics[i]
			}
			j, ok := idx[code]
			if !ok {
				st := PathStep{Tactic: code, First: a.FirstEvent, Techniques: []string{}}
				if t, ok := s.cat.Tactic(code); ok {
					st.Name, st.NameZh = t.Name.En, t.Name.Zh
				}
				path = append(path, st)
				j = len(path) - 1
				idx[code] = j
			}
			st := &path[j]
			if !slices.Contains(st.Techniques, tech) {
				st.Techniques = append(st.Techniques, tech)
			}
			if !slices.Contains(st.Alerts, a.ID) {
				st.Alerts = append(st.Alerts, a.ID)
			}
			if a.FirstEvent.Before(st.First) {
				st.First = a.FirstEvent
			}
		}
	}
	slices.SortStableFunc(path, func(a, b PathStep) int { return s.tacticOrder(a.Tactic) - s.tacticOrder(b.Tactic) })
	return path
}
