// Package syslog is the syslog network source. It receives messages over UDP (one
// datagram is one message), over TCP and over TLS (RFC 5425); on a stream the framing,
// newline-delimited or octet-counted (RFC 6587), is detected per connection. Each message
// goes through the same parse.Parser as `vigil parse`, so detection is identical, and the
// events go to the Ingester in batches.
//
// Memory stays bounded under any load: TCP and TLS connections stop reading while the
// ingester is busy, so the kernel's window fills and senders slow down; UDP cannot push
// back, so datagrams beyond a bounded queue are dropped and counted.
package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	// The zone database is compiled in, so a configured time zone works on hosts and
	// containers that ship none.
	_ "time/tzdata"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/parse"
)

// Defaults of the settings left zero in Config.
const (
	DefaultMaxConnections = 1024
	DefaultIdleTimeout    = 10 * time.Minute
	DefaultMaxBatch       = 500
	DefaultMaxDelay       = 200 * time.Millisecond
	DefaultUDPQueue       = 8192
	DefaultUDPQueueBytes  = 32 << 20
	DefaultUDPSenders     = 1024
	DefaultShutdownGrace  = 10 * time.Second
	handshakeTimeout      = 10 * time.Second
)

// Config says where to listen and how. A receiver whose address is empty is off.
type Config struct {
	// UDP, TCP and TLS are the listen addresses of the receivers, such as ":514"; the
	// TLS receiver also needs TLSCert and TLSKey, its PEM certificate and key files.
	UDP, TCP, TLS   string
	TLSCert, TLSKey string

	// Timezone is the zone of timestamps that carry none (RFC 3164); empty means UTC.
	Timezone string
	// MaxConnections bounds the TCP and TLS connections open at once; beyond it new
	// connections are closed at once.
	MaxConnections int
	// IdleTimeout closes a connection that sent nothing for that long.
	IdleTimeout time.Duration

	// MaxBatch and MaxDelay bound a batch: it is submitted when it holds MaxBatch events
	// or its oldest is MaxDelay old, whichever comes first.
	MaxBatch int
	MaxDelay time.Duration
	// MaxMessageBytes bounds one message; longer ones are rejected (kept for review).
	// It defaults to parse.MaxLineBytes, the bound of files and HTTP bodies too, so a
	// message is accepted or refused alike whichever way it arrives.
	MaxMessageBytes int
	// UDPQueue and UDPQueueBytes bound the datagrams waiting to be parsed.
	UDPQueue      int
	UDPQueueBytes int
	// UDPSenders bounds the UDP senders whose parser is kept (least recently heard
	// from are let go first).
	UDPSenders int
	// ShutdownGrace is how long batches may still take to be stored once the context
	// of Serve has ended; what is not stored by then is counted as dropped.
	ShutdownGrace time.Duration
	// Now is the parsers' clock (for timestamps without a year); default time.Now.
	Now func() time.Time
}

// Enabled reports whether any receiver is configured.
func (c Config) Enabled() bool { return c.UDP != "" || c.TCP != "" || c.TLS != "" }

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConnections, DefaultMaxConnections)
	def(&c.MaxBatch, DefaultMaxBatch)
	def(&c.MaxMessageBytes, parse.MaxLineBytes)
	def(&c.UDPQueue, DefaultUDPQueue)
	def(&c.UDPQueueBytes, DefaultUDPQueueBytes)
	def(&c.UDPSenders, DefaultUDPSenders)
	defDur(&c.IdleTimeout, DefaultIdleTimeout)
	defDur(&c.MaxDelay, DefaultMaxDelay)
	defDur(&c.ShutdownGrace, DefaultShutdownGrace)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Receiver is the bound syslog listeners; Serve runs them.
type Receiver struct {
	cfg     Config
	loc     *time.Location
	in      *ingest.Ingester
	log     *slog.Logger
	m       metrics
	tlsConf *tls.Config

	udp      *net.UDPConn
	tcp, tls net.Listener

	conns     chan struct{} // one token per open TCP or TLS connection
	refusals  throttle
	epoch     string       // distinguishes this process's streams in event ids
	streamSeq atomic.Int64 // numbers the streams of this process
}

