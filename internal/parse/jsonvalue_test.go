package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// referenceDecode is what the parsers decoded records with before decodeJSONValue:
// encoding/json with UseNumber, then normalizeNumbers.
func referenceDecode(data []byte) (any, int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, 0, err
	}
	return normalizeNumbers(v), dec.InputOffset(), nil
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	want, wantEnd, wantErr := referenceDecode(data)
	got, end, err := decodeJSONValue(string(data))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json %v", data, err, wantErr)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", data, got, want)
	}
	if int64(end) != wantEnd {
		t.Fatalf("%q: ends at %d, encoding/json at %d", data, end, wantEnd)
	}
	// An arena that keeps encodings gets the same value, and for an object its members
	// as json.Marshal writes them.
	a := &jsonArena{reuse: true, encode: true}
	got, end, err = decodeJSONValueIn(string(data), a)
	if err != nil || !reflect.DeepEqual(got, want) || int64(end) != wantEnd {
		t.Fatalf("%q with an encoding arena: %#v, %d, %v", data, got, end, err)
	}
	m, isObject := got.(map[string]any)
	if !isObject {
		return
	}
	eo := a.encodingOf(m)
	if eo == nil {
		t.Fatalf("%q: no encoding", data)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var enc []byte
	at := 0
	for i, k := range eo.Keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("%q: encoded key %q not in the map", data, k)
		}
		if i > 0 {
			enc = append(enc, ',')
		}
		enc = append(enc, eo.Text[at:eo.Ends[i]]...)
		at = eo.Ends[i]
	}
	if len(eo.Keys) != len(m) || "{"+string(enc)+"}" != string(wantJSON) {
		t.Fatalf("%q: encoded as\n{%s}\njson.Marshal writes\n%s", data, enc, wantJSON)
	}
	a.reset()
	if a.encodingOf(m) != nil {
		t.Fatalf("%q: encoding kept after reset", data)
	}
}

var decodeSeeds = []string{
	`{"a":1,"b":[true,false,null,"x",-0,1.5e3,9223372036854775807,9223372036854775808,-9223372036854775808,-9223372036854775809,1e400,0.1,1E-7]}`,
	`  {"k": "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800\udc00x\ud800\u0041\udc00\ud83dz", "dup": 1, "dup": 2}`,
	"{\"bad utf8\": \"a\xff\xfeb\xed\xa0\x80c\xef\xbf\xbd\", \"\xff\": 1}",
	`[]`, `{}`, `[{}]`, `""`, `"x"`, `123`, `-`, `01`, `1.`, `1e`, `.5`, `tru`, `nul`, `{"a"}`, `{"a":}`, `{,}`, `[1,]`,
	`{"a":1,}`, `[1 2]`, "\"\x01\"", `"\x"`, `"\u12"`, `"\u12G4"`, `{"a":1`, `[`, `"abc`, `{"a":1}trailing`, `1 2`,
	"\ufeff{}", "{\"a\":\"\u2028\"}",
}

func TestDecodeJSONValue(t *testing.T) {
	deep := []string{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), strings.Repeat("[", 10000) + strings.Repeat("]", 10000)}
	for _, s := range append(deep, decodeSeeds...) {
		checkDecode(t, []byte(s))
	}
	for _, f := range []string{"testdata/cloudtrail/records.json", "testdata/cloudtrail/lookup-events.json",
		"testdata/actiontrail/oss-delivery.json", "testdata/cloudaudit/lookup-events.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, b)
	}
	// A number too large for float64 stays as written, so the record can be encoded.
	if v, _, _ := decodeJSONValue("-1e400"); v != "-1e400" {
		t.Errorf("-1e400 = %#v", v)
	}
}

// FuzzDecodeJSON compares decodeJSONValue with encoding/json and normalizeNumbers on
// arbitrary input: the same value and end, or both an error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/cloudtrail/records.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
	})
}

type readResult struct {
	events     []string
	counts     map[string]int
	rejections []string
	err        error
}

func readWith(read func(*bufio.Reader, *Parser, Emit) error, data []byte, reuse bool) readResult {
	var res readResult
	p, _ := New(Options{Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }, Source: "fuzz", Reuse: reuse, Encode: reuse,
		Reject: func(r Rejection) {
			reason := r.Reason
			if strings.HasPrefix(reason, "invalid JSON") {
				reason = "invalid JSON" // the two decoders word syntax errors differently
			}
			res.rejections = append(res.rejections, fmt.Sprintf("%d %s", r.Index, reason))
		}})
	// Short reads: values cross the end of what the stream has read at many places.
	res.err = read(bufio.NewReaderSize(&shortReader{r: bytes.NewReader(data)}, 16), p, func(ev *event.Event) {
		b, err := ev.AppendJSON(nil)
		if err != nil {
			b = []byte(err.Error())
		}
		res.events = append(res.events, string(b))
	})
	res.counts = p.Counts
	return res
}

// shortReader returns at most 1, 7, 64, 3 or 200 bytes per read, in turn.
type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) {
	s.n++
	return s.r.Read(p[:min(len(p), []int{1, 7, 64, 3, 200}[s.n%5])])
}

// FuzzReadJSON compares the streaming JSON reader with the one it replaced (encoding/json's
// Decoder): the same events with the same ids, the same counts and the same rejections.
func FuzzReadJSON(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{`[{"a":1}, 2, {"b":2}]`, "[\n\"x\"]", "{\n\"a\": 1,\n\"b\": ", "{\n \"a\": 1\n}\n{\n \"b\": 2\n}\n",
		"{\n\"Records\": [{\"a\":1},{\"b\":2}]}\n{oops", "{\n\"Records\": {\"x\": [1, {\"y\": 2}]}, \"z\": 3}",
		`{"Records":[{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventID":"x"}], "other": [1]}`,
		`{"Records":[]}`, `{"Records":[1]}`, `{"a":1,"Records":[{"b":2}]}`, `{"Rec\u006frds":[{"b":2}]}`,
		`[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `[{"a":1}{"b":2}]`, `true false null "s" -1.50e3 {}`, `]`, `}`, `,`} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/cloudtrail/records.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := readWith(readJSONReference, data, false)
		for _, reuse := range []bool{false, true} {
			got := readWith(readJSON, data, reuse)
			if (got.err == nil) != (want.err == nil) || !reflect.DeepEqual(got.counts, want.counts) ||
				!reflect.DeepEqual(got.rejections, want.rejections) || !reflect.DeepEqual(got.events, want.events) {
				t.Fatalf("%q (reuse %v):\n got %+v\nwant %+v", data, reuse, got, want)
			}
		}
	})
}
