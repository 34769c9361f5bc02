package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server (go-smtp) on a loopback port that keeps what it gets.
type mailbox struct {
	host string
	port int

	user, pass string          // accepted credentials; empty means no AUTH offered
	rcptErr    *smtp.SMTPError // if set, every RCPT is refused with it

	mu    sync.Mutex
	got   []received
	auths []string // "mechanism user" of each successful AUTH
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
}

type mailMode int

const (
	plainServer    mailMode = iota // no TLS at all
	startTLSServer                 // offers STARTTLS
	implicitServer                 // TLS from the first byte
)

// startMailbox starts a server; its certificate, for the TLS modes, is self-signed
// for 127.0.0.1 and trusted through the returned pool only.
func startMailbox(t *testing.T, mode mailMode, setup func(*mailbox)) (*mailbox, *x509.CertPool) {
	t.Helper()
	mb := &mailbox{}
	if setup != nil {
		setup(mb)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &mailSession{mb: mb, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.AllowInsecureAuth = true // offer AUTH on plain connections too: the client must refuse
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var pool *x509.CertPool
	if mode != plainServer {
		cert, p := selfSigned(t)
		pool = p
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if mode == startTLSServer {
			srv.TLSConfig = cfg
		} else {
			l = tls.NewListener(l, cfg)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	addr := l.Addr().(*net.TCPAddr)
	mb.host, mb.port = addr.IP.String(), addr.Port
	return mb, pool
}

func (mb *mailbox) authentications() []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]string(nil), mb.auths...)
}

func (mb *mailbox) messages() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.got...)
}

type mailSession struct {
	mb   *mailbox
	conn *smtp.Conn
	tls  bool
	from string
	to   []string
}

