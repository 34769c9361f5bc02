package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// journalCheckpoint is where the journal is read from: the cursor of the last entry
// whose event is in the spool.
type journalCheckpoint struct {
	Cursor string `json:"cursor"`
}

// maxJournalEntry bounds one entry of journalctl's output; larger ones are skipped.
const maxJournalEntry = 4 << 20

// runJournald reads the journal through `journalctl --output=json --follow` (no cgo,
// no library), restarting it with backoff when it exits. Without journalctl the source
// reports "unavailable" and the rest of the agent runs on.
func (a *Agent) runJournald(ctx context.Context) {
	st := a.status.source("journald", "journald")
	bin, err := exec.LookPath(a.journalctl())
	if err != nil {
		a.status.update(st, func(c *sourceStats) { c.State, c.LastError = "unavailable", "journalctl not found" })
		a.log.Info("journald source unavailable: journalctl not found")
		return
	}
	// Audit records also reach the journal; when the audit log is read they would be
	// events twice, and the audit log has them whole.
	skipAudit := false
	if a.cfg.Auditd.Enabled {
		_, err := os.Stat(a.cfg.Auditd.Path)
		skipAudit = err == nil
	}
	bo := backoff{base: time.Second, max: 30 * time.Second}
	for ctx.Err() == nil {
		started := time.Now()
		err := a.followJournal(ctx, bin, st, skipAudit)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > time.Minute {
			bo.reset()
		}
		if err == nil {
			sleep(ctx, time.Second) // the checkpoint was reset: start again soon
			continue
		}
		a.status.fail(st, err)
		a.limiter.log(a.log, slog.LevelWarn, "journald", time.Minute, "journalctl stopped; restarting it", "err", err)
		sleep(ctx, bo.next())
	}
}

// journalArgs returns the arguments that resume after the checkpoint. The first time
// (no checkpoint) the newest entry's cursor becomes the checkpoint without being read, so
// the journal's history is not read (the files cover it) and a restart before any new
// entry still resumes at the right place. An empty journal is read from its start.
func (a *Agent) journalArgs(ctx context.Context, bin string) ([]string, error) {
	var units []string
	for _, u := range a.cfg.Journald.Units {
		units = append(units, "--unit="+u)
	}
	var cp journalCheckpoint
	if _, err := a.ckpts.load(journaldCheckpointName, &cp); err != nil {
		return nil, err
	}
	if cp.Cursor == "" {
		out, err := exec.CommandContext(ctx, bin, append([]string{"--output=json", "--lines=1", "--no-pager", "--quiet"}, units...)...).Output()
		if err != nil {
			return nil, fmt.Errorf("journalctl --lines=1: %w", err)
		}
		var last struct {
			Cursor string `json:"__CURSOR"`
		}
		if line := bytes.TrimSpace(out); len(line) > 0 && json.Unmarshal(line, &last) == nil && last.Cursor != "" {
			if err := a.commit(nil, journaldCheckpointName, journalCheckpoint{Cursor: last.Cursor}); err != nil {
				return nil, err
			}
			cp.Cursor = last.Cursor
		}
	}
	args := []string{"--output=json", "--follow", "--no-pager", "--no-tail", "--quiet"}
	if cp.Cursor != "" {
		args = append(args, "--after-cursor="+cp.Cursor)
	}
	return append(args, units...), nil
}

