package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/agent/spool"
	"github.com/vigilsec/vigil/internal/ingest/httpin"
)

// stopGrace is how long a request in flight may still finish after the agent was told to
// stop; after that it is abandoned and its events are sent again at the next start.
const stopGrace = 5 * time.Second

// outcome is what the sender does after a request.
type outcome int

const (
	acked   outcome = iota // the server made the batch durable: move past it
	wait                   // try the same batch again after the given delay
	split                  // the server refused the batch as a whole: send smaller ones
	dropped                // a batch of one event refused for good: give it up
)

// runSender sends the spool's oldest events in batches until ctx ends. Only an answer of
// 2xx moves the spool's cursor, so events are sent at least once; the server keeps each
// event id once, so they are stored exactly once.
func (a *Agent) runSender(ctx context.Context) {
	limit := a.cfg.Batch.MaxEvents
	bo := backoff{base: 500 * time.Millisecond, max: 30 * time.Second}
	for ctx.Err() == nil {
		b, err := a.spool.Next(limit, a.cfg.Batch.MaxBytes)
		if err != nil {
			a.limiter.log(a.log, slog.LevelError, "spool-read", time.Minute, "cannot read the spool", "err", err)
			sleep(ctx, 5*time.Second)
			continue
		}
		if b == nil {
			select {
			case <-ctx.Done():
			case <-a.spool.Notify():
			case <-time.After(time.Second):
			}
			continue
		}
		// A small batch waits up to the batch interval (from when its first event was
		// spooled) for company: fewer, larger requests.
		if len(b.Records) < limit && b.Bytes < a.cfg.Batch.MaxBytes/2 {
			if d := time.Until(b.First.Add(a.cfg.Batch.Interval)); d > 0 {
				sleep(ctx, d)
				continue
			}
		}
		out, delay := a.send(ctx, b)
		switch out {
		case acked, dropped:
			if err := a.spool.Ack(b); err != nil {
				a.limiter.log(a.log, slog.LevelError, "spool-ack", time.Minute, "cannot record sent events; they will be sent again", "err", err)
				sleep(ctx, 5*time.Second)
				continue
			}
			bo.reset()
			limit = min(a.cfg.Batch.MaxEvents, limit*2)
		case split:
			limit = max(1, len(b.Records)/2)
		case wait:
			if delay == 0 {
				delay = bo.next()
			}
			sleep(ctx, delay)
		}
	}
}

// send posts one batch and says what to do next.
func (a *Agent) send(ctx context.Context, b *spool.Batch) (outcome, time.Duration) {
	var body bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&body, gzip.BestSpeed)
	for _, r := range b.Records {
		zw.Write(r)
		zw.Write([]byte{'\n'})
	}
	zw.Close()

	// The request outlives a stop by stopGrace, so a batch the server is storing is
	// usually acknowledged rather than sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	resp, err := a.client.do(rctx, "POST", "/api/v1/ingest", "", body.Bytes(),
		map[string]string{"Content-Type": httpin.EventsType, "Content-Encoding": "gzip"})
	now := time.Now().UTC()
	if err != nil {
		a.senderError(err.Error(), now)
		if ctx.Err() == nil {
			a.limiter.log(a.log, slog.LevelWarn, "send", time.Minute, "cannot reach the server; events stay in the spool", "err", err)
		}
		return wait, 0
	}
	switch st := resp.status; {
	case st >= 200 && st < 300:
		var res httpin.Response
		json.Unmarshal(resp.body, &res)
		a.status.sent(func(s *senderStats) {
			s.Sent += int64(res.Accepted)
			s.Duplicates += int64(res.Duplicates)
			s.Rejected += int64(res.Rejected)
			s.Batches++
			s.LastSuccess = now
		})
		if res.Rejected > 0 {
			a.logRejections(b, &res)
		}
		return acked, 0
	case st == http.StatusTooManyRequests:
		a.senderError(resp.String(), now)
		return wait, retryAfter(resp.header, time.Now())
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		a.senderError(resp.String(), now)
		a.authFailed(resp)
		return wait, 30 * time.Second
	case st == http.StatusRequestEntityTooLarge || st == http.StatusBadRequest || st == http.StatusUnprocessableEntity:
		// Refused as a whole: halve the batch until the event at fault is alone, then give
		// that one up, so one bad event never blocks the spool.
		a.senderError(resp.String(), now)
		if len(b.Records) > 1 {
			return split, 0
		}
		a.status.sent(func(s *senderStats) { s.Dropped++ })
		a.log.Error("the server refused an event for good; it is dropped", "status", resp.String(), "event_id", eventID(b.Records[0]))
		return dropped, 0
	case st == http.StatusNotFound || st == http.StatusMethodNotAllowed || st == http.StatusUnsupportedMediaType:
		// The server does not take agent events (an older version, or a proxy in the way):
		// nothing an event could change, so keep them until it does.
		a.senderError(resp.String(), now)
		a.limiter.log(a.log, slog.LevelError, "send-incompatible", time.Minute,
			"the server does not accept agent events at /api/v1/ingest; events stay in the spool", "status", resp.String())
		return wait, 30 * time.Second
	default:
		a.senderError(resp.String(), now)
		a.limiter.log(a.log, slog.LevelWarn, "send", time.Minute, "server error; events stay in the spool and are retried", "status", resp.String())
		return wait, 0
	}
}

func (a *Agent) senderError(msg string, now time.Time) {
	a.status.sent(func(s *senderStats) { s.LastError, s.LastErrorAt = clip(msg), now })
}

// logRejections logs the events the server refused (they are kept there for review too).
func (a *Agent) logRejections(b *spool.Batch, res *httpin.Response) {
	for i, rj := range res.Rejections {
		if i == 5 {
			a.log.Warn("more events of the batch were refused", "count", res.Rejected-i)
			break
		}
		id := ""
		if rj.Line >= 1 && rj.Line <= len(b.Records) {
			id = eventID(b.Records[rj.Line-1])
		}
		a.log.Warn("the server refused an event", "line", rj.Line, "reason", rj.Reason, "event_id", id)
	}
}

func eventID(doc []byte) string {
	var v struct {
		Event struct {
			ID string `json:"id"`
		} `json:"event"`
	}
	json.Unmarshal(doc, &v)
	return v.Event.ID
}
