package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/version"
)

// client talks to the Vigil server.
type client struct {
	base  string // without the trailing slash
	http  *http.Client
	token string // the agent's own credential, once enrolled
}

func newClient(cfg Config) (*client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	if cfg.CAFile != "" || cfg.InsecureSkipVerify {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ca_file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file %s: no PEM certificate found", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	// The timeout is a backstop; each call also has its own context.
	return &client{base: strings.TrimRight(cfg.Server, "/"), http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}, nil
}

// response is a finished exchange with the server.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiMessage returns the message of the API's error shape, or the start of the body.
func (r *response) apiMessage() string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(r.body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	s := strings.TrimSpace(string(r.body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.status, r.apiMessage()) }

// do sends one request with bearer (the agent's token unless given) and reads the answer.
func (c *client) do(ctx context.Context, method, path, bearer string, body []byte, header map[string]string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if bearer == "" {
		bearer = c.token
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("User-Agent", "vigil-agent/"+version.Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// postJSON sends v as JSON.
func (c *client) postJSON(ctx context.Context, path, bearer string, v any) (*response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, "POST", path, bearer, b, nil)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), bounded to [1 s, 5 min].
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	d := time.Second
	if s, err := strconv.Atoi(v); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, time.Second), 5*time.Minute)
}

// backoff is exponential backoff with jitter, so that many agents coming back after a
// server outage do not all retry in step.
type backoff struct {
	base, max time.Duration
	n         int
}

func (b *backoff) next() time.Duration {
	d := b.base << min(b.n, 16)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.n++
	return d/2 + rand.N(d/2+1)
}

func (b *backoff) reset() { b.n = 0 }

// sleep waits for d or until ctx ends; it reports whether the full time passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var errAuth = errors.New("the server refused the agent's credential")