// followJournal runs journalctl once and turns its entries into events until it exits
// or ctx ends. A batch is committed whenever the pipe has nothing more buffered, so the
// checkpoint trails what was read by at most one pipe's worth.
func (a *Agent) followJournal(ctx context.Context, bin string, st *sourceStats, skipAudit bool) error {
	args, err := a.journalArgs(ctx, bin)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	stderr := &tailBuffer{max: 2048}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	a.status.update(st, func(c *sourceStats) { c.State = "reading" })
	jr := &journalReader{a: a, skipAudit: skipAudit, parsers: map[string]*parse.Parser{}}
	readErr := jr.run(ctx, bufio.NewReaderSize(out, 256<<10), st)
	if ctx.Err() == nil {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if readErr != nil {
		return readErr
	}
	msg := strings.TrimSpace(stderr.String())
	if jr.total == 0 && strings.Contains(msg, "seek to cursor") {
		// The journal the cursor came from is gone (wiped or replaced): start again from
		// its newest entry rather than failing forever.
		a.log.Warn("journal cursor no longer valid; resuming at the newest entry", "stderr", msg)
		return a.commit(nil, journaldCheckpointName, journalCheckpoint{})
	}
	if waitErr != nil {
		return fmt.Errorf("journalctl: %v: %s", waitErr, msg)
	}
	return fmt.Errorf("journalctl exited: %s", msg)
}

// journalReader turns journalctl's JSON lines into events.
type journalReader struct {
	a         *Agent
	skipAudit bool
	parsers   map[string]*parse.Parser // by source: one per journal sequence (seqnum id)
	recs      [][]byte
	cursor    string
	entries   int64
	total     int64 // entries seen by this run of journalctl
	skipped   int64
}

func (jr *journalReader) run(ctx context.Context, br *bufio.Reader, st *sourceStats) error {
	for {
		line, err := readLine(br, maxJournalEntry)
		if errors.Is(err, errTooLong) {
			jr.skipped++
		} else if err != nil {
			if cerr := jr.commit(st); cerr != nil {
				return cerr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		} else {
			jr.entry(line)
		}
		if br.Buffered() == 0 || len(jr.recs) >= 1000 {
			if err := jr.commit(st); err != nil {
				return err
			}
			// While the spool is full nothing is read: journalctl blocks on the full pipe
			// and the journal keeps the entries.
			if !jr.a.waitSpool(ctx, st) {
				return nil
			}
		}
	}
}

func (jr *journalReader) commit(st *sourceStats) error {
	if jr.cursor == "" {
		return nil
	}
	if err := jr.a.commit(jr.recs, journaldCheckpointName, journalCheckpoint{Cursor: jr.cursor}); err != nil {
		return err
	}
	jr.a.status.update(st, func(c *sourceStats) {
		c.State = "reading"
		c.Lines += jr.entries
		c.Events += int64(len(jr.recs))
		c.Skipped += jr.skipped
	})
	jr.recs, jr.cursor, jr.entries, jr.skipped = nil, "", 0, 0
	return nil
}

// entry parses one journal entry. The event id derives from the journal's sequence id
// and the entry's sequence number (both in the cursor), which stay the same when the
// entry is read again.
func (jr *journalReader) entry(line []byte) {
	var e map[string]json.RawMessage
	if err := json.Unmarshal(line, &e); err != nil {
		jr.skipped++
		return
	}
	cursor := field(e, "__CURSOR")
	if cursor == "" {
		jr.skipped++
		return
	}
	jr.cursor = cursor
	jr.entries++
	jr.total++
	msg, ok := message(e["MESSAGE"])
	if !ok || jr.skipAudit && field(e, "_TRANSPORT") == "audit" {
		jr.skipped++
		return
	}
	source, pos := journalPosition(e, cursor)
	p := jr.parsers[source]
	if p == nil {
		if len(jr.parsers) > 8 {
			clear(jr.parsers)
		}
		p, _ = parse.New(parse.Options{Source: source, Host: jr.a.hostname, Location: time.Local})
		jr.parsers[source] = p
	}
	app := field(e, "SYSLOG_IDENTIFIER")
	if app == "" {
		app = field(e, "_COMM")
	}
	pid, _ := strconv.ParseInt(field(e, "_PID"), 10, 64)
	if pid == 0 {
		pid, _ = strconv.ParseInt(field(e, "SYSLOG_PID"), 10, 64)
	}
	var t time.Time
	if us, err := strconv.ParseInt(field(e, "__REALTIME_TIMESTAMP"), 10, 64); err == nil {
		t = time.UnixMicro(us)
	} else {
		t = time.Now()
	}
	host := field(e, "_HOSTNAME")
	if host == "" {
		host = jr.a.hostname
	}
	p.SetPosition(pos)
	p.Message(app, pid, host, t, msg, []byte(msg), func(ev *event.Event) {
		if unit := field(e, "_SYSTEMD_UNIT"); unit != "" {
			ev.Set("systemd.unit", unit)
		}
		doc, err := ev.MarshalJSON()
		if err != nil {
			jr.skipped++
			return
		}
		jr.recs = append(jr.recs, doc)
	})
}

// journalPosition returns the source and position of an entry: the sequence id and
// number (from the fields newer journalctl prints, else from the cursor's s= and i=), or
// failing both the boot and the realtime timestamp.
func journalPosition(e map[string]json.RawMessage, cursor string) (string, int64) {
	if id, n := field(e, "__SEQNUM_ID"), field(e, "__SEQNUM"); id != "" && n != "" {
		if seq, err := strconv.ParseInt(n, 10, 64); err == nil {
			return "journald:" + id, seq
		}
	}
	var sid, seq string
	for part := range strings.SplitSeq(cursor, ";") {
		if v, ok := strings.CutPrefix(part, "s="); ok {
			sid = v
		} else if v, ok := strings.CutPrefix(part, "i="); ok {
			seq = v
		}
	}
	if n, err := strconv.ParseInt(seq, 16, 64); err == nil && sid != "" {
		return "journald:" + sid, n
	}
	us, _ := strconv.ParseInt(field(e, "__REALTIME_TIMESTAMP"), 10, 64)
	return "journald:" + field(e, "_BOOT_ID"), us
}

// field returns a journal field as text: a string, the first of several values, or bytes.
func field(e map[string]json.RawMessage, name string) string {
	s, _ := message(e[name])
	return s
}

// message decodes a journal field value: a string, an array of byte values (binary or
// non-UTF-8 data), or an array of strings (a field given several times). null (a value
// too large for journalctl to print) is not a message.
func message(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var b []byte
	var nums []int
	if json.Unmarshal(raw, &nums) == nil && len(nums) > 0 {
		for _, n := range nums {
			b = append(b, byte(n))
		}
		return string(b), true
	}
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return message(many[0])
	}
	return "", false
}

var errTooLong = errors.New("line too long")

// readLine reads one line without its newline; a longer one than max is consumed and
// reported as errTooLong.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (len(buf) == 0 || !errors.Is(err, io.EOF)) {
			return nil, err
		}
		if tooLong {
			return nil, errTooLong
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}

// tailBuffer keeps the last bytes written to it (journalctl's stderr, for the error).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
