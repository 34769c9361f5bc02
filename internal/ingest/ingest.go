// Package ingest owns the path from a source to the event store: sources (one package
// each under ingest/) parse what they receive into events and hand batches to the
// Ingester, which makes them durable, counts them per source, keeps rejected input for
// review, and applies backpressure when the store cannot keep up.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
	"github.com/vigilsec/vigil/internal/store"
)

// ErrBusy means the Ingester has as many batches in flight as it allows: the source should
// slow down (HTTP answers 429, TCP stops reading, the agent keeps spooling).
var ErrBusy = errors.New("ingestion is at capacity")

// Ingester writes event batches to the event store.
type Ingester struct {
	events   store.EventStore
	now      func() time.Time
	slots    chan struct{}
	detector Detector
	sink     AlertSink
	enrich   func(ev *event.Event)
	log      *slog.Logger

	accepted   *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	unparsed   *prometheus.CounterVec

	alerts      *prometheus.CounterVec
	alertErrors prometheus.Counter
}

// Detector evaluates events as they are stored (a *detect.Engine, a *ruleset.Set); it
// must be safe for concurrent use. source is the batch's sender: a sender whose events
// come late (an agent's backlog) holds the correlation windows open until it catches up.
type Detector interface {
	EvalFrom(source string, ev *event.Event, now time.Time) []detect.Alert
}

// Raised is an alert and the event that completed it (nil for a correlation window
// that closed on the clock).
type Raised struct {
	Alert detect.Alert
	Event *event.Event
}

// AlertSink keeps the alerts of newly stored events (the incident service). It is called
// after the events are durable; an error is logged and counted, the events stay stored.
type AlertSink func(ctx context.Context, raised []Raised) error

// Options tune an Ingester.
type Options struct {
	// MaxInFlight bounds the batches being parsed and written at once; beyond it Acquire
	// waits up to Wait and then fails with ErrBusy.
	MaxInFlight int
	Wait        time.Duration
	Now         func() time.Time
	// Detector, when set, evaluates every newly stored event; its alerts go to Alerts
	// (and are only counted when Alerts is nil).
	Detector Detector
	Alerts   AlertSink
	// Enrich, when set, adds to each event what the platform knows beyond the log
	// (the cloud instance of a host) before it is stored.
	Enrich func(ev *event.Event)
	// Log receives the errors that do not fail an ingestion; nil discards them.
	Log *slog.Logger
}

// New returns an Ingester writing to events, with its metrics registered in reg.
func New(events store.EventStore, reg prometheus.Registerer, opts Options) *Ingester {
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 8
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	in := &Ingester{
		events:   events,
		now:      opts.Now,
		slots:    make(chan struct{}, opts.MaxInFlight),
		detector: opts.Detector,
		sink:     opts.Alerts,
		enrich:   opts.Enrich,
		log:      opts.Log,
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_events_total",
			Help: "Events accepted and durable (new or already stored), by source kind and log type."}, []string{"source", "type"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_duplicates_total",
			Help: "Events received again (same id) and not stored twice, by source kind."}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_rejected_total",
			Help: "Input rejected (too long, invalid JSON, ...), by source kind."}, []string{"source"}),
		unparsed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_unparsed_total",
			Help: "Lines no parser recognised (stored as events of type unknown), by source kind."}, []string{"source"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_alerts_total",
			Help: "Alerts raised by the detection rules on ingested events, by rule level."}, []string{"level"}),
		alertErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_alerts_store_errors_total",
			Help: "Batches of alerts that could not be kept (the events were stored)."}),
	}
	reg.MustRegister(in.accepted, in.duplicates, in.rejected, in.unparsed, in.alerts, in.alertErrors)
	return in
}

