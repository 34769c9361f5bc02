package syslog_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ingest/syslog"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// fixedNow puts the test in December 2026, so year-less timestamps of November resolve
// to 2026.
func fixedNow() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// logBuffer collects the receiver's log for assertions and for failing tests.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a receiver serving into a real event store.
type env struct {
	t      testing.TB
	events *sqlite.Events
	in     *ingest.Ingester
	reg    *prometheus.Registry
	rcv    *syslog.Receiver
	log    *logBuffer
	stop   func() // ends Serve and waits for it
}

// start listens with cfg (addresses default to 127.0.0.1:0 for each proto named) and
// serves until the test ends or stop is called.
func start(t testing.TB, cfg syslog.Config, maxInFlight int, protos ...string) *env {
	t.Helper()
	for _, p := range protos {
		switch p {
		case "udp":
			cfg.UDP = "127.0.0.1:0"
		case "tcp":
			cfg.TCP = "127.0.0.1:0"
		case "tls":
			cfg.TLS = "127.0.0.1:0"
		}
	}
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	events, err := sqlite.OpenEvents(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, events: events, reg: prometheus.NewRegistry(), log: &logBuffer{}}
	e.in = ingest.New(events, e.reg, ingest.Options{MaxInFlight: maxInFlight})
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.rcv, err = syslog.Listen(cfg, e.in, e.reg, logger)
	if err != nil {
		events.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.rcv.Serve(ctx) }()
	e.stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(func() {
		e.stop()
		if err := events.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("receiver log:\n%s", e.log)
		}
	})
	return e
}

func (e *env) addr(proto string) string { return e.rcv.Addr(proto).String() }

// waitFor polls cond for up to 30 s: generous, so a loaded machine does not fail a test
// that is only slow.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) count() int64 {
	n, err := e.events.Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) waitCount(n int64) {
	e.t.Helper()
	waitFor(e.t, fmt.Sprintf("%d stored events", n), func() bool { return e.count() >= n })
	if got := e.count(); got != n {
		e.t.Fatalf("%d events stored, want %d", got, n)
	}
}

// stored is an event as kept: its routing columns and its document.
type stored struct {
	store.StoredEvent
	doc map[string]any
}

