package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Defaults of the options left zero.
const (
	DefaultQueueSize = 256
	DefaultAttempts  = 4
	DefaultBaseDelay = 2 * time.Second
	DefaultMaxDelay  = 2 * time.Minute
	DefaultTimeout   = 15 * time.Second
)

// Options tune a Dispatcher. The zero value is usable.
type Options struct {
	// QueueSize bounds the deliveries waiting for each channel; beyond it Notify drops
	// them and reports them as dropped.
	QueueSize int
	// Attempts is the most attempts of one delivery, the first included. Network
	// errors, 5xx and 429 statuses and providers' rate-limit codes are retried; other
	// failures are final at once.
	Attempts int
	// BaseDelay is the wait before the second attempt; it doubles at each further
	// attempt, up to MaxDelay. A longer Retry-After from the server is honoured, up to
	// MaxDelay too.
	BaseDelay, MaxDelay time.Duration
	// Timeout bounds one attempt: connecting, sending and reading the answer.
	Timeout time.Duration

	// HTTPClient sends the webhook and chat requests; nil means a client of its own.
	// Redirects are not followed unless the client sets its own CheckRedirect: a
	// redirect would carry a signed body elsewhere, and chat robots answer a throttled
	// sender with one.
	HTTPClient *http.Client
	// TLSConfig is the base of the SMTP TLS configuration (trusted roots, client
	// certificates); nil means the system's roots. ServerName defaults to the host.
	TLSConfig *tls.Config

	// OnResult receives every attempt's outcome and every dropped delivery. It is
	// called from the channels' goroutines and, for drops, from the goroutine calling
	// Notify, so it must be safe for concurrent use and quick: hand the Delivery off
	// rather than write to a database in it.
	OnResult func(Delivery)
	// Registerer, if set, gets the dispatcher's metrics (vigil_notify_*).
	Registerer prometheus.Registerer
	// Logger logs failed attempts; nil logs nothing.
	Logger *slog.Logger

	// Now and Sleep are the clock of signatures, rate limits and retries; tests set
	// them. Sleep must return early with ctx's error when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Dispatcher routes messages to channels and delivers them. Each channel has its own
// queue, rate limiter and goroutine, so a slow or failing channel delays only its
// own deliveries. Notify and Send are safe for concurrent use; the configuration can
// be replaced while running with Reload.
type Dispatcher struct {
	opts Options
	env  env
	m    metrics
	wake chan struct{} // tells Run that pending has workers to start

	mu      sync.RWMutex
	cfg     Config
	workers map[string]*worker
	pending []*worker // added by Reload while running, for Run to start
	started bool
	stopped bool // Run has returned: nothing is queued any more
}

// worker is the delivery state of one channel name. It lives as long as the name is
// configured, so a Reload that changes a channel keeps its queue and limiter.
type worker struct {
	name    string
	queue   chan job
	limiter *rate.Limiter
	state   atomic.Pointer[channelState]
	removed atomic.Bool
}

// channelState is a channel's configuration and the sender built from it.
type channelState struct {
	ch Channel
	s  sender
}

// job is one message waiting for one channel.
type job struct {
	id  string
	msg Message
}

// New validates cfg and returns a Dispatcher for it. Nothing is delivered until Run.
func New(cfg Config, opts Options) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	client := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	if client.CheckRedirect == nil {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	d := &Dispatcher{
		opts:    opts,
		env:     env{client: client, tlsConfig: opts.TLSConfig, timeout: opts.Timeout, now: opts.Now},
		wake:    make(chan struct{}, 1),
		cfg:     cfg,
		workers: make(map[string]*worker, len(cfg.Channels)),
	}
	d.m = newMetrics(opts.Registerer, d.queued)
	for _, ch := range cfg.Channels {
		d.workers[ch.Name] = d.newWorker(ch)
	}
	return d, nil
}

func (d *Dispatcher) newWorker(ch Channel) *worker {
	perMinute, burst := ch.rate()
	w := &worker{name: ch.Name, queue: make(chan job, d.opts.QueueSize),
		limiter: rate.NewLimiter(rate.Limit(perMinute/60), burst)}
	w.state.Store(&channelState{ch: ch, s: newSender(ch, d.env)})
	return w
}

// Notify queues msg for every channel that its routes send it to, without waiting.
// A delivery that finds its channel's queue full, or the dispatcher stopped, is
// dropped and reported through OnResult. The message's lists are copied, so the
// caller may reuse them.
func (d *Dispatcher) Notify(msg Message) {
	if msg.Time.IsZero() {
		msg.Time = d.opts.Now()
	}
	for _, l := range []*[]string{&msg.Tactics, &msg.Techniques, &msg.Hosts, &msg.HostGroups} {
		*l = slices.Clone(*l)
	}
	var dropped []Delivery
	d.mu.RLock()
	for _, name := range d.cfg.ChannelsFor(msg) {
		w := d.workers[name]
		if d.stopped {
			dropped = append(dropped, d.dropped(name, msg, 0, ErrStopped))
			continue
		}
		select {
		case w.queue <- job{id: rand.Text(), msg: msg}:
		default:
			dropped = append(dropped, d.dropped(name, msg, 0, ErrQueueFull))
		}
	}
	d.mu.RUnlock()
	for _, dl := range dropped {
		d.report(dl, false)
	}
}

// Run delivers queued messages until ctx ends, then reports what is still queued as
// dropped (ErrStopped) and returns. A delivery cut short by the end of ctx is reported
// as a final failure. Run may be called once; Notify before Run queues, Notify after
// it drops.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.started {
		d.mu.Unlock()
		return errors.New("notify: Run called twice")
	}
	d.started = true
	start := make([]*worker, 0, len(d.workers))
	for _, w := range d.workers {
		start = append(start, w)
	}
	d.mu.Unlock()

	var wg sync.WaitGroup
	for running := true; running; {
		for _, w := range start {
			wg.Go(func() { d.work(ctx, w) })
		}
		select {
		case <-ctx.Done():
			running = false
		case <-d.wake:
			d.mu.Lock()
			start, d.pending = d.pending, nil
			d.mu.Unlock()
		}
	}
	wg.Wait()

	var dropped []Delivery
	d.mu.Lock()
	d.stopped = true
	for _, w := range d.workers {
		dropped = append(dropped, d.drain(w, ErrStopped)...)
	}
	d.mu.Unlock()
	for _, dl := range dropped {
		d.report(dl, false)
	}
	return nil
}

