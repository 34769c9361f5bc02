package fleet

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/enrich"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// inventory is the part of an agent's inventory (agent.Inventory) enrichment needs.
type inventory struct {
	Hostname string   `json:"hostname"`
	IPs      []string `json:"ips"`
	Cloud    *struct {
		Provider   string   `json:"provider"`
		InstanceID string   `json:"instance_id"`
		Region     string   `json:"region"`
		Zone       string   `json:"zone"`
		PublicIPs  []string `json:"public_ips"`
	} `json:"cloud"`
}

// Instances returns the enrolled, enabled agents that run on a cloud instance.
func (s *Service) Instances(ctx context.Context) ([]enrich.Instance, error) {
	var agents []*store.Agent
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		agents, err = allAgents(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []enrich.Instance
	for _, a := range agents {
		var inv inventory
		if a.Disabled || json.Unmarshal([]byte(jsonOr(a.Inventory)), &inv) != nil || inv.Cloud == nil || inv.Cloud.InstanceID == "" {
			continue
		}
		out = append(out, enrich.Instance{Host: a.Hostname, Provider: enrich.Provider(inv.Cloud.Provider),
			InstanceID: inv.Cloud.InstanceID, Region: inv.Cloud.Region, Zone: inv.Cloud.Zone, IPs: inv.IPs, PublicIPs: inv.Cloud.PublicIPs})
	}
	return out, nil
}

// EnrichRefresh is how long the enricher keeps the agents' instances before it reads
// them again.
const EnrichRefresh = time.Minute

// Enricher enriches events with the agents' instances, read again after an enrolment
// or an inventory change, and at least every EnrichRefresh. A failure to read keeps
// the previous set.
type Enricher struct {
	fleet *Service
	log   *slog.Logger
	mu    sync.Mutex
	cur   *enrich.Enricher
	at    time.Time
	seen  int64 // the fleet's change count the set was read at
}

// NewEnricher returns an enricher reading the fleet's instances; failures to read them
// go to log (nil discards them).
func (s *Service) NewEnricher(log *slog.Logger) *Enricher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Enricher{fleet: s, log: log}
}

// Event enriches one event (see enrich.Enricher.Event).
func (e *Enricher) Event(ev *event.Event) { e.current().Event(ev) }

func (e *Enricher) current() *enrich.Enricher {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.fleet.now()
	changes := e.fleet.changes.Load()
	if e.cur == nil || now.Sub(e.at) >= EnrichRefresh || changes != e.seen {
		e.at, e.seen = now, changes
		ins, err := e.fleet.Instances(context.Background())
		switch {
		case err == nil:
			e.cur = enrich.New(ins)
		case e.cur == nil:
			e.cur = enrich.New(nil)
			fallthrough
		default:
			e.log.Warn("enrichment: cannot read the agents' instances; keeping the previous set", "err", err)
		}
	}
	return e.cur
}
