package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/version"
)

// maxResponseBytes bounds how much of a response body is read; provider answers are
// a few dozen bytes.
const maxResponseBytes = 64 << 10

// retryError marks a failure that another attempt may cure: a network error, a 5xx or
// 429 status, or a provider's rate-limit code. after is the server's Retry-After, if
// it gave one. Failures without this mark are permanent.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// retryable reports whether err is worth another attempt, and how long the server
// asked to wait (zero if it did not say).
func retryable(err error) (bool, time.Duration) {
	var re *retryError
	if errors.As(err, &re) {
		return true, re.after
	}
	return false, 0
}

// temporary marks err as retryable.
func temporary(err error) error { return &retryError{err: err} }

// response is what came back from a POST.
type response struct {
	status int
	header http.Header
	body   []byte
}

// postJSON posts body to rawURL. Transport failures come back as retryable errors
// with the URL redacted; any status comes back as a response for the caller to judge.
func postJSON(ctx context.Context, client *http.Client, rawURL string, body []byte, header http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		// NewRequest's errors quote the URL.
		return nil, errors.New("cannot build the request: invalid URL")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Vigil/"+version.Version)
	resp, err := client.Do(req)
	if err != nil {
		return nil, temporary(redactURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, temporary(fmt.Errorf("reading the response: %w", redactURLError(err)))
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// statusError judges a non-2xx status: 429 and 5xx are retryable, honouring a
// Retry-After given in seconds; anything else is permanent. It returns nil for 2xx.
func statusError(r *response) error {
	if r.status >= 200 && r.status < 300 {
		return nil
	}
	err := fmt.Errorf("HTTP status %d: %s", r.status, snippet(r.body))
	if r.status == http.StatusTooManyRequests || r.status >= 500 {
		re := &retryError{err: err}
		if secs, perr := strconv.Atoi(strings.TrimSpace(r.header.Get("Retry-After"))); perr == nil && secs > 0 {
			re.after = time.Duration(secs) * time.Second
		}
		return re
	}
	return err
}

// snippet returns the start of a response body as one line of valid UTF-8, for error
// messages.
func snippet(body []byte) string {
	const limit = 200
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return "(empty body)"
	}
	return truncate(strings.ToValidUTF8(s, "?"), limit)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence, marking the
// cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if cut < 0 {
		cut = 0
	}
	return s[:cut] + ellipsis
}
