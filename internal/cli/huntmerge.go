package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/event"
)

// Reading several inputs of `vigil hunt` in time order.

// maxMerged bounds the inputs read side by side: each holds its read buffers and its
// parser while it waits for its turn.
const maxMerged = 256

// inputs parses the inputs and evaluates their events, merged in time order when there
// are several (see merge), and returns the inputs' errors.
func (h *hunter) inputs(cmd *cobra.Command, names []string, typ, host string, loc *time.Location) []error {
	if len(names) == 1 || len(names) > maxMerged {
		if len(names) > 1 {
			fmt.Fprintf(cmd.ErrOrStderr(), "vigil hunt: more than %d inputs: they are read one after the other, and correlations "+
				"see each input's events only after the previous input's\n", maxMerged)
		}
		var errs []error
		for _, name := range names {
			if err := h.input(cmd, name, typ, host, loc, h.event); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	return h.merge(cmd, names, typ, host, loc)
}

// stream is one input of a merge: its parser runs in a goroutine of its own. While its
// events come before the next event of every other input, the goroutine evaluates them
// itself; the first that does not is handed over to the merge, and the goroutine waits
// until it has been evaluated (the parser reuses the event's memory afterwards).
type stream struct {
	idx    int
	events chan *event.Event // closed at the end of the input, after err is set
	done   chan struct{}     // the event handed over has been evaluated
	head   *event.Event      // the event handed over, nil at the end
	err    error
	// Set by the merge before the stream resumes: the earliest next event of the other
	// inputs (its time and input; other < 0 when they have all ended). Before the
	// first hand-over, resumed is false and every event is handed over.
	resumed bool
	until   time.Time
	other   int
}

// first tells whether an event of the stream goes before the other inputs' next events.
func (s *stream) first(t time.Time) bool {
	if !s.resumed {
		return false
	}
	return s.other < 0 || t.Before(s.until) || t.Equal(s.until) && s.idx < s.other
}

// merge evaluates the events of several inputs in time order, as a live engine would
// have received them: every input is read side by side and the earliest of their next
// events goes first (the earlier input on equal times). Logs are written in time order,
// so this is the order of the events across inputs; an event out of order within its
// input still counts in the correlation windows that are open. One party runs at a time:
// a parser runs only while the merge waits for its next event, so the inputs' parsers,
// their rejections on standard error and the engine never run concurrently.
func (h *hunter) merge(cmd *cobra.Command, names []string, typ, host string, loc *time.Location) []error {
	streams := make([]*stream, len(names))
	for i, name := range names {
		s := &stream{idx: i, events: make(chan *event.Event), done: make(chan struct{})}
		go func() {
			s.err = h.input(cmd, name, typ, host, loc, func(ev *event.Event) {
				if s.first(ev.Time) {
					h.event(ev)
					return
				}
				s.events <- ev
				<-s.done
			})
			close(s.events)
		}()
		s.head = <-s.events // its first event; only then does the next input start
		streams[i] = s
	}
	for {
		next := earliest(streams, nil)
		if next == nil {
			break
		}
		h.event(next.head)
		next.resumed, next.other = true, -1
		if o := earliest(streams, next); o != nil {
			next.until, next.other = o.head.Time, o.idx
		}
		next.done <- struct{}{}
		next.head = <-next.events
	}
	var errs []error
	for _, s := range streams {
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	return errs
}

// earliest returns the stream whose next event goes first, leaving out one stream.
func earliest(streams []*stream, except *stream) *stream {
	var best *stream
	for _, s := range streams {
		if s != except && s.head != nil && (best == nil || s.head.Time.Before(best.head.Time)) {
			best = s
		}
	}
	return best
}
