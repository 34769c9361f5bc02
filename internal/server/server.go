// Package server composes the platform's stages into the `vigil serve` process and owns
// their lifecycles: it opens the store, bootstraps the first admin, serves HTTP(S) and
// shuts everything down in order when its context ends.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/fleet"
	"github.com/vigilsec/vigil/internal/httpapi"
	"github.com/vigilsec/vigil/internal/incident"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
	"github.com/vigilsec/vigil/internal/ingest/syslog"
	"github.com/vigilsec/vigil/internal/intel"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/version"
	"github.com/vigilsec/vigil/internal/webui"
)

// Run starts the platform and blocks until ctx ends or the HTTP server fails. Messages for
// the person who started it (first admin's credentials, the URL) go to out; the
// structured log goes to log.
func Run(ctx context.Context, cfg config.Config, out io.Writer, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	st, err := sqlite.Open(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	events, err := sqlite.OpenEvents(ctx, cfg.Data)
	if err != nil {
		return err
	}
	defer events.Close()

	svc := auth.NewService(st, time.Now, auth.DefaultPolicy, log)
	username, password, created, err := svc.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if created {
		fmt.Fprintf(out, "First start: created the admin account. This password is shown only once;\n"+
			"you must change it when you first sign in.\n  username: %s\n  password: %s\n", username, password)
	}

	tlsConf, err := tlsConfig(cfg, out)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	lists, err := loadIntel(cfg.Detection.Intel, log)
	if err != nil {
		return err
	}
	backlog := cfg.Detection.Backlog
	engine, loaded, rejected := ruleset.New(ruleset.Options{Placeholders: cfg.Detection.Placeholders, Intel: lists,
		Engine: detect.Options{LagIdle: backlog.Idle, MaxHold: backlog.MaxHold, MaxLag: backlog.MaxLag}})
	log.Info("detection rules compiled", "loaded", loaded, "compiled", engine.Builtin().Len(), "rejected", len(rejected))
	for _, err := range rejected {
		log.Warn("detection rule skipped", "err", err)
	}
	rulesMgr := ruleset.NewManager(engine, st, time.Now)
	if err := rulesMgr.Load(ctx); err != nil {
		log.Warn("stored rule choices", "err", err)
	}
	// The correlation windows open when the last run stopped continue; a file that does
	// not load is moved aside and detection starts without it.
	for _, l := range engine.LoadState(cfg.Data) {
		if l.Err != nil {
			log.Error("correlation state not restored", "rules", l.Origin, "file", l.Path, "moved_to", l.MovedTo, "err", l.Err)
			continue
		}
		log.Info("correlation state restored", "rules", l.Origin, "restored", l.Restored, "dropped", l.Dropped)
	}
	saveState := func() {
		if err := engine.SaveState(cfg.Data); err != nil {
			log.Error("save correlation state", "err", err)
		}
	}
	// Deferred before the clock and the syslog receiver start, the last save runs after
	// they stopped and the HTTP server shut down: it has every event ingested.
	defer saveState()
	cat, err := matrix.Load()
	if err != nil {
		return fmt.Errorf("matrix catalog: %w", err)
	}
	var uiURL atomic.Pointer[string]
	dispatcher, err := notify.New(cfg.Notify, notify.Options{Registerer: reg, Logger: log, OnResult: keepDelivery(st, log)})
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notifyDone := make(chan struct{})
	go func() { defer close(notifyDone); dispatcher.Run(notifyCtx) }()
	// The dispatcher stops last: what the stages notified while stopping goes out or
	// is recorded as not delivered.
	defer func() { stopNotify(); <-notifyDone }()
	incidents, err := incident.New(st, cat, incident.Options{Config: incidentConfig(cfg.Incidents), Log: log, Engine: engine,
		Notifier: notifier(dispatcher, &uiURL)})
	if err != nil {
		return err
	}
	if err := incidents.ApplyExceptions(ctx); err != nil {
		log.Warn("some exceptions do not apply", "err", err)
	}
	keep := func(ctx context.Context, raised []ingest.Raised) error { return incidents.Keep(ctx, raised) }
	fl := fleet.New(st, time.Now)
	ingester := ingest.New(events, reg, ingest.Options{Detector: engine, Alerts: keep, Log: log, Enrich: fl.NewEnricher(log).Event})
	// Time alone closes correlation windows, misses SLAs and moves the exceptions'
	// counts to the store.
	stopClock := runClock(ctx, log, engine, cfg.Detection.EffectiveLateness(), incidents, keep, saveState)
	defer stopClock()
	sc := cfg.Syslog
	syslogCfg := syslog.Config{UDP: sc.UDP, TCP: sc.TCP, TLS: sc.TLS, TLSCert: sc.TLSCert, TLSKey: sc.TLSKey,
		Timezone: sc.Timezone, MaxConnections: sc.MaxConnections, IdleTimeout: sc.IdleTimeout}
	if syslogCfg.Enabled() {
		rcv, err := syslog.Listen(syslogCfg, ingester, reg, log)
		if err != nil {
			return err
		}
		// The receiver stops with Run (whatever ends it) and has handed over all it
		// read before the deferred close of the event store runs.
		syslogCtx, stopSyslog := context.WithCancel(ctx)
		syslogDone := make(chan struct{})
		go func() { defer close(syslogDone); rcv.Serve(syslogCtx) }()
		defer func() { stopSyslog(); <-syslogDone }()
	}
	api := httpapi.New(httpapi.Config{Auth: svc, Store: st, Log: log, Registry: reg, UI: webui.Handler(),
		Events: events, Ingest: httpin.New(ingester, time.Now), Fleet: fl, Incidents: incidents,
		Notify: dispatcher, NotifyConfig: cfg.Notify, Rules: rulesMgr,
		Version: version.Version, SecureCookies: tlsConf != nil})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
		scheme = "https"
	} else if addr, ok := ln.Addr().(*net.TCPAddr); ok && !addr.IP.IsLoopback() {
		log.Warn("serving plain HTTP on a non-loopback address: passwords and session cookies cross the network unencrypted; use --tls-cert/--tls-key or --tls-self-signed",
			"listen", cfg.Listen)
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := fmt.Sprintf("%s://%s/", scheme, displayAddr(ln.Addr()))
	uiURL.Store(&url)
	log.Info("vigil serving", "url", url, "data", cfg.Data, "version", version.String())
	fmt.Fprintf(out, "Vigil is running at %s\n", url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	pruneDone := make(chan struct{})
	pruneCtx, stopPrune := context.WithCancel(ctx)
	go func() {
		defer close(pruneDone)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-pruneCtx.Done():
				return
			case <-t.C:
				if n, err := svc.PruneSessions(pruneCtx); err != nil {
					log.Warn("prune sessions", "err", err)
				} else if n > 0 {
					log.Debug("pruned expired sessions", "count", n)
				}
			}
		}
	}()
	defer func() { stopPrune(); <-pruneDone }()

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
	}
	return tcp.String()
}

