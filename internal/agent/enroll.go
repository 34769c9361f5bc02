package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/fleet"
	"github.com/vigilsec/vigil/internal/version"
)

// identity returns the agent's credential: the stored one, or a new one from enrolment.
// It waits for an unreachable server (a host may boot before it), but fails at once when
// the server refuses the enrolment token. It returns nil when ctx ends while waiting.
func (a *Agent) identity(ctx context.Context, reenroll bool) (*identity, error) {
	id, err := loadIdentity(a.cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if id != nil && !reenroll {
		if a.cfg.EnrollToken != "" {
			a.log.Info("already enrolled; the enrolment token is not used (--reenroll enrols again)", "agent_id", id.AgentID)
		}
		if id.Server != a.cfg.Server {
			a.log.Warn("the configured server differs from the one the agent enrolled with; using the configured one",
				"enrolled_with", id.Server, "server", a.cfg.Server)
		}
		return id, nil
	}
	if a.cfg.EnrollToken == "" {
		if reenroll {
			return nil, errors.New("--reenroll needs the enrolment token (--enroll TOKEN or VIGIL_AGENT_ENROLL)")
		}
		return nil, errors.New("this agent is not enrolled yet: give the enrolment token once with --enroll TOKEN (or VIGIL_AGENT_ENROLL)")
	}
	inv := a.inv.collect(ctx)
	invJSON, _ := json.Marshal(inv)
	req := fleet.EnrollRequest{Hostname: a.hostname, MachineID: inv.MachineID, Version: version.Version, Inventory: invJSON}
	bo := backoff{base: time.Second, max: 30 * time.Second}
	for {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := a.client.postJSON(rctx, "/api/v1/agents/enroll", a.cfg.EnrollToken, req)
		cancel()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, nil
			}
			a.log.Warn("enrolment: server unreachable; retrying", "server", a.cfg.Server, "err", err)
		case resp.status == http.StatusCreated || resp.status == http.StatusOK:
			var enr fleet.Enrollment
			if err := json.Unmarshal(resp.body, &enr); err != nil || enr.Token == "" {
				return nil, fmt.Errorf("enrolment: unexpected answer: %s", resp)
			}
			id := &identity{Server: a.cfg.Server, AgentID: enr.AgentID, Token: enr.Token, Hostname: a.hostname, EnrolledAt: time.Now().UTC()}
			if err := saveIdentity(a.cfg.StateDir, id); err != nil {
				return nil, fmt.Errorf("enrolment succeeded but the credential could not be stored: %w", err)
			}
			a.log.Info("enrolled", "agent_id", id.AgentID, "hostname", a.hostname)
			return id, nil
		case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden || resp.status == http.StatusBadRequest:
			return nil, fmt.Errorf("enrolment refused: %s", resp)
		default:
			a.log.Warn("enrolment: server error; retrying", "status", resp.String())
		}
		if !sleep(ctx, bo.next()) {
			return nil, nil
		}
	}
}

// runHeartbeat reports version, inventory and status at once and then every interval.
func (a *Agent) runHeartbeat(ctx context.Context) {
	t := time.NewTicker(a.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		a.beat(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *Agent) beat(ctx context.Context) {
	inv, _ := json.Marshal(a.inv.collect(ctx))
	hb := fleet.Heartbeat{Version: version.Version, Inventory: inv, Status: a.status.snapshot(a.spool.Stats()).json()}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := a.client.postJSON(rctx, "/api/v1/agents/heartbeat", "", hb)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			a.limiter.log(a.log, slog.LevelWarn, "heartbeat", 5*time.Minute, "heartbeat failed", "err", err)
		}
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		a.authFailed(resp)
	case resp.status != http.StatusOK:
		a.limiter.log(a.log, slog.LevelWarn, "heartbeat", 5*time.Minute, "heartbeat refused", "status", resp.String())
	}
}

// authFailed reports loudly that the credential no longer works. The agent keeps
// collecting into the spool, so nothing is lost while someone enrols it again.
func (a *Agent) authFailed(resp *response) {
	a.limiter.log(a.log, slog.LevelError, "auth", time.Minute,
		"the server refuses this agent's credential (revoked, or the agent was removed); events keep being spooled until it is enrolled again with --enroll TOKEN --reenroll",
		"status", resp.String())
}
