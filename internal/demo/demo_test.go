package demo_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/demo"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/matrix"
	"github.com/vigilsec/vigil/internal/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/alerts.golden from the built-in rules' alerts")

// replayTimes are the replay times the scenario is checked at: cron's job starts on the
// first whole minute after the crontab is replaced, so where the minute falls moves it.
var replayTimes = []time.Time{
	time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 28, 12, 0, 0, 1e6, time.UTC),
	time.Date(2026, 11, 28, 12, 0, 59, 999e6, time.UTC),
	time.Date(2027, 2, 28, 23, 59, 41, 250e6, time.UTC),
}

// stageResult is what the built-in rules made of one stage.
type stageResult struct {
	events      []*event.Event
	alerts      []detect.Alert
	first, last time.Time // of the events
}

// replay parses each batch as the server's ingest does (the same parser, type and host)
// and evaluates it with one engine, as the server does: batch by batch, in time order
// within a batch.
func replay(t *testing.T, sc *demo.Scenario) []stageResult {
	t.Helper()
	eng, _, rejected := detect.Builtin()
	if eng.Len() == 0 {
		t.Fatalf("no built-in rule compiled: %v", rejected)
	}
	out := make([]stageResult, len(sc.Stages))
	for i, st := range sc.Stages {
		r := &out[i]
		for _, b := range st.Batches {
			var events []*event.Event
			var rejections []parse.Rejection
			p, err := parse.New(parse.Options{Type: b.Type, Host: b.Host, Source: "test:" + b.File,
				Now: func() time.Time { return sc.End }, Reject: func(rj parse.Rejection) { rejections = append(rejections, rj) }})
			if err != nil {
				t.Fatalf("%s: %v", b.File, err)
			}
			emit := func(ev *event.Event) { events = append(events, ev) }
			if b.ContentType == "application/x-ndjson" {
				n := 0
				for l := range bytes.Lines(b.Body) {
					n++
					if l = bytes.TrimSpace(l); len(l) > 0 {
						p.RecordLine(l, n, emit)
					}
				}
			} else if err := parse.Read(bytes.NewReader(b.Body), p, emit); err != nil {
				t.Fatalf("%s: %v", b.File, err)
			}
			p.Flush(emit)
			if len(rejections) > 0 || p.Counts["unparsed"] > 0 {
				t.Errorf("%s: %d rejected (%+v), %d unparsed", b.File, len(rejections), rejections, p.Counts["unparsed"])
			}
			if len(events) == 0 {
				t.Errorf("%s: no events", b.File)
			}
			sort.SliceStable(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
			for _, ev := range events {
				if ev.Time.Before(sc.Start) || ev.Time.After(sc.End) {
					t.Errorf("%s: event at %s outside the replay window %s..%s: %s", b.File, ev.Time, sc.Start, sc.End, ev.Message)
				}
				if r.first.IsZero() || ev.Time.Before(r.first) {
					r.first = ev.Time
				}
				if ev.Time.After(r.last) {
					r.last = ev.Time
				}
				r.alerts = append(r.alerts, eng.Eval(ev, sc.End)...)
			}
			r.events = append(r.events, events...)
		}
	}
	return out
}

func matrixTags(a detect.Alert) []string {
	var tags []string
	for _, tag := range a.Rule.Tags {
		if strings.HasPrefix(tag, matrix.TagNamespace+".") {
			tags = append(tags, tag)
		}
	}
	return tags
}

// TestDemoScenarioAlerts checks the claims of scenario.yml against the built-in rules:
// every stage raises alerts, after those of the stage before, and exactly for the
// techniques the stage names; the alerts themselves are the golden file's.
func TestDemoScenarioAlerts(t *testing.T) {
	cat, err := matrix.Load()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "alerts.golden")
	for n, now := range replayTimes {
		t.Run(now.Format(time.RFC3339Nano), func(t *testing.T) {
			sc, err := demo.Render(now)
			if err != nil {
				t.Fatal(err)
			}
			results := replay(t, sc)
			var got strings.Builder
			got.WriteString("# The alerts of the built-in rules on each stage of the demo, in order.\n" +
				"# Regenerate with: go test ./internal/demo/ -run DemoScenario -update\n")
			var prevEvent, prevAlert time.Time
			for i, st := range sc.Stages {
				r := results[i]
				if r.first.Before(prevEvent) {
					t.Errorf("stage %s starts at %s, before the stage before it ended (%s)", st.Name, r.first, prevEvent)
				}
				prevEvent = r.last
				if len(r.alerts) == 0 {
					t.Errorf("stage %s raises no alert", st.Name)
					continue
				}
				tags := map[string]bool{}
				for _, a := range r.alerts {
					if a.Time.Before(prevAlert) {
						t.Errorf("stage %s: alert %q at %s comes before an alert of an earlier stage (%s)",
							st.Name, a.Rule.Title, a.Time, prevAlert)
					}
					for _, tag := range matrixTags(a) {
						tags[tag] = true
					}
				}
				for _, a := range r.alerts {
					if a.Time.After(prevAlert) {
						prevAlert = a.Time
					}
				}
				var want []string
				for _, id := range st.Techniques {
					te, ok := cat.Technique(id)
					if !ok || !te.Detectable {
						t.Errorf("stage %s names %s, which is not a detectable technique of the matrix", st.Name, id)
					}
					want = append(want, matrix.TagFor(id))
				}
				gotTags := keys(tags)
				slices.Sort(want)
				if !slices.Equal(gotTags, want) {
					t.Errorf("stage %s: the alerts are tagged %v; scenario.yml says %v", st.Name, gotTags, want)
				}
				fmt.Fprintf(&got, "%s\n", st.Name)
				for _, a := range r.alerts {
					fmt.Fprintf(&got, "  %-6s  %s  %s\n", a.Rule.Level, a.Rule.Title, strings.Join(matrixTags(a), " "))
				}
			}
			if *update && n == 0 {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n"); !slices.Equal(g, w) {
				t.Errorf("the alerts differ from %s (run with -update if the change is intended):\ngot:\n%s", golden, got.String())
			}
		})
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestDemoRenderIsStable checks that a replay time always renders the same logs, and that
// another replay time gives other cloud event ids: the server would drop a second run's
// records as duplicates of the first's otherwise.
func TestDemoRenderIsStable(t *testing.T) {
	now := replayTimes[0]
	a, err := demo.Render(now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := demo.Render(now)
	if err != nil {
		t.Fatal(err)
	}
	later, err := demo.Render(now.Add(3 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range a.Stages {
		for j, batch := range st.Batches {
			if !bytes.Equal(batch.Body, b.Stages[i].Batches[j].Body) {
				t.Errorf("%s renders differently for the same replay time", batch.File)
			}
			if bytes.Equal(batch.Body, later.Stages[i].Batches[j].Body) {
				t.Errorf("%s renders the same for another replay time", batch.File)
			}
			if batch.Lines == 0 || (batch.ContentType != "text/plain" && batch.ContentType != "application/x-ndjson") {
				t.Errorf("%s: %d lines of %q", batch.File, batch.Lines, batch.ContentType)
			}
		}
	}
	ids := func(sc *demo.Scenario) map[string]bool {
		m := map[string]bool{}
		for _, st := range sc.Stages {
			for _, batch := range st.Batches {
				for l := range bytes.Lines(batch.Body) {
					if _, rest, ok := bytes.Cut(l, []byte(`"eventID": "`)); ok {
						m[string(rest[:36])] = true
					}
				}
			}
		}
		return m
	}
	first, second := ids(a), ids(later)
	if len(first) < 40 {
		t.Fatalf("found %d CloudTrail event ids, want every record's", len(first))
	}
	for id := range first {
		if second[id] {
			t.Errorf("event id %s appears in two replays", id)
		}
	}
}
