// Package tail follows one log file by its path. It reads whole lines at known byte
// offsets, notices rotation by rename (and finishes the old file through its open
// descriptor before moving on), copytruncate and plain truncation, deletion, and files
// that appear later, and resumes from a Checkpoint after a restart, also when the file
// was rotated while the agent was stopped. It polls: the caller calls Read again after a
// pause when there was nothing to read. A Follower is used by one goroutine.
package tail

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

type fileID struct{ dev, ino uint64 }

// Checkpoint says where reading resumes: the file (device and inode, so a rotated file is
// told from its successor), the offset after the last line that is safe, the number of
// truncations of this inode seen (part of the source name, so lines written after a
// truncation do not share ids with those before), and a hash of the bytes before the
// offset (a file truncated and rewritten, or a deleted file whose inode was reused, does
// not match it).
type Checkpoint struct {
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Ino    uint64 `json:"ino"`
	Gen    int    `json:"gen,omitempty"`
	Offset int64  `json:"offset"`
	Sig    string `json:"sig,omitempty"`
}

// Line is one line without its newline, and where it starts in its file.
type Line struct {
	Offset int64
	Text   []byte // valid until the next Read
	// TooLong marks a line longer than MaxLineBytes: Text is its first 4 KiB, and the
	// rest of it is skipped.
	TooLong bool
}

// Batch is what one Read found.
type Batch struct {
	// Source names the file for event ids: "file:PATH:INODE", with ":N" after the Nth
	// truncation of that inode. It stays the same across restarts.
	Source string
	Lines  []Line
	End    int64 // the offset after the last line: where the next Read continues
	// Final says the file is finished (rotated away, deleted, or truncated): the caller
	// flushes what it holds for Source and commits End before calling Read again, which
	// moves on to the next file (or the next generation of this one).
	Final bool
}

// Options tune a Follower.
type Options struct {
	// StartAtEnd starts a file that has no checkpoint at its end instead of its start;
	// only for the first file opened (files that appear later are read whole).
	StartAtEnd bool
	// MaxLineBytes bounds a line; longer ones are passed once as TooLong. Default 1 MiB.
	MaxLineBytes int
	// RotateGrace is how long a rotated or deleted file is still read after it gave its
	// last line: its program may write to it until it reopens its log. Default 1 s.
	RotateGrace time.Duration
	Now         func() time.Time
	Log         *slog.Logger
}

// Follower follows the file at one path.
type Follower struct {
	path   string
	opts   Options
	resume *Checkpoint
	opened bool // an open was attempted (StartAtEnd only applies to the first)

	f        *os.File
	id       fileID
	gen      int
	off      int64  // where the next line starts
	size     int64  // the size at the last look
	sig      string // signature of the bytes before off
	draining bool   // the path names another file now, or none: finish this one
	finished bool   // the Final batch was returned
	nextGen  bool   // ... because of a truncation: go on with the same file from 0
	lastData time.Time
	skipping bool // inside a line longer than MaxLineBytes
	buf      []byte

	// Rotations and Truncations count what the Follower noticed.
	Rotations, Truncations int64
}

const readSize = 256 << 10

// New returns a Follower of path, resuming from cp when it is not nil.
func New(path string, cp *Checkpoint, opts Options) *Follower {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 1 << 20
	}
	if opts.RotateGrace <= 0 {
		opts.RotateGrace = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Follower{path: path, opts: opts, resume: cp}
}

// Open reports whether a file is open (the path or its rotated predecessor exists).
func (t *Follower) Open() bool { return t.f != nil }

// Close closes the open file.
func (t *Follower) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// Checkpoint returns the checkpoint for offset off (a line boundary) in the current file,
// which after a Final batch is still the finished file until the next Read.
func (t *Follower) Checkpoint(off int64) (Checkpoint, bool) {
	if t.f == nil {
		return Checkpoint{}, false
	}
	return Checkpoint{Path: t.path, Dev: t.id.dev, Ino: t.id.ino, Gen: t.gen, Offset: off, Sig: sigAt(t.f, off)}, true
}

func (t *Follower) source() string {
	s := "file:" + t.path + ":" + strconv.FormatUint(t.id.ino, 10)
	if t.gen > 0 {
		s += ":" + strconv.Itoa(t.gen)
	}
	return s
}