// Listen binds the configured receivers and registers the metrics in reg. It fails when
// an address cannot be bound or the TLS certificate cannot be loaded; nothing is left
// open then.
func Listen(cfg Config, in *ingest.Ingester, reg prometheus.Registerer, log *slog.Logger) (_ *Receiver, err error) {
	cfg.setDefaults()
	loc := time.UTC
	if cfg.Timezone != "" {
		if loc, err = time.LoadLocation(cfg.Timezone); err != nil {
			return nil, fmt.Errorf("syslog timezone: %w", err)
		}
	}
	r := &Receiver{cfg: cfg, loc: loc, in: in, log: log, m: newMetrics(reg),
		conns: make(chan struct{}, cfg.MaxConnections), refusals: throttle{every: 10 * time.Second},
		epoch: strconv.FormatInt(time.Now().UnixNano(), 36)}
	defer func() {
		if err != nil {
			r.closeListeners()
		}
	}()
	if cfg.TLS != "" {
		if cfg.TLSCert == "" || cfg.TLSKey == "" {
			return nil, errors.New("syslog over TLS needs a certificate and a key")
		}
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("syslog TLS certificate: %w", err)
		}
		r.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if cfg.UDP != "" {
		pc, err := net.ListenPacket("udp", cfg.UDP)
		if err != nil {
			return nil, fmt.Errorf("syslog udp: %w", err)
		}
		r.udp = pc.(*net.UDPConn)
		// A larger socket buffer absorbs bursts while the parser catches up; the
		// kernel may grant less, which is fine.
		_ = r.udp.SetReadBuffer(8 << 20)
	}
	if cfg.TCP != "" {
		if r.tcp, err = net.Listen("tcp", cfg.TCP); err != nil {
			return nil, fmt.Errorf("syslog tcp: %w", err)
		}
	}
	if cfg.TLS != "" {
		if r.tls, err = net.Listen("tcp", cfg.TLS); err != nil {
			return nil, fmt.Errorf("syslog tls: %w", err)
		}
	}
	for _, proto := range []string{"udp", "tcp", "tls"} {
		if a := r.Addr(proto); a != nil {
			r.m.init(proto)
			log.Info("syslog listening", "proto", proto, "addr", a.String())
		}
	}
	return r, nil
}

// Addr returns the bound address of the "udp", "tcp" or "tls" receiver, or nil when it
// is off.
func (r *Receiver) Addr(proto string) net.Addr {
	switch {
	case proto == "udp" && r.udp != nil:
		return r.udp.LocalAddr()
	case proto == "tcp" && r.tcp != nil:
		return r.tcp.Addr()
	case proto == "tls" && r.tls != nil:
		return r.tls.Addr()
	}
	return nil
}

func (r *Receiver) closeListeners() {
	if r.udp != nil {
		r.udp.Close()
	}
	if r.tcp != nil {
		r.tcp.Close()
	}
	if r.tls != nil {
		r.tls.Close()
	}
}

// Serve receives until ctx ends. It then stops reading, submits every message already
// read (waiting up to ShutdownGrace for the store) and returns once all its goroutines
// have ended, so the event store may be closed after it.
func (r *Receiver) Serve(ctx context.Context) {
	// Batches are stored under their own context: a connection stopping at shutdown
	// must still hand over what it read, so only the grace period bounds that.
	storeCtx, cancelStore := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStore()
	var grace *time.Timer
	var graceMu sync.Mutex
	stopGrace := context.AfterFunc(ctx, func() {
		r.closeListeners()
		graceMu.Lock()
		grace = time.AfterFunc(r.cfg.ShutdownGrace, cancelStore)
		graceMu.Unlock()
	})
	defer func() {
		stopGrace()
		graceMu.Lock()
		if grace != nil {
			grace.Stop()
		}
		graceMu.Unlock()
	}()

	var wg sync.WaitGroup
	if r.udp != nil {
		wg.Go(func() { r.serveUDP(storeCtx) })
	}
	if r.tcp != nil {
		wg.Go(func() { r.accept(ctx, storeCtx, "tcp", r.tcp, &wg) })
	}
	if r.tls != nil {
		wg.Go(func() { r.accept(ctx, storeCtx, "tls", r.tls, &wg) })
	}
	<-ctx.Done()
	wg.Wait()
}

