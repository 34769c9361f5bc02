package parse

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// reuseModes are the ways of parsing compared with the default: Reuse as vigil parse
// uses it (records encoded as they are decoded) and as vigil hunt does (not encoded).
var reuseModes = []Options{{Reuse: true, Encode: true}, {Reuse: true}}

// encodeAll parses a stream and returns each event as AppendJSON writes it when it is
// emitted, and the counts. Without reuse it also encodes the kept events again after the
// whole stream, which must give the same text: an event is its receiver's to keep.
func encodeAll(t testing.TB, data []byte, mode Options, lines bool) ([]string, map[string]int) {
	t.Helper()
	reuse := mode.Reuse
	p, err := New(Options{Now: func() time.Time { return cloudNow }, Source: "reuse", Reuse: reuse, Encode: mode.Encode})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var kept []*event.Event
	emit := func(ev *event.Event) {
		b, err := ev.AppendJSON(nil)
		if err != nil {
			b = []byte(err.Error())
		}
		out = append(out, string(b))
		if !reuse {
			kept = append(kept, ev)
		}
	}
	if lines {
		// Line by line, as the HTTP ingester and the agent call it.
		for i, l := range bytes.Split(data, []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimSpace(l), []byte("{")) && i%2 == 1 {
				p.RecordLine(l, i+1, emit)
			} else {
				p.Line(l, emit)
			}
		}
	} else if err := Read(bytes.NewReader(data), p, emit); err != nil {
		t.Fatal(err)
	}
	p.Flush(emit)
	for i, ev := range kept {
		b, _ := ev.AppendJSON(nil)
		if string(b) != out[i] {
			t.Fatalf("kept event %d changed after it was emitted:\n now %s\nthen %s", i, b, out[i])
		}
	}
	return out, p.Counts
}

// TestReuseWritesTheSameEvents parses every golden input with and without
// Options.Reuse: the events written at emission must be the same bytes.
func TestReuseWritesTheSameEvents(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*/*.log")
	docs, _ := filepath.Glob("testdata/*/*.json")
	for _, in := range append(inputs, docs...) {
		data := readFile(t, in)
		for _, lines := range []bool{false, true} {
			want, wantCounts := encodeAll(t, data, Options{}, lines)
			for _, mode := range reuseModes {
				got, gotCounts := encodeAll(t, data, mode, lines)
				if len(got) != len(want) {
					t.Fatalf("%s (lines %v, encode %v): %d events with Reuse, %d without", in, lines, mode.Encode, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s (lines %v, encode %v) event %d:\nreuse %s\n want %s", in, lines, mode.Encode, i, got[i], want[i])
					}
				}
				if len(gotCounts) != len(wantCounts) {
					t.Fatalf("%s: counts %v, want %v", in, gotCounts, wantCounts)
				}
				for k, v := range wantCounts {
					if gotCounts[k] != v {
						t.Fatalf("%s: counts %v, want %v", in, gotCounts, wantCounts)
					}
				}
			}
		}
	}
}

// FuzzReuse compares Options.Reuse with the default on arbitrary streams, read whole
// and line by line.
func FuzzReuse(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	inputs, _ := filepath.Glob("testdata/*/*.log")
	docs, _ := filepath.Glob("testdata/*/*.json")
	for _, in := range append(inputs, docs...) {
		f.Add(readFile(f, in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lines := range []bool{false, true} {
			want, _ := encodeAll(t, data, Options{}, lines)
			for _, mode := range reuseModes {
				got, _ := encodeAll(t, data, mode, lines)
				if len(got) != len(want) {
					t.Fatalf("lines %v, encode %v: %d events with Reuse, %d without", lines, mode.Encode, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("lines %v, encode %v, event %d:\nreuse %s\n want %s", lines, mode.Encode, i, got[i], want[i])
					}
				}
			}
		}
	})
}