// incidentConfig is the incident stage's configuration: the defaults, with what the
// configuration file or environment set.
func incidentConfig(c config.Incidents) incident.Config {
	out := incident.DefaultConfig()
	if c.DedupWindow != 0 {
		out.DedupWindow = c.DedupWindow
	}
	if c.GroupWindow != 0 {
		out.GroupWindow = c.GroupWindow
	}
	if c.OpenLevel != "" {
		out.OpenLevel = c.OpenLevel
	}
	for sev, sla := range c.SLA {
		out.SLA[sev] = incident.SLA{Acknowledge: sla.Acknowledge, Contain: sla.Contain}
	}
	return out
}

// stateEvery is how often the correlation state is saved while serving: a process
// killed without a graceful shutdown loses at most that much of it.
const stateEvery = time.Minute

// runClock advances the detection engine and the incident stage every few seconds, and
// saves the correlation state every stateEvery; the returned func stops it and waits.
// The clock that closes correlation windows stays lateness behind the wall clock: logs
// arrive late (cloud audit logs by several minutes), and a window closed too early would
// miss their events.
func runClock(ctx context.Context, log *slog.Logger, engine *ruleset.Set, lateness time.Duration, incidents *incident.Service,
	keep ingest.AlertSink, saveState func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		save := time.NewTicker(stateEvery)
		defer save.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-save.C:
				saveState()
			case now := <-t.C:
				if as := engine.Advance(now.Add(-lateness)); len(as) > 0 {
					raised := make([]ingest.Raised, len(as))
					for i, a := range as {
						raised[i] = ingest.Raised{Alert: a}
					}
					if err := keep(ctx, raised); err != nil {
						log.Error("keep alerts of closed correlation windows", "alerts", len(as), "err", err)
					}
				}
				if err := incidents.Tick(ctx); err != nil && ctx.Err() == nil {
					log.Error("incident clock", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// notifier turns the incident stage's messages into notifications, with a link to the
// incident in the web UI once the server knows its address.
func notifier(d *notify.Dispatcher, base *atomic.Pointer[string]) incident.Notifier {
	return func(m incident.Message) {
		d.Notify(notifyMessage(m, base.Load()))
	}
}

// notifyMessage is the notification of an incident message.
func notifyMessage(m incident.Message, base *string) notify.Message {
	in := m.Incident
	out := notify.Message{Kind: m.Kind, IncidentID: in.ID, Title: in.Title, Severity: in.Severity, Status: in.Status,
		Techniques: in.Techniques, HostGroups: in.HostGroups, Time: in.UpdatedAt, Tactics: []string{}, Hosts: []string{}}
	for _, t := range in.Tactics {
		out.Tactics = append(out.Tactics, matrix.TagNamespace+"."+strings.ToLower(t))
	}
	var ents []string
	for _, e := range in.Entities {
		if e.Kind == "host" {
			out.Hosts = append(out.Hosts, e.Value)
		}
		ents = append(ents, e.Kind+" "+e.Value)
	}
	out.Summary = m.Text
	if len(in.Techniques) > 0 {
		out.Summary += "\nTechniques: " + strings.Join(in.Techniques, ", ")
	}
	if len(ents) > 0 {
		out.Summary += "\nEntities: " + strings.Join(ents, ", ")
	}
	out.Summary += fmt.Sprintf("\nAlerts: %d", in.AlertCount)
	if base != nil {
		out.URL = fmt.Sprintf("%s#/incidents/%d", *base, in.ID)
	}
	return out
}

// keepDelivery records every delivery attempt, so failures show in the UI.
func keepDelivery(st store.Store, log *slog.Logger) func(notify.Delivery) {
	return func(d notify.Delivery) {
		rec := &store.Delivery{Time: d.Time, Channel: d.Channel, Kind: d.Kind, IncidentID: d.IncidentID,
			Attempt: d.Attempt, OK: d.OK, Final: d.Final, Error: d.Err}
		err := st.Update(context.Background(), func(tx store.Tx) error { return tx.AddDelivery(rec) })
		if err != nil {
			log.Error("record notification delivery", "channel", d.Channel, "err", err)
		}
	}
}

// loadIntel reads the threat-intel files of the configuration. A file that cannot be
// read stops the start; rejected rows are logged.
func loadIntel(files []string, log *slog.Logger) ([]*intel.List, error) {
	var lists []*intel.List
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("intel list: %w", err)
		}
		l, err := intel.Load(name, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("intel list %s: %w", name, err)
		}
		for _, r := range l.Rejected {
			log.Warn("intel indicator rejected", "list", name, "at", r.String())
		}
		lists = append(lists, l)
	}
	return lists, nil
}