// Read returns the complete lines written since the last Read, or an empty batch.
func (t *Follower) Read() (Batch, error) {
	now := t.opts.Now()
	if t.finished {
		t.finished = false
		if t.nextGen {
			t.nextGen = false
			t.gen, t.off, t.size, t.sig, t.skipping = t.gen+1, 0, 0, "", false
		} else {
			t.Close()
		}
	}
	if t.f == nil {
		if err := t.open(now); err != nil || t.f == nil {
			return Batch{}, err
		}
	}
	fi, err := t.f.Stat()
	if err != nil {
		return Batch{}, err
	}
	size := fi.Size()
	if size < t.off || t.off > 0 && size != t.size && sigAt(t.f, t.off) != t.sig {
		// Truncated (copytruncate, "> file") or truncated and already rewritten: what was
		// read is gone; the same file goes on from its start as a new generation.
		t.Truncations++
		t.opts.Log.Info("log file truncated; reading it again from the start", "path", t.path, "offset", t.off, "size", size)
		t.finished, t.nextGen = true, true
		return Batch{Source: t.source(), End: t.off, Final: true}, nil
	}
	t.size = size
	if size > t.off {
		start := t.off
		b, err := t.readLines(size)
		if err != nil {
			return Batch{}, err
		}
		if b.End > start {
			t.lastData = now
			t.sig = sigAt(t.f, t.off)
			return b, nil
		}
	}
	if !t.draining {
		if err := t.checkPath(now); err != nil {
			return Batch{}, err
		}
	}
	if t.draining && now.Sub(t.lastData) >= t.opts.RotateGrace {
		return t.final(size)
	}
	return Batch{Source: t.source(), End: t.off}, nil
}

// readLines reads the complete lines between off and size.
func (t *Follower) readLines(size int64) (Batch, error) {
	b := Batch{Source: t.source(), End: t.off}
	if t.buf == nil {
		t.buf = make([]byte, readSize)
	}
	data, err := readAt(t.f, t.buf, t.off, size)
	if err != nil {
		return b, err
	}
	if len(data) == len(t.buf) && !t.skipping && bytes.IndexByte(data, '\n') < 0 {
		// A line longer than the buffer: read it with room for the longest allowed line.
		if data, err = readAt(t.f, make([]byte, t.opts.MaxLineBytes+readSize), t.off, size); err != nil {
			return b, err
		}
	}
	pos := t.off
	if t.skipping {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			t.off += int64(len(data))
			b.End = t.off
			return b, nil
		}
		pos += int64(nl + 1)
		data = data[nl+1:]
		t.skipping = false
	}
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			break
		}
		b.Lines = append(b.Lines, t.line(pos, data[:nl]))
		pos += int64(nl + 1)
		data = data[nl+1:]
	}
	if len(data) > t.opts.MaxLineBytes {
		// The start of an overlong line whose end is not here yet.
		b.Lines = append(b.Lines, Line{Offset: pos, Text: data[:4096], TooLong: true})
		pos += int64(len(data))
		t.skipping = true
	}
	t.off, b.End = pos, pos
	return b, nil
}

func (t *Follower) line(off int64, text []byte) Line {
	if len(bytes.TrimRight(text, "\r")) > t.opts.MaxLineBytes {
		return Line{Offset: off, Text: text[:4096], TooLong: true}
	}
	return Line{Offset: off, Text: text}
}

func readAt(f *os.File, buf []byte, off, size int64) ([]byte, error) {
	n := min(int64(len(buf)), size-off)
	got, err := f.ReadAt(buf[:n], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
}

// final returns the Final batch of a rotated or deleted file: a last line without its
// newline is whole now, since nothing will be added to it.
func (t *Follower) final(size int64) (Batch, error) {
	b := Batch{Source: t.source(), End: t.off, Final: true}
	if size > t.off {
		data, err := readAt(t.f, make([]byte, min(size-t.off, int64(t.opts.MaxLineBytes)+1)), t.off, size)
		if err != nil {
			return Batch{}, err
		}
		if !t.skipping {
			b.Lines = append(b.Lines, t.line(t.off, data))
		}
		t.off, b.End = size, size
	}
	t.finished = true
	return b, nil
}

// checkPath looks at what the path names now, at the end of the open file.
func (t *Follower) checkPath(now time.Time) error {
	fi, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		// Renamed away with no successor yet, or deleted. A renamed file may still be
		// written to by its program; a deleted one (no links left) is finished once drained.
		if st, err := t.f.Stat(); err == nil {
			if _, links, ok := identify(st); ok && links == 0 {
				t.startDrain(now)
			}
		}
		return nil
	}
	if err != nil {
		return err
	}
	if id, _, _ := identify(fi); id != t.id {
		t.Rotations++
		t.opts.Log.Info("log file rotated; finishing the old file before the new one", "path", t.path)
		t.startDrain(now)
	}
	return nil
}

