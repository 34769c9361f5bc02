package parse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"
)

// MaxLineBytes bounds one line or JSON record; longer input is rejected, not truncated.
const MaxLineBytes = 1 << 20

// Rejection is input that could not become an event at all (too long, broken JSON
// document). Lines that are merely not understood still become events of type "unknown".
type Rejection struct {
	Index  int    // 1-based number of the line, or of the record in a JSON document
	Offset int64  // byte offset of the input in its stream
	Reason string // why it was rejected
	Raw    []byte // the start of the input (at most 4 KiB), for review
}

// Read parses a whole stream: plain or gzip-compressed; text lines, JSON lines, or JSON
// documents (a CloudTrail file {"Records":[…]}, an array of records, pretty-printed
// objects). Rejected input is passed to the parser's Options.Reject and counted under
// "rejected"; Read itself only fails on a read error.
func Read(r io.Reader, p *Parser, emit Emit) error {
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	if jsonDocument(br) {
		return readJSON(br, p, emit)
	}
	return readLines(br, func(line []byte, n int, off int64, tooLong bool) {
		if tooLong {
			p.reject(Rejection{Index: n, Offset: off, Reason: fmt.Sprintf("line longer than %d bytes", MaxLineBytes), Raw: line})
			return
		}
		p.Line(line, emit)
	})
}

// jsonDocument reports whether the stream holds JSON documents rather than lines: it
// starts with '[' or with '{' whose first line is not a complete object (pretty-printed).
func jsonDocument(br *bufio.Reader) bool {
	head, _ := br.Peek(64 << 10)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 {
		return false
	}
	if head[0] == '[' {
		return jsonArrayStart(head)
	}
	if head[0] != '{' {
		return false
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	return !json.Valid(bytes.TrimSpace(first))
}

// jsonArrayStart tells a JSON array from text lines that start with '[' (Apache's error
// log "[Sat Nov 28 …] [core:error]", dmesg's "[  123.456789] …"): its first line is "["
// alone, a whole JSON value, or '[' followed by an object, an array or a string.
func jsonArrayStart(head []byte) bool {
	first, _, _ := bytes.Cut(head, []byte("\n"))
	first = bytes.TrimSpace(first)
	if len(first) == 1 || json.Valid(first) {
		return true
	}
	rest := bytes.TrimLeft(first[1:], " \t")
	return len(rest) > 0 && (rest[0] == '{' || rest[0] == '[' || rest[0] == '"')
}

// readJSON streams JSON documents: each top-level object is a record, each top-level
// array a list of records, and the Records array of a CloudTrail file is read one record
// at a time, so a trail file of any size is parsed in bounded memory: the stream holds
// the record being decoded and its read-ahead buffer. Every record is decoded once.
func readJSON(br *bufio.Reader, p *Parser, emit Emit) error {
	s := &jsonStream{r: br, buf: make([]byte, 0, 256<<10), mem: p.mem()}
	r := &jsonReader{s: s, p: p, emit: emit}
	for {
		c, err := s.peek()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return r.broken(err)
		}
		off := s.offset()
		switch c {
		case '[':
			s.pos++
			if err := r.elements(']'); err != nil {
				return r.broken(err)
			}
		case '{':
			if err := r.object(off); err != nil {
				return r.broken(err)
			}
		default:
			v, raw, err := s.value(false)
			if err != nil {
				return r.broken(err)
			}
			r.index++
			tok := fmt.Sprint(v)
			switch v.(type) {
			case int64, float64:
				tok = raw // a number as it is written
			}
			p.reject(Rejection{Index: r.index, Offset: off, Reason: "JSON value is not an object", Raw: []byte(tok)})
			p.release()
		}
	}
}

type jsonReader struct {
	s     *jsonStream
	p     *Parser
	emit  Emit
	index int
}

