package parse_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

var update = flag.Bool("update", false, "rewrite the expected *.jsonl files from the parser's output")

// goldenNow is the reference time of the golden tests: year-less timestamps resolve
// against it, and records without a time get it.
var goldenNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// parseFile runs the auto-detecting parser over a file, as `vigil parse` would.
func parseFile(t testing.TB, path string, typ string) ([]*event.Event, map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := parse.New(parse.Options{Type: typ, Now: func() time.Time { return goldenNow }, Source: "golden"})
	if err != nil {
		t.Fatal(err)
	}
	var out []*event.Event
	emit := func(ev *event.Event) { out = append(out, ev) }
	if err := parse.Read(f, p, emit); err != nil {
		t.Fatal(err)
	}
	p.Flush(emit)
	return out, p.Counts
}

// TestGolden parses every testdata/<type>/*.log (text lines) and *.json (JSON documents)
// with type detection on and compares each event with the line of the same number in the
// *.jsonl beside it, as parsed JSON values. Events must be detected as <type>, except in
// files whose names start with "mixed".
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*/*.log")
	docs, _ := filepath.Glob("testdata/*/*.json")
	inputs = append(inputs, docs...)
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range inputs {
		typ := filepath.Base(filepath.Dir(in))
		t.Run(strings.TrimPrefix(in, "testdata/"), func(t *testing.T) {
			events, _ := parseFile(t, in, "")
			var got bytes.Buffer
			for _, ev := range events {
				b, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				got.Write(b)
				got.WriteByte('\n')
				if m := ev.GetString("event.module"); !strings.HasPrefix(filepath.Base(in), "mixed") && ev.Type != typ {
					t.Errorf("event detected as %q (%s), want %q: %s", ev.Type, m, typ, ev.Message)
				}
			}
			want := strings.TrimSuffix(in, filepath.Ext(in)) + ".jsonl"
			if *update {
				if err := os.WriteFile(want, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			compareJSONL(t, got.Bytes(), want)
		})
	}
}

func compareJSONL(t *testing.T, got []byte, wantPath string) {
	t.Helper()
	wantBytes, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/parse -run TestGolden -update, then review the file)", err)
	}
	g, w := lines(got), lines(wantBytes)
	if len(g) != len(w) {
		t.Errorf("%d events, want %d", len(g), len(w))
	}
	for i := 0; i < len(g) && i < len(w); i++ {
		var gv, wv any
		if err := json.Unmarshal([]byte(g[i]), &gv); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(w[i]), &wv); err != nil {
			t.Fatalf("%s line %d: %v", wantPath, i+1, err)
		}
		if !reflect.DeepEqual(gv, wv) {
			t.Errorf("event %d:\n got %s\nwant %s", i+1, g[i], w[i])
		}
	}
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, sc.Text())
		}
	}
	return out
}
