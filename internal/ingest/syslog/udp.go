package syslog

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// datagram is one received UDP message waiting to be parsed.
type datagram struct {
	from netip.AddrPort
	data []byte
}

// serveUDP reads datagrams into a bounded queue that one worker parses and submits.
// Reading never waits for the store: a sender cannot be slowed down, and datagrams left
// in the socket are lost silently by the kernel, so they are read and, when the queue is
// full, dropped here where the loss is counted and logged.
func (r *Receiver) serveUDP(storeCtx context.Context) {
	q := make(chan datagram, r.cfg.UDPQueue)
	var queued atomic.Int64 // bytes in q
	var wg sync.WaitGroup
	wg.Go(func() { r.udpWorker(storeCtx, q, &queued) })
	r.readUDP(q, &queued)
	close(q)
	wg.Wait()
}

func (r *Receiver) readUDP(q chan<- datagram, queued *atomic.Int64) {
	messages := r.m.messages.WithLabelValues("udp")
	received := r.m.bytes.WithLabelValues("udp")
	dropped := r.m.dropped.WithLabelValues("udp")
	drops := throttle{every: 10 * time.Second}
	dropCount := 0 // since the last warning
	warnDrops := func(final bool) {
		if dropCount == 0 {
			return
		}
		if ok, _ := drops.allow(time.Now()); ok || final {
			r.log.Error("syslog: UDP queue full, messages dropped: the event store cannot keep up",
				"dropped", dropCount, "queue", r.cfg.UDPQueue, "queue_bytes", r.cfg.UDPQueueBytes)
			dropCount = 0
		}
	}
	buf := make([]byte, 64<<10) // larger than any UDP payload
	for {
		n, from, err := r.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				warnDrops(true)
				return
			}
			// Nothing was read; a short pause keeps a lasting error from spinning.
			r.log.Debug("syslog: UDP read", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		received.Add(float64(n))
		if n == 0 {
			continue
		}
		messages.Inc()
		if queued.Add(int64(n)) <= int64(r.cfg.UDPQueueBytes) {
			select {
			case q <- datagram{from: unmap(from), data: append([]byte(nil), buf[:n]...)}:
				continue
			default:
			}
		}
		queued.Add(-int64(n))
		dropped.Inc()
		dropCount++
		warnDrops(false)
	}
}

// udpWorker parses datagrams with one parser per sender, kept in a bounded LRU so a
// flood of sender addresses cannot grow memory, and submits per-sender batches.
func (r *Receiver) udpWorker(ctx context.Context, q <-chan datagram, queued *atomic.Int64) {
	senders := newLRU(r.cfg.UDPSenders)
	total := 0 // items pending over all senders
	flush := func(st *stream) {
		total -= st.pending()
		r.flush(ctx, st)
	}
	tick := time.NewTicker(max(r.cfg.MaxDelay/2, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case d, ok := <-q:
			if !ok {
				senders.each(func(st *stream) { st.parser.Flush(st.emit); flush(st) })
				return
			}
			queued.Add(-int64(len(d.data)))
			st, evicted := senders.get(d.from, func() *stream { return r.newStream("udp", d.from) })
			if evicted != nil {
				// A sender not heard from for the longest time makes room; what it
				// sent is submitted before its parser goes.
				evicted.parser.Flush(evicted.emit)
				flush(evicted)
			}
			before := st.pending()
			if len(d.data) > r.cfg.MaxMessageBytes {
				st.reject(Frame{Msg: d.data[:min(len(d.data), maxRejectedHead)],
					Reason: fmt.Sprintf("datagram longer than %d bytes", r.cfg.MaxMessageBytes)})
			} else {
				st.message(d.data)
			}
			total += st.pending() - before
			switch {
			case st.pending() >= r.cfg.MaxBatch:
				flush(st)
			case total >= 4*r.cfg.MaxBatch:
				// Many senders each with a little pending: submit them all rather
				// than hold that much.
				senders.each(flush)
			}
		case now := <-tick.C:
			senders.each(func(st *stream) {
				if st.due(now, r.cfg.MaxDelay) {
					flush(st)
				}
			})
		}
	}
}

// lru holds the streams of the UDP senders heard from most recently.
type lru struct {
	max   int
	order *list.List // of lruEntry, most recent first
	byKey map[netip.AddrPort]*list.Element
}

type lruEntry struct {
	key netip.AddrPort
	st  *stream
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), byKey: map[netip.AddrPort]*list.Element{}}
}

// get returns the stream of key, creating it with create; when that makes the cache
// too large, the least recent stream is removed and returned as evicted.
func (c *lru) get(key netip.AddrPort, create func() *stream) (st, evicted *stream) {
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(lruEntry).st, nil
	}
	st = create()
	c.byKey[key] = c.order.PushFront(lruEntry{key: key, st: st})
	if c.order.Len() > c.max {
		old := c.order.Remove(c.order.Back()).(lruEntry)
		delete(c.byKey, old.key)
		evicted = old.st
	}
	return st, evicted
}

func (c *lru) each(fn func(*stream)) {
	for e := c.order.Front(); e != nil; e = e.Next() {
		fn(e.Value.(lruEntry).st)
	}
}
