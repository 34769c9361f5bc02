package parse

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scanSeeds are header forms the fast scanner takes or must leave to the library.
var scanSeeds = []string{
	"Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52146 ssh2",
	"<38>Nov  8 10:00:01.123456 web-1 sshd[1234]: Accepted publickey for alice from 2001:db8::1 port 22 ssh2: ED25519 SHA256:x",
	"<0>  Feb 29 23:59:59 h su: (to root) alice on pts/0",
	"2026-11-28T10:00:01.123456+01:00 web-1 CRON[4001]: (root) CMD (/bin/true)",
	"2026-11-28T10:00:01Z host tag: msg\twith tab and \xff byte",
	"Nov 28 10:00:01  web-1   sshd[-]:  two spaces",
	"Nov 28 10:00:01 - sshd[1]: dash host",
	"Nov 28 10:00:01 host -[1]: dash tag",
	"Nov 28 10:00:01 host sshd[]: empty pid",
	"Nov 28 10:00:01 host sshd[1]: ",
	"Nov 28 10:00:01 host sshd[1]:",
	"Nov 28 10:00:01 host sshd: no pid",
	"Nov 28 10:00:01 host no tag at all",
	"Nov 28 10:00:01 sshd[1]: no host",
	"Feb 30 10:00:01 host a: invalid day",
	"Dec 31 23:59:59 host a: a year back",
	"Nov 28 10:00:01.1234567 host a: seven digits",
	"<192>Nov 28 10:00:01 host a: pri too large",
	"<013>Nov 28 10:00:01 host a: leading zero",
	"Nov 28 10:00:01 host a[1] b: bracket before the colon",
	"Nov 28 10:00:01 a[1] b[2]: bracket in the host",
	"Nov 28 10:00:01 host a]b: bracket in the tag",
	"Nov 28 10:00:01 host a: control \x01 character",
	"Nov 28 10:00:01 host a: delete \x7f character",
	"2026-02-30T10:00:01Z host a: invalid date",
	"2026-11-28T24:00:01Z host a: invalid hour",
	"2026-11-28T10:00:01+0100 host a: offset without colon",
}

func scanZones() []*time.Location {
	zones := []*time.Location{time.UTC, time.FixedZone("east", 8*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	return zones
}

// FuzzScan3164 checks the fast RFC 3164 scanner against the library parser: wherever the
// scanner takes a line, the library must read the same header from it.
func FuzzScan3164(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(s, int64(0), uint8(0))
	}
	f.Add("Jan  1 00:00:00 h a: year boundary", int64(-40*24*3600), uint8(2))
	for _, l := range syslogTestLines(f) {
		f.Add(l, int64(0), uint8(1))
	}
	zones := scanZones()
	f.Fuzz(func(t *testing.T, line string, shift int64, zone uint8) {
		if len(line) < 16 || strings.ContainsAny(line, "\r\n") || is5424(line) || !startsLikeBSD(line) {
			return
		}
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC).Add(time.Duration(shift%(400*24*3600)) * time.Second)
		h := newHeaderParser(Options{Location: zones[int(zone)%len(zones)], Now: func() time.Time { return now }})
		var fast, slow syslogHeader
		if !h.scan3164(line, now, &fast) {
			return
		}
		if !h.parse3164(line, now, &slow) {
			t.Fatalf("scanner took %q, the library rejects it", line)
		}
		if !fast.time.Equal(slow.time) || fast.time.Location().String() != slow.time.Location().String() {
			t.Fatalf("%q: time %v, library %v", line, fast.time, slow.time)
		}
		fast.time, slow.time = time.Time{}, time.Time{}
		if fast != slow {
			t.Fatalf("%q:\n scanner %+v\n library %+v", line, fast, slow)
		}
	})
}

// TestScan3164TakesCommonLines makes sure the fast path is the one that runs: every
// syslog-family golden line in RFC 3164 form that the library reads with a tag is taken by
// the scanner.
func TestScan3164TakesCommonLines(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	h := newHeaderParser(Options{Location: time.UTC, Now: func() time.Time { return now }})
	taken := 0
	for _, l := range append(syslogTestLines(t), scanSeeds[:5]...) {
		if is5424(l) || !startsLikeBSD(l) {
			continue
		}
		var fast, slow syslogHeader
		if !h.parse3164(l, now, &slow) || slow.app == "" || slow.host == "" {
			continue
		}
		if !h.scan3164(l, now, &fast) {
			t.Errorf("left to the library: %q", l)
			continue
		}
		taken++
	}
	if taken < 50 {
		t.Errorf("only %d lines taken", taken)
	}
}

func syslogTestLines(tb testing.TB) []string {
	var out []string
	for _, d := range []string{"sshd", "sudo", "su", "accounts", "cron", "systemd", "syslog", "kernel", "nginx"} {
		files, _ := filepath.Glob(filepath.Join("testdata", d, "*.log"))
		for _, name := range files {
			fh, err := os.Open(name)
			if err != nil {
				tb.Fatal(err)
			}
			sc := bufio.NewScanner(fh)
			for sc.Scan() {
				out = append(out, sc.Text())
			}
			fh.Close()
		}
	}
	return out
}
