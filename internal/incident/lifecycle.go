package incident

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Error is a refused request: the caller's input is wrong or the change is not allowed
// in the incident's state. Code is stable for API clients.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func invalid(code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// transitions are the allowed status changes, after NIST SP 800-61: forward through
// the lifecycle, closing from any state (a false positive is closed at triage), back
// to investigating when containment or eradication did not hold, and reopening.
var transitions = map[string][]string{
	store.StatusNew:           {store.StatusTriage, store.StatusClosed},
	store.StatusTriage:        {store.StatusInvestigating, store.StatusClosed},
	store.StatusInvestigating: {store.StatusContained, store.StatusClosed},
	store.StatusContained:     {store.StatusEradicated, store.StatusInvestigating, store.StatusClosed},
	store.StatusEradicated:    {store.StatusRecovered, store.StatusInvestigating, store.StatusClosed},
	store.StatusRecovered:     {store.StatusClosed, store.StatusInvestigating},
	store.StatusClosed:        {store.StatusTriage},
}

// Statuses returns the lifecycle's statuses in order.
func Statuses() []string {
	return []string{store.StatusNew, store.StatusTriage, store.StatusInvestigating, store.StatusContained,
		store.StatusEradicated, store.StatusRecovered, store.StatusClosed}
}

// Transitions returns the statuses an incident in status may move to.
func Transitions(status string) []string { return slices.Clone(transitions[status]) }

// Resolutions are the ways an incident can close.
func Resolutions() []string {
	return []string{"true_positive", "benign", "false_positive", "duplicate"}
}

// MemberRoles are the roles people take on an incident's team.
func MemberRoles() []string { return []string{"analyst", "responder", "communications", "watcher"} }

// Transition moves an incident to status. Closing needs a resolution and a summary.
func (s *Service) Transition(ctx context.Context, actor string, id int64, status, resolution, summary string) (*store.Incident, error) {
	var msg *Message
	in, err := s.change(ctx, actor, id, "incident.status", func(tx store.Tx, in *store.Incident, now time.Time) error {
		if !slices.Contains(Statuses(), status) {
			return invalid("invalid_status", "unknown status %q; one of %s", status, strings.Join(Statuses(), ", "))
		}
		if !slices.Contains(transitions[in.Status], status) {
			return invalid("invalid_transition", "an incident cannot go from %s to %s; allowed: %s",
				in.Status, status, strings.Join(transitions[in.Status], ", "))
		}
		if status == store.StatusClosed {
			if !slices.Contains(Resolutions(), resolution) {
				return invalid("resolution_required", "closing needs a resolution: one of %s", strings.Join(Resolutions(), ", "))
			}
			if strings.TrimSpace(summary) == "" {
				return invalid("summary_required", "closing needs a summary of what happened and what was done")
			}
			in.Resolution, in.Summary = resolution, strings.TrimSpace(summary)
			in.ResolvedAt = now
		} else if in.Status == store.StatusClosed {
			in.Resolution, in.ResolvedAt = "", time.Time{}
		}
		from := in.Status
		in.Status = status
		if in.AcknowledgedAt.IsZero() && status != store.StatusNew {
			in.AcknowledgedAt = now
		}
		if in.ContainedAt.IsZero() && statusIndex(status) >= statusIndex(store.StatusContained) && status != store.StatusClosed {
			in.ContainedAt = now
		}
		text := "Status " + from + " → " + status
		if status == store.StatusClosed {
			text += " (" + resolution + ")"
		}
		msg = &Message{Kind: "incident.status", Incident: *in, Text: in.Title + ": " + text}
		return s.timeline(tx, in.ID, now, actor, "status", text, map[string]string{"from": from, "to": status, "resolution": resolution})
	})
	if err == nil && msg != nil {
		msg.Incident = *in
		s.notify(*msg)
	}
	return in, err
}

func statusIndex(status string) int { return slices.Index(Statuses(), status) }

// change runs fn on an incident in a write transaction and records the audit entry
// with the incident before and after.
func (s *Service) change(ctx context.Context, actor string, id int64, action string,
	fn func(tx store.Tx, in *store.Incident, now time.Time) error) (*store.Incident, error) {
	var out *store.Incident
	err := s.db.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		in, err := tx.GetIncident(id)
		if err != nil {
			return err
		}
		before := *in
		if err := fn(tx, in, now); err != nil {
			return err
		}
		in.UpdatedAt = now
		if err := tx.UpdateIncident(in); err != nil {
			return err
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: action, Target: target(id),
			Before: summaryOf(&before), After: summaryOf(in)}); err != nil {
			return err
		}
		out = in
		return nil
	})
	return out, err
}

