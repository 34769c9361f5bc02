// Package incident turns alerts into incidents people work on: it deduplicates alerts,
// groups those that share an entity into one incident ordered along the attack matrix's
// tactics, rates severity, enforces the NIST SP 800-61 lifecycle, keeps the team,
// comments and tasks (from the techniques' response checklists), watches SLAs, computes
// response metrics, manages false-positive exceptions, and hands notifications on.
package incident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/store"
)

// System is the audit actor of changes the platform makes on its own.
const System = "system"

// Config tunes grouping, deduplication and SLAs.
type Config struct {
	// DedupWindow: the same rule and group raised again within it, counted from the
	// alert's last sighting, increments the alert instead of adding one.
	DedupWindow time.Duration `yaml:"dedup_window" json:"dedup_window"`
	// GroupWindow: an alert joins an open incident that shares an entity with it and
	// was active within it.
	GroupWindow time.Duration `yaml:"group_window" json:"group_window"`
	// OpenLevel is the lowest rule level that opens an incident; alerts below it
	// still join an incident that exists.
	OpenLevel string `yaml:"open_level" json:"open_level"`
	// SLA per severity: time to acknowledge and to contain.
	SLA map[string]SLA `yaml:"sla" json:"sla"`
	// MaxEventIDs bounds the event ids kept per alert.
	MaxEventIDs int `yaml:"max_event_ids" json:"max_event_ids"`
	// BaseURL, when set, makes links to incidents in notifications.
	BaseURL string `yaml:"-" json:"-"`
}

