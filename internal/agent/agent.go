package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/version"
)

// Options are what the command line adds to the configuration.
type Options struct {
	// Reenroll enrols again with Config.EnrollToken even when the state directory holds a
	// credential (after the old one was revoked, or to move to another server).
	Reenroll bool
}

// Agent is a running agent.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	client   *client
	inv      *inventory
	hostname string
	status   *status
	limiter  logLimiter

	spool    *spool.Spool
	ckpts    *checkpoints
	firstRun bool // no checkpoints existed: StartAt applies
}

// Run enrols if needed and runs the agent until ctx ends (SIGINT/SIGTERM): collectors
// stop after their current commit, an in-flight request may finish within a few
// seconds, and everything not acknowledged stays in the spool for the next start.
func Run(ctx context.Context, cfg Config, opts Options, log *slog.Logger) error {
	a, err := newAgent(cfg, log)
	if err != nil {
		return err
	}
	id, err := a.identity(ctx, opts.Reenroll)
	if err != nil {
		return err
	}
	if id == nil {
		return nil // stopped while waiting for the server to enrol
	}
	a.client.token = id.Token
	if err := a.openState(); err != nil {
		return err
	}
	defer a.spool.Close()
	log.Info("vigil agent running", "server", cfg.Server, "agent_id", id.AgentID, "state", cfg.StateDir, "version", version.String())

	var wg sync.WaitGroup
	wg.Go(func() { a.runFiles(ctx, &wg) })
	if a.journaldEnabled() {
		wg.Go(func() { a.runJournald(ctx) })
	}
	wg.Go(func() { a.runSender(ctx) })
	wg.Go(func() { a.runHeartbeat(ctx) })
	wg.Wait()
	log.Info("vigil agent stopped", "unsent_bytes", a.spool.Stats().Bytes)
	return nil
}

func newAgent(cfg Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.rotateGrace == 0 {
		cfg.rotateGrace = time.Second
	}
	if cfg.auditIdle == 0 {
		cfg.auditIdle = auditFlushIdle
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("hostname: %w", err)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return &Agent{cfg: cfg, log: log, client: c, hostname: host, status: newStatus(),
		inv: &inventory{machineIDFile: cfg.machineIDFile, probe: newCloudProbe(cfg.CloudMetadata)}}, nil
}

// openState opens the checkpoints and the spool, and writes the checkpoint of the
// spool's last commit again in case a crash came before it was written.
func (a *Agent) openState() error {
	dir := filepath.Join(a.cfg.StateDir, checkpointsDir)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		a.firstRun = true
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	a.ckpts = &checkpoints{dir: dir}
	sp, last, err := spool.Open(filepath.Join(a.cfg.StateDir, spoolDir), spool.Options{MaxBytes: a.cfg.Spool.MaxBytes})
	if err != nil {
		return err
	}
	a.spool = sp
	if err := a.redoCommit(last); err != nil {
		sp.Close()
		return err
	}
	return nil
}

// waitSpool returns at once while the spool has room; when it is full the source stops
// reading (its input waits on disk, or in journalctl's pipe) until the sender made room.
// It reports false when ctx ended.
func (a *Agent) waitSpool(ctx context.Context, st *sourceStats) bool {
	if !a.spool.Full() {
		return ctx.Err() == nil
	}
	a.limiter.log(a.log, slog.LevelWarn, "spool-full", time.Minute,
		"spool is full: collectors pause until the server accepts events again (logs keep growing on disk and are read later)",
		"max_bytes", a.cfg.Spool.MaxBytes)
	var prev string
	a.status.update(st, func(c *sourceStats) { prev, c.State = c.State, "spool_full" })
	for a.spool.Full() {
		if !sleep(ctx, a.cfg.PollInterval) {
			return false
		}
	}
	a.status.update(st, func(c *sourceStats) { c.State = prev })
	return true
}

// journaldEnabled applies the "auto" rule: the journal is read when journalctl exists
// and no classic syslog file does (a syslog daemon would already write the same
// messages to the files).
func (a *Agent) journaldEnabled() bool {
	switch a.cfg.Journald.Enabled {
	case "true":
		return true
	case "false":
		return false
	}
	if _, err := exec.LookPath(a.journalctl()); err != nil {
		return false
	}
	for _, f := range syslogFiles {
		if _, err := os.Stat(f); err == nil {
			return false
		}
	}
	return true
}

func (a *Agent) journalctl() string {
	if a.cfg.journalctl != "" {
		return a.cfg.journalctl
	}
	return "journalctl"
}