// Acquire takes a slot for one batch, waiting at most wait; release it when done.
func (in *Ingester) Acquire(ctx context.Context, wait time.Duration) (release func(), err error) {
	select {
	case in.slots <- struct{}{}:
		return func() { <-in.slots }, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case in.slots <- struct{}{}:
		return func() { <-in.slots }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Batch is what a source hands over: the events it parsed and the input it rejected.
type Batch struct {
	Kind       string // source kind for metrics: "http", "syslog", "agent", "file"
	Source     string // the sender, for the record: "http:token:3:ci", "syslog:203.0.113.5"
	Events     []*event.Event
	Rejections []parse.Rejection
	Unparsed   int
}

func namespacedID(source, id string) string {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Result says what happened to a batch.
type Result struct {
	Stored     int // new events now durable
	Duplicates int // events already stored before (a retried delivery)
	Rejected   int
}

// Submit makes a batch durable. When it returns nil every event of the batch is stored
// (now or before), so the sender may be acknowledged.
func (in *Ingester) Submit(ctx context.Context, b Batch) (Result, error) {
	now := in.now().UTC()
	docs := make([]store.StoredEvent, 0, len(b.Events))
	perType := map[string]int{}
	for _, ev := range b.Events {
		// Ids are namespaced by the sender: a sender can dedupe its own retries but can
		// never claim the id of another sender's event to have it dropped.
		ev.ID = namespacedID(b.Source, ev.ID)
		if in.enrich != nil {
			in.enrich(ev)
		}
		doc, err := ev.MarshalJSON()
		if err != nil {
			return Result{}, fmt.Errorf("encode event %s: %w", ev.ID, err)
		}
		docs = append(docs, store.StoredEvent{ID: ev.ID, Time: ev.Time, Received: now, Type: ev.Type,
			Host: ev.GetString("host.name"), Source: b.Source, Doc: doc})
		perType[ev.Type]++
	}
	if len(b.Rejections) > 0 {
		rs := make([]store.Rejection, len(b.Rejections))
		for i, r := range b.Rejections {
			reason := r.Reason
			if r.Index > 0 {
				reason = fmt.Sprintf("record %d: %s", r.Index, r.Reason)
			}
			rs[i] = store.Rejection{Time: now, Source: b.Source, Reason: reason, Raw: r.Raw}
		}
		// Rejections are kept before the events are acknowledged: nothing the sender
		// gave is lost without a trace.
		if err := in.events.Reject(ctx, rs); err != nil {
			return Result{}, fmt.Errorf("keep rejections: %w", err)
		}
		in.rejected.WithLabelValues(b.Kind).Add(float64(len(rs)))
	}
	inserted, err := in.events.Append(ctx, docs)
	if err != nil {
		return Result{}, fmt.Errorf("store events: %w", err)
	}
	stored := len(inserted)
	if in.detector != nil && stored > 0 {
		in.detect(ctx, b, inserted, now)
	}
	for typ, n := range perType {
		in.accepted.WithLabelValues(b.Kind, typ).Add(float64(n))
	}
	if d := len(docs) - stored; d > 0 {
		in.duplicates.WithLabelValues(b.Kind).Add(float64(d))
	}
	if b.Unparsed > 0 {
		in.unparsed.WithLabelValues(b.Kind).Add(float64(b.Unparsed))
	}
	return Result{Stored: stored, Duplicates: len(docs) - stored, Rejected: len(b.Rejections)}, nil
}

// detect evaluates the events of b that Append inserted (only those: a retried batch
// never alerts twice), in time order, and hands their alerts to the sink. The events are
// durable already, so a failure to keep the alerts is logged and counted, not returned.
func (in *Ingester) detect(ctx context.Context, b Batch, inserted []int, now time.Time) {
	evs := make([]*event.Event, len(inserted))
	for i, idx := range inserted {
		evs[i] = b.Events[idx]
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	var out []Raised
	for _, ev := range evs {
		for _, a := range in.detector.EvalFrom(b.Source, ev, now) {
			out = append(out, Raised{Alert: a, Event: ev})
		}
	}
	if len(out) == 0 {
		return
	}
	for _, r := range out {
		in.alerts.WithLabelValues(r.Alert.Rule.Level).Inc()
	}
	if in.sink == nil {
		return
	}
	// The sender's cancellation must not lose alerts of events already stored.
	if err := in.sink(context.WithoutCancel(ctx), out); err != nil {
		in.alertErrors.Inc()
		in.log.Error("keep alerts", "source", b.Source, "alerts", len(out), "err", err)
	}
}