// broken rejects the rest of a stream after a syntax error (or a compressed stream cut
// short): JSON cannot be resynchronised. A read error is returned to the caller.
func (r *jsonReader) broken(err error) error {
	var syn *jsonSyntaxError
	off := r.s.offset()
	switch {
	case errors.As(err, &syn):
		off = int64(syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
	default:
		return err
	}
	rest := r.s.buf[min(max(0, int(off-r.s.base)), len(r.s.buf)):]
	r.p.reject(Rejection{Index: r.index + 1, Offset: off, Reason: "invalid JSON: " + err.Error(), Raw: bytes.Clone(head(rest))})
	return nil
}

// elements reads the values of an array whose '[' was consumed, up to its end, each as
// one record.
func (r *jsonReader) elements(end byte) error {
	c, err := r.s.peek()
	if err != nil {
		return r.s.truncated(err)
	}
	if c == end {
		r.s.pos++
		return nil
	}
	if c == '}' || c == ']' {
		// Not a record tried: encoding/json's Decoder saw no more values here.
		return r.s.syntaxError(c, "looking for beginning of value")
	}
	for {
		if err := r.record(); err != nil {
			return err
		}
		if c, err = r.s.peek(); err != nil {
			return r.s.truncated(err)
		}
		switch c {
		case ',':
			r.s.pos++
		case end:
			r.s.pos++
			return nil
		case '}', ']':
			return r.s.syntaxError(c, "after array element")
		default:
			// Counted as a record tried, as encoding/json's Decoder counted it: it
			// took anything but a closing bracket for the start of another value.
			r.index++
			return r.s.syntaxError(c, "after array element")
		}
	}
}

// record decodes the next value of an array as one record.
func (r *jsonReader) record() error {
	off, _ := r.s.peekOffset()
	r.index++
	// The record's events are emitted, and its memory taken back, before the stream
	// reads on: its strings may share the read buffer.
	v, raw, err := r.s.value(true)
	if err != nil {
		return err
	}
	r.value(v, off, int64(len(raw)))
	r.p.release()
	return nil
}

func (r *jsonReader) value(v any, off, size int64) {
	if size > MaxLineBytes {
		r.p.reject(Rejection{Index: r.index, Offset: off, Reason: fmt.Sprintf("record larger than %d bytes", MaxLineBytes)})
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		b, _ := json.Marshal(v)
		r.p.reject(Rejection{Index: r.index, Offset: off, Reason: "JSON record is not an object", Raw: head(b)})
		return
	}
	r.p.Record(m, nil, r.emit)
}

// object reads a top-level object at off. A "Records" array as its first key is
// streamed record by record (a CloudTrail file); any other object is one record, read
// member by member.
func (r *jsonReader) object(off int64) error {
	s := r.s
	s.pos++ // '{'
	obj := map[string]any{}
	streamed := false
	c, err := s.peek()
	if err != nil {
		return s.truncated(err)
	}
	for c != '}' {
		if c != '"' {
			return s.syntaxError(c, "looking for beginning of object key string")
		}
		k, _, err := s.value(false)
		if err != nil {
			return err
		}
		key := k.(string)
		if c, err = s.peek(); err != nil {
			return s.truncated(err)
		}
		if c != ':' {
			return s.syntaxError(c, "after object key")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return s.truncated(err)
		}
		if key == "Records" && c == '[' && len(obj) == 0 && !streamed {
			s.pos++
			if err := r.elements(']'); err != nil {
				return err
			}
			streamed = true
		} else {
			v, _, err := s.value(false)
			if err != nil {
				return err
			}
			obj[key] = v
		}
		if c, err = s.peek(); err != nil {
			return s.truncated(err)
		}
		switch c {
		case ',':
			s.pos++
			if c, err = s.peek(); err != nil {
				return s.truncated(err)
			}
			if c == '}' {
				return s.syntaxError(c, "looking for beginning of object key string")
			}
		case '}':
		default:
			return s.syntaxError(c, "after object key:value pair")
		}
	}
	s.pos++ // '}'
	if streamed {
		return nil // a trail file's other keys (none in practice) are not records
	}
	r.index++
	r.value(obj, off, s.offset()-off)
	r.p.release()
	return nil
}

// jsonStream reads a stream of JSON values one value at a time.
type jsonStream struct {
	r    io.Reader
	buf  []byte
	pos  int   // the next unread byte of buf
	base int64 // the stream offset of buf[0]
	err  error // io.EOF or the read error that ended the stream
	mem  *jsonArena
	// text is a copy of the unread part of buf made after the last fill, at stream
	// offset textBase, that values are decoded from when the parser reuses their memory
	// (see chunkValue); textOK says it is current.
	text     string
	textBase int64
	textOK   bool
}

func (s *jsonStream) offset() int64 { return s.base + int64(s.pos) }

// fill reads more of the stream after buf[pos:], moving the unread bytes to the front and
// growing the buffer when it is full of them (a value larger than the buffer).
func (s *jsonStream) fill() bool {
	if s.err != nil {
		return false
	}
	s.textOK = false
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.base += int64(s.pos)
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = slices.Grow(s.buf, cap(s.buf))
	}
	for {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.err = err
		}
		if n > 0 || err != nil {
			return n > 0
		}
	}
}

