package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/demo"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
	"github.com/vigilsec/vigil/internal/sigma"
)

// TestHuntKeepsNothingOfReusedEvents checks that hunting with the parser's Reuse mode,
// which takes each event's memory back once it is evaluated, prints exactly the alerts
// of an engine that is given events nobody reuses: every event parsed first and kept,
// then evaluated in the order hunt merges the inputs in. Anything the engine kept of an
// event (an id, a group-by value, a matched value) would show as changed text in the
// correlations' alerts. The inputs are the parsers' golden files and the demo attack
// (detections and correlations of the project's rules), one hunt over all of them.
func TestHuntKeepsNothingOfReusedEvents(t *testing.T) {
	dir := t.TempDir()
	inputs := []string{filepath.Join("testdata", "hunt", "auth.log")}
	sc, err := demo.Render(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range sc.Stages {
		for j, b := range st.Batches {
			name := filepath.Join(dir, fmt.Sprintf("demo-%02d-%d-%s", i, j, filepath.Base(b.File)))
			if err := os.WriteFile(name, b.Body, 0o600); err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, name)
		}
	}
	golden, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", "*", "*.log"))
	docs, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", "*", "*.json"))
	inputs = append(append(inputs, golden...), docs...)
	rules := []string{filepath.Join("..", "..", "rules"), filepath.Join("testdata", "hunt", "rules")}

	args := []string{"hunt"}
	for _, r := range rules {
		args = append(args, "--rules", r)
	}
	got := vigil(t, "", append(args, inputs...)...)

	// The reference: no Reuse, every event kept until all are evaluated.
	c, _ := (&sigma.Loader{}).LoadPaths(rules...)
	eng, _ := detect.Compile(c, detect.Options{})
	perInput := make([][]*event.Event, len(inputs))
	for i, in := range inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parse.New(parse.Options{Source: "file:" + abs})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		emit := func(ev *event.Event) { perInput[i] = append(perInput[i], ev) }
		_ = parse.Read(bytes.NewReader(data), p, emit)
		p.Flush(emit)
	}
	var want bytes.Buffer
	write := func(alerts []detect.Alert) {
		for i := range alerts {
			want.Write(alerts[i].AppendJSON(nil))
			want.WriteByte('\n')
		}
	}
	// Merged as hunt merges them: the earliest next event of any input first, the
	// earlier input on equal times.
	var events []*event.Event
	for {
		next := -1
		for i, evs := range perInput {
			if len(evs) > 0 && (next < 0 || evs[0].Time.Before(perInput[next][0].Time)) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		events = append(events, perInput[next][0])
		perInput[next] = perInput[next][1:]
	}
	for _, ev := range events {
		write(eng.Eval(ev, ev.Time))
	}
	write(eng.Flush())

	correlations := strings.Count(want.String(), `"kind":"correlation"`)
	if want.Len() == 0 || correlations == 0 {
		t.Fatalf("the inputs raise no correlation alert (%d bytes of alerts): the test would prove nothing", want.Len())
	}
	if got.stdout != want.String() {
		gl, wl := strings.Split(got.stdout, "\n"), strings.Split(want.String(), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("alert %d differs (of %d hunted, %d expected):\nhunt %s\nwant %s", i, len(gl)-1, len(wl)-1, gl[i], wl[i])
			}
		}
		t.Fatalf("hunt printed %d alerts, want %d", len(gl)-1, len(wl)-1)
	}
	t.Logf("%d alerts, %d of correlations, from %d events", strings.Count(want.String(), "\n"), correlations, len(events))
}
