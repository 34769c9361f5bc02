package spool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Batch is a run of records read from the cursor, to be sent and then acknowledged.
type Batch struct {
	Records [][]byte  // event documents
	Bytes   int       // their total size
	First   time.Time // when the first record was spooled
	end     Cursor
}

// Next reads up to maxRecords records and about maxBytes of documents (at least one
// record however large) from the cursor. It returns nil when nothing is waiting. Commit
// lines are passed over. Only the sender calls Next and Ack.
func (s *Spool) Next(maxRecords, maxBytes int) (*Batch, error) {
	for {
		s.mu.Lock()
		cur := s.cursor
		i := 0
		for i < len(s.segs) && s.segs[i].seq != cur.Segment {
			i++
		}
		if i == len(s.segs) {
			s.mu.Unlock()
			return nil, fmt.Errorf("spool: cursor segment %d is missing", cur.Segment)
		}
		seg, sealed := s.segs[i], i < len(s.segs)-1
		var next uint64
		if sealed {
			next = s.segs[i+1].seq
		}
		s.mu.Unlock()
		if cur.Offset >= seg.size {
			if !sealed {
				return nil, nil
			}
			if err := s.finishSegment(seg.seq, next); err != nil {
				return nil, err
			}
			continue
		}
		b, err := s.read(seg, cur, maxRecords, maxBytes)
		if err != nil {
			return nil, err
		}
		if len(b.Records) == 0 {
			// Only commit lines: step over them. The move need not be durable; stepping over
			// them again after a restart costs nothing.
			s.mu.Lock()
			s.cursor = b.end
			s.mu.Unlock()
			continue
		}
		return b, nil
	}
}

// finishSegment moves the cursor from a fully sent sealed segment to the next one, then
// deletes it. The cursor is written first: a crash in between leaves a segment that Open
// recognises as sent.
func (s *Spool) finishSegment(seq, next uint64) error {
	c := Cursor{Segment: next}
	if err := s.writeCursor(c); err != nil {
		return fmt.Errorf("spool: write cursor: %w", err)
	}
	s.rmu.Lock()
	if s.rf != nil && s.rseq == seq {
		s.rf.Close()
		s.rf = nil
	}
	s.rmu.Unlock()
	if err := os.Remove(segPath(s.dir, seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	s.mu.Lock()
	s.cursor = c
	for len(s.segs) > 0 && s.segs[0].seq <= seq {
		s.segs = s.segs[1:]
	}
	s.updateFullLocked()
	s.mu.Unlock()
	return nil
}

// read parses lines of seg from cur, up to seg's committed size.
func (s *Spool) read(seg segment, cur Cursor, maxRecords, maxBytes int) (*Batch, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if s.rf == nil || s.rseq != seg.seq {
		if s.rf != nil {
			s.rf.Close()
		}
		f, err := os.Open(segPath(s.dir, seg.seq))
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		s.rf, s.rseq = f, seg.seq
	}
	remaining := seg.size - cur.Offset
	want := int64(maxBytes) + 64<<10
	b := &Batch{end: cur}
	for {
		n := min(remaining, want)
		buf := make([]byte, n)
		if _, err := s.rf.ReadAt(buf, cur.Offset); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("spool: read: %w", err)
		}
		rest := buf
		for len(b.Records) < maxRecords {
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 {
				break
			}
			line := rest[:nl]
			if doc, t, ok := parseRecord(line); ok {
				if len(b.Records) > 0 && b.Bytes+len(doc) > maxBytes {
					break
				}
				if len(b.Records) == 0 {
					b.First = t
				}
				b.Records = append(b.Records, doc)
				b.Bytes += len(doc)
			} else if !bytes.HasPrefix(line, []byte(commitPrefix)) {
				s.mu.Lock()
				s.skipped++ // damaged by a failed write that could not be undone
				s.mu.Unlock()
			}
			rest = rest[nl+1:]
			b.end.Offset += int64(nl + 1)
		}
		if b.end.Offset > cur.Offset || n == remaining {
			if b.end.Offset == cur.Offset && n == remaining {
				// A sealed segment ending in a line without its newline: skip the fragment.
				b.end.Offset = cur.Offset + n
				s.mu.Lock()
				s.skipped++
				s.mu.Unlock()
			}
			return b, nil
		}
		want *= 2 // one line longer than the buffer
	}
}

// parseRecord splits a record line into its document and spool time.
func parseRecord(line []byte) (doc []byte, t time.Time, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || line[0] < '0' || line[0] > '9' {
		return nil, t, false
	}
	ms, err := strconv.ParseInt(string(line[:sp]), 10, 64)
	if err != nil {
		return nil, t, false
	}
	return line[sp+1:], time.UnixMilli(ms), true
}

// Ack marks a batch as delivered: the cursor moves past it, durably.
func (s *Spool) Ack(b *Batch) error {
	if err := s.writeCursor(b.end); err != nil {
		return fmt.Errorf("spool: write cursor: %w", err)
	}
	s.mu.Lock()
	s.cursor = b.end
	s.updateFullLocked()
	s.mu.Unlock()
	return nil
}

// oldest returns the spool time of the first unsent record, reading at most a few MiB.
func (s *Spool) oldest(cur Cursor, segs []segment) (time.Time, bool) {
	budget := int64(4 << 20)
	for _, sg := range segs {
		if sg.seq < cur.Segment {
			continue
		}
		off := int64(0)
		if sg.seq == cur.Segment {
			off = cur.Offset
		}
		f, err := os.Open(segPath(s.dir, sg.seq))
		if err != nil {
			return time.Time{}, false // sent and removed meanwhile
		}
		br := bufio.NewReaderSize(io.NewSectionReader(f, off, sg.size-off), 4096)
		for budget > 0 {
			head, err := br.Peek(32)
			if len(head) == 0 {
				break
			}
			if _, t, ok := parseRecord(head); ok {
				f.Close()
				return t, true
			}
			n, skipErr := skipLine(br)
			budget -= n
			if err != nil || skipErr != nil {
				break
			}
		}
		f.Close()
	}
	return time.Time{}, false
}

func skipLine(br *bufio.Reader) (int64, error) {
	var n int64
	for {
		chunk, err := br.ReadSlice('\n')
		n += int64(len(chunk))
		if !errors.Is(err, bufio.ErrBufferFull) {
			return n, err
		}
	}
}
