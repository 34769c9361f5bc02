// Package httpin is the HTTP ingestion source: POST /api/v1/ingest with a token. Bodies
// are NDJSON or JSON records (cloud audit records or events with their fields), or plain
// text lines parsed exactly as `vigil parse` would; gzip is accepted. The answer comes
// only after the events are durable, and says what was rejected and why.
package httpin

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/parse"
)

// Limits of one request.
const (
	MaxBodyBytes    = 16 << 20 // as sent (compressed or not)
	MaxDecodedBytes = 64 << 20 // after gzip decompression
	MaxRejections   = 100      // listed in the answer; all are counted and kept
)

// Handler serves ingestion requests.
type Handler struct {
	in  *ingest.Ingester
	now func() time.Time
}

// New returns a Handler submitting to in.
func New(in *ingest.Ingester, now func() time.Time) *Handler {
	return &Handler{in: in, now: now}
}

// Response is the answer to an ingestion request.
type Response struct {
	Accepted   int        `json:"accepted"`   // events durable (stored now or before)
	Stored     int        `json:"stored"`     // of which new
	Duplicates int        `json:"duplicates"` // of which already stored (a retried request)
	Unparsed   int        `json:"unparsed"`   // lines kept as events of type "unknown"
	Rejected   int        `json:"rejected"`   // records not accepted at all
	Rejections []Rejected `json:"rejections,omitempty"`
}

// Rejected names one rejected record: its line (text, NDJSON) or its position in a JSON
// document, and why.
type Rejected struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Error is an ingestion refusal with its HTTP status and error code.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int // seconds; set with 429
}

func (e *Error) Error() string { return e.Message }

// Sender is who sends a request: the audit actor of its token and, for an enrolled
// agent's own token, the agent.
type Sender struct {
	Actor     string
	AgentID   int64
	AgentHost string
}

// EventsType is the content type of already normalized events, one JSON document per
// line as `vigil parse` prints them; only enrolled agents may send it.
const EventsType = "application/vnd.vigil.events+x-ndjson"

// Ingest handles one request. It returns the answer to send, or an *Error.
func (h *Handler) Ingest(r *http.Request, from Sender) (*Response, error) {
	release, err := h.in.Acquire(r.Context(), time.Second)
	if errors.Is(err, ingest.ErrBusy) {
		return nil, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: 1,
			Message: "ingestion is at capacity; retry after the Retry-After delay"}
	}
	if err != nil {
		return nil, err
	}
	defer release()

	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, badRequest("Content-Type must be application/x-ndjson, application/json or text/plain")
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	// The sender and, for retries, the content identify the input: a retried request
	// with the same body (or the same Idempotency-Key) yields the same event ids, and the
	// store keeps each once.
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		sum := sha256.Sum256(body)
		key = hex.EncodeToString(sum[:12])
	}
	source := "http:" + from.Actor
	if from.AgentID != 0 {
		source = "agent:" + strconv.FormatInt(from.AgentID, 10)
	}
	if mt == EventsType {
		if from.AgentID == 0 {
			return nil, &Error{Status: http.StatusForbidden, Code: "forbidden",
				Message: "only an enrolled agent's own token may send normalized events"}
		}
		return h.ingestEvents(r, body, source, from)
	}
	var events []*event.Event
	var rejections []parse.Rejection
	opts := parse.Options{Host: q.Get("host"), Source: source + ":" + key, Now: h.now,
		Reject: func(rj parse.Rejection) { rejections = append(rejections, rj) }}
	switch mt {
	case "text/plain":
		opts.Type = q.Get("type")
	case "application/x-ndjson", "application/json":
		if t := q.Get("type"); t != "" {
			opts.Type = t
		}
	default:
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "bad_request",
			Message: "Content-Type must be application/x-ndjson, application/json or text/plain, not " + mt}
	}
	p, err := parse.New(opts)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	emit := func(ev *event.Event) { events = append(events, ev) }
	switch mt {
	case "text/plain":
		err = parse.Read(bytes.NewReader(body), p, emit)
	case "application/x-ndjson":
		err = readNDJSON(body, p, emit)
	case "application/json":
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
			return nil, badRequest("application/json body must be a JSON object or an array of objects")
		}
		err = parse.ReadJSON(bytes.NewReader(body), p, emit)
	}
	if err != nil {
		return nil, badRequest(err.Error())
	}
	p.Flush(emit)
	res, err := h.in.Submit(r.Context(), ingest.Batch{Kind: "http", Source: source, Events: events,
		Rejections: rejections, Unparsed: p.Counts["unparsed"]})
	if err != nil {
		return nil, err
	}
	return answer(len(events), p.Counts["unparsed"], res, rejections), nil
}