func (s *mailSession) AuthMechanisms() []string {
	if s.mb.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.mb.user || pass != s.mb.pass {
			return errors.New("invalid credentials")
		}
		s.mb.mu.Lock()
		s.mb.auths = append(s.mb.auths, mech+" "+user)
		s.mb.mu.Unlock()
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.mb.rcptErr != nil {
		return s.mb.rcptErr
	}
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.got = append(s.mb.got, received{s.from, s.to, data, isTLS})
	s.mb.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// emailChannel is an email channel to mb.
func emailChannel(mb *mailbox, mode string) Channel {
	return Channel{Name: "soc-mail", Type: TypeEmail, Host: mb.host, Port: mb.port, TLS: mode,
		From: "Vigil <vigil@example.com>", To: []string{"soc@example.com", "oncall@example.com"}}
}

// parseMail reads a received message and decodes its subject and body.
func parseMail(t *testing.T, data []byte) (header mail.Header, subject, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	r := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header, subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

func TestEmailPlain(t *testing.T) {
	mb, _ := startMailbox(t, plainServer, nil)
	d := mustNew(t, single(emailChannel(mb, TLSNone)), testOptions(newFakeClock(), newRecorder()))
	msg := sample()
	msg.Title = "Login from 203.0.113.7 — 登录"
	if err := d.Send(context.Background(), "soc-mail", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := mb.messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	m := got[0]
	if m.from != "vigil@example.com" || strings.Join(m.to, ",") != "soc@example.com,oncall@example.com" {
		t.Errorf("envelope from %q to %v", m.from, m.to)
	}
	if m.tls {
		t.Error("tls none used TLS")
	}
	h, subject, body := parseMail(t, m.data)
	if want := "[Vigil] [HIGH] Incident #42: Login from 203.0.113.7 — 登录"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if from := h.Get("From"); !strings.Contains(from, "vigil@example.com") {
		t.Errorf("From = %q", from)
	}
	if to := h.Get("To"); !strings.Contains(to, "soc@example.com") || !strings.Contains(to, "oncall@example.com") {
		t.Errorf("To = %q", to)
	}
	if h.Get("X-Vigil-Event") != KindIncidentCreated || h.Get("X-Vigil-Delivery") == "" {
		t.Errorf("X-Vigil headers: %v", h)
	}
	for _, want := range []string{"Severity: high\n", "Techniques: CS-IA-01, CS-CA-02\n", "Hosts: web-1, web-2\n",
		"312 failed logins from 203.0.113.7\nthen a login as deploy\n", "Open in Vigil: https://vigil.example.com/incidents/42\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestEmailStartTLSWithAuth(t *testing.T) {
	mb, pool := startMailbox(t, startTLSServer, func(mb *mailbox) { mb.user, mb.pass = "vigil", "mail-pass-123" })
	ch := emailChannel(mb, TLSStartTLS)
	ch.Username, ch.Password = "vigil", "mail-pass-123"
	opts := testOptions(newFakeClock(), newRecorder())
	opts.TLSConfig = &tls.Config{RootCAs: pool}
	d := mustNew(t, single(ch), opts)
	if err := d.Send(context.Background(), "soc-mail", sample()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := mb.messages()
	if len(got) != 1 || !got[0].tls {
		t.Fatalf("got %+v, want one message over TLS", got)
	}
	if a := mb.authentications(); len(a) != 1 || a[0] != "PLAIN vigil" {
		t.Errorf("authentications = %v", a)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	mb, pool := startMailbox(t, implicitServer, nil)
	opts := testOptions(newFakeClock(), newRecorder())
	opts.TLSConfig = &tls.Config{RootCAs: pool}
	d := mustNew(t, single(emailChannel(mb, TLSImplicit)), opts)
	if err := d.Send(context.Background(), "soc-mail", sample()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := mb.messages(); len(got) != 1 || !got[0].tls {
		t.Fatalf("got %+v, want one message over TLS", got)
	}
}

func TestEmailRefusals(t *testing.T) {
	tests := []struct {
		name    string
		mode    mailMode
		setup   func(*mailbox)
		tls     string
		auth    bool
		trust   bool
		wantErr string
		retry   bool
	}{
		// STARTTLS is required in starttls mode: a server without it gets nothing.
		{name: "no starttls offered", mode: plainServer, tls: TLSStartTLS, wantErr: "STARTTLS", retry: true},
		// The password is never sent over a connection without TLS, even when the
		// server offers PLAIN there.
		{name: "auth without tls", mode: plainServer, tls: TLSNone, auth: true,
			setup: func(mb *mailbox) { mb.user, mb.pass = "vigil", "mail-pass-123" }, wantErr: "Auth autodiscover", retry: false},
		{name: "untrusted certificate", mode: startTLSServer, tls: TLSStartTLS, wantErr: "certificate", retry: false},
		{name: "recipient refused", mode: plainServer, tls: TLSNone, setup: func(mb *mailbox) {
			mb.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}, wantErr: "no such user", retry: false},
		{name: "recipient deferred", mode: plainServer, tls: TLSNone, setup: func(mb *mailbox) {
			mb.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}, wantErr: "try again later", retry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb, _ := startMailbox(t, tt.mode, tt.setup)
			ch := emailChannel(mb, tt.tls)
			if tt.auth {
				ch.Username, ch.Password = "vigil", "mail-pass-123"
			}
			d := mustNew(t, single(ch), testOptions(newFakeClock(), newRecorder()))
			err := d.Send(context.Background(), "soc-mail", sample())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send = %v, want an error containing %q", err, tt.wantErr)
			}
			t.Logf("error: %v", err)
			if strings.Contains(err.Error(), "mail-pass-123") {
				t.Errorf("error leaks the password: %v", err)
			}
			if retry, _ := retryable(err); retry != tt.retry {
				t.Errorf("retryable = %v, want %v (%v)", retry, tt.retry, err)
			}
			if got := mb.messages(); len(got) != 0 {
				t.Errorf("server got %d messages", len(got))
			}
			if a := mb.authentications(); len(a) != 0 {
				t.Errorf("authenticated: %v", a)
			}
		})
	}
}

func TestEmailDefaultPorts(t *testing.T) {
	for mode, want := range map[string]int{"": 587, TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25} {
		if got := (Channel{TLS: mode}).smtpPort(); got != want {
			t.Errorf("port of %q = %d, want %d", mode, got, want)
		}
	}
	if got := (Channel{TLS: TLSNone, Port: 2525}).smtpPort(); got != 2525 {
		t.Errorf("explicit port = %d", got)
	}
}
