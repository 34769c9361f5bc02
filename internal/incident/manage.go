package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Alert actions of the queue.
const (
	ActAcknowledge   = "acknowledge"
	ActAssign        = "assign"
	ActAttach        = "attach"
	ActFalsePositive = "false_positive"
	ActClose         = "close"
	ActReopen        = "reopen"
)

// AlertActions lists the bulk actions on alerts.
func AlertActions() []string {
	return []string{ActAcknowledge, ActAssign, ActAttach, ActFalsePositive, ActClose, ActReopen}
}

// BulkAction is one action on several alerts.
type BulkAction struct {
	IDs        []int64
	Action     string
	Assignee   string // assign
	IncidentID int64  // attach
}

// MaxBulk bounds the alerts of one bulk action.
const MaxBulk = 1000

// Bulk applies an action to alerts, all or none.
func (s *Service) Bulk(ctx context.Context, actor string, b BulkAction) ([]*store.Alert, error) {
	if len(b.IDs) == 0 || len(b.IDs) > MaxBulk {
		return nil, invalid("invalid_ids", "give 1 to %d alert ids", MaxBulk)
	}
	if !slices.Contains(AlertActions(), b.Action) {
		return nil, invalid("invalid_action", "unknown action %q; one of %s", b.Action, strings.Join(AlertActions(), ", "))
	}
	var out []*store.Alert
	var msgs []Message
	err := s.db.Update(ctx, func(tx store.Tx) error {
		out, msgs = nil, nil
		now := s.now().UTC()
		if b.Action == ActAssign && b.Assignee != "" {
			if err := userExists(tx, b.Assignee); err != nil {
				return err
			}
		}
		var attachTo *store.Incident
		if b.Action == ActAttach {
			in, err := tx.GetIncident(b.IncidentID)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("unknown_incident", "no incident %d", b.IncidentID)
			}
			if err != nil {
				return err
			}
			attachTo = in
		}
		touched := map[int64]bool{}
		var toAttach []*store.Alert
		for _, id := range b.IDs {
			a, err := tx.GetAlert(id)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("unknown_alert", "no alert %d", id)
			}
			if err != nil {
				return err
			}
			before := a.Status
			switch b.Action {
			case ActAcknowledge:
				if a.Status == store.AlertOpen {
					a.Status = store.AlertAcknowledged
				}
			case ActAssign:
				a.Assignee = b.Assignee
				if a.Status == store.AlertOpen && b.Assignee != "" {
					a.Status = store.AlertAcknowledged
				}
			case ActFalsePositive:
				a.Status = store.AlertFalsePositive
			case ActClose:
				a.Status = store.AlertClosed
			case ActReopen:
				a.Status = store.AlertOpen
			case ActAttach:
				if a.IncidentID != 0 && a.IncidentID != attachTo.ID {
					if err := s.detach(tx, a, actor, now); err != nil {
						return err
					}
					touched[a.IncidentID] = true
				}
				toAttach = append(toAttach, a)
			}
			if b.Action != ActAttach {
				if err := tx.UpdateAlert(a); err != nil {
					return err
				}
				if a.IncidentID != 0 && before != a.Status {
					touched[a.IncidentID] = true
					if err := s.timeline(tx, a.IncidentID, now, actor, "alert", fmt.Sprintf("Alert %d: %s", a.ID, a.Status),
						map[string]any{"alert": a.ID, "status": a.Status, "from": before}); err != nil {
						return err
					}
				}
			}
			if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "alert." + b.Action, Target: fmt.Sprintf("alert:%d", a.ID),
				Before: map[string]any{"status": before}, After: map[string]any{"status": a.Status, "assignee": a.Assignee, "incident": b.IncidentID}}); err != nil {
				return err
			}
			out = append(out, a)
		}
		if attachTo != nil {
			m, err := s.attach(tx, attachTo, toAttach, actor, now)
			if err != nil {
				return err
			}
			msgs = append(msgs, m...)
			delete(touched, attachTo.ID)
		}
		// A false positive no longer weighs on its incident's severity and path; the
		// severity is re-rated (it does not drop by itself).
		for id := range touched {
			in, err := tx.GetIncident(id)
			if err != nil {
				return err
			}
			if err := s.rate(tx, in, now); err != nil {
				return err
			}
			in.UpdatedAt = now
			if err := tx.UpdateIncident(in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		s.notify(m)
	}
	return out, nil
}

// detach takes an alert out of its incident.
func (s *Service) detach(tx store.Tx, a *store.Alert, actor string, now time.Time) error {
	in, err := tx.GetIncident(a.IncidentID)
	if err != nil {
		return err
	}
	in.AlertCount--
	if err := s.timeline(tx, in.ID, now, actor, "alert", fmt.Sprintf("Alert %d moved out", a.ID), map[string]any{"alert": a.ID, "moved_out": true}); err != nil {
		return err
	}
	if err := tx.UpdateIncident(in); err != nil {
		return err
	}
	a.IncidentID = 0
	return tx.UpdateAlert(a)
}

