package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/vigilsec/vigil/internal/cli"
)

// parseBenchDir keeps the benchmark inputs: with it set, the files are written there and
// left in place, so that the same input can be timed with the built binary as a whole
// process (see docs/PERFORMANCE.md).
var parseBenchDir = flag.String("parse-bench-dir", "", "write the `vigil parse` benchmark inputs to this directory and keep them")

// Sizes of the whole-command benchmark inputs: large enough that start-up and the
// summary are noise, small enough for repeated runs on a shared machine.
const (
	benchSyslogLines   = 200_000
	benchTrailRecords  = 50_000
	benchSyslogFile    = "auth.log"
	benchCloudTrailDoc = "cloudtrail.json"
)

// syslogBenchInput repeats the syslog-family golden inputs (sshd, sudo, su, account
// management, cron, systemd and plain syslog lines, as an auth.log holds them) to n lines.
func syslogBenchInput(tb testing.TB, n int) []byte {
	tb.Helper()
	var lines [][]byte
	for _, dir := range []string{"sshd", "sudo", "su", "accounts", "cron", "systemd", "syslog"} {
		files, _ := filepath.Glob(filepath.Join("..", "parse", "testdata", dir, "*.log"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if len(bytes.TrimSpace(sc.Bytes())) > 0 {
					lines = append(lines, bytes.Clone(sc.Bytes()))
				}
			}
		}
	}
	if len(lines) == 0 {
		tb.Fatal("no syslog test lines")
	}
	var out bytes.Buffer
	for i := range n {
		out.Write(lines[i%len(lines)])
		out.WriteByte('\n')
	}
	return out.Bytes()
}

var (
	benchEventID   = regexp.MustCompile(`"eventID":"[^"]*"`)
	benchEventTime = regexp.MustCompile(`"eventTime":"[^"]*"`)
)

// cloudTrailBenchInput builds a CloudTrail log file of n records as AWS delivers it: one
// compact {"Records":[…]} document. The records are the CloudTrail golden records (console
// sign-ins, IAM changes, assumed roles, EC2 and S3 calls) in their original key order, each
// copy with its own event id and time so that every record is a distinct event.
func cloudTrailBenchInput(tb testing.TB, n int) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "parse", "testdata", "cloudtrail", "records.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	recs := make([][]byte, len(doc.Records))
	for i, r := range doc.Records {
		var c bytes.Buffer
		if err := json.Compact(&c, r); err != nil {
			tb.Fatal(err)
		}
		recs[i] = c.Bytes()
	}
	var out bytes.Buffer
	out.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			out.WriteByte(',')
		}
		r := recs[i%len(recs)]
		r = benchEventID.ReplaceAll(r, fmt.Appendf(nil, `"eventID":"6f1c2b7e-%04x-4e5f-8a9b-%012x"`, i%len(recs), i))
		s := i % 86400
		r = benchEventTime.ReplaceAll(r, fmt.Appendf(nil, `"eventTime":"2026-11-28T%02d:%02d:%02dZ"`, s/3600, s/60%60, s%60))
		out.Write(r)
	}
	out.WriteString("]}\n")
	return out.Bytes()
}

// benchInputFile writes the input where the benchmark (or -parse-bench-dir) wants it.
func benchInputFile(b *testing.B, name string, data []byte) string {
	b.Helper()
	dir := *parseBenchDir
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchParseCommand runs `vigil parse FILE` in-process with the output discarded, as the
// binary would run it with its standard output on /dev/null.
func benchParseCommand(b *testing.B, name string, data []byte, records int) {
	path := benchInputFile(b, name, data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var errb bytes.Buffer
	for b.Loop() {
		errb.Reset()
		if code := cli.Execute(context.Background(), []string{"parse", path}, nil, io.Discard, &errb); code != 0 {
			b.Fatalf("vigil parse exited %d: %s", code, errb.String())
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkParseCommandSyslog(b *testing.B) {
	benchParseCommand(b, benchSyslogFile, syslogBenchInput(b, benchSyslogLines), benchSyslogLines)
}

func BenchmarkParseCommandCloudTrail(b *testing.B) {
	benchParseCommand(b, benchCloudTrailDoc, cloudTrailBenchInput(b, benchTrailRecords), benchTrailRecords)
}
