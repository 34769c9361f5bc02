package syslog_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/ingest/syslog"
)

// BenchmarkTCPIntoStore measures syslog over TCP end to end: framing, parsing, batching
// and durable storage in SQLite. Each iteration sends a burst of sshd lines on one
// connection and waits until all of them are stored.
func BenchmarkTCPIntoStore(b *testing.B) {
	for _, framing := range []string{"newline", "octet-counted"} {
		b.Run(framing, func(b *testing.B) {
			const burst = 5000 // ten full batches: no batch waits for its delay
			var buf strings.Builder
			for i := range burst {
				line := fmt.Sprintf("<38>Nov 28 10:00:%02d web-1 sshd[%d]: Failed password for invalid user admin from 203.0.113.%d port %d ssh2",
					i%60, 1000+i, i%250, 40000+i)
				if framing == "newline" {
					buf.WriteString(line + "\n")
				} else {
					fmt.Fprintf(&buf, "%d %s", len(line), line)
				}
			}
			data := []byte(buf.String())
			e := start(b, syslog.Config{}, 8, "tcp")
			c, err := net.Dial("tcp", e.addr("tcp"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(data)))
			var sent float64
			for b.Loop() {
				if _, err := c.Write(data); err != nil {
					b.Fatal(err)
				}
				sent += burst
				for e.stored() < sent {
					time.Sleep(time.Millisecond)
				}
			}
			b.ReportMetric(sent/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// stored reads the ingester's count of durable events, which is cheaper to poll than
// counting rows.
func (e *env) stored() float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "vigil_ingest_events_total" {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}
