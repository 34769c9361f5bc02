package incident

import (
	"context"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/store"
)

// Criticalities are the asset criticalities, lowest first; they share the severities'
// scale.
func Criticalities() []string { return Severities() }

// PutAsset sets how critical a host is and its groups. Incidents on the host that open
// or grow later are rated with it.
func (s *Service) PutAsset(ctx context.Context, actor, host, criticality string, groups []string) (*store.Asset, error) {
	host = strings.TrimSpace(host)
	if host == "" || len(host) > 255 {
		return nil, invalid("invalid_host", "a host name must have 1 to 255 characters")
	}
	if !slices.Contains(Criticalities(), criticality) {
		return nil, invalid("invalid_criticality", "criticality must be one of %s", strings.Join(Criticalities(), ", "))
	}
	if len(groups) > 32 {
		return nil, invalid("invalid_groups", "at most 32 groups")
	}
	clean := []string{}
	for _, g := range groups {
		g = strings.TrimSpace(g)
		if g == "" || len(g) > 64 {
			return nil, invalid("invalid_groups", "group names must have 1 to 64 characters")
		}
		if !slices.Contains(clean, g) {
			clean = append(clean, g)
		}
	}
	a := &store.Asset{Host: host, Criticality: criticality, Groups: clean}
	err := s.db.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		a.UpdatedAt = now
		var before any
		if old, err := tx.GetAsset(host); err == nil {
			before = old
		}
		if err := tx.PutAsset(a); err != nil {
			return err
		}
		_, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "asset.put", Target: "host:" + host, Before: before, After: a})
		return err
	})
	return a, err
}

// DeleteAsset forgets a host's criticality and groups.
func (s *Service) DeleteAsset(ctx context.Context, actor, host string) error {
	return s.db.Update(ctx, func(tx store.Tx) error {
		old, err := tx.GetAsset(host)
		if err != nil {
			return err
		}
		if err := tx.DeleteAsset(host); err != nil {
			return err
		}
		_, err = audit.Append(tx, s.now().UTC(), audit.Record{Actor: actor, Action: "asset.delete", Target: "host:" + host, Before: old})
		return err
	})
}

// Assets lists the hosts with a criticality or groups.
func (s *Service) Assets(ctx context.Context) ([]*store.Asset, error) {
	var out []*store.Asset
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ListAssets()
		return err
	})
	return nonNilSlice(out), err
}
