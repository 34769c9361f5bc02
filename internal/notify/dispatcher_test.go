package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// attempts summarises deliveries as "attempt:ok/err:final" for comparison.
func attempts(ds []Delivery) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%d:", d.Attempt)
		if d.OK {
			s += "ok"
		} else {
			s += "err"
		}
		if d.Final {
			s += ":final"
		}
		out = append(out, s)
	}
	return out
}

func TestRetryOn503ThenSuccess(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		if n < 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	clock, rec := newFakeClock(), newRecorder()
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL}), testOptions(clock, rec))
	run(t, d)
	d.Notify(sample())

	got := rec.waitFinals(t, 1)
	if want := []string{"1:err", "2:err", "3:ok:final"}; !reflect.DeepEqual(attempts(got), want) {
		t.Fatalf("attempts %v, want %v: %+v", attempts(got), want, got)
	}
	if !strings.Contains(got[0].Err, "HTTP status 503") || got[0].Channel != "hook" || got[0].IncidentID != 42 ||
		got[0].Kind != KindIncidentCreated {
		t.Errorf("first outcome %+v", got[0])
	}
	// Exponential backoff from the default base delay; the burst covers the three
	// attempts, so the rate limit made nothing wait.
	if want := []time.Duration{2 * time.Second, 4 * time.Second}; !reflect.DeepEqual(clock.Sleeps(), want) {
		t.Errorf("waits %v, want %v", clock.Sleeps(), want)
	}
	reqs := rc.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	if id := reqs[0].Header.Get(HeaderDelivery); id == "" || reqs[2].Header.Get(HeaderDelivery) != id {
		t.Errorf("delivery id changed across retries: %q, %q", id, reqs[2].Header.Get(HeaderDelivery))
	}
}

func TestNoRetryOn400(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusBadRequest, "bad signature"))
	clock, rec := newFakeClock(), newRecorder()
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL, Secret: "k"}), testOptions(clock, rec))
	run(t, d)
	d.Notify(sample())
	got := rec.waitFinals(t, 1)
	if want := []string{"1:err:final"}; !reflect.DeepEqual(attempts(got), want) {
		t.Fatalf("attempts %v, want %v", attempts(got), want)
	}
	if !strings.Contains(got[0].Err, "HTTP status 400: bad signature") {
		t.Errorf("Err = %q", got[0].Err)
	}
	if len(clock.Sleeps()) != 0 || len(rc.Requests()) != 1 {
		t.Errorf("waited %v, %d requests", clock.Sleeps(), len(rc.Requests()))
	}
}

func TestRetriesRunOut(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, _ int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	clock, rec := newFakeClock(), newRecorder()
	opts := testOptions(clock, rec)
	opts.Attempts, opts.BaseDelay, opts.MaxDelay = 3, time.Second, 20*time.Second
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL}), opts)
	run(t, d)
	d.Notify(sample())
	got := rec.waitFinals(t, 1)
	if want := []string{"1:err", "2:err", "3:err:final"}; !reflect.DeepEqual(attempts(got), want) {
		t.Fatalf("attempts %v, want %v", attempts(got), want)
	}
	// Retry-After (30s) is longer than the backoff, and MaxDelay bounds it.
	if want := []time.Duration{20 * time.Second, 20 * time.Second}; !reflect.DeepEqual(clock.Sleeps(), want) {
		t.Errorf("waits %v, want %v", clock.Sleeps(), want)
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	d := mustNew(t, Config{}, Options{BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	var got []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		got = append(got, d.backoff(attempt, 0))
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
}

func TestQueueFullDropsWithoutBlocking(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, ""))
	clock, rec := newFakeClock(), newRecorder()
	opts := testOptions(clock, rec)
	opts.QueueSize = 2
	reg := prometheus.NewPedanticRegistry()
	opts.Registerer = reg
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL}), opts)

	// Run has not started, so nothing leaves the queue: the third message onwards is
	// dropped, and reported before Notify returns.
	for i := range 5 {
		m := sample()
		m.IncidentID = int64(i + 1)
		d.Notify(m)
	}
	got := rec.Deliveries()
	if len(got) != 3 {
		t.Fatalf("%d outcomes before Run, want 3 drops: %+v", len(got), got)
	}
	for i, dl := range got {
		if dl.Attempt != 0 || dl.OK || !dl.Final || dl.Err != ErrQueueFull.Error() || dl.IncidentID != int64(i+3) {
			t.Errorf("drop %d = %+v", i, dl)
		}
	}
	if n := testutil.ToFloat64(d.m.deliveries.WithLabelValues("hook", "dropped")); n != 3 {
		t.Errorf("dropped counter = %v", n)
	}
	if n, err := testutil.GatherAndCount(reg, "vigil_notify_queued"); err != nil || n != 1 {
		t.Errorf("queued gauge: %d series, %v", n, err)
	}

	run(t, d)
	got = rec.waitFinals(t, 5)
	if len(rc.Requests()) != 2 {
		t.Errorf("%d requests, want the 2 queued", len(rc.Requests()))
	}
	if n := testutil.ToFloat64(d.m.deliveries.WithLabelValues("hook", "sent")); n != 2 {
		t.Errorf("sent counter = %v", n)
	}
}

