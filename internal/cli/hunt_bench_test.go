package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/cli"
)

// huntBenchRules returns the rule arguments of the hunt benchmarks: every SigmaHQ rule
// for Linux and AWS (the cloud rules for Azure, GCP and Microsoft 365 have no log source
// in Vigil and would only be rejected).
func huntBenchRules(b *testing.B) []string {
	root := filepath.Join("..", "..", "..", "shared", "corpora", "sigmahq-rules", "rules")
	if _, err := os.Stat(filepath.Join(root, "linux")); err != nil {
		b.Skipf("SigmaHQ corpus not present: %v", err)
	}
	return []string{"--rules", filepath.Join(root, "linux"), "--rules", filepath.Join(root, "cloud", "aws")}
}

// benchHuntCommand runs `vigil hunt` in-process over a file with the alerts discarded:
// parsing and evaluation end to end, as the binary runs them (loading and compiling the
// rules, about 30 ms, included).
func benchHuntCommand(b *testing.B, name string, data []byte, records int, extra ...string) {
	rules := huntBenchRules(b)
	path := benchInputFile(b, name, data)
	args := append(append([]string{"hunt"}, rules...), extra...)
	args = append(args, path)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var errb bytes.Buffer
	cpu0 := processCPU()
	for b.Loop() {
		errb.Reset()
		if code := cli.Execute(context.Background(), args, nil, io.Discard, &errb); code != 0 {
			b.Fatalf("vigil hunt exited %d: %s", code, errb.String())
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(records)*float64(b.N)/(float64(cpu)/1e9), "events/cpu-s")
	}
}

func BenchmarkHuntCommandSyslog(b *testing.B) {
	benchHuntCommand(b, benchSyslogFile, syslogBenchInput(b, benchSyslogLines), benchSyslogLines)
}

func BenchmarkHuntCommandCloudTrail(b *testing.B) {
	benchHuntCommand(b, benchCloudTrailDoc, cloudTrailBenchInput(b, benchTrailRecords), benchTrailRecords)
}
