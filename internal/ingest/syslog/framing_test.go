package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// decoded is everything a decoder produced from one stream.
type decoded struct {
	msgs    []string
	rejects []Frame
	err     error // what ended the stream: io.EOF, or an ErrOutOfSync
}

// decodeAll runs a decoder to the end of its input. Deadline errors are retried, as the
// connection loop does after flushing a batch.
func decodeAll(t testing.TB, r io.Reader, framing Framing, limit int) decoded {
	t.Helper()
	d := NewDecoder(r, framing, limit)
	var out decoded
	for {
		f, err := d.Next()
		if isTimeout(err) {
			continue
		}
		if f.Reason != "" {
			out.rejects = append(out.rejects, f)
		} else if f.Msg != nil {
			if err != nil {
				t.Fatalf("message %q returned with error %v", f.Msg, err)
			}
			out.msgs = append(out.msgs, string(f.Msg))
		}
		if err != nil {
			out.err = err
			return out
		}
		if f.Msg == nil && f.Reason == "" {
			t.Fatal("Next returned neither a message, a rejection nor an error")
		}
	}
}

func octetEncode(msgs []string) []byte {
	var b []byte
	for _, m := range msgs {
		b = strconv.AppendInt(b, int64(len(m)), 10)
		b = append(b, ' ')
		b = append(b, m...)
	}
	return b
}

func newlineEncode(msgs []string) []byte {
	var b []byte
	for _, m := range msgs {
		b = append(b, m...)
		b = append(b, '\n')
	}
	return b
}

// chunkReader returns its data at most n bytes at a time and, when timeouts is set, a
// deadline error before every read that returns data, as a connection whose read
// deadline fires between packets does.
type chunkReader struct {
	data     []byte
	n        int
	timeouts bool
	timedOut bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.timeouts && !c.timedOut {
		c.timedOut = true
		return 0, os.ErrDeadlineExceeded
	}
	c.timedOut = false
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestNewlineFraming(t *testing.T) {
	in := "first\nsecond\x00third\r\n\n\n\x00last without terminator"
	for name, r := range map[string]io.Reader{
		"whole":      strings.NewReader(in),
		"byte-wise":  iotest.OneByteReader(strings.NewReader(in)),
		"timeouts":   &chunkReader{data: []byte(in), n: 3, timeouts: true},
		"data + EOF": iotest.DataErrReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			got := decodeAll(t, r, FramingNewline, 100)
			want := []string{"first", "second", "third\r", "last without terminator"}
			if fmt.Sprint(got.msgs) != fmt.Sprint(want) || len(got.rejects) != 0 || got.err != io.EOF {
				t.Errorf("got %q, %d rejections, %v; want %q", got.msgs, len(got.rejects), got.err, want)
			}
		})
	}
}

