package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// View is an incident with everything that hangs off it.
type View struct {
	*store.Incident
	// Alerts are ordered along the attack path (tactic order, then time).
	Alerts      []*store.Alert         `json:"alerts"`
	Path        AttackPath             `json:"attack_path"`
	Timeline    []*store.TimelineEntry `json:"timeline"`
	Comments    []*store.Comment       `json:"comments"`
	Tasks       []*store.Task          `json:"tasks"`
	Metrics     Metrics                `json:"metrics"`
	Transitions []string               `json:"transitions"`
}

// Metrics are an incident's response times; a time not reached yet is left out.
type Metrics struct {
	// TimeToDetect runs from the first malicious event to the first alert.
	TimeToDetect      *Seconds `json:"time_to_detect,omitempty"`
	TimeToAcknowledge *Seconds `json:"time_to_acknowledge,omitempty"`
	TimeToContain     *Seconds `json:"time_to_contain,omitempty"`
	TimeToResolve     *Seconds `json:"time_to_resolve,omitempty"`
}

// Seconds is a duration written as seconds.
type Seconds float64

func seconds(from, to time.Time) *Seconds {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	s := Seconds(max(to.Sub(from), 0).Seconds())
	return &s
}

// MetricsOf computes an incident's response times. Acknowledging, containing and
// resolving count from the first alert, when the platform knew.
func MetricsOf(in *store.Incident) Metrics {
	return Metrics{
		TimeToDetect:      seconds(in.FirstEvent, in.FirstAlert),
		TimeToAcknowledge: seconds(in.FirstAlert, in.AcknowledgedAt),
		TimeToContain:     seconds(in.FirstAlert, in.ContainedAt),
		TimeToResolve:     seconds(in.FirstAlert, in.ResolvedAt),
	}
}

