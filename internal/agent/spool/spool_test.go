package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func open(t *testing.T, dir string, opts Options) (*Spool, []byte) {
	t.Helper()
	s, commit, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, commit
}

func docs(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, fmt.Appendf(nil, `{"n":%d}`, i))
	}
	return out
}

// readAll sends everything waiting, in batches of at most n records, acknowledging each.
func readAll(t *testing.T, s *Spool, n int) []string {
	t.Helper()
	var out []string
	for {
		b, err := s.Next(n, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return out
		}
		if len(b.Records) > n {
			t.Fatalf("batch of %d records, limit %d", len(b.Records), n)
		}
		for _, r := range b.Records {
			out = append(out, string(r))
		}
		if err := s.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
}

func want(from, to int) []string {
	var out []string
	for _, d := range docs(from, to) {
		out = append(out, string(d))
	}
	return out
}

func TestAppendSendAck(t *testing.T) {
	dir := t.TempDir()
	s, commit := open(t, dir, Options{})
	if commit != nil {
		t.Errorf("new spool returned commit %q", commit)
	}
	var checkpoints []string
	for i := range 3 {
		cp := fmt.Sprintf(`{"offset":%d}`, i)
		if err := s.Append(docs(i*10, i*10+10), []byte(cp), func() error { checkpoints = append(checkpoints, cp); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(nil, []byte(`{"offset":"only a checkpoint"}`), nil); err != nil {
		t.Fatal(err)
	}
	if len(checkpoints) != 3 {
		t.Errorf("after ran %d times", len(checkpoints))
	}
	select {
	case <-s.Notify():
	default:
		t.Error("no notification after Append")
	}
	st := s.Stats()
	if st.Bytes == 0 || st.Segments != 1 || st.Full {
		t.Errorf("stats %+v", st)
	}
	if got := readAll(t, s, 7); !slices.Equal(got, want(0, 30)) {
		t.Errorf("sent %q", got)
	}
	if st := s.Stats(); st.Bytes != 0 || st.OldestAge != 0 {
		t.Errorf("after sending everything: %+v", st)
	}
	if err := s.Append([][]byte{[]byte("two\nlines")}, []byte("{}"), nil); err == nil {
		t.Error("a record with a newline was accepted")
	}
}

// TestRestart checks that unsent records and the sent mark survive a restart, and that an
// append cut short by a crash is cut off.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, dir, Options{SegmentBytes: 200})
	for i := range 10 {
		if err := s.Append(docs(i*5, i*5+5), fmt.Appendf(nil, `{"cp":%d}`, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Next(7, 1<<20)
	if err != nil || b == nil || len(b.Records) != 7 {
		t.Fatalf("Next = %v, %v", b, err)
	}
	if err := s.Ack(b); err != nil {
		t.Fatal(err)
	}
	b, _ = s.Next(3, 1<<20) // read but not acknowledged: it is sent again after the restart
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 3 {
		t.Fatalf("%d segments, want several (rotation at 200 bytes)", len(segs))
	}
	// A crash in the middle of an append: records without their commit line.
	last := segs[len(segs)-1]
	f, _ := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("1700000000000 {\"n\":\"uncommitted\"}\n1700000000000 {\"n\":")
	f.Close()

	s2, commit := open(t, dir, Options{SegmentBytes: 200})
	if string(commit) != `{"cp":9}` {
		t.Errorf("last commit = %q", commit)
	}
	if got := readAll(t, s2, 100); !slices.Equal(got, want(7, 50)) {
		t.Errorf("after restart sent %q", got)
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) != 1 {
		t.Errorf("sent segments not removed: %q", segs)
	}
	// Appends go on after the restart, and the sent mark holds after another one.
	s2.Append(docs(50, 52), []byte(`{"cp":10}`), nil)
	s2.Close()
	s3, commit := open(t, dir, Options{SegmentBytes: 200})
	if string(commit) != `{"cp":10}` {
		t.Errorf("last commit = %q", commit)
	}
	if got := readAll(t, s3, 100); !slices.Equal(got, want(50, 52)) {
		t.Errorf("third start sent %q", got)
	}
}

func TestBoundedSize(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_700_000_000, 0)
	s, _ := open(t, dir, Options{MaxBytes: 1000, SegmentBytes: 300, Now: func() time.Time { return now }})
	n := 0
	for !s.Full() {
		if err := s.Append(docs(n, n+5), []byte(`{}`), nil); err != nil {
			t.Fatal(err)
		}
		n += 5
		if n > 1000 {
			t.Fatal("never full")
		}
	}
	now = now.Add(90 * time.Second)
	st := s.Stats()
	if !st.Full || st.FullPeriods != 1 || st.Bytes < 1000 || st.OldestAge != 90 {
		t.Errorf("full spool stats %+v", st)
	}
	b, _ := s.Next(1000, 1<<20)
	s.Ack(b)
	if s.Full() {
		t.Errorf("still full after sending a batch: %+v", s.Stats())
	}
	readAll(t, s, 1000)
	if st := s.Stats(); st.Full || st.Bytes != 0 {
		t.Errorf("drained spool stats %+v", st)
	}
}

func TestBatchByteLimit(t *testing.T) {
	s, _ := open(t, t.TempDir(), Options{})
	big := make([]byte, 3000)
	for i := range big {
		big[i] = 'x'
	}
	rec := fmt.Appendf(nil, `{"m":"%s"}`, big)
	s.Append([][]byte{rec, rec, rec}, []byte(`{}`), nil)
	b, _ := s.Next(100, 5000)
	if len(b.Records) != 1 {
		t.Errorf("%d records in a 5000-byte batch of 3000-byte records", len(b.Records))
	}
	s.Ack(b)
	b, _ = s.Next(100, 10)
	if len(b.Records) != 1 {
		t.Errorf("a record larger than the limit is still sent alone: got %d", len(b.Records))
	}
}
