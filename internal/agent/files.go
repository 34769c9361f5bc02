package agent

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/tail"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

const (
	// readsPerCommit and maxCommitBytes bound what one commit carries: reads of up to
	// 256 KiB of input, and the size of their events. They bound the agent's memory, and
	// how far past its limit a full spool can grow.
	readsPerCommit = 4
	maxCommitBytes = 1 << 20
	// auditFlushIdle: an audit event whose records stopped arriving this long ago is
	// complete; auditd writes the records of one event together.
	auditFlushIdle = time.Second
	// auditFlushBytes bounds how far a busy audit log's checkpoint may trail (see
	// tailFile), and so how much is read again after a crash.
	auditFlushBytes = 4 << 20
	// discoverEvery is how often globs are expanded again.
	discoverEvery = 2 * time.Second
)

// runFiles follows the configured files: plain paths at once (waiting for files that do
// not exist yet), globs as they match. Each file has its own goroutine.
func (a *Agent) runFiles(ctx context.Context, wg *sync.WaitGroup) {
	var mu sync.Mutex
	active := map[string]bool{}
	sources := a.cfg.fileSources()
	hasGlob := false
	discover := func() {
		for _, src := range sources {
			paths, glob := []string{src.Path}, isGlob(src.Path)
			if glob {
				hasGlob = true
				paths, _ = filepath.Glob(src.Path)
			}
			for _, p := range paths {
				if glob && compressed(p) {
					continue
				}
				mu.Lock()
				running := active[p]
				active[p] = true
				mu.Unlock()
				if running {
					continue
				}
				wg.Go(func() {
					a.followFile(ctx, p, src.Type, glob)
					mu.Lock()
					delete(active, p)
					mu.Unlock()
				})
			}
		}
	}
	discover()
	if !hasGlob {
		return
	}
	t := time.NewTicker(discoverEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			discover()
		}
	}
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

