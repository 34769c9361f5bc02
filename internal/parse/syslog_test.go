package parse_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// syslogFamily are the testdata folders of syslog-framed program logs.
var syslogFamily = []string{"sshd", "sudo", "su", "accounts", "cron", "systemd", "syslog"}

func testLines(tb testing.TB, dirs ...string) []string {
	tb.Helper()
	var out []string
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", d, "*.log"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				out = append(out, sc.Text())
			}
		}
	}
	return out
}

func newParser(tb testing.TB, typ string) *parse.Parser {
	tb.Helper()
	p, err := parse.New(parse.Options{Type: typ, Now: func() time.Time { return goldenNow }, Source: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FuzzSyslogLine feeds arbitrary lines through detection and the syslog-family parsers:
// no panic, exactly one event per non-blank line that is not auditd or JSON, carrying
// the line as its message.
func FuzzSyslogLine(f *testing.F) {
	for _, l := range testLines(f, syslogFamily...) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") || strings.HasPrefix(strings.TrimSpace(line), "{") || strings.Contains(line, "audit(") {
			return
		}
		p := newParser(t, "")
		var got []*event.Event
		p.Line([]byte(line), func(ev *event.Event) { got = append(got, ev) })
		p.Flush(func(ev *event.Event) { got = append(got, ev) })
		if strings.TrimSpace(line) == "" {
			if len(got) != 0 {
				t.Fatalf("blank line gave %d events", len(got))
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("%q gave %d events", line, len(got))
		}
		ev := got[0]
		if ev.Message != line || ev.ID == "" || ev.Time.IsZero() || ev.Type == "" {
			t.Fatalf("event %+v for %q", ev, line)
		}
		for _, f := range ev.Fields {
			if v, ok := ev.Get(f.Key); !ok || v == nil {
				t.Fatalf("Get(%q) lost a set field", f.Key)
			}
		}
	})
}

// FuzzRead feeds arbitrary streams to Read: no panic, and every non-blank line of a
// text stream is an event or a counted rejection.
func FuzzRead(f *testing.F) {
	f.Add([]byte(strings.Join(testLines(f, syslogFamily...), "\n")))
	f.Add([]byte(`{"Records":[{"eventVersion":"1.08"}]}`))
	f.Add([]byte("[1, {\"a\": 2}, \"x\"]"))
	f.Add([]byte("{\n \"a\": 1\n}\n{\"b\""))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newParser(t, "")
		n := 0
		emit := func(*event.Event) { n++ }
		if err := parse.Read(bytes.NewReader(data), p, emit); err != nil {
			return // only read errors (bad gzip) end a stream early
		}
		p.Flush(emit)
		total := 0
		for k, v := range p.Counts {
			if k != "unparsed" && k != "rejected" {
				total += v
			}
		}
		if total != n {
			t.Fatalf("counted %d events, emitted %d", total, n)
		}
	})
}

func BenchmarkSyslogFamily(b *testing.B) {
	lines := testLines(b, syslogFamily...)
	var data bytes.Buffer
	for data.Len() < 4<<20 {
		for _, l := range lines {
			data.WriteString(l)
			data.WriteByte('\n')
		}
	}
	b.SetBytes(int64(data.Len()))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		p := newParser(b, "")
		if err := parse.Read(bytes.NewReader(data.Bytes()), p, func(*event.Event) { events++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