// SLA is the time allowed to acknowledge and to contain an incident.
type SLA struct {
	Acknowledge time.Duration `yaml:"acknowledge" json:"acknowledge"`
	Contain     time.Duration `yaml:"contain" json:"contain"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		DedupWindow: time.Hour,
		GroupWindow: 24 * time.Hour,
		OpenLevel:   "medium",
		MaxEventIDs: 50,
		SLA: map[string]SLA{
			"critical": {Acknowledge: 15 * time.Minute, Contain: 4 * time.Hour},
			"high":     {Acknowledge: time.Hour, Contain: 24 * time.Hour},
			"medium":   {Acknowledge: 4 * time.Hour, Contain: 72 * time.Hour},
			"low":      {Acknowledge: 24 * time.Hour, Contain: 7 * 24 * time.Hour},
		},
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.DedupWindow <= 0 {
		errs = append(errs, errors.New("incidents: dedup_window must be positive"))
	}
	if c.GroupWindow <= 0 {
		errs = append(errs, errors.New("incidents: group_window must be positive"))
	}
	if levelRank(c.OpenLevel) < 0 {
		errs = append(errs, fmt.Errorf("incidents: open_level %q is not one of informational, low, medium, high, critical", c.OpenLevel))
	}
	for sev, s := range c.SLA {
		if severityRank(sev) < 0 {
			errs = append(errs, fmt.Errorf("incidents: sla: %q is not a severity (low, medium, high, critical)", sev))
		}
		if s.Acknowledge <= 0 || s.Contain <= 0 {
			errs = append(errs, fmt.Errorf("incidents: sla %s: acknowledge and contain must be positive", sev))
		}
	}
	return errors.Join(errs...)
}

// Message is what the service notifies: an incident was created, rose in severity,
// changed status or missed an SLA.
type Message struct {
	Kind     string // incident.created, incident.escalated, incident.status, incident.sla_breach
	Incident store.Incident
	Text     string
}

// Notifier receives messages after the change they describe committed. It must not
// block (the notify dispatcher queues).
type Notifier func(m Message)

// Service is the incident stage.
type Service struct {
	db     store.Store
	cat    *matrix.Catalog
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	notify Notifier

	// mu serialises Keep, so that two batches cannot both open an incident for the
	// same entity.
	mu sync.Mutex

	exc exceptions
}

// Options wire a Service.
type Options struct {
	Config   Config
	Now      func() time.Time
	Log      *slog.Logger
	Notifier Notifier
	// Engine, when set, receives the exceptions and reports what they suppressed.
	Engine ExceptionEngine
}

// New returns the service; cat is the matrix catalog (techniques, tactics, checklists).
func New(db store.Store, cat *matrix.Catalog, opts Options) (*Service, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Notifier == nil {
		opts.Notifier = func(Message) {}
	}
	s := &Service{db: db, cat: cat, cfg: opts.Config, now: opts.Now, log: opts.Log, notify: opts.Notifier}
	s.exc.engine = opts.Engine
	return s, nil
}

// Config returns the configuration in use.
func (s *Service) Config() Config { return s.cfg }

// Keep stores the alerts of newly stored events: it deduplicates them, groups them into
// incidents and notifies. It is the ingester's AlertSink.
func (s *Service) Keep(ctx context.Context, raised []ingest.Raised) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	var msgs []Message
	err := s.db.Update(ctx, func(tx store.Tx) error {
		msgs = msgs[:0]
		for _, r := range raised {
			m, err := s.keepOne(tx, r, now)
			if err != nil {
				return fmt.Errorf("alert of rule %s: %w", r.Alert.Rule.ID, err)
			}
			msgs = append(msgs, m...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		s.notify(m)
	}
	return nil
}

// keepOne stores one alert, or counts it on the alert it repeats, and attaches it.
func (s *Service) keepOne(tx store.Tx, r ingest.Raised, now time.Time) ([]Message, error) {
	a := s.newAlert(r, now)
	old, err := tx.FindAlertByKey(a.Key, now.Add(-s.cfg.DedupWindow))
	switch {
	case err == nil:
		return nil, s.repeat(tx, old, a, now)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if err := tx.InsertAlert(a); err != nil {
		return nil, err
	}
	return s.group(tx, a, now)
}

// repeat counts a new raising on the alert it repeats.
func (s *Service) repeat(tx store.Tx, old, a *store.Alert, now time.Time) error {
	old.Count++
	old.LastSeen = now
	if a.LastEvent.After(old.LastEvent) {
		old.LastEvent = a.LastEvent
	}
	if a.FirstEvent.Before(old.FirstEvent) {
		old.FirstEvent = a.FirstEvent
	}
	for _, id := range a.EventIDs {
		if len(old.EventIDs) >= s.cfg.MaxEventIDs {
			break
		}
		if !slices.Contains(old.EventIDs, id) {
			old.EventIDs = append(old.EventIDs, id)
		}
	}
	old.Doc = a.Doc
	if err := tx.UpdateAlert(old); err != nil {
		return err
	}
	if old.IncidentID == 0 {
		return nil
	}
	in, err := tx.GetIncident(old.IncidentID)
	if err != nil {
		return err
	}
	in.LastActivity = now
	return tx.UpdateIncident(in)
}

// group attaches a new alert to the open incident it shares an entity with, or opens
// one when the alert is severe enough.
func (s *Service) group(tx store.Tx, a *store.Alert, now time.Time) ([]Message, error) {
	cands, err := tx.IncidentsByEntity(groupingEntities(a.Entities), now.Add(-s.cfg.GroupWindow))
	if err != nil {
		return nil, err
	}
	if len(cands) > 0 {
		return s.attach(tx, cands[0], []*store.Alert{a}, System, now)
	}
	if levelRank(a.Level) < levelRank(s.cfg.OpenLevel) {
		return nil, nil
	}
	in := &store.Incident{
		Title:        a.RuleTitle + entitySuffix(a.Entities),
		Status:       store.StatusNew,
		Severity:     "low",
		CreatedAt:    now,
		UpdatedAt:    now,
		LastActivity: now,
		FirstEvent:   a.FirstEvent,
		FirstAlert:   a.FirstSeen,
		Members:      []store.Member{},
	}
	if err := tx.CreateIncident(in); err != nil {
		return nil, err
	}
	if err := s.timeline(tx, in.ID, now, System, "created", "Opened from alert "+a.RuleTitle,
		map[string]any{"manual": false, "alert": a.ID, "rule": a.RuleID, "rule_title": a.RuleTitle}); err != nil {
		return nil, err
	}
	if _, err := audit.Append(tx, now, audit.Record{Actor: System, Action: "incident.create", Target: target(in.ID),
		After: map[string]any{"alert": a.ID, "rule": a.RuleID}}); err != nil {
		return nil, err
	}
	msgs, err := s.attach(tx, in, []*store.Alert{a}, System, now)
	if err != nil {
		return nil, err
	}
	created := Message{Kind: "incident.created", Incident: *in, Text: "New incident: " + in.Title}
	// The creation replaces the escalation that attaching the first alert reports.
	out := []Message{created}
	for _, m := range msgs {
		if m.Kind != "incident.escalated" {
			out = append(out, m)
		}
	}
	return out, nil
}

func target(id int64) string { return fmt.Sprintf("incident:%d", id) }

func (s *Service) timeline(tx store.Tx, id int64, now time.Time, actor, kind, text string, detail any) error {
	e := &store.TimelineEntry{IncidentID: id, Time: now, Actor: actor, Kind: kind, Text: text}
	if detail != nil {
		d, err := docJSON(detail)
		if err != nil {
			return err
		}
		e.Detail = d
	}
	return tx.AddTimeline(e)
}
