package parse_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

func trailFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2026-11-28T10:%02d:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userAgent":"aws-cli/2.15.0","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"requestID":"req-%d","eventID":"evt-%08d","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","padding":"%s"}`,
			(i/60)%60, i%60, i, i, strings.Repeat("x", 600))
	}
	b.WriteString("]}")
	return b.Bytes()
}

// A trail file far larger than the per-record limit is read record by record.
func TestLargeTrailFileStreams(t *testing.T) {
	data := trailFile(3000)
	if len(data) < 2<<20 {
		t.Fatalf("test file only %d bytes", len(data))
	}
	p := newParser(t, "")
	var evs []*event.Event
	if err := parse.Read(bytes.NewReader(data), p, func(ev *event.Event) { evs = append(evs, ev) }); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3000 || p.Counts["rejected"] != 0 || evs[2999].Type != "cloudtrail" || evs[2999].GetString("eventID") != "evt-00002999" {
		t.Fatalf("%d events, counts %v", len(evs), p.Counts)
	}
}

func TestJSONStreamRejections(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		events   int
		rejected int
		reason   string
	}{
		{"array with a non-object", `[{"a":1}, 2, {"b":2}]`, 2, 1, "not an object"},
		{"top-level string", "[\n\"x\"]", 0, 1, "not an object"},
		{"truncated", "{\n\"a\": 1,\n\"b\": ", 0, 1, "invalid JSON"},
		{"two pretty objects", "{\n \"a\": 1\n}\n{\n \"b\": 2\n}\n", 2, 0, ""},
		{"records then garbage", "{\n\"Records\": [{\"a\":1},{\"b\":2}]}\n{oops", 2, 1, "invalid JSON"},
		{"Records not an array", "{\n\"Records\": {\"x\": [1, {\"y\": 2}]}, \"z\": 3}", 1, 0, ""},
		{"too large record", "[\n{\"big\": \"" + strings.Repeat("a", parse.MaxLineBytes) + "\"}, {\"ok\": 1}]", 1, 1, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reasons []string
			p, _ := parse.New(parse.Options{Reject: func(r parse.Rejection) { reasons = append(reasons, r.Reason) }})
			n := 0
			if err := parse.Read(strings.NewReader(tc.in), p, func(*event.Event) { n++ }); err != nil {
				t.Fatal(err)
			}
			if n != tc.events || len(reasons) != tc.rejected || tc.reason != "" && !strings.Contains(strings.Join(reasons, "|"), tc.reason) {
				t.Errorf("%d events, rejections %q", n, reasons)
			}
		})
	}
}

func BenchmarkCloudTrailFile(b *testing.B) {
	data := trailFile(2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p := newParser(b, "")
		if err := parse.Read(bytes.NewReader(data), p, func(*event.Event) { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// TestRecordHostName: a record's event gets host.name from its fields, then from the
// record itself (as Event.Get finds it), then from the record's host.hostname, then
// from Options.Host; it is added to the fields only when the record does not hold it.
func TestRecordHostName(t *testing.T) {
	for _, tc := range []struct{ line, want, inFields string }{
		{`{"host":{"name":"rec"},"x":1}`, "rec", ""},
		{`{"host.name":"flat","x":1}`, "flat", ""},
		{`{"host":{"hostname":"hn"},"x":1}`, "hn", "hn"},
		{`{"host.hostname":"hn2","x":1}`, "hn2", "hn2"},
		{`{"x":1}`, "opt", "opt"},
	} {
		p, err := parse.New(parse.Options{Host: "opt", Source: "t", Reuse: true})
		if err != nil {
			t.Fatal(err)
		}
		var got, fields string
		p.Line([]byte(tc.line), func(ev *event.Event) {
			got = ev.GetString("host.name")
			for _, f := range ev.Fields {
				if f.Key == "host.name" {
					fields = event.String(f.Value)
				}
			}
		})
		if got != tc.want || fields != tc.inFields {
			t.Errorf("%s: host.name %q (in the fields %q), want %q (%q)", tc.line, got, fields, tc.want, tc.inFields)
		}
	}
}
