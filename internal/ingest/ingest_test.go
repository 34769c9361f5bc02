package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// failingAlerts is an event store whose alerts cannot be stored.
type failingAlerts struct{ store.EventStore }

func (failingAlerts) AppendAlerts(context.Context, []store.StoredAlert) error {
	return errors.New("disk full")
}

// everyEvent raises one alert per event it is shown.
type everyEvent struct{ seen []string }

func (d *everyEvent) Eval(ev *event.Event, _ time.Time) []detect.Alert {
	d.seen = append(d.seen, ev.ID)
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
	in := New(es, reg, Options{Detector: d})
	if _, err := in.Submit(context.Background(), batch()); err != nil {
		t.Fatal(err)
	}
	if len(d.seen) != 2 || d.seen[0] != namespacedID("s", "a") {
		t.Errorf("evaluated %v; want a then b", d.seen)
	}
	// A retried delivery evaluates nothing.
	if _, err := in.Submit(context.Background(), batch()); err != nil || len(d.seen) != 2 {
		t.Errorf("retry: evaluated %v, %v", d.seen, err)
	}
	if as, err := es.ListAlerts(context.Background(), store.Page{}); err != nil || len(as) != 2 {
		t.Errorf("stored alerts = %d, %v", len(as), err)
	}
	if n := counter(t, reg, "vigil_alerts_total"); n != 2 {
		t.Errorf("vigil_alerts_total{level=high} = %v", n)
	}

	// Alerts that cannot be stored do not fail the ingestion; they are counted.
	reg2 := prometheus.NewRegistry()
	in2 := New(failingAlerts{es}, reg2, Options{Detector: d})
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
