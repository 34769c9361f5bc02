package event

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the event as one JSON object, byte for byte the document that
// json.Marshal(e.Tree()) writes: the same nesting (see Tree), keys sorted as encoding/json
// sorts map keys, and strings escaped as encoding/json escapes them (HTML characters,
// U+2028 and U+2029, invalid UTF-8 as U+FFFD). It builds no maps and uses no reflection
// for the values a parser or a decoded record holds, which is what makes `vigil parse`
// and ingestion fast enough for whole trail files; any other value type is written by
// encoding/json. It fails where json.Marshal fails: on a NaN or infinite number.
func (e *Event) AppendJSON(dst []byte) ([]byte, error) {
	enc := encoderPool.Get().(*encoder)
	dst, err := enc.event(dst, e)
	enc.reset()
	encoderPool.Put(enc)
	return dst, err
}

// AppendValueJSON appends v as json.Marshal(v) writes it, with the fast paths of
// AppendJSON. The content hash of a record without an id of its own is taken over this
// encoding of the record, so it must stay exactly encoding/json's.
func AppendValueJSON(dst []byte, v any) ([]byte, error) {
	enc := encoderPool.Get().(*encoder)
	dst, err := enc.value(dst, v)
	enc.reset()
	encoderPool.Put(enc)
	return dst, err
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// encoder lays the normalized fields over the original record without copying either:
// each node is one JSON object, the original record's object at that level (base, read
// only) with the entries that put added or replaced on top. Nodes live in one slice and
// refer to each other by index, so an encoder reused from the pool allocates nothing once
// it has grown to the size of the events it writes.
type encoder struct {
	nodes []node
	// items is the scratch list of one object's members being sorted for output; nested
	// objects use the part after their parent's.
	items []entry
	ev    *Event
	sc    sortScratch
}

type node struct {
	base map[string]any
	ents []entry
}

// entry is one member of a node: a leaf value, or (sub >= 0) a nested node.
type entry struct {
	key string
	val any
	sub int32
}

// Markers for the event's own values: storing them as these empty types, rather than
// their strings, in an interface costs no allocation; the writer reads the event.
type (
	timestampValue struct{}
	messageValue   struct{}
	idValue        struct{}
	moduleValue    struct{}
)

func (enc *encoder) reset() {
	for i := range enc.nodes {
		clear(enc.nodes[i].ents)
		enc.nodes[i].ents = enc.nodes[i].ents[:0]
		enc.nodes[i].base = nil
	}
	enc.nodes = enc.nodes[:0]
	clear(enc.items)
	enc.items = enc.items[:0]
	enc.ev = nil
}

func (enc *encoder) newNode(base map[string]any) int32 {
	if len(enc.nodes) < cap(enc.nodes) {
		enc.nodes = enc.nodes[:len(enc.nodes)+1]
	} else {
		enc.nodes = append(enc.nodes, node{})
	}
	n := &enc.nodes[len(enc.nodes)-1]
	n.base = base
	return int32(len(enc.nodes) - 1)
}

// event writes the event: through its cached layout when it has one (see plan), else by
// building the tree of Tree.
func (enc *encoder) event(dst []byte, e *Event) ([]byte, error) {
	enc.ev = e
	if p := lookupPlan(e); p != nil {
		if out, ok, err := enc.planned(dst, e, p); ok {
			return out, err
		}
	}
	root := enc.layout(e, e.Original)
	return enc.node(dst, root)
}

// layout builds the tree of the event's members over base and returns its root node.
func (enc *encoder) layout(e *Event, base map[string]any) int32 {
	root := enc.newNode(base)
	if !e.Time.IsZero() {
		enc.set(root, "@timestamp", timestampValue{})
	}
	if e.Message != "" {
		enc.set(root, "message", messageValue{})
	}
	if e.ID != "" {
		enc.put(root, "event.id", idValue{})
	}
	if e.Type != "" {
		enc.put(root, "event.module", moduleValue{})
	}
	for i := range e.Fields {
		enc.put(root, e.Fields[i].Key, e.Fields[i].Value)
	}
	return root
}

// find returns the index of the entry named key in node n, or -1.
func (enc *encoder) find(n int32, key string) int {
	ents := enc.nodes[n].ents
	for i := range ents {
		if ents[i].key == key {
			return i
		}
	}
	return -1
}

// set stores a leaf value under key in node n, replacing an entry of the same key.
func (enc *encoder) set(n int32, key string, v any) {
	if i := enc.find(n, key); i >= 0 {
		enc.nodes[n].ents[i] = entry{key: key, val: v, sub: -1}
		return
	}
	enc.nodes[n].ents = append(enc.nodes[n].ents, entry{key: key, val: v, sub: -1})
}

// put is Tree's put on the overlay: it walks a dotted key down, opening objects of the
// original record (or object values set earlier) as nodes, and where a level is taken by
// a value that is not an object it stores the rest of the key flat.
func (enc *encoder) put(n int32, key string, v any) {
	for {
		head, rest, found := strings.Cut(key, ".")
		if !found {
			enc.set(n, key, v)
			return
		}
		var base map[string]any
		if i := enc.find(n, head); i >= 0 {
			en := enc.nodes[n].ents[i]
			if en.sub >= 0 {
				n, key = en.sub, rest
				continue
			}
			m, isMap := en.val.(map[string]any)
			if !isMap {
				enc.set(n, key, v)
				return
			}
			sub := enc.newNode(m)
			enc.nodes[n].ents[i] = entry{key: head, sub: sub}
			n, key = sub, rest
			continue
		}
		if child, exists := enc.nodes[n].base[head]; exists {
			m, isMap := child.(map[string]any)
			if !isMap {
				enc.set(n, key, v)
				return
			}
			base = m
		}
		sub := enc.newNode(base)
		enc.nodes[n].ents = append(enc.nodes[n].ents, entry{key: head, sub: sub})
		n, key = sub, rest
	}
}

// node writes node n: its entries and the members of its base that no entry replaces,
// in key order.
func (enc *encoder) node(dst []byte, n int32) ([]byte, error) {
	start := len(enc.items)
	ents := enc.nodes[n].ents
	enc.items = append(enc.items, ents...)
	for k, v := range enc.nodes[n].base {
		if len(ents) > 0 && slices.ContainsFunc(ents, func(en entry) bool { return en.key == k }) {
			continue
		}
		enc.items = append(enc.items, entry{key: k, val: v, sub: -1})
	}
	return enc.members(dst, start)
}

// object writes a map as encoding/json does.
func (enc *encoder) object(dst []byte, m map[string]any) ([]byte, error) {
	start := len(enc.items)
	for k, v := range m {
		enc.items = append(enc.items, entry{key: k, val: v, sub: -1})
	}
	return enc.members(dst, start)
}

// members sorts and writes the items from start on, then drops them. Nested objects
// append their own items after these, so each is read by index, not through a slice
// that an append may have moved.
func (enc *encoder) members(dst []byte, start int) ([]byte, error) {
	end := len(enc.items)
	enc.sc.sort(enc.items[start:end])
	dst = append(dst, '{')
	var err error
	for i := start; i < end; i++ {
		if i > start {
			dst = append(dst, ',')
		}
		it := enc.items[i]
		dst = appendString(dst, it.key)
		dst = append(dst, ':')
		if it.sub >= 0 {
			dst, err = enc.node(dst, it.sub)
		} else {
			dst, err = enc.value(dst, it.val)
		}
		if err != nil {
			break
		}
	}
	clear(enc.items[start:end])
	enc.items = enc.items[:start]
	return append(dst, '}'), err
}

// sortEntries sorts by key in byte order, as encoding/json sorts map keys. Objects have
// a few dozen members at most, where insertion sort beats the general sort; it sorts
// pairs of the first eight bytes of the key as a number, which tells most keys apart,
// and the entry's index, and only compares whole keys on equal prefixes.
func sortEntries(s []entry) {
	sc := sortScratchPool.Get().(*sortScratch)
	sc.sort(s)
	sortScratchPool.Put(sc)
}

// sortScratch is the working memory of sortEntries, reused: arrays on the stack would
// be cleared on every call, and most objects are small.
type sortScratch struct {
	keys []sortKey
	tmp  []entry
}

var sortScratchPool = sync.Pool{New: func() any { return new(sortScratch) }}

func (sc *sortScratch) sort(s []entry) {
	if len(s) < 3 {
		if len(s) == 2 && s[1].key < s[0].key {
			s[0], s[1] = s[1], s[0]
		}
		return
	}
	if len(s) > 64 {
		slices.SortFunc(s, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		return
	}
	ks := sc.keys[:0]
	for i := range s {
		ks = append(ks, sortKey{pfx: keyPrefix(s[i].key), i: int32(i)})
	}
	sc.keys = ks
	for i := 1; i < len(ks); i++ {
		x := ks[i]
		j := i
		for ; j > 0 && (x.pfx < ks[j-1].pfx || x.pfx == ks[j-1].pfx && s[x.i].key < s[ks[j-1].i].key); j-- {
			ks[j] = ks[j-1]
		}
		ks[j] = x
	}
	// Apply the permutation: ks[n].i is the entry that belongs at n.
	tmp := append(sc.tmp[:0], s...)
	for n := range ks {
		s[n] = tmp[ks[n].i]
	}
	clear(tmp)
	sc.tmp = tmp
}

type sortKey struct {
	pfx uint64
	i   int32
}

// keyPrefix is the first eight bytes of k, big-endian, padded with zeros: prefixes that
// differ order as their keys do.
func keyPrefix(k string) uint64 {
	if len(k) >= 8 {
		return uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32 |
			uint64(k[4])<<24 | uint64(k[5])<<16 | uint64(k[6])<<8 | uint64(k[7])
	}
	var p uint64
	for i := 0; i < len(k); i++ {
		p |= uint64(k[i]) << (56 - 8*i)
	}
	return p
}

// value writes one value as encoding/json would.
func (enc *encoder) value(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendString(dst, x), nil
	case nil:
		return append(dst, "null"...), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case float64:
		return appendFloat(dst, x)
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return enc.object(dst, x)
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = enc.value(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case timestampValue:
		dst = append(dst, '"')
		dst = enc.ev.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"'), nil
	case messageValue:
		return appendString(dst, enc.ev.Message), nil
	case idValue:
		return appendString(dst, enc.ev.ID), nil
	case moduleValue:
		return appendString(dst, enc.ev.Type), nil
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// appendFloat writes a float64 as encoding/json does: like ES6's number to string, 'f'
// notation between 1e-6 and 1e21, otherwise 'e' with the exponent not padded.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// safeASCII marks the bytes that encoding/json writes as they are in a string with HTML
// escaping on: printable ASCII except the quote, the backslash and <, > and &.
var safeASCII = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// needsEscape reports whether any of the eight bytes in x is not safeASCII: a control
// character, a byte of a multi-byte sequence, or one of " \ < > &. Each test sets the
// high bit of a byte that matches; the subtractions can also flag bytes above a match,
// which only makes the caller look at bytes one by one a little early.
func needsEscape(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v }
	below := (x - ones*0x20) &^ x
	return (below|x|zero(x^ones*'"')|zero(x^ones*'\\')|zero(x^ones*'<')|zero(x^ones*'>')|zero(x^ones*'&'))&highs != 0
}

// appendString writes s as a JSON string exactly as encoding/json does.
// AppendJSONString appends s as a JSON string exactly as encoding/json writes it (HTML
// characters and U+2028/2029 escaped, invalid UTF-8 replaced), for other encoders of
// the product that write JSON by hand (alerts).
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }

// load8 reads the eight bytes of s at i as a little-endian number.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	// Most strings need no escaping: skip eight bytes at a time while none of them does.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if needsEscape(load8(s, i)) {
			break
		}
	}
	if i == len(s) || i >= 8 && i+8 > len(s) && !needsEscape(load8(s, len(s)-8)) {
		// The whole string, or all but a tail that the last eight bytes cover.
		dst = append(dst, s...)
		return append(dst, '"')
	}
	start := 0
	for i < len(s) {
		b := s[i]
		if safeASCII[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				// Other control characters, and <, > and & for pages that embed JSON.
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid in JSON but end a line in JavaScript.
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
