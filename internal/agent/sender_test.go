package agent

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/ingest/httpin"
)

// TestSenderResponses drives the sender through the answers a server under load or a
// broken event produce: 429 with Retry-After, a 5xx, and a 400 for the batch holding a
// bad event, which is split until that event is alone and then dropped. The protocol
// corners are hard to provoke from the real server, so an HTTP fake speaks them here.
func TestSenderResponses(t *testing.T) {
	var mu sync.Mutex
	var requests []time.Time
	stored := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests = append(requests, time.Now())
		if r.URL.Path != "/api/v1/ingest" || r.Header.Get("Authorization") != "Bearer agent-token" ||
			r.Header.Get("Content-Type") != httpin.EventsType || r.Header.Get("Content-Encoding") != "gzip" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		switch len(requests) {
		case 1:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"code":"rate_limited","message":"busy"}}`, http.StatusTooManyRequests)
			return
		case 2:
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ids []string
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			ids = append(ids, eventID(sc.Bytes()))
		}
		for _, id := range ids {
			if id == "poison" {
				http.Error(w, `{"error":{"code":"bad_request","message":"poison"}}`, http.StatusBadRequest)
				return
			}
		}
		for _, id := range ids {
			stored[id]++
		}
		fmt.Fprintf(w, `{"accepted":%d,"stored":%d}`, len(ids), len(ids))
	}))
	defer srv.Close()

	cfg := testConfig(t, srv.URL, filepath.Join(t.TempDir(), "state"))
	a, err := newAgent(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	a.client.token = "agent-token"
	if err := a.openState(); err != nil {
		t.Fatal(err)
	}
	defer a.spool.Close()
	var recs [][]byte
	for _, id := range []string{"e1", "e2", "poison", "e3", "e4", "e5"} {
		recs = append(recs, fmt.Appendf(nil, `{"@timestamp":"2026-11-28T10:00:00Z","event":{"id":%q}}`, id))
	}
	if err := a.commit(recs, "file-test.json", map[string]int{"offset": 1}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.runSender(ctx) })
	eventually(t, 15*time.Second, "the spool to drain", func() bool { return a.spool.Stats().Bytes == 0 })
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if gap := requests[1].Sub(requests[0]); gap < time.Second {
		t.Errorf("retried %v after a 429 with Retry-After: 1", gap)
	}
	if len(stored) != 5 || stored["poison"] != 0 {
		t.Errorf("stored %v, want e1..e5 once", stored)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	s := a.status.snapshot(a.spool.Stats()).Sender
	if s.Sent != 5 || s.Dropped != 1 || s.LastSuccess.IsZero() || !strings.Contains(s.LastError, "poison") {
		t.Errorf("sender status %+v", s)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              time.Second,
		"7":                             7 * time.Second,
		"0":                             time.Second,
		"99999":                         5 * time.Minute,
		"Sat, 28 Nov 2026 10:00:30 GMT": 30 * time.Second,
	} {
		h := http.Header{}
		h.Set("Retry-After", v)
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}
