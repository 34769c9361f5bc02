package parse

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readJSONReference is readJSON as it was before the hand-written decoder, kept to
// compare the two on arbitrary input (FuzzReadJSON). It streams JSON documents: each top-level object is a record, each top-level
// array a list of records, and the Records array of a CloudTrail file is read one record
// at a time, so a trail file of any size is parsed in bounded memory. Every record is
// decoded once.
func readJSONReference(br *bufio.Reader, p *Parser, emit Emit) error {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	r := &refJSONReader{dec: dec, p: p, emit: emit}
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

type refJSONReader struct {
	dec   *json.Decoder
	p     *Parser
	emit  Emit
	index int
}

// broken rejects the rest of a stream after a syntax error: JSON cannot be resynchronised.
// A read error (not a syntax error) is returned to the caller.
func (r *refJSONReader) broken(off int64, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		rest, _ := io.ReadAll(io.LimitReader(r.dec.Buffered(), 4096))
		r.p.reject(Rejection{Index: r.index + 1, Offset: off, Reason: "invalid JSON: " + err.Error(), Raw: rest})
		return nil
	}
	return err
}

// record decodes the next value of an array as one record.
func (r *refJSONReader) record() error {
	off := r.dec.InputOffset()
	r.index++
	var v any
	if err := r.dec.Decode(&v); err != nil {
		return err
	}
	r.value(v, off)
	return nil
}

func (r *refJSONReader) value(v any, off int64) {
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
func (r *refJSONReader) object(off int64) error {
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
func (r *refJSONReader) finishValue(tok json.Token) (any, error) {
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