// peek skips white space and returns the next byte; the error is the stream's end.
func (s *jsonStream) peek() (byte, error) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.err
		}
	}
}

// peekOffset is the offset of the next value.
func (s *jsonStream) peekOffset() (int64, error) {
	_, err := s.peek()
	return s.offset(), err
}

// truncated is the error for a stream that ends inside a value.
func (s *jsonStream) truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return &jsonSyntaxError{msg: "unexpected end of JSON input", Offset: int(s.offset())}
	}
	return err
}

func (s *jsonStream) syntaxError(c byte, context string) error {
	return &jsonSyntaxError{msg: "invalid character " + quoteChar(c) + " " + context, Offset: int(s.offset())}
}

// value decodes the next value and returns it with its text. The value's bytes are
// copied into one string, of which its strings are substrings. With view, and a parser
// that reuses the memory of its records, the caller is done with the value before the
// stream reads on, and its strings may be views of the read buffer.
func (s *jsonStream) value(view bool) (any, string, error) {
	c, err := s.peek()
	if err != nil {
		return nil, "", s.truncated(err)
	}
	if s.mem != nil && s.mem.reuse && (c == '{' || c == '[') {
		if v, raw, done, err := s.chunkValue(view); done {
			return v, raw, err
		}
	}
	if err := s.complete(); err != nil {
		return nil, "", err
	}
	end, _ := jsonValueEnd(s.buf, s.pos)
	return s.decode(string(s.buf[s.pos:end]))
}

// complete reads until the buffer holds the whole of the next value, or the stream ends.
func (s *jsonStream) complete() error {
	for {
		if _, complete := jsonValueEnd(s.buf, s.pos); complete {
			return nil
		}
		// The value goes on past the buffer: read more and scan it again from its
		// start (records cross the end of the buffer once in a few hundred).
		if !s.fill() {
			if !errors.Is(s.err, io.EOF) {
				return s.err
			}
			return nil // decoding says what is missing
		}
	}
}

// decode decodes the value at the start of in, the text of the stream from its current
// offset, and moves past it.
func (s *jsonStream) decode(in string) (any, string, error) {
	v, n, err := decodeJSONValueIn(in, s.mem)
	if err != nil {
		var syn *jsonSyntaxError
		if errors.As(err, &syn) {
			syn.Offset += int(s.offset())
		}
		return nil, "", err
	}
	s.pos += n
	return v, in[:n], nil
}

