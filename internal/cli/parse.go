package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

func newParse() *cobra.Command {
	var typ, host, zone string
	cmd := &cobra.Command{
		Use:   "parse [FILE...|-]",
		Short: "Parse log files (any supported type, auto-detected, gzip ok) into normalized events as NDJSON",
		Long: "Reads each FILE (or standard input for '-' or no FILE) and prints one normalized event per input\n" +
			"record as a JSON line. A summary goes to standard error: records read, events per type, unparsed\n" +
			"lines and rejected input. Known types: " + strings.Join(parse.Types(), ", ") + ".",
		RunE: func(cmd *cobra.Command, args []string) error {
			loc := time.UTC
			if zone != "" {
				var err error
				if loc, err = time.LoadLocation(zone); err != nil {
					return fmt.Errorf("--tz %q: %w", zone, err)
				}
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			defer collectLess()()
			out := bufio.NewWriterSize(cmd.OutOrStdout(), 256<<10)
			defer out.Flush()
			stderr := cmd.ErrOrStderr()
			total := map[string]int{}
			failed := false
			var writeErr error
			emit := func(ev *event.Event) {
				if writeErr != nil {
					return
				}
				// The event is encoded straight into the writer's free space: when it
				// fits, Write finds its own buffer and copies nothing.
				b, err := ev.AppendJSON(out.AvailableBuffer())
				if err == nil {
					b = append(b, '\n')
					_, err = out.Write(b)
				}
				writeErr = err
			}
			for _, name := range args {
				source := "stdin"
				var r io.Reader = cmd.InOrStdin()
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						fmt.Fprintf(stderr, "vigil parse: %v\n", err)
						failed = true
						continue
					}
					r = f
					if abs, err := filepath.Abs(name); err == nil {
						source = "file:" + abs
					}
					defer f.Close()
				}
				// Each event is written as soon as it is emitted and not kept, so the
				// parser may reuse its memory for the next one.
				p, err := parse.New(parse.Options{Type: typ, Host: host, Location: loc, Source: source, Reuse: true, Encode: true,
					Reject: func(rj parse.Rejection) {
						fmt.Fprintf(stderr, "%s:%d: rejected: %s\n", name, rj.Offset, rj.Reason)
					}})
				if err != nil {
					return err
				}
				if err := parse.Read(r, p, emit); err != nil {
					fmt.Fprintf(stderr, "vigil parse: %s: %v\n", name, err)
					failed = true
				}
				p.Flush(emit)
				for k, v := range p.Counts {
					total[k] += v
				}
			}
			if writeErr != nil {
				return fmt.Errorf("write: %w", writeErr)
			}
			fmt.Fprintln(stderr, summary(total))
			if failed || total["rejected"] > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "force one log type instead of detecting it per line")
	cmd.Flags().StringVar(&host, "host", "", "host name for records that name none")
	cmd.Flags().StringVar(&zone, "tz", "", "time zone of timestamps that carry none, e.g. Asia/Shanghai (default UTC)")
	return cmd
}

// summary formats the counts: "parsed 120 events (sshd 100, sudo 20); unparsed 3; rejected 0".
func summary(counts map[string]int) string {
	var types []string
	events := 0
	for k, v := range counts {
		if k == "unparsed" || k == "rejected" {
			continue
		}
		events += v
		types = append(types, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(types)
	return fmt.Sprintf("parsed %d events (%s); unparsed %d; rejected %d",
		events, strings.Join(types, ", "), counts["unparsed"], counts["rejected"])
}

// collectLess raises the collector's target for a command that streams its input and
// keeps almost nothing alive (parse writes each event and drops it; hunt keeps only
// the rules and bounded correlation state): the collector would otherwise run every
// few megabytes of garbage, and a higher target trades a few tens of megabytes for a
// tenth of the time. It does nothing when GOGC is set. The setting is the process's;
// the function it returns puts it back, for callers that run commands in-process.
func collectLess() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	return func() { debug.SetGCPercent(old) }
}
