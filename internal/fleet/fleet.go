// Package fleet is the server side of the agents: enrolment (an enrolment token is
// exchanged for the agent's own credential), heartbeats with the host's inventory and
// per-source counters, and the list of hosts the UI shows.
package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// ErrNotAgent means a credential that does not belong to an enrolled agent was used
// where only an agent's own token will do.
var ErrNotAgent = errors.New("this token is not an enrolled agent's credential")

// Service implements enrolment and heartbeats over the platform store.
type Service struct {
	store store.Store
	now   func() time.Time
	// changes counts enrolments and inventory changes, so that the enricher reads
	// the instances again at once instead of at its next refresh.
	changes atomic.Int64
}

// New returns a Service.
func New(st store.Store, now func() time.Time) *Service { return &Service{store: st, now: now} }

// EnrollRequest is what an agent says about itself when it enrols.
type EnrollRequest struct {
	Hostname  string          `json:"hostname"`
	MachineID string          `json:"machine_id"`
	Version   string          `json:"version"`
	Inventory json.RawMessage `json:"inventory,omitempty"`
}

// Enrollment is the agent's credential, shown once.
type Enrollment struct {
	AgentID int64  `json:"agent_id"`
	Token   string `json:"token"`
}

// Enroll registers an agent and issues its own API token (role ingest). A machine that
// enrols again (reinstalled agent) keeps its agent record; its old token is revoked.
func (s *Service) Enroll(ctx context.Context, actor string, req EnrollRequest) (*Enrollment, error) {
	defer s.changes.Add(1)
	req.Hostname = strings.TrimSpace(req.Hostname)
	req.MachineID = strings.TrimSpace(req.MachineID)
	if req.Hostname == "" || len(req.Hostname) > 253 || strings.ContainsAny(req.Hostname, " \t\n/") {
		return nil, auth.Invalidf("hostname must be 1 to 253 characters without spaces or slashes")
	}
	if len(req.MachineID) > 128 || len(req.Version) > 64 {
		return nil, auth.Invalidf("machine_id or version too long")
	}
	inv, err := compactJSON(req.Inventory)
	if err != nil {
		return nil, auth.Invalidf("inventory: %v", err)
	}
	now := s.now().UTC()
	var out *Enrollment
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var existing *store.Agent
		if req.MachineID != "" {
			agents, err := allAgents(tx)
			if err != nil {
				return err
			}
			for _, a := range agents {
				if a.MachineID == req.MachineID {
					existing = a
				}
			}
		}
		tok, secret, err := auth.IssueToken(tx, now, actor, "agent:"+req.Hostname, auth.RoleIngest, 0)
		if err != nil {
			return err
		}
		if existing != nil {
			old, err := tx.GetToken(existing.TokenID)
			if err == nil && old.RevokedAt.IsZero() {
				old.RevokedAt = now
				if err := tx.UpdateToken(old); err != nil {
					return err
				}
			}
			before := *existing
			existing.Hostname, existing.Version, existing.Inventory, existing.TokenID = req.Hostname, req.Version, inv, tok.ID
			if err := tx.UpdateAgent(existing); err != nil {
				return err
			}
			if err := tx.SetAgentToken(existing.ID, tok.ID); err != nil {
				return err
			}
			if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "agent.reenroll", Target: target(existing),
				Before: view(&before), After: view(existing)}); err != nil {
				return err
			}
			out = &Enrollment{AgentID: existing.ID, Token: secret}
			return nil
		}
		a := &store.Agent{Hostname: req.Hostname, MachineID: req.MachineID, TokenID: tok.ID, Version: req.Version,
			Inventory: inv, EnrolledAt: now, LastSeen: now}
		if err := tx.CreateAgent(a); err != nil {
			return err
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "agent.enroll", Target: target(a), After: view(a)}); err != nil {
			return err
		}
		out = &Enrollment{AgentID: a.ID, Token: secret}
		return nil
	})
	return out, err
}

func allAgents(tx store.Tx) ([]*store.Agent, error) {
	return store.All(tx.ListAgents, func(a *store.Agent) int64 { return a.ID })
}

// Heartbeat is an agent's periodic report.
type Heartbeat struct {
	Version   string          `json:"version"`
	Inventory json.RawMessage `json:"inventory,omitempty"`
	Status    json.RawMessage `json:"status,omitempty"` // per-source counters, spool state
}

// AgentFor returns the agent whose own token has id tokenID.
func (s *Service) AgentFor(ctx context.Context, tokenID int64) (a *store.Agent, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { a, err = tx.GetAgentByToken(tokenID); return err })
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotAgent
	}
	return a, err
}

// Beat records a heartbeat of the agent owning tokenID. Heartbeats are not audited: they
// change only what the agent reports about itself, every few seconds.
func (s *Service) Beat(ctx context.Context, tokenID int64, hb Heartbeat) (*store.Agent, error) {
	inv, err := compactJSON(hb.Inventory)
	if err != nil {
		return nil, auth.Invalidf("inventory: %v", err)
	}
	status, err := compactJSON(hb.Status)
	if err != nil {
		return nil, auth.Invalidf("status: %v", err)
	}
	var a *store.Agent
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if a, err = tx.GetAgentByToken(tokenID); err != nil {
			return err
		}
		a.LastSeen = s.now().UTC()
		if hb.Version != "" {
			a.Version = hb.Version
		}
		if inv != "{}" && inv != a.Inventory {
			a.Inventory = inv
			s.changes.Add(1)
		}
		if status != "{}" {
			a.Status = status
		}
		return tx.UpdateAgent(a)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotAgent
	}
	return a, err
}

// List returns a page of agents.
func (s *Service) List(ctx context.Context, p store.Page) (out []*store.Agent, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { out, err = tx.ListAgents(p); return err })
	return out, err
}

// Get returns one agent.
func (s *Service) Get(ctx context.Context, id int64) (a *store.Agent, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error { a, err = tx.GetAgent(id); return err })
	return a, err
}

// View is the API and audit picture of an agent.
type View struct {
	ID         int64           `json:"id"`
	Hostname   string          `json:"hostname"`
	MachineID  string          `json:"machine_id"`
	Version    string          `json:"version"`
	Inventory  json.RawMessage `json:"inventory"`
	Status     json.RawMessage `json:"status"`
	EnrolledAt time.Time       `json:"enrolled_at"`
	LastSeen   time.Time       `json:"last_seen,omitzero"`
	Disabled   bool            `json:"disabled"`
}

func view(a *store.Agent) View {
	return View{ID: a.ID, Hostname: a.Hostname, MachineID: a.MachineID, Version: a.Version,
		Inventory: json.RawMessage(jsonOr(a.Inventory)), Status: json.RawMessage(jsonOr(a.Status)),
		EnrolledAt: a.EnrolledAt, LastSeen: a.LastSeen, Disabled: a.Disabled}
}

// ViewOf returns the API picture of an agent.
func ViewOf(a *store.Agent) View { return view(a) }

func target(a *store.Agent) string { return fmt.Sprintf("agent:%d:%s", a.ID, a.Hostname) }

func jsonOr(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

// compactJSON checks that raw is a JSON object (or empty) of at most 64 KiB.
func compactJSON(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "{}", nil
	}
	if len(raw) > 64<<10 {
		return "", errors.New("larger than 64 KiB")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", errors.New("not a JSON object")
	}
	b, _ := json.Marshal(m)
	return string(b), nil
}
