package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Framing names how the messages of a stream are delimited (RFC 6587).
type Framing int

const (
	// FramingAuto decides from the first bytes of the stream: a digit run followed by a
	// space starts an octet-counted frame, anything else a newline-delimited message.
	FramingAuto Framing = iota
	// FramingNewline is non-transparent framing: a message ends at LF or NUL.
	FramingNewline
	// FramingOctetCounted is transparent framing: "<length> <message>", the length in
	// bytes, so the message may hold any byte.
	FramingOctetCounted
)

func (f Framing) String() string {
	switch f {
	case FramingNewline:
		return "newline"
	case FramingOctetCounted:
		return "octet-counted"
	}
	return "auto"
}

// Frame is one result of Decoder.Next: a message, or input rejected with a reason.
type Frame struct {
	// Msg is the message without its framing; it is only valid until the next call of
	// Next. For a rejected frame it holds a copy of the frame's first bytes (at most
	// maxRejectedHead), kept for review.
	Msg []byte
	// Reason is empty for a message and says why the frame was rejected otherwise.
	Reason string
	// Offset is the position of the frame in the stream.
	Offset int64
}

// ErrOutOfSync means the stream cannot be followed any further: an octet count so large
// that skipping it would mean reading blindly for a long time, which a sane sender never
// declares and a desynchronised or hostile one does.
var ErrOutOfSync = errors.New("syslog framing: stream out of sync")

const (
	// maxCountDigits bounds the length prefix: ten digits hold any count worth
	// reading, and a longer digit run is not a length.
	maxCountDigits = 10
	// maxRejectedHead bounds what is kept of a rejected frame, as the parser does for
	// too-long lines.
	maxRejectedHead = 4096
	// initialBuffer is the read buffer of a stream; it grows only for a larger message
	// and shrinks back after it, so idle connections stay cheap.
	initialBuffer = 64 << 10
	// skipFactor bounds an oversized octet-counted frame that is skipped (and the stream
	// resynchronised after it) rather than treated as a broken stream.
	skipFactor = 64
)

// Decoder splits a byte stream into syslog messages. Memory stays bounded whatever the
// input: at most max bytes of one message are buffered, a longer message is rejected and
// skipped, and a length prefix is never trusted for an allocation beyond max.
//
// Read errors are returned as they come and leave the decoder intact, so a read deadline
// can interrupt Next and a later call resumes where it stopped; only io.EOF ends the
// stream (a final message without a terminator is still returned).
type Decoder struct {
	r       io.Reader
	framing Framing
	max     int

	buf     []byte
	rd, wr  int   // unread input is buf[rd:wr]
	off     int64 // stream offset of buf[rd]
	scanned int   // buf[rd:rd+scanned] is known to hold no LF or NUL
	eof     bool

	// skip counts the bytes of an oversized octet-counted frame still to discard.
	skip int64
	// skipLine discards input up to and including the next LF or NUL: the rest of a
	// too-long line, or garbage where an octet-counted frame should start.
	skipLine bool
	// pending holds the count and header size of an oversized octet-counted frame whose
	// first bytes are being gathered for its rejection.
	pendingCount  int64
	pendingHeader int
}

// NewDecoder returns a decoder of messages of at most max bytes read from r.
func NewDecoder(r io.Reader, framing Framing, max int) *Decoder {
	if max <= 0 {
		panic("syslog: NewDecoder with a non-positive maximum")
	}
	return &Decoder{r: r, framing: framing, max: max, buf: make([]byte, min(initialBuffer, max+maxCountDigits+2))}
}

// Framing returns the framing of the stream: FramingAuto until it has been detected.
func (d *Decoder) Framing() Framing { return d.framing }

// Next returns the next message or rejected frame. At the end of the stream it returns
// io.EOF; a read error is returned as it is (and Next may be called again after a
// timeout). An error wrapping ErrOutOfSync comes with the frame it rejected, which the
// caller keeps before closing the stream.
func (d *Decoder) Next() (Frame, error) {
	for {
		switch {
		case d.skip > 0:
			n := int(min(d.skip, int64(d.wr-d.rd)))
			d.consume(n)
			d.skip -= int64(n)
			if d.skip > 0 {
				if err := d.fill(1); err != nil {
					return Frame{}, d.endOrErr(err)
				}
			}
			continue
		case d.skipLine:
			if i := d.terminator(); i >= 0 {
				d.consume(i + 1)
				d.skipLine = false
				continue
			}
			d.consume(d.wr - d.rd)
			if err := d.fill(1); err != nil {
				return Frame{}, d.endOrErr(err)
			}
			continue
		}
		var (
			f    Frame
			ok   bool
			need int
			err  error
		)
		switch d.framing {
		case FramingAuto:
			need = d.detect()
			if need == 0 {
				continue
			}
		case FramingNewline:
			f, ok, need = d.newline()
		case FramingOctetCounted:
			f, ok, need, err = d.octetCounted()
		}
		if ok || err != nil {
			return f, err
		}
		if err := d.fill(need); err != nil {
			if err == io.EOF && d.framing == FramingAuto {
				continue // a short stream is decided at its end
			}
			if err == io.EOF {
				if f, ok := d.atEOF(); ok {
					return f, nil
				}
			}
			return Frame{}, d.endOrErr(err)
		}
	}
}

