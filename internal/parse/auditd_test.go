package parse_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// collectLines runs lines through a parser and returns the events emitted before Flush and
// all of them after it.
func collectLines(t testing.TB, opts parse.Options, lines ...string) (beforeFlush int, events []*event.Event) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return goldenNow }
	}
	p, err := parse.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	emit := func(ev *event.Event) { events = append(events, ev) }
	for _, l := range lines {
		p.Line([]byte(l), emit)
	}
	beforeFlush = len(events)
	p.Flush(emit)
	return beforeFlush, events
}

func auditLine(typ string, stamp string, body string) string {
	return "type=" + typ + " msg=audit(" + stamp + "): " + body
}

func TestAuditdAssembly(t *testing.T) {
	// Two events interleaved, a user-space record between them, EOEs at the end.
	lines := []string{
		auditLine("SYSCALL", "1795860001.000:1", `arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=10 auid=1000 uid=0 comm="a" exe="/usr/bin/a" key="k"`),
		auditLine("SYSCALL", "1795860001.000:2", `arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=20 auid=1000 uid=0 comm="b" exe="/usr/bin/b" key="k"`),
		auditLine("USER_LOGIN", "1795860001.001:3", `pid=5 uid=0 auid=1000 ses=1 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=? addr=192.0.2.1 terminal=/dev/pts/0 res=success'`),
		auditLine("EXECVE", "1795860001.000:2", `argc=2 a0="b" a1="-x"`),
		auditLine("EXECVE", "1795860001.000:1", `argc=1 a0="a"`),
		auditLine("EOE", "1795860001.000:2", ``),
		auditLine("EOE", "1795860001.000:1", ``),
	}
	before, events := collectLines(t, parse.Options{}, lines...)
	if before != 3 || len(events) != 3 {
		t.Fatalf("%d events before flush, %d after, want 3 and 3", before, len(events))
	}
	if got := events[0].GetString("event.action"); got != "logged-in" {
		t.Errorf("first event %q, want the login (user-space records complete at once)", got)
	}
	if got := events[1].GetString("CommandLine"); got != "b -x" {
		t.Errorf("second event CommandLine %q", got)
	}
	if got := events[2].GetString("process.pid"); got != "10" {
		t.Errorf("third event pid %q", got)
	}
	if n := strings.Count(events[2].Message, "\n"); n != 2 {
		t.Errorf("third event has %d records, want 3: %q", n+1, events[2].Message)
	}
}

func TestAuditdPendingBound(t *testing.T) {
	// Records that never get an EOE, all in one second: at most 64 stay open.
	var lines []string
	for i := range 200 {
		lines = append(lines, auditLine("SYSCALL", fmt.Sprintf("1795860001.000:%d", i+1),
			`arch=c000003e syscall=2 success=yes exit=3 pid=1 uid=0 comm="x" exe="/x"`))
	}
	before, events := collectLines(t, parse.Options{}, lines...)
	if before != 200-64 {
		t.Errorf("%d events before flush, want %d", before, 200-64)
	}
	if len(events) != 200 {
		t.Fatalf("%d events, want 200", len(events))
	}
	// The oldest go out first.
	if got := events[0].GetString("event.sequence"); got != "1" {
		t.Errorf("first event serial %s, want 1", got)
	}
}

func TestAuditdByteBound(t *testing.T) {
	// Big records of events that stay open: at most 8 MiB of them are held.
	pad := strings.Repeat("x", 200_000)
	var lines []string
	for i := range 100 {
		lines = append(lines, auditLine("SYSCALL", fmt.Sprintf("1795860001.000:%d", i+1),
			`arch=c000003e syscall=2 success=yes pid=1 uid=0 comm="x" exe="/x" pad=`+pad))
	}
	before, events := collectLines(t, parse.Options{}, lines...)
	if held := 100 - before; held*len(lines[0]) > 8<<20 {
		t.Errorf("%d events (%d bytes) held open", held, held*len(lines[0]))
	}
	if len(events) != 100 {
		t.Errorf("%d events, want 100", len(events))
	}
}

