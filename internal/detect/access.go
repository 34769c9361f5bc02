package detect

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// pathKind is how a path of a field pipeline reads an event.
type pathKind uint8

const (
	pathPlain  pathKind = iota + 1 // event.Get
	pathModule                     // event.module: the parser that made the event
	pathConst                      // a constant value
	pathWild                       // a normalized field whose key matches prefix.*.suffix
)

// pathSpec is a parsed event path.
type pathSpec struct {
	kind   pathKind
	text   string // the path, or the constant
	prefix string // pathWild: the key up to and including the dot before *
	suffix string // pathWild: the key from the dot after *
	// keys (pathPlain) is the signature of the keys that a normalized field would
	// need for Get to find the path among the fields: the path itself, and each
	// prefix of it that ends before a dot.
	keys keySig
}

// keySig is a Bloom filter of field keys: one bit of 256 per key, from the key's length
// and three of its bytes. Events of one parser share their keys; what the signature
// saves is searching them for each path of a rule that reads the original record.
type keySig [4]uint64

func (s *keySig) add(k string) {
	h := keyBit(k)
	s[h>>6] |= 1 << (h & 63)
}

func (s *keySig) meets(o *keySig) bool {
	return s[0]&o[0]|s[1]&o[1]|s[2]&o[2]|s[3]&o[3] != 0
}

// keyBit picks a key's bit: a multiplicative hash of its length and its first,
// middle and last bytes, cheap enough to take for every field of every event.
func keyBit(k string) uint32 {
	n := len(k)
	if n == 0 {
		return 0
	}
	x := uint32(n) | uint32(k[0])<<8 | uint32(k[n/2])<<16 | uint32(k[n-1])<<24
	return (x * 0x9E3779B1) >> 24
}

// pathKeys is the signature of the keys that would put a path among the fields.
func pathKeys(p string) keySig {
	var s keySig
	s.add(p)
	for i := 1; i < len(p); i++ {
		if p[i] == '.' {
			s.add(p[:i])
		}
	}
	return s
}

func parsePath(p string) (pathSpec, error) {
	switch {
	case p == "":
		return pathSpec{}, fmt.Errorf("an empty path")
	case strings.HasPrefix(p, "="):
		return pathSpec{kind: pathConst, text: p[1:]}, nil
	case p == "event.module":
		return pathSpec{kind: pathModule, text: p}, nil
	case !strings.Contains(p, "*"):
		return pathSpec{kind: pathPlain, text: p, keys: pathKeys(p)}, nil
	}
	segs := strings.Split(p, ".")
	star := -1
	for i, s := range segs {
		if strings.Contains(s, "*") {
			if s != "*" || star >= 0 {
				return pathSpec{}, fmt.Errorf("path %q: a wildcard must be one whole segment, and only one", p)
			}
			star = i
		}
	}
	ps := pathSpec{kind: pathWild, text: p}
	if star > 0 {
		ps.prefix = strings.Join(segs[:star], ".") + "."
	}
	if star < len(segs)-1 {
		ps.suffix = "." + strings.Join(segs[star+1:], ".")
	}
	return ps, nil
}

// scalarKind is the type of one value of a field.
type scalarKind uint8

const (
	kString scalarKind = iota + 1
	kNumber
	kBool
	kNull
	kObject // a nested object or something else no value matches
)

// scalar is one value of a field: a list contributes one scalar per element.
type scalar struct {
	kind   scalarKind
	s      string // the text: the string, or the written form of a number or boolean
	f      string // the folding of s, once folded is set
	folded bool
	num    float64 // kNumber
	b      bool    // kBool
}

// slot caches the values of one accessor for the current event.
type slot struct {
	gen     uint32
	present bool
	vals    []scalar
}

// accessor is a rule field resolved through its pipeline: the paths it reads.
type accessor struct {
	name  string // the Sigma field name, for alerts
	paths []pathSpec
}