func TestOctetCountingFraming(t *testing.T) {
	msgs := []string{"<13>1 - - - - - - two\nlines", "with\x00nul", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed", "x"}
	in := string(octetEncode(msgs[:2])) + "\n" + string(octetEncode(msgs[2:3])) + "\r\n0 " + string(octetEncode(msgs[3:]))
	for name, r := range map[string]io.Reader{
		"whole":     strings.NewReader(in),
		"byte-wise": iotest.OneByteReader(strings.NewReader(in)),
		"timeouts":  &chunkReader{data: []byte(in), n: 5, timeouts: true},
	} {
		t.Run(name, func(t *testing.T) {
			for _, framing := range []Framing{FramingOctetCounted, FramingAuto} {
				got := decodeAll(t, r, framing, 100)
				if fmt.Sprint(got.msgs) != fmt.Sprint(msgs) || len(got.rejects) != 0 || got.err != io.EOF {
					t.Errorf("%v: got %q, %d rejections, %v; want %q", framing, got.msgs, len(got.rejects), got.err, msgs)
				}
				r = strings.NewReader(in)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		in   string
		want Framing
	}{
		{"<13>Oct 11 22:14:15 host app: hi\n", FramingNewline},
		{"Oct 11 22:14:15 host app: hi\n", FramingNewline},
		{"9 <13>x y z", FramingOctetCounted},
		{"\n\r\x0012 <13>1 - - - -", FramingOctetCounted},
		{"2026-11-28T10:00:01Z host app: hi\n", FramingNewline},
		{"1234567890 x", FramingOctetCounted},
		{"12345678901 eleven digits are no length\n", FramingNewline},
		{"042 leading zero\n", FramingNewline},
		{"123", FramingNewline},
		{"123\n", FramingNewline},
		{"", FramingNewline},
	}
	for _, tt := range tests {
		d := NewDecoder(iotest.OneByteReader(strings.NewReader(tt.in)), FramingAuto, 64)
		for d.Framing() == FramingAuto {
			if _, err := d.Next(); err != nil {
				break
			}
		}
		if d.Framing() != tt.want {
			t.Errorf("%q detected as %v, want %v", tt.in, d.Framing(), tt.want)
		}
	}
}

func TestOversizedNewline(t *testing.T) {
	long := strings.Repeat("L", 25)
	in := "ok1\n" + long + "\nok2\n" + long + long + long + "\x00" + strings.Repeat("x", 10) + "\nok3"
	for name, r := range map[string]io.Reader{
		"whole":     strings.NewReader(in),
		"byte-wise": iotest.OneByteReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			got := decodeAll(t, r, FramingNewline, 10)
			if want := []string{"ok1", "ok2", "xxxxxxxxxx", "ok3"}; fmt.Sprint(got.msgs) != fmt.Sprint(want) {
				t.Errorf("messages %q, want %q", got.msgs, want)
			}
			if len(got.rejects) != 2 {
				t.Fatalf("%d rejections, want 2: %+v", len(got.rejects), got.rejects)
			}
			for _, r := range got.rejects {
				if !strings.HasPrefix(string(r.Msg), "LLLLLLLLLL") || !strings.Contains(r.Reason, "longer than 10 bytes") {
					t.Errorf("rejection %q: %s", r.Msg, r.Reason)
				}
			}
			if got.rejects[0].Offset != 4 {
				t.Errorf("first rejection at offset %d, want 4", got.rejects[0].Offset)
			}
		})
	}
}

func TestOversizedOctetCount(t *testing.T) {
	big := strings.Repeat("B", 300)
	in := "3 abc" + strconv.Itoa(len(big)) + " " + big + "3 def"
	for name, r := range map[string]io.Reader{
		"whole":     strings.NewReader(in),
		"byte-wise": iotest.OneByteReader(strings.NewReader(in)),
	} {
		t.Run(name, func(t *testing.T) {
			got := decodeAll(t, r, FramingAuto, 100)
			if want := []string{"abc", "def"}; fmt.Sprint(got.msgs) != fmt.Sprint(want) || got.err != io.EOF {
				t.Errorf("messages %q (%v), want %q", got.msgs, got.err, want)
			}
			if len(got.rejects) != 1 || string(got.rejects[0].Msg) != big[:100] ||
				got.rejects[0].Reason != "octet-counted frame of 300 bytes is longer than 100 bytes" {
				t.Errorf("rejections %+v", got.rejects)
			}
		})
	}
}

// A length prefix far beyond what is skipped closes the stream, and nothing near its
// size is allocated on the way.
func TestHostileOctetCount(t *testing.T) {
	in := io.MultiReader(strings.NewReader("3 abc9999999999 <13>"), &endless{})
	d := NewDecoder(in, FramingAuto, 100)
	var msgs, rejects int
	for {
		f, err := d.Next()
		if f.Reason != "" {
			rejects++
		} else if err == nil {
			msgs++
		}
		if err != nil {
			if !errors.Is(err, ErrOutOfSync) {
				t.Fatalf("err = %v, want ErrOutOfSync", err)
			}
			break
		}
	}
	if msgs != 1 || rejects != 1 {
		t.Errorf("%d messages, %d rejections; want 1 and 1", msgs, rejects)
	}
	if cap(d.buf) > 100+maxCountDigits+2 {
		t.Errorf("buffer grew to %d bytes", cap(d.buf))
	}
}

// endless is a reader of infinitely many 'x'.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// A declared frame longer than the maximum but within the skip bound is skipped without
// buffering it, and the stream goes on after it.
func TestSkippedFrameMemory(t *testing.T) {
	const limit = 1000
	body := bytes.Repeat([]byte("y"), 50*limit)
	in := append([]byte(strconv.Itoa(len(body))+" "), body...)
	in = append(in, "2 ok"...)
	d := NewDecoder(&chunkReader{data: in, n: 4096}, FramingAuto, limit)
	got := []string{}
	for {
		f, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.Reason+string(f.Msg[:min(len(f.Msg), 3)]))
		if cap(d.buf) > limit+maxCountDigits+2 {
			t.Fatalf("buffer grew to %d bytes", cap(d.buf))
		}
	}
	if want := []string{"octet-counted frame of 50000 bytes is longer than 1000 bytesyyy", "ok"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestOctetCountingResync(t *testing.T) {
	// A sender that counted characters instead of bytes ("é" is two bytes) leaves the
	// stream off by one; the decoder rejects up to the newline and carries on.
	in := "5 <13>é\n" + "4 next\n" + "garbage here\n" + "4 last"
	got := decodeAll(t, strings.NewReader(in), FramingOctetCounted, 100)
	if want := []string{"<13>\xc3", "next", "last"}; fmt.Sprint(got.msgs) != fmt.Sprint(want) {
		t.Errorf("messages %q, want %q", got.msgs, want)
	}
	if len(got.rejects) != 2 || !strings.HasPrefix(got.rejects[0].Reason, "octet-counted framing: expected a length") {
		t.Errorf("rejections %+v", got.rejects)
	}
}

func TestTruncatedOctetFrame(t *testing.T) {
	for _, in := range []string{"3 abc10 short", "3 abc12", "3 abc200 " + strings.Repeat("z", 50)} {
		got := decodeAll(t, strings.NewReader(in), FramingOctetCounted, 100)
		if len(got.msgs) != 1 || len(got.rejects) != 1 || got.err != io.EOF {
			t.Errorf("%q: %q, %+v, %v", in, got.msgs, got.rejects, got.err)
		}
	}
}

// A large message grows the buffer, and it shrinks back afterwards.
func TestBufferShrinks(t *testing.T) {
	big := strings.Repeat("b", 3*initialBuffer)
	in := "small\n" + big + "\nsmall again\n" + strings.Repeat("s\n", initialBuffer)
	d := NewDecoder(&chunkReader{data: []byte(in), n: 8192}, FramingNewline, 1<<20)
	var peak int
	for {
		f, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil || f.Reason != "" {
			t.Fatal(err, f.Reason)
		}
		peak = max(peak, len(d.buf))
	}
	if peak < len(big) || len(d.buf) != initialBuffer {
		t.Errorf("peak buffer %d, final %d; want >= %d and %d", peak, len(d.buf), len(big), initialBuffer)
	}
}

// checkFuzz runs one fuzz input through the decoder whole and in chunks, checks the
// invariants, and returns what was decoded.
func checkFuzz(t *testing.T, data []byte, framing Framing, limit int, chunk uint8) decoded {
	whole := decodeAll(t, bytes.NewReader(data), framing, limit)
	for _, m := range whole.msgs {
		if len(m) == 0 || len(m) > limit {
			t.Fatalf("message of %d bytes, limit %d", len(m), limit)
		}
	}
	for _, r := range whole.rejects {
		if len(r.Msg) > maxRejectedHead || r.Offset < 0 || r.Offset > int64(len(data)) {
			t.Fatalf("rejection keeps %d bytes at offset %d", len(r.Msg), r.Offset)
		}
	}
	if whole.err != io.EOF && !errors.Is(whole.err, ErrOutOfSync) {
		t.Fatalf("stream ended with %v", whole.err)
	}
	cr := &chunkReader{data: data, n: int(chunk%32) + 1, timeouts: chunk&0x80 != 0}
	chunked := decodeAll(t, cr, framing, limit)
	if fmt.Sprintf("%q", chunked.msgs) != fmt.Sprintf("%q", whole.msgs) || len(chunked.rejects) != len(whole.rejects) || chunked.err != whole.err && !errors.Is(chunked.err, ErrOutOfSync) {
		t.Fatalf("read in chunks of %d:\n %q %d %v\nwhole:\n %q %d %v", cr.n,
			chunked.msgs, len(chunked.rejects), chunked.err, whole.msgs, len(whole.rejects), whole.err)
	}
	return whole
}

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"", "\n", "0 ", "1 a", "3 abc4 de\nf", "12 <13>hi there", "5 a", "<13>hello\nworld\x00",
		"9999999999 x", "12345678901 x\n", "abc\n\n\x00def", "100 " + strings.Repeat("z", 100),
		"70 " + strings.Repeat("y", 70) + "3 end",
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(0x83))
	}
}