// get reads a dotted path of the document.
func (s stored) get(path string) string {
	var v any = s.doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (e *env) all() []stored {
	e.t.Helper()
	var out []stored
	err := e.events.Scan(context.Background(), time.Time{}, time.Time{}, func(ev store.StoredEvent) error {
		s := stored{StoredEvent: ev}
		if err := json.Unmarshal(ev.Doc, &s.doc); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// byMessage finds the stored event whose message contains text.
func (e *env) byMessage(text string) stored {
	e.t.Helper()
	for _, s := range e.all() {
		if strings.Contains(s.get("message"), text) {
			return s
		}
	}
	e.t.Fatalf("no stored event with a message containing %q", text)
	return stored{}
}

func (e *env) rejections() []store.Rejection {
	e.t.Helper()
	rs, err := e.events.Rejections(context.Background(), store.Page{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// metric returns the value of a syslog metric for one protocol.
func (e *env) metric(name, proto string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "proto" && l.GetValue() == proto {
					if m.GetCounter() != nil {
						return m.GetCounter().GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}

const (
	bsdFailed  = "<38>Nov 28 10:00:01 web-1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2"
	ietfFailed = "<38>1 2026-11-28T10:00:03Z web-2 sshd 1235 - - Failed password for root from 203.0.113.6 port 52146 ssh2"
	noHeader   = "<13>link up on port 7"
)

// checkSSH asserts that the sshd lines became ssh_login events with their source address
// and host, and the line without a header an event of the sender's host.
func checkSSH(t *testing.T, e *env, proto, sourcePrefix string, messages int) {
	t.Helper()
	bsd := e.byMessage("invalid user admin")
	if bsd.get("event.action") != "ssh_login" || bsd.get("source.ip") != "203.0.113.5" || bsd.Host != "web-1" ||
		bsd.Type != "sshd" || !bsd.Time.Equal(time.Date(2026, 11, 28, 10, 0, 1, 0, time.UTC)) {
		t.Errorf("RFC 3164 line stored as %+v", bsd.doc)
	}
	ietf := e.byMessage("for root from 203.0.113.6")
	if ietf.get("event.action") != "ssh_login" || ietf.get("source.ip") != "203.0.113.6" || ietf.Host != "web-2" {
		t.Errorf("RFC 5424 line stored as %+v", ietf.doc)
	}
	bare := e.byMessage("link up")
	if bare.Host != "127.0.0.1" || bare.get("host.name") != "127.0.0.1" {
		t.Errorf("line without a host: host %q, doc %+v; want the sender's address", bare.Host, bare.doc)
	}
	for _, s := range []stored{bsd, ietf, bare} {
		if !strings.HasPrefix(s.Source, sourcePrefix) {
			t.Errorf("source %q, want it to start with %q", s.Source, sourcePrefix)
		}
	}
	if got := e.metric("vigil_syslog_messages_total", proto); got != float64(messages) {
		t.Errorf("%s messages metric = %v, want %d", proto, got, messages)
	}
}

func TestUDP(t *testing.T) {
	e := start(t, syslog.Config{}, 2, "udp")
	c, err := net.Dial("udp", e.addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{bsdFailed, ietfFailed + "\n", noHeader} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	e.waitCount(3)
	checkSSH(t, e, "udp", "syslog:udp:"+c.LocalAddr().String(), 3)
}

func TestTCPNewline(t *testing.T) {
	e := start(t, syslog.Config{}, 2, "tcp")
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	// LF, CRLF and NUL end messages; the last needs no terminator before the close.
	if _, err := io.WriteString(c, bsdFailed+"\r\n"+ietfFailed+"\x00"+noHeader); err != nil {
		t.Fatal(err)
	}
	src := "syslog:tcp:" + c.LocalAddr().String()
	c.Close()
	e.waitCount(3)
	checkSSH(t, e, "tcp", src, 3)
	for _, s := range e.all() {
		if s.Source != src {
			t.Errorf("source %q, want %q", s.Source, src)
		}
	}
}

func octet(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%d %s", len(m), m)
	}
	return b.String()
}

func TestTCPOctetCounting(t *testing.T) {
	e := start(t, syslog.Config{}, 2, "tcp")
	c, err := net.Dial("tcp", e.addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	multiline := "<13>1 2026-11-28T10:00:05Z web-3 app 7 - - first line\nsecond line"
	split := octet("<13>1 2026-11-28T10:00:06Z web-3 app 7 - - this frame arrives in pieces")
	// Several frames in one write, one of them holding a newline.
	if _, err := io.WriteString(c, octet(bsdFailed, multiline, ietfFailed)); err != nil {
		t.Fatal(err)
	}
	e.waitCount(3)
	// A frame split over several writes, cut inside its length and inside its message.
	for _, part := range []string{split[:1], split[1:10], split[10:40], split[40:]} {
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := io.WriteString(c, octet(noHeader)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.waitCount(5)
	checkSSH(t, e, "tcp", "syslog:tcp:127.0.0.1:", 5)
	ml := e.byMessage("first line")
	if !strings.Contains(ml.get("message"), "first line\nsecond line") {
		t.Errorf("multi-line message stored as %q", ml.get("message"))
	}
	if ml.Host != "web-3" {
		t.Errorf("multi-line message host %q", ml.Host)
	}
	e.byMessage("this frame arrives in pieces")
	if n := len(e.rejections()); n != 0 {
		t.Errorf("%d rejections, want none", n)
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and returns its files and a
// pool that trusts it.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	e := start(t, syslog.Config{TLSCert: certFile, TLSKey: keyFile}, 2, "tls")
	for _, framing := range []string{"octet-counted", "newline"} {
		c, err := tls.Dial("tcp", e.addr("tls"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		msg := "<13>1 2026-11-28T10:00:07Z web-4 app 7 - - over TLS, " + framing
		if framing == "newline" {
			_, err = io.WriteString(c, msg+"\n")
		} else {
			_, err = io.WriteString(c, octet(msg))
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	e.waitCount(2)
	// On a connection that stays open, batches are submitted when due: the read
	// deadline that times them interrupts the TLS layer without breaking it.
	c, err := tls.Dial("tcp", e.addr("tls"), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		fmt.Fprintf(c, "<13>1 2026-11-28T10:00:08Z web-4 app 7 - - kept open %d\n", i)
		e.waitCount(int64(3 + i))
	}
	for _, framing := range []string{"octet-counted", "newline"} {
		s := e.byMessage("over TLS, " + framing)
		if !strings.HasPrefix(s.Source, "syslog:tls:127.0.0.1:") || s.Host != "web-4" {
			t.Errorf("%s: source %q host %q", framing, s.Source, s.Host)
		}
	}
	// A client that does not speak TLS is refused without harm.
	plain, err := net.Dial("tcp", e.addr("tls"))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(plain, "<13>not encrypted\n")
	plain.SetReadDeadline(time.Now().Add(30 * time.Second))
	io.Copy(io.Discard, plain)
	plain.Close()
	if n := e.count(); n != 5 {
		t.Errorf("%d events after a plain-text client, want 5", n)
	}
}

func TestListenErrors(t *testing.T) {
	events, err := sqlite.OpenEvents(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	certFile, keyFile, _ := writeCert(t)
	tests := []struct {
		name string
		cfg  syslog.Config
		want string
	}{
		{"tls without certificate", syslog.Config{TLS: "127.0.0.1:0"}, "needs a certificate and a key"},
		{"unreadable certificate", syslog.Config{TLS: "127.0.0.1:0", TLSCert: keyFile, TLSKey: certFile}, "syslog TLS certificate"},
		{"unknown zone", syslog.Config{TCP: "127.0.0.1:0", Timezone: "Mars/Olympus"}, "syslog timezone"},
		{"address in use", syslog.Config{UDP: "127.0.0.1:0", TCP: taken.Addr().String()}, "syslog tcp"},
		{"bad address", syslog.Config{UDP: "127.0.0.1:notaport"}, "syslog udp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			_, err := syslog.Listen(tt.cfg, ingest.New(events, reg, ingest.Options{}), reg, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Listen = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTimezone(t *testing.T) {
	e := start(t, syslog.Config{Timezone: "Asia/Shanghai"}, 2, "udp")
	c, err := net.Dial("udp", e.addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(bsdFailed))
	e.waitCount(1)
	if got := e.all()[0].Time; !got.Equal(time.Date(2026, 11, 28, 2, 0, 1, 0, time.UTC)) {
		t.Errorf("10:00:01 in Shanghai stored as %v, want 02:00:01 UTC", got)
	}
}
