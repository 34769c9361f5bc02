package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// t0 is the fake clock's start: a Tuesday in 2026, in milliseconds exactly.
var t0 = time.Date(2026, 3, 10, 8, 30, 0, 123_000_000, time.UTC)

// fakeClock is a clock that moves only when something sleeps on it, so rate limits
// and backoff are checked by the waits asked for, never by how long a loaded machine
// took.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// recorder keeps the outcomes reported through OnResult.
type recorder struct {
	mu     sync.Mutex
	all    []Delivery
	finals int
	change chan struct{}
}

func newRecorder() *recorder { return &recorder{change: make(chan struct{}, 1)} }

func (r *recorder) OnResult(d Delivery) {
	r.mu.Lock()
	r.all = append(r.all, d)
	if d.Final {
		r.finals++
	}
	r.mu.Unlock()
	select {
	case r.change <- struct{}{}:
	default:
	}
}

func (r *recorder) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.all...)
}

// waitFinals waits until n deliveries have been reported final. The bound only keeps
// a broken test from hanging; nothing is asserted about speed.
func (r *recorder) waitFinals(t *testing.T, n int) []Delivery {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		r.mu.Lock()
		got := r.finals
		r.mu.Unlock()
		if got >= n {
			return r.Deliveries()
		}
		select {
		case <-r.change:
		case <-deadline:
			t.Fatalf("%d final deliveries after 60s, want %d: %+v", got, n, r.Deliveries())
		}
	}
}

// request is one request that a receiver got.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server that records requests and answers with answer.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

// answer writes the response to the nth request (from 0).
type answer func(w http.ResponseWriter, n int)

// reply answers every request with status and body.
func reply(status int, body string) answer {
	return func(w http.ResponseWriter, _ int) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func newReceiver(t *testing.T, a answer) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, request{r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone(), body})
		rc.mu.Unlock()
		a(w, n)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) Requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// one returns the only request received.
func (rc *receiver) one(t *testing.T) request {
	t.Helper()
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// run starts d.Run and stops it when the test ends.
func run(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// sample is an incident message with every field set.
func sample() Message {
	return Message{
		Kind:       KindIncidentCreated,
		IncidentID: 42,
		Title:      "SSH brute force followed by a login",
		Severity:   "high",
		Status:     "open",
		Tactics:    []string{"cs.ia"},
		Techniques: []string{"CS-IA-01", "CS-CA-02"},
		Hosts:      []string{"web-1", "web-2"},
		HostGroups: []string{"prod"},
		Summary:    "312 failed logins from 203.0.113.7\nthen a login as deploy",
		URL:        "https://vigil.example.com/incidents/42",
		Time:       time.Date(2026, 3, 10, 8, 29, 0, 0, time.UTC),
	}
}

// testOptions are options with the fake clock and the recorder.
func testOptions(c *fakeClock, r *recorder) Options {
	return Options{Now: c.Now, Sleep: c.Sleep, OnResult: r.OnResult}
}

// mustNew builds a dispatcher or fails the test.
func mustNew(t *testing.T, cfg Config, opts Options) *Dispatcher {
	t.Helper()
	d, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// single is a configuration of one channel that every message is routed to.
func single(ch Channel) Config {
	return Config{Channels: []Channel{ch}, Routes: []Route{{Name: "all", Channels: []string{ch.Name}}}}
}
