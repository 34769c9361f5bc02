package parse

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// benchRecords are the CloudTrail golden records, compact, as a trail file holds them.
func benchRecords(b *testing.B) [][]byte {
	raw, err := os.ReadFile("testdata/cloudtrail/records.json")
	if err != nil {
		b.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for _, r := range doc.Records {
		var c bytes.Buffer
		json.Compact(&c, r)
		out = append(out, c.Bytes())
	}
	return out
}

// BenchmarkDecodeRecord decodes CloudTrail records into map[string]any with the numbers
// as int64 or float64: encoding/json (with UseNumber and normalizeNumbers, as the parser
// did) against the hand-written decoder.
func BenchmarkDecodeRecord(b *testing.B) {
	recs := benchRecords(b)
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	run := func(b *testing.B, decode func([]byte) (any, error)) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range recs {
				if _, err := decode(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	}
	b.Run("encoding-json", func(b *testing.B) {
		run(b, func(r []byte) (any, error) {
			dec := json.NewDecoder(bytes.NewReader(r))
			dec.UseNumber()
			var v any
			err := dec.Decode(&v)
			return normalizeNumbers(v), err
		})
	})
	b.Run("hand-written", func(b *testing.B) {
		run(b, func(r []byte) (any, error) {
			v, _, err := decodeJSONValue(string(r))
			return v, err
		})
	})
}

// BenchmarkCloudTrailStages splits the per-record cost of a CloudTrail file into its
// stages: decoding the record, parsing it into an event, and encoding the event; the
// -reuse stages are those of a parser with Options.Reuse.
func BenchmarkCloudTrailStages(b *testing.B) {
	recs := benchRecords(b)
	var maps []map[string]any
	for _, r := range recs {
		v, _, err := decodeJSONValue(string(r))
		if err != nil {
			b.Fatal(err)
		}
		maps = append(maps, v.(map[string]any))
	}
	p, _ := New(Options{Source: "bench"})
	var events []*event.Event
	for _, m := range maps {
		p.Record(m, nil, func(ev *event.Event) { events = append(events, ev) })
	}
	perRecord := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range recs {
				decodeJSONValue(string(r))
			}
		}
		perRecord(b)
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, m := range maps {
				p.Record(m, nil, func(*event.Event) {})
			}
		}
		perRecord(b)
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for _, ev := range events {
				buf, _ = ev.AppendJSON(buf[:0])
			}
		}
		perRecord(b)
	})
	// With Options.Reuse (vigil parse): the decoder fills an arena that is taken back
	// after each record and also writes the record's encoding, which the event encoder
	// then copies.
	b.Run("decode-reuse", func(b *testing.B) {
		b.ReportAllocs()
		a := &jsonArena{reuse: true, encode: true}
		texts := make([]string, len(recs))
		for i, r := range recs {
			texts[i] = string(r) // the stream decodes from its buffer, without a copy
		}
		for b.Loop() {
			for _, r := range texts {
				decodeJSONValueIn(r, a)
				a.reset()
			}
		}
		perRecord(b)
	})
	// With Options.Reuse and without Options.Encode (vigil hunt): the arena alone.
	b.Run("decode-hunt", func(b *testing.B) {
		b.ReportAllocs()
		a := &jsonArena{reuse: true}
		texts := make([]string, len(recs))
		for i, r := range recs {
			texts[i] = string(r)
		}
		for b.Loop() {
			for _, r := range texts {
				decodeJSONValueIn(r, a)
				a.reset()
			}
		}
		perRecord(b)
	})
	var encoded []*event.Event
	for i, r := range recs {
		a := &jsonArena{reuse: true, encode: true}
		v, _, _ := decodeJSONValueIn(string(r), a)
		ev := *events[i]
		ev.Original = v.(map[string]any)
		ev.SetEncodedOriginal(a.encodingOf(ev.Original))
		encoded = append(encoded, &ev)
	}
	b.Run("encode-reuse", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			for _, ev := range encoded {
				buf, _ = ev.AppendJSON(buf[:0])
			}
		}
		perRecord(b)
	})
}
