package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/intel"
	"github.com/vigilsec/vigil/internal/parse"
)

func newHunt() *cobra.Command {
	var opts ruleFlags
	var ruleDirs, intelFiles []string
	var since, until, zone, typ, host string
	cmd := &cobra.Command{
		Use:   "hunt --rules DIR [--rules DIR...] [FILE...|-]",
		Short: "Run Sigma rules over log files and print the alerts as NDJSON",
		Long: "Parses each FILE (or standard input for '-' or no FILE) exactly as `vigil parse` does (any supported\n" +
			"log type, auto-detected, gzip ok; a line holding a JSON object of no known kind is an event with exactly\n" +
			"its fields), evaluates the rules, correlations included, with each event's time as the clock, and prints\n" +
			"one JSON line per alert. Several inputs are read side by side and their events evaluated in time order\n" +
			"(the earliest next event of any input first), as a live engine would have received them; each input is\n" +
			"expected in time order, as logs are written. A summary goes to standard error: events,\n" +
			"alerts per rule, events per second and the share of rule evaluations the prefilter spared. Exits 1 when\n" +
			"an input cannot be read, input is rejected (as `vigil parse` rejects it) or a rule is rejected (the other\n" +
			"rules still run).\n\n" +
			"--intel FILE adds a threat-intelligence indicator list (IP addresses, CIDR networks, domains, URLs, MD5/SHA-1/\n" +
			"SHA-256 hashes): CSV with a header row (type,value[,severity,description,source,tags]) or a STIX 2.1 bundle,\n" +
			"told apart by content. Every event is matched against the lists after the rules; an event that holds\n" +
			"indicators gives one alert per list, rule id \"intel:<FILE>\", kind \"intel\". Rejected indicators are\n" +
			"printed and make the exit status 1 (the others are used); expired ones are skipped.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(ruleDirs) == 0 {
				return fmt.Errorf("--rules is required")
			}
			defer collectLess()()
			loc := time.UTC
			if zone != "" {
				var err error
				if loc, err = time.LoadLocation(zone); err != nil {
					return fmt.Errorf("--tz %q: %w", zone, err)
				}
			}
			from, err := huntTime("--since", since, loc)
			if err != nil {
				return err
			}
			to, err := huntTime("--until", until, loc)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			_, loadErrs, compileErrs, eng, err := opts.load(ruleDirs)
			if err != nil {
				return err
			}
			failed := false
			for _, e := range sortErrors(append(loadErrs, compileErrs...)) {
				fmt.Fprintf(stderr, "%v\n", e)
				failed = true
			}
			lists, rejected, err := loadIntel(stderr, intelFiles)
			if err != nil {
				return err
			}
			failed = failed || rejected
			if eng.Len() == 0 {
				fmt.Fprintln(stderr, "vigil hunt: no rule to run")
				return exitCode(1)
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			h := &hunter{eng: eng, out: bufio.NewWriterSize(cmd.OutOrStdout(), 256<<10), from: from, to: to, perRule: map[ruleKey]int{}, types: map[string]int{}}
			if len(lists) > 0 {
				h.intel = intel.NewMatcher(lists...)
				h.intelLists = lists
			}
			began := time.Now()
			for _, err := range h.inputs(cmd, args, typ, host, loc) {
				fmt.Fprintf(stderr, "vigil hunt: %v\n", err)
				failed = true
			}
			h.write(eng.Flush())
			if err := h.out.Flush(); err != nil && h.err == nil {
				h.err = err
			}
			if h.err != nil {
				return fmt.Errorf("write: %w", h.err)
			}
			h.summary(stderr, time.Since(began))
			if failed || h.types["rejected"] > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&ruleDirs, "rules", nil, "rule file or directory (repeatable)")
	cmd.Flags().StringArrayVar(&intelFiles, "intel", nil, "threat-intel indicator list, CSV or STIX 2.1 bundle (repeatable)")
	cmd.Flags().StringVar(&since, "since", "", "skip events before this time (RFC 3339, or 2006-01-02[T15:04:05] in --tz)")
	cmd.Flags().StringVar(&until, "until", "", "skip events at or after this time (same forms as --since)")
	cmd.Flags().StringVar(&zone, "tz", "", "time zone of timestamps that carry none, e.g. Asia/Shanghai (default UTC)")
	cmd.Flags().StringVar(&typ, "type", "", "force one log type instead of detecting it per line")
	cmd.Flags().StringVar(&host, "host", "", "host name for records that name none")
	opts.register(cmd)
	return cmd
}

// huntTime reads a --since or --until value.
func huntTime(flag, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: expected RFC 3339 or 2006-01-02[T15:04:05]", flag, s)
}

// loadIntel reads the --intel lists and prints their rejected entries; rejected is true
// when there were any.
func loadIntel(stderr io.Writer, files []string) (lists []*intel.List, rejected bool, err error) {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, false, fmt.Errorf("--intel: %w", err)
		}
		l, err := intel.Load(name, f)
		f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("--intel: %w", err)
		}
		for _, r := range l.Rejected {
			fmt.Fprintf(stderr, "%s: %s: rejected: %s\n", name, r.Pos, r.Reason)
			rejected = true
		}
		lists = append(lists, l)
	}
	return lists, rejected, nil
}