func TestAuditdCompletion(t *testing.T) {
	// A SYSCALL event whose EOE never comes is complete once records 2 s younger arrive;
	// an event without SYSCALL record is complete when another event's record arrives.
	_, events := collectLines(t, parse.Options{},
		auditLine("SYSCALL", "1795860001.000:1", `arch=c000003e syscall=59 success=yes pid=1 uid=0 comm="x" exe="/x"`),
		auditLine("AVC", "1795860001.500:2", `apparmor="DENIED" operation="open" profile="p" name="/etc/shadow" pid=2 comm="y"`),
		auditLine("CWD", "1795860004.000:3", `cwd="/"`),
	)
	var order []string
	for _, ev := range events {
		order = append(order, ev.GetString("event.sequence"))
	}
	if got := strings.Join(order, ","); got != "1,2,3" {
		t.Errorf("emitted serials %s, want 1,2,3", got)
	}
	before, _ := collectLines(t, parse.Options{},
		auditLine("SYSCALL", "1795860001.000:1", `arch=c000003e syscall=59 success=yes pid=1 uid=0 comm="x" exe="/x"`),
		auditLine("AVC", "1795860001.500:2", `apparmor="DENIED" operation="open" profile="p" name="/etc/shadow" pid=2 comm="y"`),
		auditLine("CWD", "1795860004.000:3", `cwd="/"`),
	)
	if before != 2 {
		t.Errorf("%d events before flush, want 2", before)
	}
}

func TestAuditdForced(t *testing.T) {
	// Forced to auditd, a line that is no record becomes an unparsed event, and "----"
	// completes what is open.
	before, events := collectLines(t, parse.Options{Type: "auditd"},
		auditLine("SYSCALL", "1795860001.000:1", `arch=c000003e syscall=59 success=yes pid=1 uid=0 comm="x" exe="/x"`),
		"----",
		"not an audit record",
	)
	if before != 2 || len(events) != 2 {
		t.Fatalf("%d/%d events, want 2/2", before, len(events))
	}
	if events[0].Type != "auditd" || events[1].Type != "unknown" {
		t.Errorf("types %s, %s", events[0].Type, events[1].Type)
	}
}