func FuzzOctetCounting(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		const limit = 64
		got := checkFuzz(t, data, FramingOctetCounted, limit, chunk)
		checkFuzz(t, data, FramingAuto, limit, chunk)
		again := decodeAll(t, bytes.NewReader(octetEncode(got.msgs)), FramingOctetCounted, limit)
		if fmt.Sprintf("%q", again.msgs) != fmt.Sprintf("%q", got.msgs) || len(again.rejects) != 0 || again.err != io.EOF {
			t.Fatalf("re-encoded:\n %q %+v %v\nwant %q", again.msgs, again.rejects, again.err, got.msgs)
		}
	})
}

func FuzzNewline(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		const limit = 64
		got := checkFuzz(t, data, FramingNewline, limit, chunk)
		for _, m := range got.msgs {
			if strings.ContainsAny(m, "\n\x00") {
				t.Fatalf("message %q holds a terminator", m)
			}
		}
		again := decodeAll(t, bytes.NewReader(newlineEncode(got.msgs)), FramingNewline, limit)
		if fmt.Sprintf("%q", again.msgs) != fmt.Sprintf("%q", got.msgs) || len(again.rejects) != 0 || again.err != io.EOF {
			t.Fatalf("re-encoded:\n %q %+v %v\nwant %q", again.msgs, again.rejects, again.err, got.msgs)
		}
	})
}

// benchStream is a stream of typical sshd lines, framed.
func benchStream(framing Framing, n int) []byte {
	msgs := make([]string, n)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("<38>Nov 28 10:00:%02d web-1 sshd[%d]: Failed password for invalid user admin from 203.0.113.%d port %d ssh2", i%60, 1000+i, i%250, 40000+i)
	}
	if framing == FramingOctetCounted {
		return octetEncode(msgs)
	}
	return newlineEncode(msgs)
}

func benchmarkDecoder(b *testing.B, framing Framing) {
	stream := benchStream(framing, 10000)
	b.SetBytes(int64(len(stream)))
	r := bytes.NewReader(stream)
	for b.Loop() {
		r.Reset(stream)
		d := NewDecoder(r, framing, 1<<20)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

func BenchmarkDecodeNewline(b *testing.B)      { benchmarkDecoder(b, FramingNewline) }
func BenchmarkDecodeOctetCounted(b *testing.B) { benchmarkDecoder(b, FramingOctetCounted) }