// hunter runs the engine over parsed events and writes the alerts.
type hunter struct {
	eng      *detect.Engine
	out      *bufio.Writer
	err      error
	from, to time.Time
	events   int
	skipped  int // outside --since/--until
	alerts   int
	perRule  map[ruleKey]int // alerts per rule
	types    map[string]int
	// alertBuf holds one event's alerts; written before the next event, it is reused.
	alertBuf []detect.Alert
	// intel matches the --intel lists; hits is its reused buffer.
	intel      *intel.Matcher
	intelLists []*intel.List
	hits       []intel.Hit
}

// input parses one input and hands its events to emit.
func (h *hunter) input(cmd *cobra.Command, name, typ, host string, loc *time.Location, emit parse.Emit) error {
	source := "stdin"
	var r io.Reader = cmd.InOrStdin()
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
		if abs, err := filepath.Abs(name); err == nil {
			source = "file:" + abs
		}
	}
	stderr := cmd.ErrOrStderr()
	p, err := parse.New(parse.Options{Type: typ, Host: host, Location: loc, Source: source, Reuse: true,
		Reject: func(rj parse.Rejection) {
			fmt.Fprintf(stderr, "%s:%d: rejected: %s\n", name, rj.Offset, rj.Reason)
		}})
	if err != nil {
		return err
	}
	if err := parse.Read(r, p, emit); err != nil {
		p.Flush(emit)
		return fmt.Errorf("%s: %w", name, err)
	}
	p.Flush(emit)
	for k, v := range p.Counts {
		h.types[k] += v
	}
	return nil
}

// event evaluates one event with its own time as the clock.
func (h *hunter) event(ev *event.Event) {
	if !h.from.IsZero() && ev.Time.Before(h.from) || !h.to.IsZero() && !ev.Time.Before(h.to) {
		h.skipped++
		return
	}
	h.events++
	h.alertBuf = h.eng.AppendEval(h.alertBuf[:0], ev, ev.Time)
	h.write(h.alertBuf)
	if h.intel != nil {
		if h.hits = h.intel.AppendMatch(h.hits[:0], ev); len(h.hits) > 0 {
			h.write(intel.Alerts(ev, h.hits))
		}
	}
}

// write prints alerts as JSON lines.
func (h *hunter) write(alerts []detect.Alert) {
	for i := range alerts {
		a := &alerts[i]
		h.alerts++
		h.perRule[ruleKey{a.Rule.Level, a.Rule.Title, a.Rule.ID}]++
		if h.err != nil {
			continue
		}
		// Encoded straight into the writer's free space: when it fits, Write copies
		// nothing.
		b := a.AppendJSON(h.out.AvailableBuffer())
		_, h.err = h.out.Write(append(b, '\n'))
	}
}

// summary prints what the hunt did to standard error.
func (h *hunter) summary(w io.Writer, took time.Duration) {
	var types []string
	for k, v := range h.types {
		if k != "unparsed" && k != "rejected" {
			types = append(types, fmt.Sprintf("%s %d", k, v))
		}
	}
	sort.Strings(types)
	rate := float64(h.events) / took.Seconds()
	st := h.eng.Stats()
	fmt.Fprintf(w, "hunted %d events (%s) with %d rules in %s: %.0f events/s; prefilter skipped %.1f%% of %d rule evaluations\n",
		h.events, strings.Join(types, ", "), h.eng.Len(), took.Round(time.Millisecond), rate, 100*st.SkippedFraction(), st.Offered)
	if h.skipped > 0 {
		fmt.Fprintf(w, "%d events outside --since/--until were skipped\n", h.skipped)
	}
	if h.intel != nil {
		rejected, expired := 0, 0
		for _, l := range h.intelLists {
			rejected += len(l.Rejected)
			expired += l.Expired
		}
		fmt.Fprintf(w, "intel: %d indicators from %d lists (%d rejected, %d expired)\n", h.intel.Len(), len(h.intelLists), rejected, expired)
	}
	fmt.Fprintf(w, "alerts: %d\n", h.alerts)
	keys := make([]ruleKey, 0, len(h.perRule))
	for k := range h.perRule {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if h.perRule[keys[i]] != h.perRule[keys[j]] {
			return h.perRule[keys[i]] > h.perRule[keys[j]]
		}
		return keys[i].less(keys[j])
	})
	for _, k := range keys {
		level := k.level
		if level == "" {
			level = "-"
		}
		fmt.Fprintf(w, "%8d  %-13s %s (%s)\n", h.perRule[k], level, k.title, k.id)
	}
}

// ruleKey names a rule in the summary.
type ruleKey struct{ level, title, id string }

func (k ruleKey) less(o ruleKey) bool {
	if k.level != o.level {
		return k.level < o.level
	}
	if k.title != o.title {
		return k.title < o.title
	}
	return k.id < o.id
}