func TestAuditdDecoding(t *testing.T) {
	_, events := collectLines(t, parse.Options{},
		auditLine("SYSCALL", "1795860001.123456:7", `arch=c000003e syscall=59 success=yes pid=1 ppid=0 uid=0 auid=4294967295 comm=2F746D702F6120622063 exe="/bin/sh" key=6B31016B32`),
		auditLine("EXECVE", "1795860001.123456:7", `argc=3 a0="sh" a1="-c" a2_len=11 a2[0]=6563686F a2[1]=20272227`),
		auditLine("PROCTITLE", "1795860001.123456:7", `proctitle=7368002D6300`),
		auditLine("EOE", "1795860001.123456:7", ``),
	)
	ev := events[0]
	want := map[string]any{
		"@timestamp":                "2026-11-28T10:00:01.123456Z",
		"auditd.syscall.comm":       "/tmp/a b c",
		"tags":                      []string{"k1", "k2"},
		"auditd.execve.a2":          `echo '"'`,
		"process.args":              []string{"sh", "-c", `echo '"'`},
		"process.title":             "sh -c",
		"CommandLine":               `sh -c echo '"'`,
		"auditd.execve.a2_len":      "11",
		"auditd.syscall.auid":       "4294967295",
		"process.parent.pid":        int64(0),
		"auditd.syscall.syscall":    "59",
		"auditd.syscall_name":       "execve",
		"event.action":              "executed",
		"auditd.types":              []string{"SYSCALL", "EXECVE", "PROCTITLE", "EOE"},
		"event.sequence":            int64(7),
		"process.working_directory": nil,
		"user.audit.id":             nil,
	}
	for k, w := range want {
		got, ok := ev.Get(k)
		if w == nil {
			if ok {
				t.Errorf("%s = %v, want unset", k, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
}

// checkLogEvent asserts what every event must satisfy: an id, a type, a time, unique keys
// that Get finds, values of the types the event package allows, JSON output, and real
// addresses in the address fields of this file's parsers.
func checkLogEvent(t *testing.T, ev *event.Event) {
	t.Helper()
	if ev.ID == "" || ev.Type == "" || ev.Time.IsZero() {
		t.Fatalf("event without id, type or time: %+v", ev)
	}
	seen := map[string]bool{}
	for _, f := range ev.Fields {
		if seen[f.Key] {
			t.Fatalf("key %q twice", f.Key)
		}
		seen[f.Key] = true
		switch f.Value.(type) {
		case string, int64, float64, bool, []string:
		default:
			t.Fatalf("%s has a value of type %T", f.Key, f.Value)
		}
		v, ok := ev.Get(f.Key)
		if !ok || !reflect.DeepEqual(v, f.Value) {
			t.Fatalf("Get(%q) = %v, %v; field holds %v", f.Key, v, ok, f.Value)
		}
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Fatal(err)
	}
	switch ev.Type {
	case "auditd", "nginx", "apache", "nginx-error", "apache-error", "kernel":
		for _, k := range []string{"source.ip", "destination.ip"} {
			if s := ev.GetString(k); s != "" {
				if _, err := netip.ParseAddr(s); err != nil {
					t.Fatalf("%s %q is no address", k, s)
				}
			}
		}
		if v, ok := ev.Get("related.ip"); ok {
			for _, s := range v.([]string) {
				if _, err := netip.ParseAddr(s); err != nil {
					t.Fatalf("related.ip %q is no address", s)
				}
			}
		}
	}
}

// seedLogLines adds every line of the files matching pattern to the fuzz corpus.
func seedLogLines(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		f.Fatalf("no seed files %s", pattern)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f.Add(sc.Text())
		}
	}
}

// eventLines returns the lines the parser must turn into events: not blank, not an
// ausearch separator, and not JSON (a JSON container may hold several records).
func eventLines(input string) []string {
	var out []string
	for _, l := range strings.Split(input, "\n") {
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.TrimSpace(l) == "",
			strings.HasPrefix(l, "time->"), strings.TrimRight(l, " \t") == "----",
			strings.HasPrefix(strings.TrimSpace(l), "{"), strings.HasPrefix(strings.TrimSpace(l), "["):
			continue
		}
		out = append(out, l)
	}
	return out
}

// FuzzAuditd feeds several lines at once (records of one event span lines): every line
// must end up in exactly one event, and every event must be well formed.
func FuzzAuditd(f *testing.F) {
	seedLogLines(f, "testdata/auditd/*.log")
	b, _ := os.ReadFile("testdata/auditd/audit.log")
	f.Add(string(b[:min(len(b), 4000)]))
	f.Fuzz(func(t *testing.T, input string) {
		lines := eventLines(input)
		_, events := collectLines(t, parse.Options{}, lines...)
		records := 0
		for _, ev := range events {
			checkLogEvent(t, ev)
			records += strings.Count(ev.Message, "\n") + 1
		}
		if records != len(lines) {
			t.Fatalf("%d lines became %d event lines", len(lines), records)
		}
	})
}

// benchLogFile parses a testdata file, repeated to about 1 MiB so that the fixed cost of
// a stream (buffers, parser) does not hide the cost per line.
func benchLogFile(b *testing.B, path, typ string) {
	file, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(file, (1<<20)/len(file)+1)
	n := 0
	emit := func(*event.Event) { n++ }
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := parse.New(parse.Options{Type: typ, Now: func() time.Time { return goldenNow }})
		if err != nil {
			b.Fatal(err)
		}
		if err := parse.Read(bytes.NewReader(data), p, emit); err != nil {
			b.Fatal(err)
		}
		p.Flush(emit)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAuditd(b *testing.B) { benchLogFile(b, "testdata/auditd/audit.log", "") }

// TestLongLines guards against work that grows with the square of a line's length: each
// line is near the 1 MiB line limit, and a quadratic step would take minutes.
func TestLongLines(t *testing.T) {
	const n = 100_000
	lines := map[string]string{
		"audit bare words":    "type=USER_LOGIN msg=audit(1.1:1): msg='op=x" + strings.Repeat(" word", n) + "'",
		"audit arg chunks":    "type=EXECVE msg=audit(1.1:1): " + strings.Repeat("a1[0]=41 ", n),
		"audit keys":          "type=SYSCALL msg=audit(1.1:1): " + strings.Repeat("a=b ", n),
		"audit distinct keys": "type=SYSCALL msg=audit(1.1:1): " + distinctKeys(n),
		"audit stamps":        strings.Repeat("type=X audit(1.1:1 ", n/2),
		"audit rule keys":     "type=SYSCALL msg=audit(1.1:1): key=" + strings.Repeat("4101", n),
		"nginx escapes":       `1.2.3.4 - - [28/Nov/2026:10:00:00 +0000] "` + strings.Repeat(`\"`, n),
		"nginx-error quotes":  `2026/11/28 10:00:00 [error] 1#1: x, client: 1.2.3.4, request: "` + strings.Repeat(`", a`, n),
		"apache-error tags":   `[Sat Nov 28 10:00:00 2026] [core:error] ` + strings.Repeat(`[pid 1]`, n),
		"kernel flags":        `Nov 28 10:00:00 h kernel: IN=a OUT= ` + strings.Repeat(`SYN `, n),
		"kernel IN":           `Nov 28 10:00:00 h kernel: ` + strings.Repeat(`IN=a `, n),
	}
	// No time limit is asserted (shared machines are noisy): a quadratic path turns this
	// test from milliseconds into minutes, which shows in every run, and
	// BenchmarkLongLines measures it.
	for name, line := range lines {
		_, events := collectLines(t, parse.Options{}, line)
		if len(events) != 1 {
			t.Errorf("%s: %d events", name, len(events))
		}
	}
}

func BenchmarkLongLines(b *testing.B) {
	line := "type=USER_LOGIN msg=audit(1.1:1): msg='op=x" + strings.Repeat(" word", 100_000) + "'"
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		collectLines(b, parse.Options{}, line)
	}
}

func distinctKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d=v ", i)
	}
	return b.String()
}