// evalCtx is the state of evaluating one event: the event, the per-event cache of field
// values and of folded text, and the keyword texts. It is reused from event to event; a
// new generation number invalidates every cached value at once.
type evalCtx struct {
	ev    *event.Event
	gen   uint32
	acc   []accessor
	slots []slot
	ar    arena

	kwGen uint32
	kw    []scalar // every string value of the event, for keywords

	// keys is the signature of the event's field keys, taken for generation keysGen.
	keysGen uint32
	keys    keySig

	// rec, when set, receives the items that matched, as the condition reaches them
	// (see item.record); recBuf is its reused memory.
	rec    *[]recEntry
	recBuf []recEntry
}

// recEntry is an item that matched: a field item with its slot, or a keyword as
// written. The alert's values are made from them only when the rule matches.
type recEntry struct {
	field string
	sl    *slot  // field items
	raw   string // keywords
}

// matched makes the alert's matched fields from the recorded items: a field's value (its
// values, each once, when several paths or a list gave more than one), copied out of
// the event, which the caller may reuse once Eval returns.
func matched(recs []recEntry) []MatchedField {
	if len(recs) == 0 {
		return nil
	}
	out := make([]MatchedField, len(recs))
	for i, r := range recs {
		out[i].Field = r.field
		if r.sl == nil {
			out[i].Value = r.raw
			continue
		}
		switch vals := r.sl.vals; len(vals) {
		case 0:
		case 1:
			out[i].Value = strings.Clone(vals[0].s)
		default:
			vs := make([]string, 0, len(vals))
			for _, x := range vals {
				if !slices.Contains(vs, x.s) {
					vs = append(vs, strings.Clone(x.s))
				}
			}
			if len(vs) == 1 {
				out[i].Value = vs[0]
			} else {
				out[i].Value = vs
			}
		}
	}
	return out
}

func newEvalCtx(acc []accessor) *evalCtx {
	return &evalCtx{acc: acc, slots: make([]slot, len(acc))}
}

// reset starts a new event.
func (c *evalCtx) reset(ev *event.Event) {
	c.ev = ev
	c.gen++
	if c.gen == 0 {
		for i := range c.slots {
			c.slots[i].gen = 0
		}
		c.kwGen = 0
		c.keysGen = 0
		c.gen = 1
	}
	c.ar.reset()
}

// slot returns the values of accessor i for the current event.
func (c *evalCtx) slot(i int) *slot {
	sl := &c.slots[i]
	if sl.gen == c.gen {
		return sl
	}
	sl.gen = c.gen
	sl.present = false
	sl.vals = sl.vals[:0]
	for _, p := range c.acc[i].paths {
		c.read(sl, p)
	}
	return sl
}

// read adds the values at one path to the slot.
func (c *evalCtx) read(sl *slot, p pathSpec) {
	ev := c.ev
	switch p.kind {
	case pathConst:
		sl.present = true
		sl.vals = append(sl.vals, scalar{kind: kString, s: p.text})
	case pathModule:
		if ev.Type != "" {
			sl.present = true
			sl.vals = append(sl.vals, scalar{kind: kString, s: ev.Type})
			return
		}
		if v, ok := ev.Get(p.text); ok {
			sl.present = true
			c.add(sl, v, 0)
		}
	case pathWild:
		for i := range ev.Fields {
			k := ev.Fields[i].Key
			if len(k) <= len(p.prefix)+len(p.suffix) || !strings.HasPrefix(k, p.prefix) || !strings.HasSuffix(k, p.suffix) {
				continue
			}
			if strings.IndexByte(k[len(p.prefix):len(k)-len(p.suffix)], '.') >= 0 {
				continue
			}
			sl.present = true
			c.add(sl, ev.Fields[i].Value, 0)
		}
	default:
		var v any
		var ok bool
		if c.fieldKeys().meets(&p.keys) {
			v, ok = ev.Get(p.text)
		} else {
			// No field's key is the path or leads into it: only the record can hold it.
			v, ok = ev.GetBeyondFields(p.text)
		}
		if ok {
			sl.present = true
			c.add(sl, v, 0)
		}
	}
}

