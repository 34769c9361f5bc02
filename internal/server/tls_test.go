package server_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// trustingClient returns an HTTP client that trusts only the PEM certificate certPEM.
func trustingClient(t *testing.T, certPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatalf("no certificate in %q", certPEM)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// servedCertificate fetches /healthz with c and returns the certificate the server showed.
func servedCertificate(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url + "healthz")
	if err != nil {
		t.Fatalf("GET %shealthz: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz over TLS: %d", resp.StatusCode)
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		t.Fatal("the response did not come over TLS")
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security header over TLS")
	}
	return resp.TLS.PeerCertificates[0].Raw
}

func derOf(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", certPEM)
	}
	return b.Bytes
}

func TestSelfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.TLS.SelfSigned = true
	inst := start(t, cfg)
	if !strings.HasPrefix(inst.url, "https://127.0.0.1:") {
		t.Errorf("URL %q, want https://127.0.0.1:PORT/", inst.url)
	}

	certPath, keyPath := filepath.Join(dir, "tls", "self-signed.crt"), filepath.Join(dir, "tls", "self-signed.key")
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file: %v, %v; want mode 0600", fi, err)
	}
	c := trustingClient(t, certPEM)
	if served := servedCertificate(t, c, inst.url); !bytes.Equal(served, derOf(t, certPEM)) {
		t.Error("the server does not show the certificate it wrote to the data directory")
	}

	// A client that does not trust the certificate refuses the connection.
	_, err = http.Get(inst.url + "healthz")
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("GET with the system roots = %v, want a certificate verification error", err)
	}

	// Over TLS the session cookie is Secure and host-only.
	pw := printedSecret.FindStringSubmatch(inst.out.String())
	if pw == nil {
		t.Fatalf("no password printed:\n%s", inst.out)
	}
	r := do(t, c, "POST", inst.url+"auth/login", `{"username":"admin","password":"`+pw[1]+`"}`)
	cookie := r.header.Get("Set-Cookie")
	if r.status != http.StatusOK || !strings.HasPrefix(cookie, "__Host-vigil_session=") || !strings.Contains(cookie, "; Secure") {
		t.Errorf("sign-in over TLS: %d, Set-Cookie %q; want a Secure __Host- cookie", r.status, cookie)
	}
	inst.stopped(t)

	// A restart keeps the certificate, so browsers' exceptions stay valid.
	again := start(t, cfg)
	certAgain, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(certAgain, certPEM) {
		t.Error("restart replaced the self-signed certificate")
	}
	if served := servedCertificate(t, c, again.url); !bytes.Equal(served, derOf(t, certPEM)) {
		t.Error("after restart the server shows another certificate")
	}
	again.stopped(t)
}

// writeCertificate makes a self-signed certificate for 127.0.0.1 and writes it and its key
// as PEM files.
func writeCertificate(t *testing.T) (certPath, keyPath string, certPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "vigil test certificate"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, certPEM
}

func TestGivenCertificate(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	var certPEM []byte
	cfg.TLS.Cert, cfg.TLS.Key, certPEM = writeCertificate(t)
	inst := start(t, cfg)
	if !strings.HasPrefix(inst.url, "https://127.0.0.1:") {
		t.Errorf("URL %q, want https://127.0.0.1:PORT/", inst.url)
	}
	if served := servedCertificate(t, trustingClient(t, certPEM), inst.url); !bytes.Equal(served, derOf(t, certPEM)) {
		t.Error("the server does not show the configured certificate")
	}
	if _, err := os.Stat(filepath.Join(dir, "tls")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with a configured certificate the server made a self-signed one (stat: %v)", err)
	}
	inst.stopped(t)
}