// answer builds the response to a stored batch, listing the first rejections.
func answer(accepted, unparsed int, res ingest.Result, rejections []parse.Rejection) *Response {
	out := &Response{Accepted: accepted, Stored: res.Stored, Duplicates: res.Duplicates,
		Unparsed: unparsed, Rejected: len(rejections)}
	for _, rj := range rejections[:min(len(rejections), MaxRejections)] {
		out.Rejections = append(out.Rejections, Rejected{Line: rj.Index, Reason: rj.Reason})
	}
	return out
}

func badRequest(msg string) error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

// readBody reads the request body within the limits, undoing gzip.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, badRequest("read body: " + err.Error())
	}
	if len(raw) > MaxBodyBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "bad_request",
			Message: fmt.Sprintf("body larger than %d bytes: send smaller batches", MaxBodyBytes)}
	}
	enc := r.Header.Get("Content-Encoding")
	if enc == "" && len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		enc = "gzip"
	}
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, badRequest("gzip: " + err.Error())
		}
		out, err := io.ReadAll(io.LimitReader(zr, MaxDecodedBytes+1))
		if err != nil {
			return nil, badRequest("gzip: " + err.Error())
		}
		if len(out) > MaxDecodedBytes {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "bad_request",
				Message: fmt.Sprintf("body larger than %d bytes once decompressed: send smaller batches", MaxDecodedBytes)}
		}
		return out, nil
	}
	return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "bad_request", Message: "unsupported Content-Encoding " + strconv.Quote(enc)}
}

// readNDJSON parses one JSON object per line; a line that is not one is rejected with its
// line number (in text/plain it would be a log line, here it is a broken record).
func readNDJSON(body []byte, p *parse.Parser, emit parse.Emit) error {
	line := 0
	for len(body) > 0 {
		var l []byte
		l, body, _ = bytes.Cut(body, []byte("\n"))
		line++
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if !json.Valid(l) || l[0] != '{' {
			p.RejectInput(parse.Rejection{Index: line, Reason: "not a JSON object", Raw: head(l)})
			continue
		}
		p.RecordLine(l, line, emit)
	}
	return nil
}

func head(b []byte) []byte {
	if len(b) > 4096 {
		return b[:4096]
	}
	return b
}

// ingestEvents stores events an agent parsed itself. Each line must be an event document
// with event.id and @timestamp; the agent's identity is stamped on every event.
func (h *Handler) ingestEvents(r *http.Request, body []byte, source string, from Sender) (*Response, error) {
	var events []*event.Event
	var rejections []parse.Rejection
	line := 0
	for len(body) > 0 {
		var l []byte
		l, body, _ = bytes.Cut(body, []byte("\n"))
		line++
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		ev, err := decodeEvent(l)
		if err != nil {
			rejections = append(rejections, parse.Rejection{Index: line, Reason: err.Error(), Raw: head(l)})
			continue
		}
		ev.Set("agent.id", strconv.FormatInt(from.AgentID, 10))
		ev.Set("agent.name", from.AgentHost)
		if _, ok := ev.Get("host.name"); !ok {
			ev.Set("host.name", from.AgentHost)
		}
		events = append(events, ev)
	}
	res, err := h.in.Submit(r.Context(), ingest.Batch{Kind: "agent", Source: source, Events: events, Rejections: rejections})
	if err != nil {
		return nil, err
	}
	return answer(len(events), 0, res, rejections), nil
}

// maxEventDoc bounds one normalized event from an agent: a line at the parser's limit
// appears twice in its event (message and a parsed field) plus the other fields.
const maxEventDoc = 2*parse.MaxLineBytes + 64<<10

func decodeEvent(l []byte) (*event.Event, error) {
	if len(l) > maxEventDoc {
		return nil, fmt.Errorf("event larger than %d bytes", maxEventDoc)
	}
	dec := json.NewDecoder(bytes.NewReader(l))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	ev, err := event.FromJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("not a normalized event: %v", err)
	}
	return ev, nil
}
