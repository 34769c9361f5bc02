package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// everyEvent raises one alert per event it is shown, and notes the events' sources.
type everyEvent struct{ seen, sources []string }

func (d *everyEvent) EvalFrom(source string, ev *event.Event, _ time.Time) []detect.Alert {
	d.seen = append(d.seen, ev.ID)
	d.sources = append(d.sources, source)
	return []detect.Alert{{Time: ev.Time, EventIDs: []string{ev.ID}, Rule: detect.RuleRef{ID: "r", Level: "high", Kind: "detection"}}}
}

func TestSubmitDetects(t *testing.T) {
	es, err := sqlite.OpenEvents(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	batch := func() Batch {
		return Batch{Kind: "http", Source: "s", Events: []*event.Event{
			{ID: "b", Time: t0.Add(time.Second), Type: "sshd"}, {ID: "a", Time: t0, Type: "sshd"}}}
	}
	d := &everyEvent{}
	reg := prometheus.NewRegistry()
	var kept []Raised
	in := New(es, reg, Options{Detector: d, Alerts: func(_ context.Context, r []Raised) error {
		kept = append(kept, r...)
		return nil
	}})
	if _, err := in.Submit(context.Background(), batch()); err != nil {
		t.Fatal(err)
	}
	if len(d.seen) != 2 || d.seen[0] != namespacedID("s", "a") {
		t.Errorf("evaluated %v; want a then b", d.seen)
	}
	if strings.Join(d.sources, ",") != "s,s" {
		t.Errorf("evaluated as from %v; want the batch's source", d.sources)
	}
	// A retried delivery evaluates nothing.
	if _, err := in.Submit(context.Background(), batch()); err != nil || len(d.seen) != 2 {
		t.Errorf("retry: evaluated %v, %v", d.seen, err)
	}
	if len(kept) != 2 || kept[0].Event.ID != kept[0].Alert.EventIDs[0] {
		t.Errorf("alerts handed to the sink = %+v", kept)
	}
	if n := counter(t, reg, "vigil_alerts_total"); n != 2 {
		t.Errorf("vigil_alerts_total{level=high} = %v", n)
	}

	// Alerts that cannot be stored do not fail the ingestion; they are counted.
	reg2 := prometheus.NewRegistry()
	in2 := New(es, reg2, Options{Detector: d, Alerts: func(context.Context, []Raised) error {
		return errors.New("disk full")
	}})
	b := batch()
	b.Source = "other"
	if res, err := in2.Submit(context.Background(), b); err != nil || res.Stored != 2 {
		t.Fatalf("Submit with failing alert store = %+v, %v", res, err)
	}
	if n := counter(t, reg2, "vigil_alerts_store_errors_total"); n != 1 {
		t.Errorf("vigil_alerts_store_errors_total = %v", n)
	}
}

// counter sums the values of a counter family.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
