package parse_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// TestGoldenApache parses testdata/apache/*.txt with the type forced to "apache": the
// same lines are detected as nginx (see TestGolden's testdata/apache/mixed-*.log).
func TestGoldenApache(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/apache/*.txt")
	if len(inputs) == 0 {
		t.Fatal("no apache inputs")
	}
	for _, in := range inputs {
		t.Run(in, func(t *testing.T) {
			events, _ := parseFile(t, in, "apache")
			var got bytes.Buffer
			for _, ev := range events {
				if ev.Type != "apache" {
					t.Errorf("event type %q: %s", ev.Type, ev.Message)
				}
				b, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				got.Write(b)
				got.WriteByte('\n')
			}
			want := strings.TrimSuffix(in, ".txt") + ".jsonl"
			if *update {
				if err := os.WriteFile(want, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			compareJSONL(t, got.Bytes(), want)
		})
	}
}

func TestWebTypes(t *testing.T) {
	types := strings.Join(parse.Types(), ",")
	for _, name := range []string{"nginx", "apache", "nginx-error", "apache-error", "kernel", "auditd"} {
		if !strings.Contains(","+types+",", ","+name+",") {
			t.Errorf("type %q not known: %s", name, types)
		}
	}
}

func TestWebForcedTypes(t *testing.T) {
	access := `203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"`
	nginxErr := `2026/11/28 10:00:00 [error] 1#1: *4 open() "/x" failed (2: No such file or directory), client: 203.0.113.5, server: _, request: "GET /x HTTP/1.1", host: "example.com"`
	apacheErr := `[Sat Nov 28 10:00:00.123456 2026] [core:error] [pid 123:tid 456] [client 203.0.113.5:5678] AH00126: Invalid URI in request GET /x HTTP/1.1`
	for _, tc := range []struct{ typ, line, want, dataset string }{
		{"", access, "nginx", "nginx.access"},
		{"apache", access, "apache", "apache.access"},
		{"", nginxErr, "nginx-error", "nginx.error"},
		{"", apacheErr, "apache-error", "apache.error"},
		{"apache", nginxErr, "unknown", ""},
		{"nginx-error", access, "unknown", ""},
	} {
		_, events := collectLines(t, parse.Options{Type: tc.typ}, tc.line)
		if len(events) != 1 || events[0].Type != tc.want || events[0].GetString("event.dataset") != tc.dataset {
			t.Errorf("type %q: got %d events %v, want one %s (%s)", tc.typ, len(events), events, tc.want, tc.dataset)
		}
	}
}

// firstLine is what the single-line fuzzers feed: the input up to its first newline.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// FuzzWeb feeds one line, detected and forced to each web type: it must become exactly
// one well-formed event.
func FuzzWeb(f *testing.F) {
	for _, dir := range []string{"nginx", "apache", "nginx-error", "apache-error"} {
		seedLogLines(f, "testdata/"+dir+"/*.log")
	}
	seedLogLines(f, "testdata/apache/*.txt")
	f.Fuzz(func(t *testing.T, line string) {
		line = firstLine(line)
		if len(eventLines(line)) == 0 {
			return
		}
		for _, typ := range []string{"", "nginx", "apache", "nginx-error", "apache-error"} {
			_, events := collectLines(t, parse.Options{Type: typ}, line)
			if len(events) != 1 {
				t.Fatalf("type %q: %d events from %q", typ, len(events), line)
			}
			checkLogEvent(t, events[0])
			if n, ok := events[0].Get("http.response.status_code"); ok && n.(int64) < 0 {
				t.Fatalf("status %d", n)
			}
		}
	})
}

func BenchmarkNginxAccess(b *testing.B) { benchLogFile(b, "testdata/nginx/access.log", "") }
func BenchmarkNginxError(b *testing.B)  { benchLogFile(b, "testdata/nginx-error/error.log", "") }
func BenchmarkApacheError(b *testing.B) { benchLogFile(b, "testdata/apache-error/error.log", "") }

// BenchmarkLineDetection measures what detection costs a syslog line that no line
// parser takes (every non-JSON line is offered to the auditd check and the web parsers
// first): "detected" runs it, "forced" skips it.
func BenchmarkLineDetection(b *testing.B) {
	line := []byte("Nov 28 10:00:01 web-1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2")
	for _, typ := range []string{"", "syslog"} {
		name := map[string]string{"": "detected", "syslog": "forced"}[typ]
		b.Run(name, func(b *testing.B) {
			p, err := parse.New(parse.Options{Type: typ})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				p.Line(line, func(*event.Event) {})
			}
		})
	}
}