// summaryOf is what the audit log keeps of an incident: the fields people change.
func summaryOf(in *store.Incident) map[string]any {
	return map[string]any{"status": in.Status, "severity": in.Severity, "title": in.Title, "commander": in.Commander,
		"members": in.Members, "resolution": in.Resolution, "summary": in.Summary, "alerts": in.AlertCount}
}

// Update is a change to an incident's descriptive fields; nil fields stay.
type Update struct {
	Title     *string
	Severity  *string
	Commander *string
	Summary   *string
}

// Edit changes an incident's title, severity, commander or summary.
func (s *Service) Edit(ctx context.Context, actor string, id int64, u Update) (*store.Incident, error) {
	return s.change(ctx, actor, id, "incident.update", func(tx store.Tx, in *store.Incident, now time.Time) error {
		if u.Title != nil {
			t := strings.TrimSpace(*u.Title)
			if t == "" || len(t) > 200 {
				return invalid("invalid_title", "the title must have 1 to 200 characters")
			}
			in.Title = t
		}
		if u.Severity != nil && *u.Severity != in.Severity {
			if severityRank(*u.Severity) < 0 {
				return invalid("invalid_severity", "unknown severity %q; one of %s", *u.Severity, strings.Join(Severities(), ", "))
			}
			if err := s.timeline(tx, in.ID, now, actor, "severity", "Severity "+in.Severity+" → "+*u.Severity+" (set by hand)",
				map[string]any{"from": in.Severity, "to": *u.Severity, "manual": true}); err != nil {
				return err
			}
			in.Severity = *u.Severity
			ackDue, containDue := in.AckDue, in.ContainDue
			in.AckDue, in.ContainDue = time.Time{}, time.Time{}
			s.setDue(in)
			if err := s.moveTaskDues(tx, in, ackDue, containDue, now); err != nil {
				return err
			}
		}
		if u.Commander != nil && *u.Commander != in.Commander {
			if *u.Commander != "" {
				if err := userExists(tx, *u.Commander); err != nil {
					return err
				}
			}
			in.Commander = *u.Commander
			if err := s.timeline(tx, in.ID, now, actor, "member", "Incident commander: "+orNone(in.Commander),
				map[string]any{"username": in.Commander, "role": "commander"}); err != nil {
				return err
			}
		}
		if u.Summary != nil {
			in.Summary = strings.TrimSpace(*u.Summary)
		}
		return nil
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func userExists(tx store.Tx, name string) error {
	u, err := tx.GetUserByName(name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return invalid("unknown_user", "no active user %q", name)
	}
	return err
}

// SetMember adds a person to the team with a role, or changes their role; role ""
// removes them.
func (s *Service) SetMember(ctx context.Context, actor string, id int64, username, role string) (*store.Incident, error) {
	return s.change(ctx, actor, id, "incident.member", func(tx store.Tx, in *store.Incident, now time.Time) error {
		i := slices.IndexFunc(in.Members, func(m store.Member) bool { return strings.EqualFold(m.Username, username) })
		if role == "" {
			if i < 0 {
				return invalid("not_a_member", "%s is not on the incident's team", username)
			}
			in.Members = slices.Delete(in.Members, i, i+1)
			return s.timeline(tx, in.ID, now, actor, "member", username+" left the team", map[string]any{"username": username, "role": ""})
		}
		if !slices.Contains(MemberRoles(), role) {
			return invalid("invalid_role", "unknown team role %q; one of %s", role, strings.Join(MemberRoles(), ", "))
		}
		if err := userExists(tx, username); err != nil {
			return err
		}
		if i >= 0 {
			in.Members[i].Role = role
		} else {
			in.Members = append(in.Members, store.Member{Username: username, Role: role})
		}
		return s.timeline(tx, in.ID, now, actor, "member", username+" is "+role, map[string]any{"username": username, "role": role})
	})
}

var mentionRE = regexp.MustCompile(`(?:^|[^\w@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})`)

// MaxComment bounds a comment's length.
const MaxComment = 64 << 10

// Comment adds a Markdown comment; @name mentions of existing users are recorded (and
// the mentioned people become watchers).
func (s *Service) Comment(ctx context.Context, actor, author string, id int64, body string) (*store.Comment, error) {
	body = strings.TrimSpace(body)
	if body == "" || len(body) > MaxComment {
		return nil, invalid("invalid_comment", "a comment must have 1 to %d bytes", MaxComment)
	}
	var c *store.Comment
	_, err := s.change(ctx, actor, id, "incident.comment", func(tx store.Tx, in *store.Incident, now time.Time) error {
		c = &store.Comment{IncidentID: id, Time: now, Author: author, Body: body, Mentions: []string{}}
		for _, m := range mentionRE.FindAllStringSubmatch(body, -1) {
			name := strings.TrimRight(m[1], ".")
			u, err := tx.GetUserByName(name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !slices.Contains(c.Mentions, u.Username) {
				c.Mentions = append(c.Mentions, u.Username)
			}
			if !slices.ContainsFunc(in.Members, func(m store.Member) bool { return m.Username == u.Username }) && u.Username != in.Commander {
				in.Members = append(in.Members, store.Member{Username: u.Username, Role: "watcher"})
			}
		}
		if err := tx.AddComment(c); err != nil {
			return err
		}
		return s.timeline(tx, in.ID, now, actor, "comment", author+" commented", map[string]any{"comment": c.ID, "author": author, "mentions": c.Mentions})
	})
	return c, err
}

// TaskChange is a change to a task; nil fields stay.
type TaskChange struct {
	Status *string
	Owner  *string
	Due    *time.Time
	Title  *string
	Phase  *string
}

// AddTask adds a task by hand.
func (s *Service) AddTask(ctx context.Context, actor string, id int64, title, phase, owner string, due time.Time) (*store.Task, error) {
	var task *store.Task
	_, err := s.change(ctx, actor, id, "incident.task_add", func(tx store.Tx, in *store.Incident, now time.Time) error {
		task = &store.Task{IncidentID: id, Status: store.TaskOpen, CreatedAt: now, UpdatedAt: now}
		if err := s.applyTask(tx, task, TaskChange{Title: &title, Phase: &phase, Owner: &owner, Due: &due}); err != nil {
			return err
		}
		if err := tx.CreateTask(task); err != nil {
			return err
		}
		return s.timeline(tx, id, now, actor, "task", "Task added: "+task.Title,
			map[string]any{"task": task.ID, "title": task.Title, "added": true, "phase": task.Phase, "owner": task.Owner, "due": task.Due})
	})
	return task, err
}

// Phases of tasks, in their order (the matrix checklists' phases).
func taskPhases() []string {
	return []string{"confirm", "contain", "investigate", "eradicate", "recover"}
}

func (s *Service) applyTask(tx store.Tx, t *store.Task, c TaskChange) error {
	if c.Title != nil {
		title := strings.TrimSpace(*c.Title)
		if title == "" || len(title) > 500 {
			return invalid("invalid_task", "a task title must have 1 to 500 characters")
		}
		t.Title = title
	}
	if c.Phase != nil {
		if !slices.Contains(taskPhases(), *c.Phase) {
			return invalid("invalid_phase", "unknown phase %q; one of %s", *c.Phase, strings.Join(taskPhases(), ", "))
		}
		t.Phase = *c.Phase
	}
	if c.Owner != nil {
		if *c.Owner != "" {
			if err := userExists(tx, *c.Owner); err != nil {
				return err
			}
		}
		t.Owner = *c.Owner
	}
	if c.Due != nil {
		t.Due = c.Due.UTC()
	}
	if c.Status != nil {
		if !slices.Contains([]string{store.TaskOpen, store.TaskDone, store.TaskSkipped}, *c.Status) {
			return invalid("invalid_task_status", "unknown task status %q; one of open, done, skipped", *c.Status)
		}
		t.Status = *c.Status
	}
	return nil
}

// UpdateTask changes a task of an incident.
func (s *Service) UpdateTask(ctx context.Context, actor string, id, taskID int64, c TaskChange) (*store.Task, error) {
	var task *store.Task
	_, err := s.change(ctx, actor, id, "incident.task_update", func(tx store.Tx, in *store.Incident, now time.Time) error {
		t, err := tx.GetTask(taskID)
		if err != nil {
			return err
		}
		if t.IncidentID != id {
			return store.ErrNotFound
		}
		before := *t
		if err := s.applyTask(tx, t, c); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := tx.UpdateTask(t); err != nil {
			return err
		}
		task = t
		var changes []string
		detail := map[string]any{"task": t.ID, "title": t.Title}
		if before.Status != t.Status {
			changes = append(changes, "status "+t.Status)
			detail["status"] = t.Status
		}
		if before.Owner != t.Owner {
			changes = append(changes, "owner "+orNone(t.Owner))
			detail["owner"] = t.Owner
		}
		if !before.Due.Equal(t.Due) {
			changes = append(changes, "due "+t.Due.Format(time.RFC3339))
			detail["due"] = t.Due
		}
		if before.Title != t.Title {
			changes = append(changes, "title")
			detail["old_title"] = before.Title
		}
		if len(changes) == 0 {
			return nil
		}
		return s.timeline(tx, id, now, actor, "task", "Task "+t.Title+": "+strings.Join(changes, ", "), detail)
	})
	return task, err
}
