// Package spool is the agent's on-disk queue between the collectors and the sender. It
// is what lets the agent promise that nothing is lost across restarts and server outages
// while its memory stays bounded.
//
// Layout of the spool directory:
//
//	00000000000000000001.seg   segments, oldest first; the last one is appended to
//	cursor                     {"segment":N,"offset":X}: everything before is acknowledged
//
// A segment is a sequence of lines. A record line is the time it was spooled (Unix
// milliseconds), a space, and one event's JSON document. A commit line is "commit " and
// an opaque JSON value given by the collector (its checkpoint). Every Append writes its
// records and then its commit line in one write and fsyncs before the collector's
// checkpoint file is written, so a commit line on disk means the records before it are
// complete. At Open, whatever follows the last commit line of the last segment (an append
// cut short by a crash) is cut off, and that commit line is handed back so the caller can
// make sure its checkpoint was written: the spool is the record of which input is safe.
//
// The sender reads records from the cursor, and after the server acknowledged them moves
// the cursor (fsynced) past them. A sealed segment the cursor has passed is deleted.
package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/durable"
)

const (
	segSuffix    = ".seg"
	cursorName   = "cursor"
	commitPrefix = "commit "
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("spool is closed")

// Options size a spool.
type Options struct {
	// MaxBytes is the amount of unsent data at which Full reports true; collectors stop
	// reading then. Default 256 MiB.
	MaxBytes int64
	// SegmentBytes is the size at which a segment is sealed and a new one started.
	// Default MaxBytes/16, between 1 MiB and 16 MiB.
	SegmentBytes int64
	Now          func() time.Time
}

// Spool is an open spool directory. Append may be called from many goroutines; Next and
// Ack from one (the sender).
type Spool struct {
	dir  string
	opts Options

	mu          sync.Mutex
	segs        []segment // ascending; the last one is the active segment
	active      *os.File
	broken      bool // a failed write could not be undone: seal the segment before the next append
	cursor      Cursor
	full        bool
	fullPeriods int64
	skipped     int64
	notify      chan struct{}

	rmu  sync.Mutex // the sender's open segment
	rf   *os.File
	rseq uint64
}

type segment struct {
	seq  uint64
	size int64
}

// Cursor is the sender's position: segment number and byte offset within it.
type Cursor struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
}

// Open opens (creating if needed) the spool in dir. It returns the last commit value
// found, or nil: the caller should make sure the checkpoint it carries is written, since
// a crash may have come between the append and the checkpoint file.
func Open(dir string, opts Options) (*Spool, []byte, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 256 << 20
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(max(opts.MaxBytes/16, 1<<20), 16<<20)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, opts: opts, notify: make(chan struct{}, 1)}
	seqs, err := listSegments(dir)
	if err != nil {
		return nil, nil, err
	}
	cur, err := readCursor(dir)
	if err != nil {
		return nil, nil, err
	}
	// Segments before the cursor were sent; a crash between the cursor write and their
	// removal leaves them behind.
	for len(seqs) > 0 && seqs[0] < cur.Segment {
		if err := os.Remove(segPath(dir, seqs[0])); err != nil {
			return nil, nil, fmt.Errorf("spool: %w", err)
		}
		seqs = seqs[1:]
	}
	switch {
	case len(seqs) == 0:
		cur = Cursor{Segment: max(cur.Segment, 1)}
		seqs = []uint64{cur.Segment}
		f, err := createSegment(dir, cur.Segment)
		if err != nil {
			return nil, nil, err
		}
		f.Close()
	case cur.Segment != seqs[0]:
		// The cursor's segment is gone (removed by hand): start at the oldest there is.
		cur = Cursor{Segment: seqs[0]}
	}
	for _, seq := range seqs {
		fi, err := os.Stat(segPath(dir, seq))
		if err != nil {
			return nil, nil, fmt.Errorf("spool: %w", err)
		}
		s.segs = append(s.segs, segment{seq: seq, size: fi.Size()})
	}
	last := &s.segs[len(s.segs)-1]
	size, commit, err := recoverTail(segPath(dir, last.seq))
	if err != nil {
		return nil, nil, err
	}
	last.size = size
	if cur.Segment == last.seq && cur.Offset > size {
		cur.Offset = size
	}
	s.cursor = cur
	if s.active, err = os.OpenFile(segPath(dir, last.seq), os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	s.updateFullLocked()
	return s, commit, nil
}

// recoverTail cuts a segment after its last complete commit line and returns its new size
// and that line's value.
func recoverTail(path string) (int64, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("spool: %w", err)
	}
	keep, commit := 0, []byte(nil)
	for i := len(b); i >= 0; {
		j := bytes.LastIndex(b[:i], []byte("\n"+commitPrefix))
		start := j + 1
		if j < 0 {
			if !bytes.HasPrefix(b, []byte(commitPrefix)) {
				break
			}
			start = 0
		}
		if nl := bytes.IndexByte(b[start:], '\n'); nl >= 0 {
			keep = start + nl + 1
			commit = slices.Clone(b[start+len(commitPrefix) : start+nl])
			break
		}
		if j < 0 {
			break
		}
		i = j // a commit line cut short: the one before it is the last complete one
	}
	if keep < len(b) {
		if err := os.Truncate(path, int64(keep)); err != nil {
			return 0, nil, fmt.Errorf("spool: cut the unfinished append: %w", err)
		}
	}
	return int64(keep), commit, nil
}

