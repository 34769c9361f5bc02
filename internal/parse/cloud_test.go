package parse

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Shared helpers, fuzz targets and benchmarks of the cloud audit parsers.

var cloudNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// readEvents parses input with Read, as `vigil parse` would, and returns the events.
func readEvents(t testing.TB, input []byte, typ string) ([]*event.Event, map[string]int) {
	t.Helper()
	p, err := New(Options{Type: typ, Now: func() time.Time { return cloudNow }, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var out []*event.Event
	emit := func(ev *event.Event) { out = append(out, ev) }
	if err := Read(bytes.NewReader(input), p, emit); err != nil {
		t.Fatal(err)
	}
	p.Flush(emit)
	return out, p.Counts
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdataRecords returns the original records of a provider's golden inputs, each
// encoded on its own, for seeding fuzzers and building benchmark files.
func testdataRecords(t testing.TB, typ string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, pattern := range []string{"*.json", "*.log"} {
		files, _ := filepath.Glob(filepath.Join("testdata", typ, pattern))
		for _, file := range files {
			events, _ := readEvents(t, readFile(t, file), "")
			for _, ev := range events {
				b, err := json.Marshal(ev.Original)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s test records", typ)
	}
	return out
}

// deepCopy copies a decoded JSON value, so that a later change to the original can be
// seen by comparing the two.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// fuzzParser checks one record parser on arbitrary JSON: it must not panic, must not
// change the record it reads (the record is the event's Original), and the event it
// fills must serialize; the whole record path, containers included, must hold the same.
func fuzzParser(f *testing.F, typ string, parse recordParser) {
	for _, seed := range testdataRecords(f, typ) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeObject(data)
		if err != nil {
			return
		}
		want := deepCopy(rec)
		ev := &event.Event{Original: rec}
		ok := parse(nil, rec, ev)
		if !reflect.DeepEqual(any(rec), want) {
			t.Fatalf("the parser changed the original record:\n got %v\nwant %v", rec, want)
		}
		if ok {
			_, _ = json.Marshal(ev)
			if !reflect.DeepEqual(any(rec), want) {
				t.Fatal("serializing the event changed the original record")
			}
		}
		p, err := New(Options{Now: func() time.Time { return cloudNow }})
		if err != nil {
			t.Fatal(err)
		}
		p.Record(rec, data, func(ev *event.Event) { _ = ev.Tree() })
		if !reflect.DeepEqual(any(rec), want) {
			t.Fatal("Record changed the original record")
		}
	})
}

// FuzzReadCloud feeds whole documents to Read: the golden inputs, plain and
// gzip-compressed. Every event's Original must stay as it was when it was emitted,
// whatever the parser does afterwards with the rest of the input.
func FuzzReadCloud(f *testing.F) {
	for _, typ := range []string{"cloudtrail", "cloudaudit", "actiontrail"} {
		for _, pattern := range []string{"*.json", "*.log"} {
			files, _ := filepath.Glob(filepath.Join("testdata", typ, pattern))
			for _, file := range files {
				f.Add(readFile(f, file))
			}
		}
	}
	f.Add(gzipped(f, readFile(f, "testdata/cloudtrail/eventbridge.json")))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := New(Options{Now: func() time.Time { return cloudNow }})
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			ev   *event.Event
			orig any
		}
		var got []seen
		emit := func(ev *event.Event) {
			got = append(got, seen{ev, deepCopy(ev.Original)})
		}
		if err := Read(bytes.NewReader(data), p, emit); err != nil {
			return
		}
		p.Flush(emit)
		for i, s := range got {
			if s.ev.Original == nil {
				continue
			}
			if !reflect.DeepEqual(any(s.ev.Original), s.orig) {
				t.Fatalf("event %d: Original changed after it was emitted", i)
			}
			_ = s.ev.Tree()
		}
	})
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// benchFile builds a delivery file of n records from a provider's golden records, each
// copy with its own event id (as real files have), in the provider's usual delivery form.
func benchFile(b *testing.B, typ string, n int, form string) []byte {
	b.Helper()
	seeds := testdataRecords(b, typ)
	idKey := map[string]string{"cloudtrail": "eventID", "cloudaudit": "eventID", "actiontrail": "eventId"}[typ]
	recs := make([]map[string]any, 0, n)
	for i := 0; len(recs) < n; i++ {
		rec, err := decodeObject(seeds[i%len(seeds)])
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := rec[idKey]; ok {
			rec[idKey] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		}
		recs = append(recs, rec)
	}
	var buf bytes.Buffer
	switch form {
	case "records":
		// One line, as CloudTrail writes its files.
		if err := json.NewEncoder(&buf).Encode(map[string]any{"Records": recs}); err != nil {
			b.Fatal(err)
		}
	case "array":
		if err := json.NewEncoder(&buf).Encode(recs); err != nil {
			b.Fatal(err)
		}
	case "lines":
		enc := json.NewEncoder(&buf)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	default:
		b.Fatalf("unknown form %q", form)
	}
	return buf.Bytes()
}

// benchRead measures the whole parse path of a file: Read, decoding, unwrapping,
// detection and normalization. It reports the time and allocations per record.
func benchRead(b *testing.B, typ string, n int, form string) {
	file := benchFile(b, typ, n, form)
	if events, counts := readEvents(b, file, ""); len(events) != n || counts[typ] != n {
		b.Fatalf("%d events, counts %v; want %d of type %s", len(events), counts, n, typ)
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	p, err := New(Options{Now: func() time.Time { return cloudNow }})
	if err != nil {
		b.Fatal(err)
	}
	events := 0
	emit := func(*event.Event) { events++ }
	for b.Loop() {
		if err := Read(bytes.NewReader(file), p, emit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/record")
	b.ReportMetric(float64(len(file))/float64(n), "B/record")
}

// BenchmarkCloudTrail reads a trail's log file of 500 records on one line (about 0.6
// MB: Read rejects a document over MaxLineBytes whole, so larger trail files cannot be
// measured yet) and the same records as JSON lines.
func BenchmarkCloudTrail(b *testing.B) {
	b.Run("records", func(b *testing.B) { benchRead(b, "cloudtrail", 500, "records") })
	b.Run("lines", func(b *testing.B) { benchRead(b, "cloudtrail", 500, "lines") })
}

func BenchmarkActionTrail(b *testing.B) {
	b.Run("array", func(b *testing.B) { benchRead(b, "actiontrail", 500, "array") })
	b.Run("lines", func(b *testing.B) { benchRead(b, "actiontrail", 500, "lines") })
}

func BenchmarkCloudAudit(b *testing.B) {
	b.Run("lines", func(b *testing.B) { benchRead(b, "cloudaudit", 500, "lines") })
}

// BenchmarkCloudTrailDecode measures decodeObject alone on the records of the lines
// benchmark: the floor that the JSON decoding sets under the whole parse path.
func BenchmarkCloudTrailDecode(b *testing.B) {
	lines := bytes.Split(bytes.TrimSpace(benchFile(b, "cloudtrail", 500, "lines")), []byte("\n"))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := decodeObject(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCloudTrailParser measures the normalization alone, on decoded records.
func BenchmarkCloudTrailParser(b *testing.B) {
	var recs []map[string]any
	for _, s := range testdataRecords(b, "cloudtrail") {
		rec, err := decodeObject(s)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := &event.Event{Original: recs[i%len(recs)]}
		if !parseCloudTrail(nil, recs[i%len(recs)], ev) {
			b.Fatal("not detected")
		}
		i++
	}
}

// TestCloudDetectionExclusive runs every parser over every golden record: exactly the
// provider's own parser must accept it.
func TestCloudDetectionExclusive(t *testing.T) {
	for _, typ := range []string{"cloudtrail", "cloudaudit", "actiontrail"} {
		for _, raw := range testdataRecords(t, typ) {
			rec, err := decodeObject(raw)
			if err != nil {
				t.Fatal(err)
			}
			var accepted []string
			for _, name := range []string{"cloudtrail", "cloudaudit", "actiontrail"} {
				if recordParsers[name](nil, rec, &event.Event{Original: rec}) {
					accepted = append(accepted, name)
				}
			}
			if len(accepted) != 1 || accepted[0] != typ {
				t.Errorf("%s record accepted by %v: %.200s", typ, accepted, raw)
			}
		}
	}
}

// TestCloudDetectionMixedMarkers checks records that carry markers of two providers, or
// only the field names the providers share: no cloud parser may claim them, except
// where one provider's marker is strong and the other's weak.
func TestCloudDetectionMixedMarkers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","acsRegion":"cn-hangzhou"}`, "json"},
		{`{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","eventRegion":"ap-guangzhou"}`, "json"},
		{`{"eventVersion":1,"eventSource":"ecs.aliyuncs.com","eventName":"RunInstances","eventRegion":"ap-guangzhou"}`, "json"},
		{`{"eventSource":"cvm.tencentcloudapi.com","eventName":"RunInstances","acsRegion":"cn-hangzhou"}`, "json"},
		{`{"eventVersion":"1.0","eventName":"Login","eventSource":"login.example.com","userIdentity":{"type":"user"}}`, "json"},
		// CloudTrail needs eventVersion as well as an amazonaws.com source.
		{`{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com"}`, "json"},
		// serviceName is only a weak ActionTrail marker; secretId is Tencent Cloud's own.
		{`{"serviceName":"Ecs","eventName":"RunInstances","userIdentity":{"secretId":"AKIDEXAMPLE"}}`, "cloudaudit"},
		{`{"serviceName":"Ecs","eventName":"RunInstances","userIdentity":{"type":"ram-user"}}`, "actiontrail"},
		{`{"serviceName":"Ecs","eventName":"RunInstances"}`, "json"},
	} {
		events, _ := readEvents(t, []byte(c.in), "")
		if len(events) != 1 || events[0].Type != c.want {
			t.Errorf("%s: detected as %q, want %s", c.in, events[0].Type, c.want)
		}
	}
}

// TestCloudContainersForced checks that containers are opened when the type is
// forced too: a forced cloudtrail file must not become one generic event.
func TestCloudContainersForced(t *testing.T) {
	for _, c := range []struct {
		typ, file string
		n         int
	}{
		{"cloudtrail", "testdata/cloudtrail/records.json", 24},
		{"cloudtrail", "testdata/cloudtrail/eventbridge.json", 2},
		{"cloudaudit", "testdata/cloudaudit/lookup-events.json", 2},
		{"actiontrail", "testdata/actiontrail/sls.log", 2},
	} {
		events, counts := readEvents(t, readFile(t, c.file), c.typ)
		if len(events) != c.n || counts[c.typ] != c.n {
			t.Errorf("%s forced to %s: %d events, counts %v; want %d", c.file, c.typ, len(events), counts, c.n)
		}
	}
}

// TestCloudContainersKeepUnknown checks that containers whose content is not what
// they promise are kept whole or item by item, never dropped.
func TestCloudContainersKeepUnknown(t *testing.T) {
	for _, c := range []struct {
		in    string
		types []string
	}{
		// Not all records are objects: the file stays one event.
		{`{"Records":[{"eventVersion":"1.08"},2]}`, []string{"json"}},
		// A lookup item whose record string is broken is passed on as it is.
		{`{"Response":{"Events":[{"EventId":"1","CloudAuditEvent":"{broken"},` +
			`{"CloudAuditEvent":"{\"eventID\":\"2\",\"eventRegion\":\"ap-guangzhou\",\"eventName\":\"DescribeInstances\"}"}]}}`,
			[]string{"json", "cloudaudit"}},
		// An empty page of a Tencent Cloud response holds no events.
		{`{"Response":{"Events":[],"ListOver":true,"RequestId":"x"}}`, nil},
		// A bare list of events of another kind stays one event.
		{`{"Events":[{"name":"deploy"}]}`, []string{"json"}},
		{`{"Events":[]}`, []string{"json"}},
		// Any other key next to Records: not a CloudTrail file.
		{`{"Records":[],"next":"x"}`, []string{"json"}},
	} {
		events, _ := readEvents(t, []byte(c.in), "")
		var types []string
		for _, ev := range events {
			types = append(types, ev.Type)
		}
		if !reflect.DeepEqual(types, c.types) {
			t.Errorf("%s: event types %v, want %v", c.in, types, c.types)
		}
	}
}

// TestCloudRulePaths reads the events as a detection rule would, by the provider's own
// field names through Event.Get, and by the normalized names.
func TestCloudRulePaths(t *testing.T) {
	events, _ := readEvents(t, readFile(t, "testdata/cloudtrail/records.json"), "")
	byName := map[string]*event.Event{}
	for _, ev := range events {
		if name := ev.GetString("eventName"); byName[name] == nil {
			byName[name] = ev
		}
	}
	for _, c := range []struct{ event, path, want string }{
		{"ConsoleLogin", "additionalEventData.MFAUsed", "Yes"},
		{"ConsoleLogin", "responseElements.ConsoleLogin", "Success"},
		{"AttachUserPolicy", "requestParameters.policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"},
		{"AttachUserPolicy", "userIdentity.arn", "arn:aws:sts::111122223333:assumed-role/OpsAdmin/mallory"},
		{"AttachUserPolicy", "userIdentity.sessionContext.sessionIssuer.userName", "OpsAdmin"},
		{"AttachUserPolicy", "user.target.name", "svc-backup"},
		{"StopLogging", "eventSource", "cloudtrail.amazonaws.com"},
		{"ModifyImageAttribute", "requestParameters.attributeType", "launchPermission"},
		{"ListUsers", "errorCode", "AccessDenied"},
		{"ListUsers", "error.code", "AccessDenied"},
		{"RotateKey", "source.domain", "kms.amazonaws.com"},
	} {
		ev := byName[c.event]
		if ev == nil {
			t.Fatalf("no %s event", c.event)
		}
		if got := ev.GetString(c.path); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.event, c.path, got, c.want)
		}
	}
}

// TestCloudRedeliveryIDs checks that one record delivered two ways (a trail file and
// EventBridge; ActionTrail's OSS and SLS deliveries) gets one event id, while records
// without a provider id still get distinct ones.
func TestCloudRedeliveryIDs(t *testing.T) {
	ids := func(file string) map[string]string {
		events, _ := readEvents(t, readFile(t, file), "")
		m := map[string]string{}
		for _, ev := range events {
			m[firstOf(ev.GetString("eventID"), ev.GetString("eventId"))] = ev.ID
		}
		return m
	}
	for _, c := range [][2]string{
		{"testdata/cloudtrail/records.json", "testdata/cloudtrail/eventbridge.json"},
		{"testdata/cloudtrail/records.json", "testdata/cloudtrail/lookup-events.json"},
		{"testdata/actiontrail/oss-delivery.json", "testdata/actiontrail/sls.log"},
	} {
		all, some := ids(c[0]), ids(c[1])
		for pid, id := range some {
			if all[pid] != id || !strings.Contains(id, pid) {
				t.Errorf("%s: event %s has id %q, in %s %q", c[1], pid, id, c[0], all[pid])
			}
		}
	}
}
