package tail

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// clock is a manual clock, so the rotation grace passes when the test says so.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFollower(path string, cp *Checkpoint, c *clock) *Follower {
	return New(path, cp, Options{Now: c.now, RotateGrace: time.Second, MaxLineBytes: 100})
}

// got is what a reader saw: lines with their source, and Final batches.
type got struct {
	lines   []string
	sources []string
	finals  int
	end     int64
}

// drain reads until the follower has nothing more right now.
func drain(t *testing.T, f *Follower, g *got) {
	t.Helper()
	for range 100 {
		b, err := f.Read()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range b.Lines {
			s := string(l.Text)
			if l.TooLong {
				s = "TOOLONG:" + s[:5]
			}
			g.lines = append(g.lines, s)
			if !slices.Contains(g.sources, b.Source) {
				g.sources = append(g.sources, b.Source)
			}
		}
		g.end = b.End
		if b.Final {
			g.finals++
			continue
		}
		if len(b.Lines) == 0 {
			return
		}
	}
	t.Fatal("the follower never ran out of lines")
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func want(t *testing.T, g *got, lines ...string) {
	t.Helper()
	if !slices.Equal(g.lines, lines) {
		t.Fatalf("lines = %q, want %q", g.lines, lines)
	}
	g.lines = nil
}

func TestAppendAndPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.log")
	c := &clock{t: time.Unix(1000, 0)}
	f := newFollower(path, nil, c)
	defer f.Close()
	var g got
	drain(t, f, &g) // the file does not exist yet
	if f.Open() {
		t.Fatal("open before the file exists")
	}
	appendFile(t, path, "one\ntwo\nthr")
	drain(t, f, &g)
	want(t, &g, "one", "two")
	appendFile(t, path, "ee\r\nfour\n")
	drain(t, f, &g)
	want(t, &g, "three\r", "four")
	if g.end != int64(len("one\ntwo\nthree\r\nfour\n")) {
		t.Errorf("end = %d", g.end)
	}
	if len(g.sources) != 1 || !strings.HasPrefix(g.sources[0], "file:"+path+":") {
		t.Errorf("sources = %q", g.sources)
	}
}

func TestRotationByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	c := &clock{t: time.Unix(1000, 0)}
	appendFile(t, path, "a1\na2\n")
	f := newFollower(path, nil, c)
	defer f.Close()
	var g got
	drain(t, f, &g)
	want(t, &g, "a1", "a2")

	// The program keeps writing to its open file after the rename, until it reopens.
	writer, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	writer.WriteString("a3\n")
	drain(t, f, &g)
	want(t, &g, "a3")
	appendFile(t, path, "b1\n") // the new file
	drain(t, f, &g)             // notices the new file, but keeps reading the old one
	want(t, &g)
	c.advance(500 * time.Millisecond)
	writer.WriteString("a4\na5-no-newline")
	drain(t, f, &g)
	want(t, &g, "a4")
	c.advance(500 * time.Millisecond) // within the grace: it was written to 500 ms ago
	drain(t, f, &g)
	want(t, &g)
	c.advance(600 * time.Millisecond)
	drain(t, f, &g)
	want(t, &g, "a5-no-newline", "b1")
	if g.finals != 1 || f.Rotations != 1 || len(g.sources) != 2 || g.sources[0] == g.sources[1] {
		t.Errorf("finals %d, rotations %d, sources %q", g.finals, f.Rotations, g.sources)
	}
}

func TestCopyTruncateAndTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	c := &clock{t: time.Unix(1000, 0)}
	appendFile(t, path, "first line\nsecond line\n")
	f := newFollower(path, nil, c)
	defer f.Close()
	var g got
	drain(t, f, &g)
	want(t, &g, "first line", "second line")

	// copytruncate: the content is copied away and the file emptied in place.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "x\n")
	drain(t, f, &g)
	want(t, &g, "x")
	if f.Truncations != 1 || g.finals != 1 || len(g.sources) != 2 || !strings.HasSuffix(g.sources[1], ":1") {
		t.Errorf("truncations %d finals %d sources %q", f.Truncations, g.finals, g.sources)
	}

	// Truncated and rewritten past the old offset before the next look: the bytes before
	// the offset changed, which gives it away.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "a much longer line than before\n")
	drain(t, f, &g)
	want(t, &g, "a much longer line than before")
	if f.Truncations != 2 {
		t.Errorf("truncations = %d, want 2", f.Truncations)
	}
}

func TestResumeFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	c := &clock{t: time.Unix(1000, 0)}
	appendFile(t, path, "l1\nl2\nl3\n")
	f := newFollower(path, nil, c)
	var g got
	drain(t, f, &g)
	want(t, &g, "l1", "l2", "l3")
	// Only l1 and l2 were made durable before the stop.
	cp, ok := f.Checkpoint(6)
	f.Close()
	if !ok {
		t.Fatal("no checkpoint")
	}
	source := g.sources[0]

	appendFile(t, path, "l4\n")
	f = newFollower(path, &cp, c)
	g = got{}
	drain(t, f, &g)
	want(t, &g, "l3", "l4")
	if g.sources[0] != source {
		t.Errorf("source after restart %q, want %q", g.sources[0], source)
	}
	cp, _ = f.Checkpoint(g.end)
	f.Close()

	// Rotated while stopped: the rest of the old file (now auth.log.1) comes first.
	appendFile(t, path, "l5\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "n1\n")
	f = newFollower(path, &cp, c)
	defer f.Close()
	g = got{}
	drain(t, f, &g)
	want(t, &g, "l5")
	c.advance(2 * time.Second)
	drain(t, f, &g)
	want(t, &g, "n1")
	if g.sources[0] != source || f.Rotations != 1 {
		t.Errorf("sources %q (want first %q), rotations %d", g.sources, source, f.Rotations)
	}

	// Truncated while stopped: read from the start under a new generation.
	cp, _ = f.Checkpoint(g.end)
	f.Close()
	os.WriteFile(path, []byte("t1\n"), 0o644)
	f = newFollower(path, &cp, c)
	defer f.Close()
	g = got{}
	drain(t, f, &g)
	want(t, &g, "t1")
	if !strings.HasSuffix(g.sources[0], ":1") {
		t.Errorf("source after truncation while stopped: %q", g.sources[0])
	}
}

func TestDeletedFileAndStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	c := &clock{t: time.Unix(1000, 0)}
	appendFile(t, path, "old1\nold2\n")
	f := New(path, nil, Options{Now: c.now, StartAtEnd: true})
	defer f.Close()
	var g got
	drain(t, f, &g)
	want(t, &g)
	appendFile(t, path, "new1\n")
	drain(t, f, &g)
	want(t, &g, "new1")

	os.Remove(path)
	drain(t, f, &g)
	c.advance(2 * time.Second)
	drain(t, f, &g)
	if f.Open() || g.finals != 1 {
		t.Errorf("after deletion: open %v, finals %d", f.Open(), g.finals)
	}
	// A file created later is read from its start, StartAtEnd or not.
	appendFile(t, path, "again\n")
	drain(t, f, &g)
	want(t, &g, "again")
}

func TestOverlongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	c := &clock{t: time.Unix(1000, 0)}
	f := New(path, nil, Options{Now: c.now, MaxLineBytes: 100})
	defer f.Close()
	long := strings.Repeat("x", 5000)
	appendFile(t, path, "ok\n"+long[:300])
	var g got
	drain(t, f, &g)
	want(t, &g, "ok", "TOOLONG:xxxxx")
	appendFile(t, path, long+"\nafter\n")
	drain(t, f, &g)
	want(t, &g, "after")
	// A long line in a larger buffer than the default read.
	appendFile(t, path, strings.Repeat("y", 300<<10)+"\nlast\n")
	drain(t, f, &g)
	want(t, &g, "TOOLONG:yyyyy", "last")
}