// Create opens an incident by hand from alerts (which leave their incidents).
func (s *Service) Create(ctx context.Context, actor, title string, alertIDs []int64) (*store.Incident, error) {
	title = strings.TrimSpace(title)
	if title == "" || len(title) > 200 {
		return nil, invalid("invalid_title", "the title must have 1 to 200 characters")
	}
	if len(alertIDs) > MaxBulk {
		return nil, invalid("invalid_ids", "at most %d alerts", MaxBulk)
	}
	var in *store.Incident
	err := s.db.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		in = &store.Incident{Title: title, Status: store.StatusNew, Severity: "low", CreatedAt: now, UpdatedAt: now,
			LastActivity: now, Members: []store.Member{}, Entities: []store.Entity{}, Techniques: []string{}, Tactics: []string{}}
		if err := tx.CreateIncident(in); err != nil {
			return err
		}
		if err := s.timeline(tx, in.ID, now, actor, "created", "Opened by hand", map[string]any{"manual": true, "alerts": alertIDs}); err != nil {
			return err
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "incident.create", Target: target(in.ID),
			After: map[string]any{"title": title, "alerts": alertIDs}}); err != nil {
			return err
		}
		as, err := s.moveAlerts(tx, alertIDs, in.ID, actor, now)
		if err != nil {
			return err
		}
		_, err = s.attach(tx, in, as, actor, now)
		return err
	})
	return in, err
}

// moveAlerts loads alerts and detaches those in another incident than id.
func (s *Service) moveAlerts(tx store.Tx, ids []int64, id int64, actor string, now time.Time) ([]*store.Alert, error) {
	var as []*store.Alert
	for _, aid := range ids {
		a, err := tx.GetAlert(aid)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("unknown_alert", "no alert %d", aid)
		}
		if err != nil {
			return nil, err
		}
		if a.IncidentID != 0 && a.IncidentID != id {
			if err := s.detach(tx, a, actor, now); err != nil {
				return nil, err
			}
		}
		as = append(as, a)
	}
	return as, nil
}

// Merge moves every alert of the other incidents into id and closes them as
// duplicates.
func (s *Service) Merge(ctx context.Context, actor string, id int64, others []int64) (*store.Incident, error) {
	if len(others) == 0 || slices.Contains(others, id) {
		return nil, invalid("invalid_merge", "name the other incidents to merge into %d", id)
	}
	return s.change(ctx, actor, id, "incident.merge", func(tx store.Tx, in *store.Incident, now time.Time) error {
		for _, oid := range others {
			o, err := tx.GetIncident(oid)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("unknown_incident", "no incident %d", oid)
			}
			if err != nil {
				return err
			}
			as, err := tx.ListAlerts(store.AlertFilter{IncidentID: oid}, store.Page{Limit: 100000})
			if err != nil {
				return err
			}
			for _, a := range as {
				a.IncidentID = 0
			}
			if _, err := s.attach(tx, in, as, actor, now); err != nil {
				return err
			}
			for _, m := range o.Members {
				if !slices.ContainsFunc(in.Members, func(x store.Member) bool { return x.Username == m.Username }) {
					in.Members = append(in.Members, m)
				}
			}
			o.AlertCount, o.MergedInto = 0, id
			o.Status, o.Resolution = store.StatusClosed, "duplicate"
			o.Summary = strings.TrimSpace(o.Summary + fmt.Sprintf("\n\nMerged into incident %d.", id))
			o.ResolvedAt, o.UpdatedAt = now, now
			if err := tx.UpdateIncident(o); err != nil {
				return err
			}
			if err := s.timeline(tx, oid, now, actor, "status", fmt.Sprintf("Merged into incident %d", id),
				map[string]any{"to": store.StatusClosed, "resolution": "duplicate", "merged_into": id}); err != nil {
				return err
			}
			if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "incident.status", Target: target(oid),
				After: map[string]any{"status": o.Status, "resolution": o.Resolution, "merged_into": id}}); err != nil {
				return err
			}
			if err := s.timeline(tx, id, now, actor, "merge", fmt.Sprintf("Incident %d merged in", oid), map[string]any{"incident": oid}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Split moves alerts of an incident into a new incident and returns it.
func (s *Service) Split(ctx context.Context, actor string, id int64, alertIDs []int64, title string) (*store.Incident, error) {
	if len(alertIDs) == 0 {
		return nil, invalid("invalid_ids", "name the alerts to split off")
	}
	var in *store.Incident
	err := s.db.Update(ctx, func(tx store.Tx) error {
		for _, aid := range alertIDs {
			a, err := tx.GetAlert(aid)
			if err != nil || a.IncidentID != id {
				return invalid("unknown_alert", "alert %d is not in incident %d", aid, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(title) == "" {
		title = fmt.Sprintf("Split from incident %d", id)
	}
	in, err = s.Create(ctx, actor, title, alertIDs)
	if err != nil {
		return nil, err
	}
	_, err = s.change(ctx, actor, id, "incident.split", func(tx store.Tx, old *store.Incident, now time.Time) error {
		return s.timeline(tx, id, now, actor, "split", fmt.Sprintf("%d alerts split off into incident %d", len(alertIDs), in.ID),
			map[string]any{"incident": in.ID, "alerts": alertIDs})
	})
	return in, err
}