func (t *Follower) startDrain(now time.Time) {
	t.draining = true
	t.lastData = now
}

// open opens the file at the path, or at the first open after a restart, the file the
// checkpoint names.
func (t *Follower) open(now time.Time) error {
	first := !t.opened
	t.opened = true
	f, id, err := openID(t.path)
	if err != nil {
		return err
	}
	if cp := t.resume; cp != nil {
		t.resume = nil
		want := fileID{dev: cp.Dev, ino: cp.Ino}
		if f != nil && id == want {
			t.use(f, id, cp.Gen, 0)
			if fi, err := f.Stat(); err == nil && fi.Size() >= cp.Offset && sigAt(f, cp.Offset) == cp.Sig {
				t.off = cp.Offset
			} else {
				t.gen++
				t.Truncations++
				t.opts.Log.Info("log file truncated while the agent was stopped; reading it from the start", "path", t.path)
			}
			t.sig, t.size = sigAt(f, t.off), 0
			return nil
		}
		// Rotated (or deleted) while the agent was stopped. A rotated copy still beside
		// the path under another name is finished first, from where reading stopped.
		if old := findFile(filepath.Dir(t.path), want); old != nil {
			if fi, err := old.Stat(); err == nil && fi.Size() >= cp.Offset && sigAt(old, cp.Offset) == cp.Sig {
				if f != nil {
					f.Close()
				}
				t.use(old, want, cp.Gen, cp.Offset)
				t.Rotations++
				t.startDrain(now)
				t.opts.Log.Info("log file rotated while the agent was stopped; finishing the old file first", "path", t.path, "old", old.Name())
				return nil
			}
			old.Close()
		}
		if cp.Offset > 0 {
			t.opts.Log.Warn("the log file was rotated or removed while the agent was stopped and its old copy is gone; lines written to it after the checkpoint are lost",
				"path", t.path, "offset", cp.Offset)
		}
	} else if f != nil && first && t.opts.StartAtEnd {
		t.use(f, id, 0, lastLineEnd(f))
		return nil
	}
	if f != nil {
		t.use(f, id, 0, 0)
	}
	return nil
}

func (t *Follower) use(f *os.File, id fileID, gen int, off int64) {
	t.f, t.id, t.gen, t.off = f, id, gen, off
	t.draining, t.finished, t.nextGen, t.skipping = false, false, false, false
	t.sig, t.size = sigAt(f, off), 0
}

// openID opens path and identifies it; a missing file is (nil, zero, nil).
func openID(path string) (*os.File, fileID, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileID{}, nil
	}
	if err != nil {
		return nil, fileID{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileID{}, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fileID{}, errors.New(path + " is not a regular file")
	}
	id, _, _ := identify(fi)
	return f, id, nil
}

// findFile opens the regular file in dir with identity id, if there is one.
func findFile(dir string, id fileID) *os.File {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if got, _, ok := identify(fi); !ok || got != id {
			continue
		}
		f, got, err := openID(filepath.Join(dir, e.Name()))
		if err == nil && f != nil && got == id {
			return f
		}
		if f != nil {
			f.Close()
		}
	}
	return nil
}

// lastLineEnd returns the offset after the last newline in the file's last 64 KiB, or
// its size: where a reader that starts at the end begins.
func lastLineEnd(f *os.File) int64 {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return 0
	}
	size := fi.Size()
	start := max(0, size-64<<10)
	data, err := readAt(f, make([]byte, size-start), start, size)
	if err != nil {
		return size
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		return start + int64(i) + 1
	}
	return size
}

// sigAt hashes the (up to) 64 bytes before off.
func sigAt(f *os.File, off int64) string {
	if off <= 0 {
		return ""
	}
	n := min(off, 64)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off-n); err != nil {
		return "unreadable" // matches no real signature
	}
	h := fnv.New64a()
	h.Write(buf)
	return strconv.FormatUint(h.Sum64(), 16)
}