// Get returns an incident with its alerts, attack path, timeline, comments and tasks.
func (s *Service) Get(ctx context.Context, id int64) (*View, error) {
	v := &View{}
	err := s.db.View(ctx, func(tx store.Tx) error {
		in, err := tx.GetIncident(id)
		if err != nil {
			return err
		}
		v.Incident = in
		if v.Alerts, err = tx.ListAlerts(store.AlertFilter{IncidentID: id}, store.Page{Limit: 10000}); err != nil {
			return err
		}
		if v.Timeline, err = tx.ListTimeline(id); err != nil {
			return err
		}
		if v.Comments, err = tx.ListComments(id); err != nil {
			return err
		}
		v.Tasks, err = tx.ListTasks(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.SortAlongTactics(v.Alerts)
	v.Path = s.Path(v.Alerts)
	v.Metrics = MetricsOf(v.Incident)
	v.Transitions = Transitions(v.Status)
	v.Alerts = nonNilSlice(v.Alerts)
	v.Timeline = nonNilSlice(v.Timeline)
	v.Comments = nonNilSlice(v.Comments)
	v.Tasks = nonNilSlice(v.Tasks)
	return v, nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Tick does what time alone triggers: it records and notifies SLA breaches (once per
// incident and kind) and keeps the exceptions' suppression counts. The server calls it
// from a timer.
func (s *Service) Tick(ctx context.Context) error {
	now := s.now().UTC()
	var msgs []Message
	err := s.db.Update(ctx, func(tx store.Tx) error {
		msgs = nil
		open := []string{store.StatusNew, store.StatusTriage, store.StatusInvestigating}
		ins, err := store.All(func(p store.Page) ([]*store.Incident, error) {
			return tx.ListIncidents(store.IncidentFilter{Status: open}, p)
		}, func(in *store.Incident) int64 { return in.ID })
		if err != nil {
			return err
		}
		for _, in := range ins {
			var what []string
			if !in.AckBreached && in.AcknowledgedAt.IsZero() && !in.AckDue.IsZero() && now.After(in.AckDue) {
				in.AckBreached = true
				what = append(what, "acknowledge")
			}
			if !in.ContainBreached && in.ContainedAt.IsZero() && !in.ContainDue.IsZero() && now.After(in.ContainDue) {
				in.ContainBreached = true
				what = append(what, "contain")
			}
			for _, w := range what {
				due := in.AckDue
				if w == "contain" {
					due = in.ContainDue
				}
				text := fmt.Sprintf("SLA missed: not %sed by %s", trimE(w), due.Format(time.RFC3339))
				if err := s.timeline(tx, in.ID, now, System, "sla_breach", text, map[string]any{"sla": w, "due": due}); err != nil {
					return err
				}
				if _, err := audit.Append(tx, now, audit.Record{Actor: System, Action: "incident.sla_breach", Target: target(in.ID),
					After: map[string]any{"sla": w, "due": due}}); err != nil {
					return err
				}
				msgs = append(msgs, Message{Kind: "incident.sla_breach", Incident: *in, Text: in.Title + ": " + text})
			}
			if len(what) > 0 {
				if err := tx.UpdateIncident(in); err != nil {
					return err
				}
			}
		}
		return s.saveSuppressed(tx)
	})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		s.notify(m)
	}
	return nil
}

// trimE turns "acknowledge" into "acknowledg" so that "ed" can follow; "contain"
// stays.
func trimE(verb string) string {
	if verb != "" && verb[len(verb)-1] == 'e' {
		return verb[:len(verb)-1]
	}
	return verb
}

// Summary is the incident metrics over a period.
type Summary struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Count int       `json:"count"`
	Open  int       `json:"open"`
	// Mean and median response times over the incidents that reached each point.
	TimeToDetect      Stat           `json:"time_to_detect"`
	TimeToAcknowledge Stat           `json:"time_to_acknowledge"`
	TimeToContain     Stat           `json:"time_to_contain"`
	TimeToResolve     Stat           `json:"time_to_resolve"`
	BySeverity        map[string]int `json:"by_severity"`
	ByStatus          map[string]int `json:"by_status"`
	ByResolution      map[string]int `json:"by_resolution"`
	ByTechnique       map[string]int `json:"by_technique"`
	ByTactic          map[string]int `json:"by_tactic"`
	SLABreaches       int            `json:"sla_breaches"`
}

// Stat summarises durations in seconds.
type Stat struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean_seconds"`
	Median float64 `json:"median_seconds"`
	Max    float64 `json:"max_seconds"`
}

func statOf(xs []float64) Stat {
	st := Stat{Count: len(xs)}
	if len(xs) == 0 {
		return st
	}
	slices.Sort(xs)
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	st.Mean = sum / float64(len(xs))
	if n := len(xs); n%2 == 1 {
		st.Median = xs[n/2]
	} else {
		st.Median = (xs[n/2-1] + xs[n/2]) / 2
	}
	st.Max = xs[len(xs)-1]
	return st
}

// Summarize computes the metrics of the incidents created in [from, to).
func (s *Service) Summarize(ctx context.Context, from, to time.Time) (*Summary, error) {
	var ins []*store.Incident
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		ins, err = store.All(func(p store.Page) ([]*store.Incident, error) {
			return tx.ListIncidents(store.IncidentFilter{From: from, To: to}, p)
		}, func(in *store.Incident) int64 { return in.ID })
		return err
	})
	if err != nil {
		return nil, err
	}
	sum := &Summary{From: from, To: to, BySeverity: map[string]int{}, ByStatus: map[string]int{},
		ByResolution: map[string]int{}, ByTechnique: map[string]int{}, ByTactic: map[string]int{}}
	var ttd, tta, ttc, ttr []float64
	add := func(xs *[]float64, v *Seconds) {
		if v != nil {
			*xs = append(*xs, float64(*v))
		}
	}
	for _, in := range ins {
		if in.MergedInto != 0 {
			continue
		}
		sum.Count++
		if in.Status != store.StatusClosed {
			sum.Open++
		}
		sum.BySeverity[in.Severity]++
		sum.ByStatus[in.Status]++
		if in.Resolution != "" {
			sum.ByResolution[in.Resolution]++
		}
		for _, t := range in.Techniques {
			sum.ByTechnique[t]++
		}
		for _, t := range in.Tactics {
			sum.ByTactic[t]++
		}
		if in.AckBreached {
			sum.SLABreaches++
		}
		if in.ContainBreached {
			sum.SLABreaches++
		}
		m := MetricsOf(in)
		add(&ttd, m.TimeToDetect)
		add(&tta, m.TimeToAcknowledge)
		add(&ttc, m.TimeToContain)
		add(&ttr, m.TimeToResolve)
	}
	sum.TimeToDetect, sum.TimeToAcknowledge = statOf(ttd), statOf(tta)
	sum.TimeToContain, sum.TimeToResolve = statOf(ttc), statOf(ttr)
	return sum, nil
}

// ListIncidents lists incidents for the API.
func (s *Service) ListIncidents(ctx context.Context, f store.IncidentFilter, p store.Page) ([]*store.Incident, error) {
	var out []*store.Incident
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ListIncidents(f, p)
		return err
	})
	return out, err
}

// ListAlerts lists alerts for the queue.
func (s *Service) ListAlerts(ctx context.Context, f store.AlertFilter, p store.Page) ([]*store.Alert, error) {
	var out []*store.Alert
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ListAlerts(f, p)
		return err
	})
	return out, err
}

// GetAlert returns one alert.
func (s *Service) GetAlert(ctx context.Context, id int64) (*store.Alert, error) {
	var out *store.Alert
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.GetAlert(id)
		return err
	})
	return out, err
}