func TestRateLimitWaitsAndLosesNothing(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, ""))
	clock, rec := newFakeClock(), newRecorder()
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL, RatePerMinute: 60, Burst: 2}),
		testOptions(clock, rec))
	for range 5 {
		d.Notify(sample())
	}
	run(t, d)
	got := rec.waitFinals(t, 5)
	for _, dl := range got {
		if !dl.OK {
			t.Errorf("delivery failed: %+v", dl)
		}
	}
	// One a second after a burst of two: the last three each waited one second of
	// the fake clock.
	if want := []time.Duration{time.Second, time.Second, time.Second}; !reflect.DeepEqual(clock.Sleeps(), want) {
		t.Errorf("waits %v, want %v", clock.Sleeps(), want)
	}
	if len(rc.Requests()) != 5 {
		t.Errorf("%d requests, want 5", len(rc.Requests()))
	}
}

func TestOverlappingRoutesDeliverOnce(t *testing.T) {
	rcA := newReceiver(t, reply(http.StatusOK, ""))
	rcB := newReceiver(t, reply(http.StatusOK, ""))
	rec := newRecorder()
	cfg := Config{
		Channels: []Channel{{Name: "a", Type: TypeWebhook, URL: rcA.URL}, {Name: "b", Type: TypeWebhook, URL: rcB.URL}},
		Routes: []Route{
			{Name: "high", Channels: []string{"a"}, MinSeverity: "high"},
			{Name: "initial access", Channels: []string{"a", "b"}, Tactics: []string{"cs.ia"}},
			{Name: "updates only", Channels: []string{"b"}, Kinds: []string{KindIncidentUpdated}},
		},
	}
	d := mustNew(t, cfg, testOptions(newFakeClock(), rec))
	run(t, d)
	d.Notify(sample())
	rec.waitFinals(t, 2)
	if len(rcA.Requests()) != 1 || len(rcB.Requests()) != 1 {
		t.Errorf("a got %d, b got %d; want one each", len(rcA.Requests()), len(rcB.Requests()))
	}
}

