package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

type ingestAnswer struct {
	Accepted   int `json:"accepted"`
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	Unparsed   int `json:"unparsed"`
	Rejected   int `json:"rejected"`
	Rejections []struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	} `json:"rejections"`
}

func (e *env) post(secret, path, contentType string, body []byte, hdr map[string]string) response {
	e.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + secret, "Content-Type": contentType}
	for k, v := range hdr {
		h[k] = v
	}
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: buf.Bytes()}
}

func storedEvents(t *testing.T, es store.EventStore) []map[string]any {
	t.Helper()
	var out []map[string]any
	err := es.Scan(context.Background(), time.Time{}, time.Time{}, func(ev store.StoredEvent) error {
		var m map[string]any
		if err := json.Unmarshal(ev.Doc, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const authLines = `Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52146 ssh2
Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52146 ssh2
not a syslog line at all
`

func TestIngestTextLines(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleIngest)
	res := e.post(tok, "/api/v1/ingest?host=fallback", "text/plain; charset=utf-8", []byte(authLines), nil)
	var a ingestAnswer
	res.json(t, &a)
	if res.Status != http.StatusOK || a.Accepted != 3 || a.Stored != 3 || a.Unparsed != 1 || a.Rejected != 0 {
		t.Fatalf("answer %d %s", res.Status, res.Body)
	}
	evs := storedEvents(t, e.events)
	if len(evs) != 3 {
		t.Fatalf("%d events stored, want 3 (two equal lines are two events)", len(evs))
	}
	var hosts []string
	for _, ev := range evs {
		hosts = append(hosts, ev["host"].(map[string]any)["name"].(string))
	}
	if strings.Join(hosts, ",") != "web-1,web-1,fallback" && !strings.Contains(strings.Join(hosts, ","), "fallback") {
		t.Errorf("hosts = %v", hosts)
	}
	// The same request again (a retry after a lost answer) stores nothing twice.
	res = e.post(tok, "/api/v1/ingest?host=fallback", "text/plain", []byte(authLines), nil)
	res.json(t, &a)
	if a.Accepted != 3 || a.Stored != 0 || a.Duplicates != 3 {
		t.Errorf("retry: %s", res.Body)
	}
	if n, _ := e.events.Count(context.Background()); n != 3 {
		t.Errorf("%d events after a retry, want 3", n)
	}
}

func TestIngestNDJSONWithRejections(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleIngest)
	body := `{"@timestamp":"2026-11-28T10:00:00Z","host":{"name":"db-1"},"event":{"action":"custom"}}
{"broken":
[1,2]

{"message":"second good one"}
`
	res := e.post(tok, "/api/v1/ingest", "application/x-ndjson", []byte(body), nil)
	var a ingestAnswer
	res.json(t, &a)
	if res.Status != http.StatusOK || a.Accepted != 2 || a.Rejected != 2 || len(a.Rejections) != 2 ||
		a.Rejections[0].Line != 2 || a.Rejections[1].Line != 3 || a.Rejections[0].Reason == "" {
		t.Fatalf("answer %d %s", res.Status, res.Body)
	}
	// The rejected input is kept for review.
	var list struct {
		Items []struct{ Reason, Raw, Source string } `json:"items"`
	}
	e.bearer(e.token(auth.RoleAnalyst), "GET", "/api/v1/ingest/rejections", nil).json(t, &list)
	if len(list.Items) != 2 || list.Items[1].Raw != `{"broken":` || !strings.HasPrefix(list.Items[0].Source, "http:token:") ||
		!strings.Contains(list.Items[1].Reason, "record 2") {
		t.Errorf("rejections = %+v", list.Items)
	}
	evs := storedEvents(t, e.events)
	if len(evs) != 2 || evs[0]["event"].(map[string]any)["action"] != "custom" {
		t.Errorf("events = %v", evs)
	}
}

func TestIngestJSONDocumentAndGzip(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleIngest)
	doc := `[{"message":"a","@timestamp":"2026-11-28T10:00:00Z"},{"message":"b"},{"message":"c"}]`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(doc))
	zw.Close()
	res := e.post(tok, "/api/v1/ingest", "application/json", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"})
	var a ingestAnswer
	res.json(t, &a)
	if res.Status != http.StatusOK || a.Accepted != 3 || a.Stored != 3 {
		t.Fatalf("answer %d %s", res.Status, res.Body)
	}
	if res := e.post(tok, "/api/v1/ingest", "application/json", []byte(`"just a string"`), nil); res.Status != http.StatusBadRequest {
		t.Errorf("JSON string body: %d %s", res.Status, res.Body)
	}
}

func TestIngestRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleIngest)
	cases := []struct {
		name, ctype string
		body        []byte
		hdr         map[string]string
		status      int
	}{
		{"content type", "image/png", []byte("x"), nil, http.StatusUnsupportedMediaType},
		{"no content type", "", []byte("x"), nil, http.StatusBadRequest},
		{"too large", "text/plain", bytes.Repeat([]byte("a"), 16<<20+1), nil, http.StatusRequestEntityTooLarge},
		{"bad gzip", "text/plain", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"unknown encoding", "text/plain", []byte("x"), map[string]string{"Content-Encoding": "br"}, http.StatusUnsupportedMediaType},
		{"unknown type", "text/plain", []byte("x"), nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v1/ingest"
			if tc.name == "unknown type" {
				path += "?type=nosuchtype"
			}
			res := e.post(tok, path, tc.ctype, tc.body, tc.hdr)
			if res.Status != tc.status || res.errCode() == "" {
				t.Errorf("%d %s, want %d", res.Status, res.Body, tc.status)
			}
		})
	}
	// A gzip bomb is cut at the decoded limit.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte("a\n"), 40<<20))
	zw.Close()
	if res := e.post(tok, "/api/v1/ingest", "text/plain", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("gzip bomb: %d %s", res.Status, res.Body)
	}
	if n, _ := e.events.Count(context.Background()); n != 0 {
		t.Errorf("%d events stored from refused requests", n)
	}
	// The ingest role can only submit.
	if res := e.bearer(tok, "GET", "/api/v1/users", nil); res.Status != http.StatusForbidden {
		t.Errorf("ingest token read users: %d", res.Status)
	}
}

func TestIngestBackpressure(t *testing.T) {
	e := newEnv(t)
	tok := e.token(auth.RoleIngest)
	var releases []func()
	for range 2 { // the test env allows two batches in flight
		rel, err := e.ingester.Acquire(context.Background(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, rel)
	}
	res := e.post(tok, "/api/v1/ingest", "text/plain", []byte(authLines), nil)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("at capacity: %d %s", res.Status, res.Body)
	}
	for _, rel := range releases {
		rel()
	}
	if res := e.post(tok, "/api/v1/ingest", "text/plain", []byte(authLines), nil); res.Status != http.StatusOK {
		t.Errorf("after release: %d %s", res.Status, res.Body)
	}
	m := string(e.bearer(e.token(auth.RoleViewer), "GET", "/metrics", nil).Body)
	for _, want := range []string{`vigil_ingest_events_total{source="http",type="sshd"} 2`, `vigil_ingest_unparsed_total{source="http"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
