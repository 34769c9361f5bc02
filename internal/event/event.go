// Package event defines the normalized Event every log record becomes: typed time and id,
// ECS-named fields set by the parsers, and the original record kept under its own field
// names. Fields are read by dotted path ("source.ip", "userIdentity.arn"), which works on
// both the flat fields the parsers set and nested values of the original record.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Field is one normalized field. Key is the full dotted ECS name ("user.name").
type Field struct {
	Key   string
	Value any // string, int64, float64, bool, []string, or map[string]any for a decoded object
}

// Event is one normalized record. Parsers fill it with Set; the detection engine reads it
// with Get. The zero value is an empty event.
type Event struct {
	// ID is a stable identifier for deduplication: the same record always gets the same
	// id (see Finish).
	ID string
	// Time is @timestamp: when the event happened, as far as the record says.
	Time time.Time
	// Type names the parser that produced the event ("sshd", "cloudtrail", "unknown").
	Type string
	// Message is the original text line (empty for structured records).
	Message string
	// Fields are the normalized fields in the order they were set.
	Fields []Field
	// Original is the original structured record (cloud audit records, JSON events), under
	// its own field names; nil for text lines.
	Original map[string]any

	// encoded is the encoding of Original that its decoder gave (SetEncodedOriginal),
	// for the map encodedFor with encodedLen members.
	encoded    *EncodedObject
	encodedFor unsafe.Pointer
	encodedLen int
}

// Set sets a normalized field, replacing an earlier value of the same key. Empty strings
// and nil are not stored: an absent field and an empty one read the same.
func (e *Event) Set(key string, value any) {
	if value == nil {
		return
	}
	if s, ok := value.(string); ok && s == "" {
		return
	}
	for i := range e.Fields {
		if sameKey(e.Fields[i].Key, key) {
			e.Fields[i].Value = value
			return
		}
	}
	e.Fields = append(e.Fields, Field{Key: key, Value: value})
}

// sameKey is k == key, with a cheap test first: Set and Get compare a key with every
// field of the event, and keys of equal length mostly differ in their last byte.
func sameKey(k, key string) bool {
	return len(k) == len(key) && (len(k) == 0 || k[len(k)-1] == key[len(key)-1]) && k == key
}

// Append adds a value to a multi-valued field such as related.ip, skipping duplicates.
func (e *Event) Append(key, value string) {
	if value == "" {
		return
	}
	for i := range e.Fields {
		if sameKey(e.Fields[i].Key, key) {
			list, _ := e.Fields[i].Value.([]string)
			for _, v := range list {
				if v == value {
					return
				}
			}
			// The list may be shared (parsers set constant lists such as
			// event.category ["authentication"] without copying them): appending
			// always makes a new array, never writes into the old one.
			e.Fields[i].Value = append(list[:len(list):len(list)], value)
			return
		}
	}
	e.Fields = append(e.Fields, Field{Key: key, Value: []string{value}})
}

// Get returns the value at a dotted path and whether it exists. Normalized fields are
// looked up first, then the original record: at each level a key may itself contain dots
// ("requestParameters.policy.name" finds {"requestParameters": {"policy.name": ...}}).
// The pseudo-fields "@timestamp", "message", "event.id" and "event.module" (the
// parser) are always available.
func (e *Event) Get(path string) (any, bool) {
	for i := range e.Fields {
		if sameKey(e.Fields[i].Key, path) {
			return e.Fields[i].Value, true
		}
	}
	// A normalized field may hold an object (a decoded JSON string of the original
	// record): paths below it read inside.
	for i := range e.Fields {
		k := e.Fields[i].Key
		if len(path) > len(k) && path[len(k)] == '.' && path[:len(k)] == k {
			if m, ok := e.Fields[i].Value.(map[string]any); ok {
				if v, ok := lookup(m, path[len(k)+1:]); ok {
					return v, true
				}
			}
		}
	}
	return e.GetBeyondFields(path)
}