func segPath(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", seq, segSuffix))
}

func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if seq, err := strconv.ParseUint(name, 10, 64); err == nil && seq > 0 {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

func createSegment(dir string, seq uint64) (*os.File, error) {
	f, err := os.OpenFile(segPath(dir, seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := durable.SyncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func readCursor(dir string) (Cursor, error) {
	var c Cursor
	b, err := os.ReadFile(filepath.Join(dir, cursorName))
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("spool: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Offset < 0 {
		// Sending everything again is safe (the server keeps each event id once); refusing
		// to start would lose the data.
		return Cursor{}, nil
	}
	return c, nil
}

func (s *Spool) writeCursor(c Cursor) error {
	b, _ := json.Marshal(c)
	return durable.WriteFile(filepath.Join(s.dir, cursorName), b, 0o600)
}

// Append spools records (event documents, each one line of JSON) followed by a commit
// line with value commit, fsyncs, and then calls after (the collector writes its
// checkpoint there). after runs under the spool's lock, so the last commit line in the
// spool is always the newest checkpoint of any collector.
func (s *Spool) Append(records [][]byte, commit []byte, after func() error) error {
	if bytes.IndexByte(commit, '\n') >= 0 {
		return errors.New("spool: commit value contains a newline")
	}
	n := len(commitPrefix) + len(commit) + 1
	for _, r := range records {
		if bytes.IndexByte(r, '\n') >= 0 {
			return errors.New("spool: record contains a newline")
		}
		n += len(r) + 15
	}
	buf := make([]byte, 0, n)
	ms := strconv.FormatInt(s.opts.Now().UnixMilli(), 10)
	for _, r := range records {
		buf = append(buf, ms...)
		buf = append(buf, ' ')
		buf = append(buf, r...)
		buf = append(buf, '\n')
	}
	buf = append(buf, commitPrefix...)
	buf = append(buf, commit...)
	buf = append(buf, '\n')

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		return ErrClosed
	}
	last := &s.segs[len(s.segs)-1]
	if s.broken || last.size >= s.opts.SegmentBytes {
		if err := s.rotateLocked(); err != nil {
			return err
		}
		last = &s.segs[len(s.segs)-1]
	}
	_, err := s.active.Write(buf)
	if err == nil {
		err = s.active.Sync()
	}
	if err != nil {
		// Undo a partial write, so the next append does not continue a broken line.
		if terr := s.active.Truncate(last.size); terr != nil {
			s.broken = true
			if fi, serr := s.active.Stat(); serr == nil {
				last.size = fi.Size()
			}
		}
		return fmt.Errorf("spool: write: %w", err)
	}
	last.size += int64(len(buf))
	select {
	case s.notify <- struct{}{}:
	default:
	}
	s.updateFullLocked()
	if after != nil {
		if err := after(); err != nil {
			return fmt.Errorf("spool: after append: %w", err)
		}
	}
	return nil
}

func (s *Spool) rotateLocked() error {
	next := s.segs[len(s.segs)-1].seq + 1
	f, err := createSegment(s.dir, next)
	if err != nil {
		return err
	}
	s.active.Close()
	s.active, s.broken = f, false
	s.segs = append(s.segs, segment{seq: next})
	return nil
}

// Notify is signalled after each Append, to wake the sender.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

// Full reports whether the unsent data reached MaxBytes: collectors stop reading until it
// drains. Data on disk is at most MaxBytes plus one segment of sent data plus one batch
// per collector.
func (s *Spool) Full() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateFullLocked()
}

func (s *Spool) updateFullLocked() bool {
	full := s.unsentLocked() >= s.opts.MaxBytes
	if full && !s.full {
		s.fullPeriods++
	}
	s.full = full
	return full
}

func (s *Spool) unsentLocked() int64 {
	var n int64
	for _, sg := range s.segs {
		if sg.seq >= s.cursor.Segment {
			n += sg.size
		}
	}
	return n - s.cursor.Offset
}

// Stats is the spool's state as the heartbeat reports it.
type Stats struct {
	Bytes       int64   `json:"bytes"`    // unsent bytes
	Segments    int     `json:"segments"` // segment files
	OldestAge   float64 `json:"oldest_age_seconds"`
	Full        bool    `json:"full"`
	FullPeriods int64   `json:"full_periods"` // times it filled up since the agent started
	Skipped     int64   `json:"skipped_lines,omitempty"`
}

// Stats returns the current state; OldestAge is how long the oldest unsent record has
// waited.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	st := Stats{Bytes: s.unsentLocked(), Segments: len(s.segs), Full: s.full, FullPeriods: s.fullPeriods, Skipped: s.skipped}
	cur, segs := s.cursor, slices.Clone(s.segs)
	s.mu.Unlock()
	if st.Bytes > 0 {
		if t, ok := s.oldest(cur, segs); ok {
			st.OldestAge = max(0, s.opts.Now().Sub(t).Seconds())
		}
	}
	return st
}

// Close closes the spool's files. Appended data is already durable.
func (s *Spool) Close() error {
	s.mu.Lock()
	var err error
	if s.active != nil {
		err = s.active.Close()
		s.active = nil
	}
	s.mu.Unlock()
	s.rmu.Lock()
	if s.rf != nil {
		s.rf.Close()
		s.rf = nil
	}
	s.rmu.Unlock()
	return err
}
