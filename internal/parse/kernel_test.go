package parse_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/parse"
)

func TestKernelNetfilter(t *testing.T) {
	_, events := collectLines(t, parse.Options{},
		"Nov 28 10:00:00 web-1 kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=203.0.113.5 DST=10.0.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=54321 DF PROTO=TCP SPT=52144 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0",
		"Nov 28 10:00:01 web-1 kernel: [12346.000000] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
		"Nov 28 10:00:02 web-1 kernel: IN=eth0 OUT= SRC=not-an-ip DST=10.0.0.4 PROTO=UDP SPT=1 DPT=2",
	)
	if len(events) != 3 {
		t.Fatalf("%d events", len(events))
	}
	want := map[string]string{
		"event.type":                      "connection,denied",
		"rule.name":                       "UFW BLOCK",
		"source.ip":                       "203.0.113.5",
		"destination.port":                "22",
		"iptables.tcp.flags":              "SYN",
		"network.transport":               "tcp",
		"observer.ingress.interface.name": "eth0",
	}
	for k, w := range want {
		if got := events[0].GetString(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if events[1].Type != "syslog" {
		t.Errorf("other kernel message became %q", events[1].Type)
	}
	if events[2].Type != "kernel" || events[2].GetString("source.ip") != "" || events[2].GetString("destination.ip") != "10.0.0.4" {
		t.Errorf("bad SRC kept: %v", events[2].Fields)
	}
}

// FuzzKernel feeds one kernel message behind a syslog header: it must become exactly one
// well-formed event.
func FuzzKernel(f *testing.F) {
	f.Add("[12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=203.0.113.5 DST=10.0.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=54321 DF PROTO=TCP SPT=52144 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0")
	f.Add("REJECT: IN=eth0 OUT= SRC=192.0.2.1 DST=10.0.0.4 LEN=88 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.4 DST=192.0.2.1 LEN=60 PROTO=UDP SPT=1 DPT=2 LEN=40 ]")
	f.Add("IN= OUT=eth0 SRC=2001:0db8:0000:0000:0000:0000:0000:0005 DST=2001:db8::4 LEN=80 HOPLIMIT=64 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1")
	f.Fuzz(func(t *testing.T, msg string) {
		line := firstLine("Nov 28 10:00:00 web-1 kernel: " + msg)
		if len(eventLines(line)) == 0 {
			return
		}
		_, events := collectLines(t, parse.Options{}, line)
		if len(events) != 1 {
			t.Fatalf("%d events from %q", len(events), line)
		}
		checkLogEvent(t, events[0])
	})
}

func BenchmarkKernel(b *testing.B) { benchLogFile(b, "testdata/kernel/kern.log", "") }
