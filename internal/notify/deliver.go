package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// work delivers w's queue, one message at a time, until ctx ends or Reload removes
// the channel.
func (d *Dispatcher) work(ctx context.Context, w *worker) {
	for {
		select {
		case <-ctx.Done():
			return
		case j, ok := <-w.queue:
			if !ok {
				return
			}
			d.deliver(ctx, w, j)
		}
	}
}

// deliver makes the attempts of one delivery, reporting each.
func (d *Dispatcher) deliver(ctx context.Context, w *worker, j job) {
	for attempt := 1; ; attempt++ {
		if w.removed.Load() {
			d.report(d.dropped(w.name, j.msg, attempt-1, ErrChannelRemoved), false)
			return
		}
		if ctx.Err() != nil {
			d.report(d.dropped(w.name, j.msg, attempt-1, ErrStopped), false)
			return
		}
		if err := d.waitTurn(ctx, w); err != nil {
			d.report(d.dropped(w.name, j.msg, attempt-1, ErrStopped), false)
			return
		}
		err := d.attempt(ctx, w.state.Load(), j)
		retry, after := retryable(err)
		final := err == nil || !retry || attempt >= d.opts.Attempts || ctx.Err() != nil
		dl := Delivery{Channel: w.name, Kind: j.msg.Kind, IncidentID: j.msg.IncidentID,
			Attempt: attempt, Time: d.opts.Now(), OK: err == nil, Final: final}
		if err != nil {
			dl.Err = err.Error()
		}
		d.report(dl, true)
		if final {
			return
		}
		if err := d.opts.Sleep(ctx, d.backoff(attempt, after)); err != nil {
			d.report(d.dropped(w.name, j.msg, attempt, ErrStopped), false)
			return
		}
	}
}

// attempt makes one attempt within the attempt timeout. Its error names the channel
// and is free of the channel's secrets.
func (d *Dispatcher) attempt(ctx context.Context, st *channelState, j job) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	err := st.s.send(ctx, j.id, j.msg)
	if err == nil {
		return nil
	}
	return scrub(fmt.Errorf("%s channel %s: %w", st.ch.Type, quote(st.ch.Name), err), st.ch)
}

// waitTurn waits until the channel's rate limit allows one more request.
func (d *Dispatcher) waitTurn(ctx context.Context, w *worker) error {
	now := d.opts.Now()
	r := w.limiter.ReserveN(now, 1)
	if !r.OK() {
		// Burst is at least 1 after defaults, so one request always fits.
		return fmt.Errorf("notify: channel %s: rate limit allows no request", quote(w.name))
	}
	delay := r.DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	if err := d.opts.Sleep(ctx, delay); err != nil {
		r.CancelAt(d.opts.Now())
		return fmt.Errorf("notify: channel %s: waiting for the rate limit: %w", quote(w.name), err)
	}
	return nil
}

// backoff is the wait after a failed attempt: BaseDelay doubled per attempt made,
// or the server's Retry-After if longer, at most MaxDelay.
func (d *Dispatcher) backoff(attempt int, after time.Duration) time.Duration {
	wait := d.opts.BaseDelay
	for i := 1; i < attempt && wait < d.opts.MaxDelay; i++ {
		wait *= 2
	}
	wait = max(wait, after)
	return min(wait, d.opts.MaxDelay)
}

// report counts, logs and hands on one outcome. attempted is false for the reports
// of deliveries given up without a new attempt (dropped, stopped, removed).
func (d *Dispatcher) report(dl Delivery, attempted bool) {
	if attempted {
		result := "ok"
		if !dl.OK {
			result = "error"
		}
		d.m.attempts.WithLabelValues(dl.Channel, result).Inc()
	}
	switch {
	case dl.OK:
		d.m.deliveries.WithLabelValues(dl.Channel, "sent").Inc()
	case dl.Attempt == 0:
		d.m.deliveries.WithLabelValues(dl.Channel, "dropped").Inc()
	case dl.Final:
		d.m.deliveries.WithLabelValues(dl.Channel, "failed").Inc()
	}
	if !dl.OK {
		d.opts.Logger.Warn("notification not delivered", "channel", dl.Channel, "kind", dl.Kind,
			"incident", dl.IncidentID, "attempt", dl.Attempt, "final", dl.Final, "err", dl.Err)
	}
	if d.opts.OnResult != nil {
		d.opts.OnResult(dl)
	}
}

// metrics are the dispatcher's counters, labelled by channel name.
type metrics struct {
	deliveries *prometheus.CounterVec // final outcomes: sent, failed, dropped
	attempts   *prometheus.CounterVec // attempts: ok, error
}

func newMetrics(reg prometheus.Registerer, queued func() float64) metrics {
	m := metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_notify_deliveries_total",
			Help: "Notification deliveries by channel and final result: sent, failed (after the last attempt) or dropped (queue full, stopped, channel removed)."},
			[]string{"channel", "result"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_notify_attempts_total",
			Help: "Notification delivery attempts by channel and result: ok or error."},
			[]string{"channel", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.attempts, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigil_notify_queued", Help: "Notification deliveries waiting in the channels' queues."}, queued))
	}
	return m
}

// quote quotes a channel name for an error message.
func quote(name string) string { return strconv.Quote(name) }