// fieldKeys returns the signature of the current event's field keys.
func (c *evalCtx) fieldKeys() *keySig {
	if c.keysGen != c.gen {
		c.keysGen = c.gen
		c.keys = keySig{}
		for i := range c.ev.Fields {
			c.keys.add(c.ev.Fields[i].Key)
		}
	}
	return &c.keys
}

// add flattens a value into scalars: lists give their elements.
func (c *evalCtx) add(sl *slot, v any, depth int) {
	switch x := v.(type) {
	case string:
		sl.vals = append(sl.vals, scalar{kind: kString, s: x})
	case []string:
		for _, s := range x {
			sl.vals = append(sl.vals, scalar{kind: kString, s: s})
		}
	case int64:
		start := len(c.ar.buf)
		c.ar.buf = strconv.AppendInt(c.ar.buf, x, 10)
		sl.vals = append(sl.vals, scalar{kind: kNumber, s: c.ar.take(start), num: float64(x)})
	case int:
		start := len(c.ar.buf)
		c.ar.buf = strconv.AppendInt(c.ar.buf, int64(x), 10)
		sl.vals = append(sl.vals, scalar{kind: kNumber, s: c.ar.take(start), num: float64(x)})
	case float64:
		start := len(c.ar.buf)
		c.ar.buf = strconv.AppendFloat(c.ar.buf, x, 'f', -1, 64)
		sl.vals = append(sl.vals, scalar{kind: kNumber, s: c.ar.take(start), num: x})
	case bool:
		sl.vals = append(sl.vals, scalar{kind: kBool, s: strconv.FormatBool(x), b: x})
	case nil:
		sl.vals = append(sl.vals, scalar{kind: kNull})
	case []any:
		if depth > 2 {
			sl.vals = append(sl.vals, scalar{kind: kObject})
			return
		}
		for _, e := range x {
			c.add(sl, e, depth+1)
		}
	default:
		sl.vals = append(sl.vals, scalar{kind: kObject})
	}
}

// foldOf returns the folded text of a scalar, folding it on first use.
func (c *evalCtx) foldOf(sc *scalar) string {
	if !sc.folded {
		sc.f = c.ar.fold(sc.s)
		sc.folded = true
	}
	return sc.f
}

// keywords returns every string value of the event: normalized fields (list elements
// and strings inside decoded objects too), the message and the original record's
// strings, which keyword searches look through.
func (c *evalCtx) keywords() []scalar {
	if c.kwGen == c.gen {
		return c.kw
	}
	c.kwGen = c.gen
	c.kw = c.kw[:0]
	ev := c.ev
	for i := range ev.Fields {
		c.kw = appendStrings(c.kw, ev.Fields[i].Value, 0)
	}
	if ev.Message != "" {
		c.kw = append(c.kw, scalar{kind: kString, s: ev.Message})
	}
	if ev.Original != nil {
		c.kw = appendStrings(c.kw, ev.Original, 0)
	}
	return c.kw
}

// maxDepth bounds the walk through nested objects.
const maxDepth = 32

func appendStrings(dst []scalar, v any, depth int) []scalar {
	if depth > maxDepth {
		return dst
	}
	switch x := v.(type) {
	case string:
		if x != "" {
			dst = append(dst, scalar{kind: kString, s: x})
		}
	case []string:
		for _, s := range x {
			if s != "" {
				dst = append(dst, scalar{kind: kString, s: s})
			}
		}
	case []any:
		for _, e := range x {
			dst = appendStrings(dst, e, depth+1)
		}
	case map[string]any:
		for _, e := range x {
			dst = appendStrings(dst, e, depth+1)
		}
	}
	return dst
}
