package syslog_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/ingest/syslog"
	"github.com/vigilsec/vigil/internal/parse"
)

// Limits and lifecycle: oversized frames, shutdown, backpressure, drops, connection
// limits and timeouts.

func TestOversizedFramesRejectedAndKept(t *testing.T) {
	e := start(t, syslog.Config{}, 2, "tcp")
	send := func(data ...string) net.Conn {
		c, err := net.Dial("tcp", e.addr("tcp"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range data {
			if _, err := io.WriteString(c, d); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	long := strings.Repeat("A", parse.MaxLineBytes+1)
	// A too-long line is rejected and the stream goes on at the next line.
	send(noHeader+"\n", long+"\n", "<13>after the long line\n").Close()
	// A too-large octet count is rejected, its frame skipped, and the next frame read.
	big := strings.Repeat("B", parse.MaxLineBytes+100)
	send(octet(noHeader), strconv.Itoa(len(big))+" "+big, octet("<13>after the big frame")).Close()
	e.waitCount(4)
	e.byMessage("after the long line")
	e.byMessage("after the big frame")

	// A count no sender would declare ends the connection, and its start is kept too.
	c := send(octet("<13>before the hostile count"), "9999999999 <13>hostile")
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after a hostile count = %v, want EOF (closed by the receiver)", err)
	}
	c.Close()
	e.waitCount(5)

	waitFor(t, "3 rejections", func() bool { return len(e.rejections()) >= 3 })
	rs := e.rejections()
	if len(rs) != 3 {
		t.Fatalf("%d rejections, want 3: %+v", len(rs), rs)
	}
	wants := map[string]string{ // reason: what is kept of the frame
		"octet-counted frame of 9999999999 bytes is longer than 1048576 bytes":                "<13>hostile",
		fmt.Sprintf("octet-counted frame of %d bytes is longer than 1048576 bytes", len(big)): strings.Repeat("B", 4096),
		"message longer than 1048576 bytes":                                                   strings.Repeat("A", 4096),
	}
	for _, r := range rs {
		reason := r.Reason[strings.Index(r.Reason, ": ")+2:] // after "record N: "
		raw, ok := wants[reason]
		if !ok || string(r.Raw) != raw || !strings.HasPrefix(r.Source, "syslog:tcp:127.0.0.1:") {
			t.Errorf("rejection %q from %s, %d raw bytes %.20q", r.Reason, r.Source, len(r.Raw), r.Raw)
		}
		delete(wants, reason)
	}
	if got := e.metric("vigil_syslog_frames_rejected_total", "tcp"); got != 3 {
		t.Errorf("rejected frames metric = %v, want 3", got)
	}
	if !strings.Contains(e.log.String(), "closing connection") {
		t.Errorf("the closed connection was not logged:\n%s", e.log)
	}
}

// Stopping the receiver submits every message it read, however the batch stood.
func TestGracefulShutdownSubmitsEverythingRead(t *testing.T) {
	// Batches are never due on their own: only the shutdown can submit them.
	e := start(t, syslog.Config{MaxBatch: 1 << 20, MaxDelay: time.Hour}, 2, "tcp", "udp")
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 2000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<13>Nov 28 10:00:01 web-1 app[1]: tcp message %d\n", i)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	u, err := net.Dial("udp", e.addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	const m = 50
	for i := range m {
		fmt.Fprintf(u, "<13>Nov 28 10:00:01 web-1 app[1]: udp message %d", i)
		time.Sleep(time.Millisecond) // loopback may drop a burst larger than its buffer
	}
	waitFor(t, "all messages read", func() bool {
		return e.metric("vigil_syslog_messages_total", "tcp") == n && e.metric("vigil_syslog_messages_total", "udp") == m
	})
	if got := e.count(); got != 0 {
		t.Fatalf("%d events stored before shutdown, want 0 (nothing is due)", got)
	}
	e.stop()
	if got := e.count(); got != n+m {
		t.Errorf("%d events stored after shutdown, want %d", got, n+m)
	}
	if got := e.metric("vigil_syslog_dropped_total", "tcp") + e.metric("vigil_syslog_dropped_total", "udp"); got != 0 {
		t.Errorf("dropped metric = %v", got)
	}
}

// While the ingester has no free slot a TCP connection stops reading: the server holds at
// most one batch, and the rest waits in the kernel and the sender. Once slots are free
// again everything arrives.
func TestTCPBackpressure(t *testing.T) {
	const slots, batch = 2, 100
	e := start(t, syslog.Config{MaxBatch: batch}, slots, "tcp")
	var held []func()
	for range slots {
		release, err := e.in.Acquire(context.Background(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 5000 // about 8 MB: more than the socket buffers hold
	pad := strings.Repeat("x", 1500)
	var written atomic.Int64
	writeErr := make(chan error, 1)
	go func() {
		for i := range n {
			line := fmt.Sprintf("<13>Nov 28 10:00:01 web-1 app[1]: message %d %s\n", i, pad)
			if _, err := io.WriteString(c, line); err != nil {
				writeErr <- err
				return
			}
			written.Add(1)
		}
		writeErr <- nil
	}()
	waitFor(t, "the first batch to be read", func() bool { return e.metric("vigil_syslog_messages_total", "tcp") > 0 })
	time.Sleep(time.Second) // generous: time for a server that ignored backpressure to read on
	read := e.metric("vigil_syslog_messages_total", "tcp")
	t.Logf("while held: %v messages read of %d written (%d to send)", read, written.Load(), n)
	if read > batch {
		t.Errorf("%v messages read while the ingester was busy, want at most one batch (%d)", read, batch)
	}
	if read >= float64(written.Load()) {
		t.Errorf("everything written was read (%v) while the ingester was busy", read)
	}
	if got := e.count(); got != 0 {
		t.Errorf("%d events stored while all slots were held", got)
	}
	for _, release := range held {
		release()
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.waitCount(n)
}

// UDP cannot push back: beyond the queue, datagrams are dropped, counted and logged.
func TestUDPDropsWhenQueueFull(t *testing.T) {
	e := start(t, syslog.Config{MaxBatch: 1, UDPQueue: 2}, 1, "udp")
	release, err := e.in.Acquire(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", e.addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 30
	for i := range n {
		fmt.Fprintf(c, "<13>Nov 28 10:00:01 web-1 app[1]: datagram %d", i)
		time.Sleep(time.Millisecond)
	}
	waitFor(t, "all datagrams read", func() bool { return e.metric("vigil_syslog_messages_total", "udp") == n })
	dropped := e.metric("vigil_syslog_dropped_total", "udp")
	// The worker holds one datagram waiting for a slot and the queue two more.
	if dropped < n-3 {
		t.Errorf("dropped = %v, want at least %d", dropped, n-3)
	}
	release()
	e.waitCount(n - int64(dropped))
	e.stop()
	if !strings.Contains(e.log.String(), "UDP queue full") {
		t.Errorf("drops were not logged:\n%s", e.log)
	}
}

// Each UDP sender has its own parser and source; with more senders than parsers kept,
// the least recent is let go after its messages are submitted.
func TestUDPSenders(t *testing.T) {
	e := start(t, syslog.Config{UDPSenders: 2}, 2, "udp")
	var sources []string
	for i := range 3 {
		c, err := net.Dial("udp", e.addr("udp"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "<13>Nov 28 10:00:01 web-1 app[1]: from sender %d", i)
		sources = append(sources, "syslog:udp:"+c.LocalAddr().String())
		e.waitCount(int64(i + 1))
	}
	for i, src := range sources {
		if s := e.byMessage(fmt.Sprintf("from sender %d", i)); s.Source != src {
			t.Errorf("sender %d: source %q, want %q", i, s.Source, src)
		}
	}
}

// The same message without a timestamp on a new connection is a new event, not a
// duplicate of the first connection's.
func TestRepeatedMessagesAcrossConnections(t *testing.T) {
	e := start(t, syslog.Config{}, 2, "tcp")
	for range 2 {
		c, err := net.Dial("tcp", e.addr("tcp"))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, noHeader+"\n")
		c.Close()
	}
	e.waitCount(2)
}

func TestConnectionLimit(t *testing.T) {
	e := start(t, syslog.Config{MaxConnections: 1}, 2, "tcp")
	first, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(first, "<13>first connection\n")
	e.waitCount(1)
	if got := e.metric("vigil_syslog_connections_open", "tcp"); got != 1 {
		t.Errorf("open connections = %v, want 1", got)
	}
	second, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	second.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("second connection read = %v, want EOF (closed at once)", err)
	}
	second.Close()
	if got := e.metric("vigil_syslog_connections_refused_total", "tcp"); got != 1 {
		t.Errorf("refused = %v, want 1", got)
	}
	first.Close()
	waitFor(t, "the first connection to end", func() bool { return e.metric("vigil_syslog_connections_open", "tcp") == 0 })
	third, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(third, "<13>third connection\n")
	third.Close()
	e.waitCount(2)
	if !strings.Contains(e.log.String(), "connection limit reached") {
		t.Errorf("the refusal was not logged:\n%s", e.log)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := start(t, syslog.Config{IdleTimeout: 300 * time.Millisecond}, 2, "tcp")
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A message without its terminator is not complete, so it is not stored when the
	// connection is dropped; the one before it is.
	io.WriteString(c, "<13>before going quiet\n<13>incomplete")
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on an idle connection = %v, want EOF (closed by the receiver)", err)
	}
	e.waitCount(1)
	e.byMessage("before going quiet")
	if !strings.Contains(e.log.String(), "closing idle connection") {
		t.Errorf("the idle close was not logged:\n%s", e.log)
	}
}

// Batches are submitted when they are due even if the connection stays open and quiet.
func TestBatchDueWithoutMoreInput(t *testing.T) {
	e := start(t, syslog.Config{MaxBatch: 1000, MaxDelay: 50 * time.Millisecond}, 2, "tcp")
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>one\n<13>two\n")
	e.waitCount(2)
	io.WriteString(c, "<13>three\n")
	e.waitCount(3)
}

// A connection held back by a busy ingester longer than the idle timeout is not idle:
// it stays open once the batch is stored.
func TestBackpressureIsNotIdleness(t *testing.T) {
	e := start(t, syslog.Config{IdleTimeout: time.Second, MaxDelay: 10 * time.Millisecond}, 1, "tcp")
	release, err := e.in.Acquire(context.Background(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>held back\n")
	waitFor(t, "the message to be read", func() bool { return e.metric("vigil_syslog_messages_total", "tcp") == 1 })
	time.Sleep(2500 * time.Millisecond) // well past the idle timeout
	release()
	e.waitCount(1)
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the wait = %v, want a timeout (connection still open)", err)
	}
	io.WriteString(c, "<13>still connected\n")
	e.waitCount(2)
}