func TestStopReportsEverything(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ int) {
		arrived <- struct{}{}
		<-release
	})
	defer close(release)
	rec := newRecorder()
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL}), testOptions(newFakeClock(), rec))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	d.Notify(sample()) // in flight when the dispatcher stops
	<-arrived
	d.Notify(sample()) // queued
	d.Notify(sample()) // queued
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	d.Notify(sample()) // after the stop
	got := rec.waitFinals(t, 4)
	if len(got) != 4 {
		t.Fatalf("outcomes %+v, want 4", got)
	}
	var inFlight, stopped int
	for _, dl := range got {
		switch {
		case dl.Attempt == 1 && !dl.OK && dl.Final:
			inFlight++
		case dl.Attempt == 0 && dl.Err == ErrStopped.Error():
			stopped++
		default:
			t.Errorf("unexpected outcome %+v", dl)
		}
	}
	if inFlight != 1 || stopped != 3 {
		t.Errorf("in flight %d, stopped %d; want 1 and 3: %+v", inFlight, stopped, got)
	}
	if err := d.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestReload(t *testing.T) {
	oldRC := newReceiver(t, reply(http.StatusOK, ""))
	newRC := newReceiver(t, reply(http.StatusOK, ""))
	addRC := newReceiver(t, reply(http.StatusOK, ""))
	rec := newRecorder()
	cfg := Config{
		Channels: []Channel{{Name: "keep", Type: TypeWebhook, URL: oldRC.URL}, {Name: "gone", Type: TypeWebhook, URL: oldRC.URL}},
		Routes:   []Route{{Channels: []string{"keep", "gone"}}},
	}
	d := mustNew(t, cfg, testOptions(newFakeClock(), rec))

	// Queued before Run: "gone" is removed with its delivery waiting; "keep" keeps
	// its delivery, which goes out with the new URL.
	d.Notify(sample())
	bad := Config{Channels: []Channel{{Name: "keep", Type: "pager"}}}
	if err := d.Reload(bad); err == nil {
		t.Fatal("Reload accepted an invalid configuration")
	}
	next := Config{
		Channels: []Channel{{Name: "keep", Type: TypeWebhook, URL: newRC.URL}, {Name: "added", Type: TypeWebhook, URL: addRC.URL}},
		Routes:   []Route{{Channels: []string{"keep", "added"}}},
	}
	if err := d.Reload(next); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	got := rec.Deliveries()
	if len(got) != 1 || got[0].Channel != "gone" || got[0].Err != ErrChannelRemoved.Error() {
		t.Fatalf("outcomes after Reload %+v, want the drop of gone", got)
	}
	run(t, d)
	rec.waitFinals(t, 2)
	if len(oldRC.Requests()) != 0 || len(newRC.Requests()) != 1 {
		t.Errorf("old URL got %d, new URL got %d", len(oldRC.Requests()), len(newRC.Requests()))
	}

	// A channel added while running starts at once.
	third := Config{
		Channels: []Channel{{Name: "keep", Type: TypeWebhook, URL: newRC.URL}, {Name: "later", Type: TypeWebhook, URL: addRC.URL}},
		Routes:   []Route{{Channels: []string{"later"}}},
	}
	if err := d.Reload(third); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	d.Notify(sample())
	rec.waitFinals(t, 3)
	if len(addRC.Requests()) != 1 {
		t.Errorf("the channel added while running got %d requests", len(addRC.Requests()))
	}
}

func TestSendUnknownChannel(t *testing.T) {
	d := mustNew(t, Config{}, Options{})
	err := d.Send(context.Background(), "nope", sample())
	if !errors.Is(err, ErrUnknownChannel) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Send = %v", err)
	}
}

func TestNetworkErrorIsRetriedAndRedacted(t *testing.T) {
	// A port that was just free: connecting is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const token = "9f8e7d6c-5b4a-token"
	clock, rec := newFakeClock(), newRecorder()
	opts := testOptions(clock, rec)
	opts.Attempts = 2
	d := mustNew(t, single(Channel{Name: "ding", Type: TypeDingTalk, URL: "http://" + addr + "/robot/send?access_token=" + token,
		Secret: "SECsecretsecret"}), opts)
	run(t, d)
	d.Notify(sample())
	got := rec.waitFinals(t, 1)
	if want := []string{"1:err", "2:err:final"}; !reflect.DeepEqual(attempts(got), want) {
		t.Fatalf("attempts %v, want %v", attempts(got), want)
	}
	for _, dl := range got {
		if strings.Contains(dl.Err, token) || strings.Contains(dl.Err, "SECsecret") || strings.Contains(dl.Err, "sign=") {
			t.Errorf("Err leaks a secret: %s", dl.Err)
		}
		if !strings.Contains(dl.Err, "http://"+addr+"/REDACTED") {
			t.Errorf("Err does not show the redacted URL: %s", dl.Err)
		}
	}
}

func TestSendWaitsForTheRateLimit(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, ""))
	clock := newFakeClock()
	d := mustNew(t, single(Channel{Name: "hook", Type: TypeWebhook, URL: rc.URL, RatePerMinute: 1, Burst: 1}),
		testOptions(clock, newRecorder()))
	if err := d.Send(context.Background(), "hook", sample()); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Send(ctx, "hook", sample())
	if err == nil || !strings.Contains(err.Error(), `channel "hook": waiting for the rate limit`) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send over the limit with a cancelled context = %v", err)
	}
	// The cancelled wait gave its turn back: a minute later one request fits again.
	if err := d.Send(context.Background(), "hook", sample()); err != nil {
		t.Fatalf("third Send: %v", err)
	}
	if want := []time.Duration{time.Minute}; !reflect.DeepEqual(clock.Sleeps(), want) {
		t.Errorf("waits %v, want %v", clock.Sleeps(), want)
	}
	if len(rc.Requests()) != 2 {
		t.Errorf("%d requests, want 2", len(rc.Requests()))
	}
}
