package parse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// at a time, so a trail file of any size is parsed in bounded memory. Every record is
// decoded once.
func readJSON(br *bufio.Reader, p *Parser, emit Emit) error {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	r := &jsonReader{dec: dec, p: p, emit: emit}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return r.broken(off, err)
		}
		switch tok {
		case json.Delim('['):
			for dec.More() {
				if err := r.record(); err != nil {
					return r.broken(dec.InputOffset(), err)
				}
			}
			if _, err := dec.Token(); err != nil {
				return r.broken(dec.InputOffset(), err)
			}
		case json.Delim('{'):
			if err := r.object(off); err != nil {
				return r.broken(off, err)
			}
		default:
			r.index++
			p.reject(Rejection{Index: r.index, Offset: off, Reason: "JSON value is not an object", Raw: []byte(fmt.Sprint(tok))})
		}
	}
}

type jsonReader struct {
	dec   *json.Decoder
	p     *Parser
	emit  Emit
	index int
}

// broken rejects the rest of a stream after a syntax error: JSON cannot be resynchronised.
// A read error (not a syntax error) is returned to the caller.
func (r *jsonReader) broken(off int64, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		rest, _ := io.ReadAll(io.LimitReader(r.dec.Buffered(), 4096))
		r.p.reject(Rejection{Index: r.index + 1, Offset: off, Reason: "invalid JSON: " + err.Error(), Raw: rest})
		return nil
	}
	return err
}

// record decodes the next value of an array as one record.
func (r *jsonReader) record() error {
	off := r.dec.InputOffset()
	r.index++
	var v any
	if err := r.dec.Decode(&v); err != nil {
		return err
	}
	r.value(v, off)
	return nil
}

func (r *jsonReader) value(v any, off int64) {
	if size := r.dec.InputOffset() - off; size > MaxLineBytes {
		r.p.reject(Rejection{Index: r.index, Offset: off, Reason: fmt.Sprintf("record larger than %d bytes", MaxLineBytes)})
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		b, _ := json.Marshal(v)
		r.p.reject(Rejection{Index: r.index, Offset: off, Reason: "JSON record is not an object", Raw: head(b)})
		return
	}
	r.p.Record(normalizeNumbers(m).(map[string]any), nil, r.emit)
}

// object reads a top-level object whose '{' was consumed. A "Records" array as its
// first key is streamed record by record (a CloudTrail file); any other object is one
// record.
func (r *jsonReader) object(off int64) error {
	obj := map[string]any{}
	streamed := false
	for r.dec.More() {
		keyTok, err := r.dec.Token()
		if err != nil {
			return err
		}
		key, _ := keyTok.(string)
		if key == "Records" && len(obj) == 0 && !streamed {
			tok, err := r.dec.Token()
			if err != nil {
				return err
			}
			if tok == json.Delim('[') {
				for r.dec.More() {
					if err := r.record(); err != nil {
						return err
					}
				}
				if _, err := r.dec.Token(); err != nil {
					return err
				}
				streamed = true
				continue
			}
			v, err := r.finishValue(tok)
			if err != nil {
				return err
			}
			obj[key] = v
			continue
		}
		var v any
		if err := r.dec.Decode(&v); err != nil {
			return err
		}
		obj[key] = v
	}
	if _, err := r.dec.Token(); err != nil {
		return err
	}
	if streamed {
		return nil // a trail file's other keys (none in practice) are not records
	}
	r.index++
	r.value(obj, off)
	return nil
}

// finishValue completes a value whose first token was already read.
func (r *jsonReader) finishValue(tok json.Token) (any, error) {
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for r.dec.More() {
			k, err := r.dec.Token()
			if err != nil {
				return nil, err
			}
			var v any
			if err := r.dec.Decode(&v); err != nil {
				return nil, err
			}
			m[k.(string)] = v
		}
		_, err := r.dec.Token()
		return m, err
	case json.Delim('['):
		var list []any
		for r.dec.More() {
			var v any
			if err := r.dec.Decode(&v); err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := r.dec.Token()
		return list, err
	}
	return tok, nil
}

// rawRecord decodes one JSON value and parses it as a record.
func (p *Parser) rawRecord(raw []byte, index int, off int64, emit Emit) {
	if len(raw) > MaxLineBytes {
		p.reject(Rejection{Index: index, Offset: off, Reason: fmt.Sprintf("record larger than %d bytes", MaxLineBytes), Raw: head(raw)})
		return
	}
	rec, err := decodeObject(raw)
	if err != nil {
		p.reject(Rejection{Index: index, Offset: off, Reason: err.Error(), Raw: head(raw)})
		return
	}
	p.Record(rec, raw, emit)
}

// decodeObject decodes a JSON object keeping numbers exact (json.Number → int64 or
// float64), so record ids and account numbers do not turn into floats.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("JSON record is not an object")
	}
	return normalizeNumbers(m).(map[string]any), nil
}

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
		f, _ := x.Float64()
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