// endOrErr turns the end of input into io.EOF and passes other errors on.
func (d *Decoder) endOrErr(err error) error {
	if err == io.EOF {
		d.rd, d.wr, d.scanned = 0, 0, 0
	}
	return err
}

// detect decides the framing from the start of the stream. It returns 0 once decided,
// or how many buffered bytes it needs to decide.
func (d *Decoder) detect() int {
	d.skipSeparators()
	data := d.buf[d.rd:d.wr]
	if len(data) == 0 {
		if d.eof {
			d.framing = FramingNewline
			return 0
		}
		return 1
	}
	if data[0] < '1' || data[0] > '9' {
		d.framing = FramingNewline
		return 0
	}
	i := 1
	for i < len(data) && i <= maxCountDigits && isDigit(data[i]) {
		i++
	}
	switch {
	case i > maxCountDigits:
		d.framing = FramingNewline
	case i < len(data):
		if data[i] == ' ' {
			d.framing = FramingOctetCounted
		} else {
			d.framing = FramingNewline
		}
	case d.eof:
		d.framing = FramingNewline
	default:
		return i + 1
	}
	return 0
}

// skipSeparators drops LF, CR and NUL between frames: senders often end octet-counted
// frames with a newline, and empty lines carry nothing.
func (d *Decoder) skipSeparators() {
	for d.rd < d.wr {
		switch d.buf[d.rd] {
		case '\n', '\r', 0:
			d.consume(1)
			continue
		}
		return
	}
}

// newline returns the next newline-delimited message, or how many bytes it needs.
func (d *Decoder) newline() (Frame, bool, int) {
	for {
		i := d.terminator()
		if i < 0 {
			n := d.wr - d.rd
			if n > d.max {
				f := d.rejectHead(n, fmt.Sprintf("message longer than %d bytes", d.max))
				d.consume(n)
				d.skipLine = true
				return f, true, 0
			}
			return Frame{}, false, n + 1
		}
		if i == 0 {
			d.consume(1)
			continue
		}
		if i > d.max {
			f := d.rejectHead(i, fmt.Sprintf("message longer than %d bytes", d.max))
			d.consume(i + 1)
			return f, true, 0
		}
		f := Frame{Msg: d.buf[d.rd : d.rd+i], Offset: d.off}
		d.consume(i + 1)
		return f, true, 0
	}
}

// terminator returns the index of the first LF or NUL in the unread input, or -1. It
// remembers how far it looked, so a message arriving in many reads is scanned once.
func (d *Decoder) terminator() int {
	rest := d.buf[d.rd+d.scanned : d.wr]
	lf := bytes.IndexByte(rest, '\n')
	upTo := rest
	if lf >= 0 {
		upTo = rest[:lf]
	}
	// NUL is looked for only before the LF, so each byte is scanned at most twice.
	if nul := bytes.IndexByte(upTo, 0); nul >= 0 {
		return d.scanned + nul
	}
	if lf >= 0 {
		return d.scanned + lf
	}
	d.scanned = d.wr - d.rd
	return -1
}

// octetCounted returns the next octet-counted message, or how many bytes it needs.
func (d *Decoder) octetCounted() (Frame, bool, int, error) {
	if d.pendingCount > 0 {
		return d.oversized()
	}
	for {
		d.skipSeparators()
		data := d.buf[d.rd:d.wr]
		if len(data) == 0 {
			return Frame{}, false, 1, nil
		}
		i := 0
		for i < len(data) && i <= maxCountDigits && isDigit(data[i]) {
			i++
		}
		if i == len(data) && i <= maxCountDigits {
			return Frame{}, false, i + 1, nil
		}
		if i == 0 || i > maxCountDigits || data[i] != ' ' {
			// Not a frame header: keep the garbage up to the next terminator for
			// review and resynchronise there, where senders that end frames with a
			// newline start the next one.
			end := d.terminator()
			if end < 0 {
				end = len(data)
			}
			f := d.rejectHead(max(end, 1), fmt.Sprintf("octet-counted framing: expected a length and a space at the start of a frame, got %q", shortPrefix(data)))
			d.skipLine = true
			return f, true, 0, nil
		}
		var count int64
		for _, c := range data[:i] {
			count = count*10 + int64(c-'0')
		}
		header := i + 1
		if count > int64(d.max) {
			d.pendingCount, d.pendingHeader = count, header
			return d.oversized()
		}
		n := header + int(count)
		if len(data) < n {
			return Frame{}, false, n, nil
		}
		f := Frame{Msg: data[header:n], Offset: d.off}
		d.consume(n)
		if count == 0 {
			continue
		}
		return f, true, 0, nil
	}
}

