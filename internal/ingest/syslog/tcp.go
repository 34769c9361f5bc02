package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// accept serves the connections of one stream listener until it is closed.
func (r *Receiver) accept(ctx, storeCtx context.Context, proto string, ln net.Listener, wg *sync.WaitGroup) {
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait for connections to end
			// rather than spin, as net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			r.log.Warn("syslog: accept failed; retrying", "proto", proto, "err", err, "retry_in", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		select {
		case r.conns <- struct{}{}:
		default:
			r.m.refused.WithLabelValues(proto).Inc()
			if ok, held := r.refusals.allow(time.Now()); ok {
				r.log.Warn("syslog: connection limit reached; closing new connections", "proto", proto,
					"peer", c.RemoteAddr().String(), "limit", r.cfg.MaxConnections, "refused_unlogged", held)
			}
			c.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-r.conns }()
			r.serveConn(ctx, storeCtx, proto, c)
		})
	}
}

// errStopped is what a connection's reads return once the receiver is shutting down.
var errStopped = errors.New("syslog receiver stopping")

// connReader reads a connection under a read deadline that ends a read when the pending
// batch is due, when the connection has been idle too long, or at once when the receiver
// stops. The decoder keeps its state across such interruptions.
type connReader struct {
	rd    io.Reader // the connection, or its TLS layer
	conn  net.Conn  // the connection, whose deadline is set
	idle  time.Duration
	bytes prometheus.Counter

	mu       sync.Mutex
	stopped  bool
	deadline time.Time // the read deadline set last

	// last is when a read last returned data or a flush ended: while a batch waits
	// for the store the sender is held back by us, which is not idleness.
	last    time.Time
	flushAt time.Time // when the pending batch is due; zero with none pending
}

// flushed notes that the pending batch was submitted.
func (c *connReader) flushed() {
	c.flushAt = time.Time{}
	c.last = time.Now()
}

func (c *connReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return 0, errStopped
	}
	dl := c.last.Add(c.idle)
	if !c.flushAt.IsZero() && c.flushAt.Before(dl) {
		dl = c.flushAt
	}
	if !dl.Equal(c.deadline) {
		c.conn.SetReadDeadline(dl)
		c.deadline = dl
	}
	c.mu.Unlock()
	n, err := c.rd.Read(p)
	if n > 0 {
		c.last = time.Now()
		c.bytes.Add(float64(n))
	}
	return n, err
}

// stop makes the read under way, and every later one, return at once.
func (c *connReader) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.conn.SetReadDeadline(time.Unix(1, 0))
}

func (c *connReader) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// serveConn reads one TCP or TLS connection to its end. While a batch is being
// submitted, nothing is read: the sender is slowed by TCP itself.
func (r *Receiver) serveConn(ctx, storeCtx context.Context, proto string, c net.Conn) {
	defer c.Close()
	peer := peerOf(c.RemoteAddr())
	open := r.m.open.WithLabelValues(proto)
	open.Inc()
	defer open.Dec()

	cr := &connReader{rd: c, conn: c, idle: r.cfg.IdleTimeout, bytes: r.m.bytes.WithLabelValues(proto), last: time.Now()}
	stopRead := context.AfterFunc(ctx, cr.stop)
	defer stopRead()
	if proto == "tls" {
		tc := tls.Server(c, r.tlsConf)
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			r.log.Debug("syslog: TLS handshake failed", "peer", peer.String(), "err", err)
			return
		}
		defer tc.Close() // sends close_notify before the connection is closed
		cr.rd = tc
	}
	log := r.log.With("proto", proto, "peer", peer.String())
	log.Debug("syslog: connection open")

	st := r.newStream(proto, peer)
	messages := r.m.messages.WithLabelValues(proto)
	dec := NewDecoder(cr, FramingAuto, r.cfg.MaxMessageBytes)
	warned := false
	var why string
read:
	for {
		f, err := dec.Next()
		switch {
		case f.Reason != "":
			st.reject(f)
			if !warned {
				// Once per connection: the rejections themselves are all kept.
				log.Warn("syslog: frame rejected", "framing", dec.Framing().String(), "reason", f.Reason, "offset", f.Offset)
				warned = true
			}
		case err == nil:
			messages.Inc()
			st.message(f.Msg)
		}
		if err == nil {
			if st.pending() >= r.cfg.MaxBatch {
				r.flush(storeCtx, st)
				cr.flushed()
			}
			if cr.flushAt.IsZero() && !st.first.IsZero() {
				cr.flushAt = st.first.Add(r.cfg.MaxDelay)
			}
			continue
		}
		if isTimeout(err) && !cr.isStopped() {
			// The deadline was the batch's or the idle timeout's.
			now := time.Now()
			if !cr.flushAt.IsZero() && !now.Before(cr.flushAt) {
				r.flush(storeCtx, st)
				cr.flushed()
				continue
			}
			if now.Sub(cr.last) >= r.cfg.IdleTimeout {
				why = "idle"
				log.Info("syslog: closing idle connection", "idle", r.cfg.IdleTimeout.String())
				break read
			}
			continue
		}
		switch {
		case errors.Is(err, io.EOF):
			why = "closed by peer"
		case isTimeout(err) || errors.Is(err, errStopped):
			why = "shutdown"
		case errors.Is(err, ErrOutOfSync):
			why = err.Error()
			log.Warn("syslog: closing connection", "reason", err.Error())
		default:
			why = err.Error()
		}
		break read
	}
	r.finish(storeCtx, st)
	log.Debug("syslog: connection closed", "reason", why, "framing", dec.Framing().String(), "frames", st.frames)
}