// submit stores a batch, waiting for an ingester slot as long as it takes: while it
// waits, the caller reads nothing more, which is the backpressure. A failed write is
// retried with a growing pause. It gives up only when ctx ends (the shutdown grace is
// over), counting what was lost.
func (r *Receiver) submit(ctx context.Context, proto string, b ingest.Batch) {
	pause := 100 * time.Millisecond
	for {
		release, err := r.acquire(ctx)
		if err == nil {
			_, err = r.in.Submit(ctx, b)
			release()
			if err == nil {
				return
			}
		}
		if ctx.Err() != nil {
			r.m.dropped.WithLabelValues(proto).Add(float64(len(b.Events) + len(b.Rejections)))
			r.log.Error("syslog: messages read but not stored before shutdown", "source", b.Source,
				"events", len(b.Events), "rejections", len(b.Rejections), "err", err)
			return
		}
		r.log.Warn("syslog: storing a batch failed; retrying", "source", b.Source, "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Second)
	}
}

func (r *Receiver) acquire(ctx context.Context) (func(), error) {
	for {
		release, err := r.in.Acquire(ctx, time.Second)
		if !errors.Is(err, ingest.ErrBusy) {
			return release, err
		}
	}
}

// throttle lets a repeated warning through at most once per interval and counts the
// occurrences it held back, so a flood is visible without flooding the log.
type throttle struct {
	mu         sync.Mutex
	every      time.Duration
	last       time.Time
	suppressed int
}

// allow reports whether to log now and how many occurrences were held back before.
func (t *throttle) allow(now time.Time) (bool, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.last.IsZero() && now.Sub(t.last) < t.every {
		t.suppressed++
		return false, 0
	}
	n := t.suppressed
	t.last, t.suppressed = now, 0
	return true, n
}

type metrics struct {
	messages *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	open     *prometheus.GaugeVec
	refused  *prometheus.CounterVec
	rejected *prometheus.CounterVec
	dropped  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_syslog_messages_total",
			Help: "Syslog messages received (frames or datagrams), by protocol."}, []string{"proto"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_syslog_received_bytes_total",
			Help: "Bytes received by the syslog receivers, by protocol."}, []string{"proto"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_syslog_connections_open",
			Help: "Syslog TCP and TLS connections open, by protocol."}, []string{"proto"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_syslog_connections_refused_total",
			Help: "Syslog connections closed at once because the connection limit was reached, by protocol."}, []string{"proto"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_syslog_frames_rejected_total",
			Help: "Syslog frames rejected (too long, broken framing) and kept for review, by protocol."}, []string{"proto"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_syslog_dropped_total",
			Help: "Syslog messages lost: UDP datagrams beyond the queue, or messages not stored before shutdown, by protocol."}, []string{"proto"}),
	}
	reg.MustRegister(m.messages, m.bytes, m.open, m.refused, m.rejected, m.dropped)
	return m
}

// init creates the series of an enabled protocol, so they read 0 rather than being
// absent until the first message (alerts on a rate need the series to exist).
func (m metrics) init(proto string) {
	m.messages.WithLabelValues(proto)
	m.bytes.WithLabelValues(proto)
	m.rejected.WithLabelValues(proto)
	m.dropped.WithLabelValues(proto)
	if proto != "udp" {
		m.open.WithLabelValues(proto)
		m.refused.WithLabelValues(proto)
	}
}