// Reload replaces the configuration. Channels are matched by name: a channel that
// stays keeps its queue, whose deliveries then go out with the new settings; a new
// channel starts at once if Run is running; a removed channel's queued deliveries are
// reported as dropped (ErrChannelRemoved). An invalid cfg changes nothing.
func (d *Dispatcher) Reload(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	now := d.opts.Now()
	var dropped []Delivery
	d.mu.Lock()
	workers := make(map[string]*worker, len(cfg.Channels))
	for _, ch := range cfg.Channels {
		w := d.workers[ch.Name]
		if w == nil {
			w = d.newWorker(ch)
			if d.started && !d.stopped {
				d.pending = append(d.pending, w)
				select {
				case d.wake <- struct{}{}:
				default:
				}
			}
		} else {
			perMinute, burst := ch.rate()
			w.limiter.SetLimitAt(now, rate.Limit(perMinute/60))
			w.limiter.SetBurstAt(now, burst)
			w.state.Store(&channelState{ch: ch, s: newSender(ch, d.env)})
		}
		workers[ch.Name] = w
	}
	for name, w := range d.workers {
		if workers[name] == nil {
			// No Notify can be sending: they hold the read lock.
			w.removed.Store(true)
			dropped = append(dropped, d.drain(w, ErrChannelRemoved)...)
			close(w.queue)
		}
	}
	d.workers, d.cfg = workers, cfg
	d.mu.Unlock()
	for _, dl := range dropped {
		d.report(dl, false)
	}
	return nil
}

// Send delivers msg to the named channel once, now, waiting for the channel's rate
// limit, and returns the outcome. It bypasses routes, queue and retries, and reports
// nothing through OnResult: it is for a "send a test notification" action.
func (d *Dispatcher) Send(ctx context.Context, channel string, msg Message) error {
	d.mu.RLock()
	w := d.workers[channel]
	d.mu.RUnlock()
	if w == nil {
		return fmt.Errorf("%w %s", ErrUnknownChannel, quote(channel))
	}
	if msg.Time.IsZero() {
		msg.Time = d.opts.Now()
	}
	if err := d.waitTurn(ctx, w); err != nil {
		return err
	}
	return d.attempt(ctx, w.state.Load(), job{id: rand.Text(), msg: msg})
}

// queued returns the number of deliveries waiting, for the queue gauge.
func (d *Dispatcher) queued() float64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	n := 0
	for _, w := range d.workers {
		n += len(w.queue)
	}
	return float64(n)
}

// drain empties w's queue without blocking and returns the dropped deliveries.
func (d *Dispatcher) drain(w *worker, why error) []Delivery {
	var out []Delivery
	for {
		select {
		case j, ok := <-w.queue:
			if !ok {
				return out
			}
			out = append(out, d.dropped(w.name, j.msg, 0, why))
		default:
			return out
		}
	}
}

func (d *Dispatcher) dropped(channel string, m Message, attempt int, why error) Delivery {
	return Delivery{Channel: channel, Kind: m.Kind, IncidentID: m.IncidentID, Attempt: attempt,
		Time: d.opts.Now(), Err: why.Error(), Final: true}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
