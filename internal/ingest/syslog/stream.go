package syslog

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/parse"
)

// stream is the parsing state of one sender: a TCP or TLS connection, or a UDP sender
// address. It parses messages and holds the batch not submitted yet.
type stream struct {
	proto   string
	source  string // Batch.Source: "syslog:tcp:203.0.113.5:50514"
	parser  *parse.Parser
	emit    parse.Emit
	events  []*event.Event
	rejects []parse.Rejection
	frames  int       // messages and rejected frames so far, for the rejections' Index
	first   time.Time // when the oldest pending item arrived; zero with none pending
	// unparsed is the parser's count of unparsed lines already reported.
	unparsed int
	rejected prometheus.Counter
}

func (r *Receiver) newStream(proto string, peer netip.AddrPort) *stream {
	st := &stream{proto: proto, source: "syslog:" + proto + ":" + peer.String(), rejected: r.m.rejected.WithLabelValues(proto)}
	st.emit = func(ev *event.Event) { st.events = append(st.events, ev) }
	// Event ids hash the parser's source and the message's position in the stream. A
	// stream's positions start at 1 again with every connection (and every restart),
	// and a message without a timestamp may well repeat, so the parser's source also
	// names the stream: otherwise a repeated message would be taken for a delivery
	// already stored and dropped.
	id := st.source + "/" + r.epoch + "." + strconv.FormatInt(r.streamSeq.Add(1), 10)
	p, err := parse.New(parse.Options{Source: id, Host: peer.Addr().String(), Location: r.loc, Now: r.cfg.Now,
		Reject: func(rj parse.Rejection) { st.rejects = append(st.rejects, rj) }})
	if err != nil {
		panic(err) // only a forced type can fail, and none is forced
	}
	st.parser = p
	return st
}

// message parses one message.
func (st *stream) message(msg []byte) {
	st.frames++
	st.parser.Line(msg, st.emit)
	st.touch()
}

// reject keeps a frame that could not be a message.
func (st *stream) reject(f Frame) {
	st.frames++
	st.rejected.Inc()
	st.parser.RejectInput(parse.Rejection{Index: st.frames, Offset: f.Offset, Reason: f.Reason, Raw: f.Msg})
	st.touch()
}

// touch starts the batch's clock with its first item. It is the wall clock, not the
// parsers' (which tests may fix): it times deliveries, not events.
func (st *stream) touch() {
	if st.first.IsZero() && st.pending() > 0 {
		st.first = time.Now()
	}
}

// pending counts the events and rejections not submitted yet.
func (st *stream) pending() int { return len(st.events) + len(st.rejects) }

// due reports whether the oldest pending item has waited maxDelay.
func (st *stream) due(now time.Time, maxDelay time.Duration) bool {
	return !st.first.IsZero() && now.Sub(st.first) >= maxDelay
}

// flush submits what is pending; see Receiver.submit for how long that may wait.
func (r *Receiver) flush(ctx context.Context, st *stream) {
	unparsed := st.parser.Counts["unparsed"] - st.unparsed
	if st.pending() == 0 && unparsed == 0 {
		return
	}
	r.submit(ctx, st.proto, ingest.Batch{Kind: "syslog", Source: st.source, Events: st.events,
		Rejections: st.rejects, Unparsed: unparsed})
	st.unparsed += unparsed
	clear(st.events)
	st.events = st.events[:0]
	st.rejects = nil
	st.first = time.Time{}
}

// finish emits what the parser still holds (an auditd event waiting for its last line)
// and submits everything: the stream has ended.
func (r *Receiver) finish(ctx context.Context, st *stream) {
	st.parser.Flush(st.emit)
	r.flush(ctx, st)
}

// peerOf returns the address of a connection's or datagram's sender, with IPv4 senders
// on a dual-stack socket shown as IPv4.
func peerOf(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	}
	return unmap(ap)
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