// chunkValue is value for an object or array, when the parser reuses the memory of its
// records: it decodes straight from a copy of what the buffer holds, made once per fill
// rather than once per value, and so needs neither the copy nor the scan for the value's
// end first (a fifth of the time of a CloudTrail record). Values then share the copy of
// a whole buffer, which is why this is only done where nothing of them is kept; with
// view they are decoded from the buffer itself, without the copy (the record is done
// with before the next fill moves the buffer's bytes). It reports false, having
// consumed nothing, for a value that may go on past the data read (one in a few
// hundred records): value then reads it as before. An object or array ends at its
// closing bracket, so decoding it from the rest of the buffer rather than from its own
// text gives the same value, end and error.
func (s *jsonStream) chunkValue(view bool) (v any, raw string, done bool, err error) {
	var in string
	if view {
		in = unsafe.String(&s.buf[s.pos], len(s.buf)-s.pos) // peek saw a byte there
	} else {
		if !s.textOK {
			s.text, s.textBase, s.textOK = string(s.buf[s.pos:]), s.offset(), true
		}
		in = s.text[s.offset()-s.textBase:]
	}
	v, n, err := decodeJSONValueIn(in, s.mem)
	var syn *jsonSyntaxError
	isSyntax := errors.As(err, &syn)
	if s.err == nil && (err == nil && n == len(in) || isSyntax && syn.Offset == len(in)) {
		return nil, "", false, nil
	}
	if err != nil {
		if isSyntax {
			syn.Offset += int(s.offset())
		}
		return nil, "", true, err
	}
	s.pos += n
	return v, in[:n], true, nil
}

// rawRecord decodes one JSON value and parses it as a record.
func (p *Parser) rawRecord(raw []byte, index int, off int64, emit Emit) {
	if len(raw) > MaxLineBytes {
		p.reject(Rejection{Index: index, Offset: off, Reason: fmt.Sprintf("record larger than %d bytes", MaxLineBytes), Raw: head(raw)})
		return
	}
	rec, err := decodeObjectIn(raw, p.mem())
	if err != nil {
		p.reject(Rejection{Index: index, Offset: off, Reason: err.Error(), Raw: head(raw)})
		return
	}
	p.Record(rec, raw, emit)
	p.release()
}

// decodeObject decodes a JSON object keeping numbers exact (int64 where the literal is
// an integer that fits, else float64), so record ids and account numbers do not turn
// into floats.
func decodeObject(raw []byte) (map[string]any, error) { return decodeObjectIn(raw, nil) }

// decodeObjectIn is decodeObject with the record's memory from an arena (nil: its own).
func decodeObjectIn(raw []byte, a *jsonArena) (map[string]any, error) {
	v, _, err := decodeJSONValueIn(string(raw), a)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("JSON record is not an object")
	}
	return m, nil
}

// normalizeNumbers turns encoding/json's json.Number into int64 or float64, as the
// decoder of this package gives numbers (tests compare the two).
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return x.String() // too large for float64: kept as written, see number()
		}
		return f
	}
	return v
}

func head(b []byte) []byte {
	if len(b) > 4096 {
		return b[:4096]
	}
	return b
}

// readLines calls fn for each line without its newline. Lines over MaxLineBytes are
// passed once, cut to their first 4 KiB, with tooLong set; the rest of such a line is
// skipped.
func readLines(br *bufio.Reader, fn func(line []byte, n int, off int64, tooLong bool)) error {
	var off int64
	n := 0
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if long == nil {
				long = append([]byte{}, chunk...)
			} else if len(long) <= MaxLineBytes {
				long = append(long, chunk...)
			}
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if len(line) > 0 {
			n++
			content := bytes.TrimRight(line, "\r\n")
			if len(content) > MaxLineBytes {
				fn(head(content), n, off, true)
			} else {
				fn(content, n, off, false)
			}
			off += int64(len(line))
		}
		if err != nil {
			return nil
		}
	}
}

// reject counts and reports input that could not become an event.
func (p *Parser) reject(r Rejection) {
	p.Counts["rejected"]++
	if p.opts.Reject != nil {
		p.opts.Reject(r)
	}
}

// ReadJSON parses a stream that holds JSON documents (objects or arrays of objects), as
// an application/json request body does, without guessing the format.
func ReadJSON(r io.Reader, p *Parser, emit Emit) error {
	return readJSON(bufio.NewReaderSize(r, 256<<10), p, emit)
}

// RecordLine parses one JSON object given as raw bytes (an NDJSON line numbered index);
// invalid input is rejected.
func (p *Parser) RecordLine(raw []byte, index int, emit Emit) {
	p.rawRecord(raw, index, 0, emit)
}

// RejectInput counts and reports input that a source found unusable before parsing.
func (p *Parser) RejectInput(r Rejection) { p.reject(r) }
