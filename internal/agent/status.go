package agent

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/spool"
)

// sourceStats are one source's counters since the agent started.
type sourceStats struct {
	Kind        string    `json:"kind"`  // file, journald
	State       string    `json:"state"` // reading, absent, spool_full, unavailable, error
	Lines       int64     `json:"lines"`
	Events      int64     `json:"events"`
	Unparsed    int64     `json:"unparsed"`
	Rejected    int64     `json:"rejected"`
	Skipped     int64     `json:"skipped,omitempty"`
	Rotations   int64     `json:"rotations,omitempty"`
	Truncations int64     `json:"truncations,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// senderStats are the sender's counters since the agent started.
type senderStats struct {
	Sent        int64     `json:"sent"` // events the server acknowledged
	Batches     int64     `json:"batches"`
	Duplicates  int64     `json:"duplicates"` // acknowledged events the server already had
	Rejected    int64     `json:"rejected"`   // events the server refused for good
	Dropped     int64     `json:"dropped"`    // events given up after the server refused their batch
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// status holds the counters the heartbeat reports.
type status struct {
	mu      sync.Mutex
	started time.Time
	sources map[string]*sourceStats
	sender  senderStats
}

func newStatus() *status {
	return &status{started: time.Now().UTC(), sources: map[string]*sourceStats{}}
}

// source returns the counters of a named source, creating them.
func (s *status) source(name, kind string) *sourceStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.sources[name]
	if !ok {
		st = &sourceStats{Kind: kind, State: "absent"}
		s.sources[name] = st
	}
	return st
}

// update changes a source's counters under the lock.
func (s *status) update(st *sourceStats, fn func(*sourceStats)) {
	s.mu.Lock()
	fn(st)
	s.mu.Unlock()
}

func (s *status) fail(st *sourceStats, err error) {
	s.update(st, func(c *sourceStats) {
		c.State, c.LastError, c.LastErrorAt = "error", clip(err.Error()), time.Now().UTC()
	})
}

func clip(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText] + "…"
	}
	return s
}

func (s *status) sent(fn func(*senderStats)) {
	s.mu.Lock()
	fn(&s.sender)
	s.mu.Unlock()
}

// maxReportedSources and maxErrorText keep the heartbeat within the server's 64 KiB
// bound on hosts that follow very many files.
const (
	maxReportedSources = 100
	maxErrorText       = 200
)

// Status is the heartbeat's status object.
type Status struct {
	StartedAt      time.Time               `json:"started_at"`
	Sources        map[string]*sourceStats `json:"sources"`
	SourcesOmitted int                     `json:"sources_omitted,omitempty"`
	Spool          spool.Stats             `json:"spool"`
	Sender         senderStats             `json:"sender"`
}

func (s *status) snapshot(sp spool.Stats) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Status{StartedAt: s.started, Sources: map[string]*sourceStats{}, Spool: sp, Sender: s.sender}
	names := slices.Sorted(maps.Keys(s.sources))
	for i, name := range names {
		if i == maxReportedSources {
			out.SourcesOmitted = len(names) - i
			break
		}
		c := *s.sources[name]
		out.Sources[name] = &c
	}
	return out
}

func (s Status) json() json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// logLimiter lets a repeated message through once per interval and counts the rest, so
// that a problem that lasts is reported loudly without flooding the log.
type logLimiter struct {
	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

func (l *logLimiter) log(log *slog.Logger, level slog.Level, key string, every time.Duration, msg string, args ...any) {
	l.mu.Lock()
	if l.last == nil {
		l.last, l.suppressed = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if t, ok := l.last[key]; ok && now.Sub(t) < every {
		l.suppressed[key]++
		l.mu.Unlock()
		return
	}
	n := l.suppressed[key]
	l.last[key], l.suppressed[key] = now, 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "repeated", n)
	}
	log.Log(context.Background(), level, msg, args...)
}