func compressed(p string) bool {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// followFile follows one file until ctx ends, starting over from its checkpoint after an
// error. A file matched by a glob is given up once it is gone (a glob finds it again if
// it comes back).
func (a *Agent) followFile(ctx context.Context, path, typ string, glob bool) {
	st := a.status.source("file:"+path, "file")
	bo := backoff{base: time.Second, max: 30 * time.Second}
	for ctx.Err() == nil {
		err := a.tailFile(ctx, path, typ, st, glob)
		if err == nil {
			return
		}
		a.status.fail(st, err)
		a.limiter.log(a.log, slog.LevelWarn, "file:"+path, time.Minute, "reading a log file failed; retrying from its checkpoint", "path", path, "err", err)
		sleep(ctx, bo.next())
	}
}

// fileReader is the state of one followed file between commits.
type fileReader struct {
	a      *Agent
	path   string
	typ    string
	parser *parse.Parser
	source string
	// auditFrom is the offset of the first line since the parser was last empty that may
	// have left part of an audit event in it (auditd events span several lines), or -1.
	// The checkpoint must not pass it until those events are out, or a crash would lose
	// them.
	auditFrom int64
	recs      [][]byte
	recBytes  int
	lines     int64
	unparsed  int64
	rejected  int64
}

// tailFile reads one file from its checkpoint: it parses what each Read returns, appends
// the events to the spool with the new checkpoint, and repeats.
func (a *Agent) tailFile(ctx context.Context, path, typ string, st *sourceStats, glob bool) error {
	name := fileCheckpointName(path)
	var resume *tail.Checkpoint
	var saved tail.Checkpoint
	if ok, err := a.ckpts.load(name, &saved); err != nil {
		return err
	} else if ok && saved.Path == path {
		resume = &saved
	}
	fl := tail.New(path, resume, tail.Options{StartAtEnd: a.firstRun && a.cfg.StartAt == "end",
		MaxLineBytes: parse.MaxLineBytes, RotateGrace: a.cfg.rotateGrace, Log: a.log})
	defer fl.Close()
	var committed tail.Checkpoint
	if resume != nil {
		committed = *resume
	}
	r := &fileReader{a: a, path: path, typ: typ, auditFrom: -1}
	lastData := time.Now()
	var rotations, truncations int64 // of this Follower, already counted in st
	for {
		if !a.waitSpool(ctx, st) {
			return nil
		}
		r.recs, r.recBytes, r.lines, r.unparsed, r.rejected = nil, 0, 0, 0, 0
		var end int64
		read, final := false, false
		for range readsPerCommit {
			if r.recBytes >= maxCommitBytes {
				break
			}
			b, err := fl.Read()
			if err != nil {
				return err
			}
			if b.Source == "" {
				break // no file at the path
			}
			read = true
			r.take(b)
			end = b.End
			if len(b.Lines) > 0 {
				lastData = time.Now()
			}
			if b.Final {
				final = true
				break
			}
			if len(b.Lines) == 0 {
				break
			}
		}
		if !read {
			if glob {
				return nil
			}
			a.status.update(st, func(c *sourceStats) { c.State = "absent" })
			if !sleep(ctx, a.cfg.PollInterval) {
				return nil
			}
			continue
		}
		// Audit events still open are complete when the file is finished, when their
		// records stopped coming, or (a busy log) when the checkpoint trails too far. They
		// are emitted at the next line's position, which is where a reader that did not
		// stop here would have emitted them: the ids come out the same after a crash.
		if final || r.auditFrom >= 0 && (time.Since(lastData) >= a.cfg.auditIdle || end-r.auditFrom > auditFlushBytes) {
			r.parser.SetPosition(end)
			u := r.parser.Counts["unparsed"]
			r.parser.Flush(r.emit)
			r.unparsed += int64(r.parser.Counts["unparsed"] - u)
			r.auditFrom = -1
		}
		off := end
		if r.auditFrom >= 0 {
			off = r.auditFrom
		}
		cp, ok := fl.Checkpoint(off)
		if ok && (len(r.recs) > 0 || cp != committed) {
			if err := a.commit(r.recs, name, cp); err != nil {
				return err
			}
			committed = cp
		}
		a.status.update(st, func(c *sourceStats) {
			c.State = "reading"
			c.Lines += r.lines
			c.Events += int64(len(r.recs))
			c.Unparsed += r.unparsed
			c.Rejected += r.rejected
			c.Rotations += fl.Rotations - rotations
			c.Truncations += fl.Truncations - truncations
		})
		rotations, truncations = fl.Rotations, fl.Truncations
		if r.lines == 0 && !final && !sleep(ctx, a.cfg.PollInterval) {
			return nil
		}
	}
}

// take parses a batch of lines, each at its own position so that event ids do not
// depend on where reading started.
func (r *fileReader) take(b tail.Batch) {
	if b.Source != r.source || r.parser == nil {
		r.parser, _ = parse.New(parse.Options{Type: r.typ, Source: b.Source, Host: r.a.hostname, Location: time.Local})
		r.source, r.auditFrom = b.Source, -1
	}
	u := r.parser.Counts["unparsed"]
	for _, ln := range b.Lines {
		r.lines++
		if ln.TooLong {
			r.rejected++
			r.a.limiter.log(r.a.log, slog.LevelWarn, "long:"+r.path, time.Minute, "line longer than the limit skipped",
				"path", r.path, "offset", ln.Offset, "limit", parse.MaxLineBytes)
			continue
		}
		if r.auditFrom < 0 && mayHoldAudit(r.typ, ln.Text) {
			r.auditFrom = ln.Offset
		}
		r.parser.SetPosition(ln.Offset)
		r.parser.Line(ln.Text, r.emit)
	}
	r.unparsed += int64(r.parser.Counts["unparsed"] - u)
}

func (r *fileReader) emit(ev *event.Event) {
	ev.Set("log.file.path", r.path)
	doc, err := ev.MarshalJSON()
	if err != nil {
		r.rejected++
		return
	}
	r.recs = append(r.recs, doc)
	r.recBytes += len(doc)
}

// mayHoldAudit reports whether the parser may keep a line in its audit event assembler
// instead of emitting it at once: a superset of the parser's own test, so the checkpoint
// errs on the side of reading again.
func mayHoldAudit(typ string, line []byte) bool {
	switch typ {
	case "auditd":
		return true
	case "":
		return bytes.Contains(line, []byte("audit(")) || bytes.HasPrefix(line, []byte("----")) || bytes.HasPrefix(line, []byte("time->"))
	}
	return false
}
