package detect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// The benchmarks load every SigmaHQ rule under rules/linux and rules/cloud (those whose
// logsource Vigil maps compile; the others are rejected and cost nothing) and evaluate
// parsed events, so they time the engine alone. Run them on one core:
//
//	go test ./internal/detect -run XXX -bench . -cpu 1 -count 5

// syslogFamily are the parsers' golden inputs of the syslog family: what an auth.log or
// /var/log/messages holds (sshd, sudo, su, account management, cron, systemd, other
// programs).
var syslogFamily = []string{"sshd", "sudo", "su", "accounts", "cron", "systemd", "syslog"}

func authEvents(tb testing.TB) []*event.Event {
	var out []*event.Event
	for _, dir := range syslogFamily {
		files, _ := filepath.Glob(filepath.Join(moduleRoot(tb), "internal", "parse", "testdata", dir, "*.log"))
		for _, f := range files {
			out = append(out, parseFile(tb, f)...)
		}
	}
	return out
}

// cloudTrailEvents parses the golden CloudTrail trail file, as a trail file delivers
// records.
func cloudTrailEvents(tb testing.TB) []*event.Event {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(tb), "internal", "parse", "testdata", "cloudtrail", "records.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i, r := range doc.Records {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r)
	}
	buf.WriteString("]}")
	return parseBytes(tb, buf.Bytes(), "bench")
}

func auditdEvents(tb testing.TB) []*event.Event {
	return parseFile(tb, filepath.Join(moduleRoot(tb), "internal", "parse", "testdata", "auditd", "audit.log"))
}

func benchEngine(b *testing.B, events []*event.Event, opts Options) {
	c := loadCorpus(b)
	e, _ := Compile(c, opts)
	b.ReportAllocs()
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		ev := events[n%len(events)]
		e.Eval(ev, ev.Time)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(n)/(float64(cpu)/1e9), "events/cpu-s")
	}
	st := e.Stats()
	b.ReportMetric(100*st.SkippedFraction(), "%skipped")
}

func BenchmarkEngineAuth(b *testing.B)       { benchEngine(b, authEvents(b), Options{}) }
func BenchmarkEngineCloudTrail(b *testing.B) { benchEngine(b, cloudTrailEvents(b), Options{}) }
func BenchmarkEngineAuditd(b *testing.B)     { benchEngine(b, auditdEvents(b), Options{}) }
func BenchmarkEngineAuthNoPrefilter(b *testing.B) {
	benchEngine(b, authEvents(b), Options{NoPrefilter: true})
}
func BenchmarkEngineCloudTrailNoPrefilter(b *testing.B) {
	benchEngine(b, cloudTrailEvents(b), Options{NoPrefilter: true})
}

// BenchmarkCompiledVsNaive times, in one run, the compiled engine and the reference
// evaluator (every routed rule evaluated for every event, fields read with event.Get,
// patterns as regular expressions, as simple Go Sigma libraries do) over the same
// events, and reports the ratio of their rates. Each iteration gives the compiled
// engine 100 passes over the events and the reference one, so that the caches the
// other evaluator cooled cost little of either's time.
func BenchmarkCompiledVsNaive(b *testing.B) {
	c := loadCorpus(b)
	for _, in := range []struct {
		name   string
		events []*event.Event
	}{{"auth", authEvents(b)}, {"cloudtrail", cloudTrailEvents(b)}, {"auditd", auditdEvents(b)}} {
		b.Run(in.name, func(b *testing.B) {
			e, _ := Compile(c, Options{})
			ref := newReference(c, false)
			for _, ev := range in.events { // warm the reference's regexp cache
				ref.eval(ev)
			}
			const passes = 100
			var fast, slow time.Duration
			var fastCPU, slowCPU int64
			nFast, nSlow := 0, 0
			for b.Loop() {
				// Collect the garbage of the other evaluator first, so that its
				// collection is not charged to the next one.
				runtime.GC()
				t0, c0 := time.Now(), processCPU()
				for range passes {
					for _, ev := range in.events {
						e.Eval(ev, ev.Time)
					}
				}
				fast += time.Since(t0)
				fastCPU += processCPU() - c0
				nFast += passes * len(in.events)
				runtime.GC()
				t1, c1 := time.Now(), processCPU()
				for _, ev := range in.events {
					ref.eval(ev)
				}
				slow += time.Since(t1)
				slowCPU += processCPU() - c1
				nSlow += len(in.events)
			}
			fastRate, slowRate := float64(nFast)/fast.Seconds(), float64(nSlow)/slow.Seconds()
			b.ReportMetric(fastRate, "compiled-events/s")
			b.ReportMetric(slowRate, "naive-events/s")
			b.ReportMetric(fastRate/slowRate, "ratio")
			if fastCPU > 0 && slowCPU > 0 {
				b.ReportMetric((float64(slowCPU)/float64(nSlow))/(float64(fastCPU)/float64(nFast)), "cpu-ratio")
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	c := loadCorpus(b)
	for b.Loop() {
		Compile(c, Options{})
	}
}
