package parse_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventJSONMatchesTree checks the hand-written event encoder against the reference
// encoding, json.Marshal of the nested maps of Event.Tree, byte for byte on every event of
// every golden input: `vigil parse` output and stored documents must not change.
func TestEventJSONMatchesTree(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*/*.log")
	docs, _ := filepath.Glob("testdata/*/*.json")
	txt, _ := filepath.Glob("testdata/*/*.txt")
	inputs = append(append(inputs, docs...), txt...)
	n := 0
	for _, in := range inputs {
		events, _ := parseFile(t, in, "")
		for i, ev := range events {
			want, err := json.Marshal(ev.Tree())
			if err != nil {
				t.Fatal(err)
			}
			got, err := ev.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s event %d:\n got %s\nwant %s", strings.TrimPrefix(in, "testdata/"), i+1, got, want)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d golden events", n)
	}
}