// GetBeyondFields is the rest of Get past the normalized fields: the pseudo-fields and
// the original record. It is what Get returns when no field's key is path or a prefix
// of path followed by a dot; a caller that knows as much of an event's keys (the
// detection engine keeps a signature of them) saves Get's search of the fields.
func (e *Event) GetBeyondFields(path string) (any, bool) {
	switch path {
	case "@timestamp":
		if e.Time.IsZero() {
			return nil, false
		}
		return e.Time.UTC().Format(time.RFC3339Nano), true
	case "message":
		if e.Message != "" {
			return e.Message, true
		}
	case "event.id":
		if e.ID != "" {
			return e.ID, true
		}
	case "event.module":
		if e.Type != "" {
			return e.Type, true
		}
	}
	if e.Original != nil {
		return lookup(e.Original, path)
	}
	return nil, false
}

// GetString returns the value at path as text ("" when absent); numbers and booleans are
// formatted, lists are joined with commas.
func (e *Event) GetString(path string) string {
	v, ok := e.Get(path)
	if !ok {
		return ""
	}
	return String(v)
}

// String formats a field value as text.
func String(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ",")
	case nil:
		return ""
	}
	return ""
}

func lookup(m map[string]any, path string) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	// Try each split point from the left: "a.b.c" → m["a"]["b.c"], m["a.b"]["c"].
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		child, ok := m[path[:i]]
		if !ok {
			continue
		}
		if sub, ok := child.(map[string]any); ok {
			if v, ok := lookup(sub, path[i+1:]); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// Finish sets the event id when it is not set yet: the SHA-256 of the source, the type
// and the original content, so that the same record delivered twice (a retried upload, a
// re-read file) gets the same id and is stored once. Where identical records can
// legitimately repeat (two equal log lines in one second), source must tell them apart,
// e.g. by naming the file and offset of the line.
func (e *Event) Finish(source string, original []byte) {
	if e.ID != "" {
		return
	}
	e.ID, _ = contentID([]byte(source), e.Type, original)
}

// IDBuilder computes the ids of Finish for inputs named by a source and a position in it,
// reusing one buffer: a stream parser finishes an event per line, and building the
// source string, copying the line and the hash state for each would cost more than the
// hash itself. The zero value is ready to use; it is not safe for concurrent use.
type IDBuilder struct{ buf []byte }

// Finish sets the id that e.Finish(source+"#"+strconv.FormatInt(pos, 10), original) would
// set.
func (b *IDBuilder) Finish(e *Event, source string, pos int64, original string) {
	if e.ID != "" {
		return
	}
	e.ID, b.buf = contentID(b.at(source, pos), e.Type, original)
}

// AppendID appends the id that Finish would set on an event of type typ to dst: for a
// caller that keeps the id's text in memory of its own.
func (b *IDBuilder) AppendID(dst []byte, typ, source string, pos int64, original string) []byte {
	var text [32]byte
	text, b.buf = contentIDText(b.at(source, pos), typ, original)
	return append(dst, text[:]...)
}

// FinishBytes is Finish for an original held as bytes.
func (b *IDBuilder) FinishBytes(e *Event, source string, pos int64, original []byte) {
	if e.ID != "" {
		return
	}
	e.ID, b.buf = contentID(b.at(source, pos), e.Type, original)
}

// at writes "source#pos" into the buffer.
func (b *IDBuilder) at(source string, pos int64) []byte {
	b.buf = append(b.buf[:0], source...)
	b.buf = append(b.buf, '#')
	b.buf = strconv.AppendInt(b.buf, pos, 10)
	return b.buf
}

// contentID hashes the source (already in buf), the type and the original, and returns
// the first 16 bytes of the SHA-256 in hex, with the buffer for reuse.
func contentID[T string | []byte](buf []byte, typ string, original T) (string, []byte) {
	text, buf := contentIDText(buf, typ, original)
	return string(text[:]), buf
}

// contentIDText is contentID with the id as bytes.
func contentIDText[T string | []byte](buf []byte, typ string, original T) ([32]byte, []byte) {
	buf = append(buf, 0)
	buf = append(buf, typ...)
	buf = append(buf, 0)
	buf = append(buf, original...)
	sum := sha256.Sum256(buf)
	var text [32]byte
	hex.Encode(text[:], sum[:16])
	if cap(buf) > 64<<10 {
		buf = nil // one huge record should not pin its size for the rest of the stream
	}
	return text, buf
}