// oversized rejects an octet-counted frame longer than the maximum once its first bytes
// are buffered, and skips the rest of it without keeping it.
func (d *Decoder) oversized() (Frame, bool, int, error) {
	count, header := d.pendingCount, d.pendingHeader
	// What is kept never exceeds the maximum message either, so the buffer, sized for
	// one message and its header, always holds it.
	keep := int(min(count, int64(min(maxRejectedHead, d.max))))
	hopeless := count > int64(d.max)*skipFactor
	// A hopeless count is answered at once with what has arrived: its sender may well
	// be waiting for us rather than sending the bytes it announced.
	if d.wr-d.rd < header+keep && !d.eof && !hopeless {
		return Frame{}, false, header + keep, nil
	}
	keep = min(keep, d.wr-d.rd-header)
	f := Frame{Msg: append([]byte(nil), d.buf[d.rd+header:d.rd+header+keep]...), Offset: d.off,
		Reason: fmt.Sprintf("octet-counted frame of %d bytes is longer than %d bytes", count, d.max)}
	d.consume(header + keep)
	d.pendingCount, d.pendingHeader = 0, 0
	if hopeless {
		return f, true, 0, fmt.Errorf("%w: octet count %d", ErrOutOfSync, count)
	}
	d.skip = count - int64(keep)
	return f, true, 0, nil
}

// atEOF handles the end of the stream with unread input: the last message of a newline
// stream needs no terminator; an octet-counted frame cut short is rejected.
func (d *Decoder) atEOF() (Frame, bool) {
	n := d.wr - d.rd
	if n == 0 {
		return Frame{}, false
	}
	switch d.framing {
	case FramingNewline:
		f := Frame{Msg: d.buf[d.rd:d.wr], Offset: d.off}
		d.consume(n)
		return f, true
	case FramingOctetCounted:
		if d.pendingCount > 0 {
			f, _, _, _ := d.oversized()
			d.skip = 0
			return f, true
		}
		f := d.rejectHead(n, "stream ended inside an octet-counted frame")
		d.consume(n)
		return f, true
	}
	return Frame{}, false
}

// rejectHead returns a rejection keeping a copy of the first bytes of the next n.
func (d *Decoder) rejectHead(n int, reason string) Frame {
	keep := min(n, maxRejectedHead)
	return Frame{Msg: append([]byte(nil), d.buf[d.rd:d.rd+keep]...), Reason: reason, Offset: d.off}
}

func (d *Decoder) consume(n int) {
	d.rd += n
	d.off += int64(n)
	d.scanned = max(d.scanned-n, 0)
	if d.rd == d.wr {
		d.rd, d.wr, d.scanned = 0, 0, 0
	}
}

// fill reads once into the buffer, first making room for need unread bytes. need is
// at most the largest frame plus its header, so a hostile length prefix never grows the
// buffer past that. It returns nil when new input arrived.
func (d *Decoder) fill(need int) error {
	if d.eof {
		return io.EOF
	}
	limit := d.max + maxCountDigits + 2
	need = min(need, limit)
	unread := d.wr - d.rd
	switch {
	case need > len(d.buf):
		nb := make([]byte, max(need, min(2*len(d.buf), limit)))
		d.wr = copy(nb, d.buf[d.rd:d.wr])
		d.rd, d.buf = 0, nb
	case len(d.buf) > initialBuffer && unread < initialBuffer && need <= initialBuffer:
		// Give back the room a large message needed, so a connection that sent one
		// does not keep it for its lifetime.
		nb := make([]byte, initialBuffer)
		d.wr = copy(nb, d.buf[d.rd:d.wr])
		d.rd, d.buf = 0, nb
	case d.rd+need > len(d.buf) || d.wr == len(d.buf):
		d.wr = copy(d.buf, d.buf[d.rd:d.wr])
		d.rd = 0
	}
	if d.wr == len(d.buf) {
		// Callers ask for more than is unread and never more than the buffer holds;
		// reading into no room would spin.
		panic("syslog: decoder buffer full")
	}
	for {
		n, err := d.r.Read(d.buf[d.wr:])
		d.wr += n
		switch {
		case err == io.EOF:
			d.eof = true
			if n > 0 {
				return nil
			}
			return io.EOF
		case n > 0:
			// Data that came with an error is handled first; a lasting error comes
			// back on the next read.
			return nil
		case err != nil:
			return err
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func shortPrefix(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
