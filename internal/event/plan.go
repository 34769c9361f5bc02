package event

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// A plan is the compiled layout of an event's own members (its fields and @timestamp,
// message, event.id, event.module): the JSON text between the values, in output order,
// with a slot for each value. The layout depends only on the field keys, in order, and on
// which of the event's own values are set, and a parser produces the same few dozen key
// lists over and over; so the nesting and sorting of AppendJSON are done once per key
// list, and writing an event is copying literals and encoding values.
//
// Plans hold for fields whose values are not objects (an object value is opened by later
// keys below it) and for members that the original record does not also have; any other
// event is written the long way, by building its tree.
type plan struct {
	keys  []string
	flags uint8
	// top holds the members of the top-level object in key order, each starting with
	// its key, to be merged with the members of the original record.
	top []planMember
}

type planMember struct {
	key   string
	steps []planStep
	tail  string // written after the last value
}

type planStep struct {
	lit  string // written before the value
	slot int    // the index of the field, or one of the slot constants
}

// Slots of the event's own values.
const (
	slotTime = -1 - iota
	slotMessage
	slotID
	slotModule
)

// Flags of the event's own values that are set.
const (
	hasTime = 1 << iota
	hasMessage
	hasID
	hasModule
)

// Events with more fields are rare (whole auditd records), and are written the long way.
const maxPlanFields = 64

// maxPlans bounds the cache: input whose keys vary without end (an attacker's JSON
// records, say) cannot grow it, it only stops getting plans of its own.
const maxPlans = 1024

var plans struct {
	mu sync.Mutex // serialises adding plans
	m  atomic.Pointer[map[uint64]*plan]
}

func ownFlags(e *Event) uint8 {
	var f uint8
	if !e.Time.IsZero() {
		f |= hasTime
	}
	if e.Message != "" {
		f |= hasMessage
	}
	if e.ID != "" {
		f |= hasID
	}
	if e.Type != "" {
		f |= hasModule
	}
	return f
}

// fingerprint hashes the key list cheaply (length and three bytes of each key); a
// collision only costs the comparison of the key lists in lookupPlan. It reports false
// for an event that no plan can hold.
func fingerprint(e *Event, flags uint8) (uint64, bool) {
	const prime = 0x100000001b3
	h := uint64(0xcbf29ce484222325) ^ uint64(flags)
	for i := range e.Fields {
		if _, isMap := e.Fields[i].Value.(map[string]any); isMap {
			return 0, false
		}
		k := e.Fields[i].Key
		x := uint64(len(k))
		if len(k) > 0 {
			x |= uint64(k[len(k)-1])<<16 | uint64(k[len(k)/2])<<24 | uint64(k[len(k)*3/4])<<32
		}
		h = (h ^ x) * prime
	}
	return h, true
}

// lookupPlan returns the plan of the event's layout, compiling it on first sight, or nil
// when the event needs the long way.
func lookupPlan(e *Event) *plan {
	if len(e.Fields) > maxPlanFields {
		return nil
	}
	flags := ownFlags(e)
	h, ok := fingerprint(e, flags)
	if !ok {
		return nil
	}
	if m := plans.m.Load(); m != nil {
		if p := (*m)[h]; p != nil {
			if p.matches(e, flags) {
				return p
			}
			return nil // another key list has this fingerprint
		}
	}
	p := compilePlan(e, flags)
	plans.mu.Lock()
	defer plans.mu.Unlock()
	old := plans.m.Load()
	if old == nil || len(*old) < maxPlans {
		// Copy on write: readers take the map without a lock, and new key lists stop
		// arriving once a stream's parsers have all been seen.
		m := make(map[uint64]*plan, 1)
		if old != nil {
			m = maps.Clone(*old)
		}
		if _, taken := m[h]; !taken {
			m[h] = p
			plans.m.Store(&m)
		}
	}
	return p
}

func (p *plan) matches(e *Event, flags uint8) bool {
	if p.flags != flags || len(p.keys) != len(e.Fields) {
		return false
	}
	for i, k := range p.keys {
		if e.Fields[i].Key != k {
			return false
		}
	}
	return true
}

// fieldRef stands for the value of field i while a plan is compiled.
type fieldRef int

// compilePlan lays out the event's members with put, as the long way does, with
// stand-ins for the values, and turns the tree into literals and slots.
func compilePlan(e *Event, flags uint8) *plan {
	p := &plan{keys: make([]string, len(e.Fields)), flags: flags}
	var enc encoder
	root := enc.newNode(nil)
	if flags&hasTime != 0 {
		enc.set(root, "@timestamp", timestampValue{})
	}
	if flags&hasMessage != 0 {
		enc.set(root, "message", messageValue{})
	}
	if flags&hasID != 0 {
		enc.put(root, "event.id", idValue{})
	}
	if flags&hasModule != 0 {
		enc.put(root, "event.module", moduleValue{})
	}
	for i := range e.Fields {
		p.keys[i] = e.Fields[i].Key
		enc.put(root, e.Fields[i].Key, fieldRef(i))
	}
	top := append([]entry(nil), enc.nodes[root].ents...)
	sortEntries(top)
	for _, it := range top {
		var b planBuilder
		b.lit = appendString(b.lit, it.key)
		b.lit = append(b.lit, ':')
		b.member(&enc, it)
		p.top = append(p.top, planMember{key: it.key, steps: b.steps, tail: string(b.lit)})
	}
	return p
}

type planBuilder struct {
	lit   []byte
	steps []planStep
}

func (b *planBuilder) member(enc *encoder, it entry) {
	if it.sub < 0 {
		slot := 0
		switch v := it.val.(type) {
		case fieldRef:
			slot = int(v)
		case timestampValue:
			slot = slotTime
		case messageValue:
			slot = slotMessage
		case idValue:
			slot = slotID
		case moduleValue:
			slot = slotModule
		}
		b.steps = append(b.steps, planStep{lit: string(b.lit), slot: slot})
		b.lit = b.lit[:0]
		return
	}
	items := append([]entry(nil), enc.nodes[it.sub].ents...)
	sortEntries(items)
	b.lit = append(b.lit, '{')
	for i, c := range items {
		if i > 0 {
			b.lit = append(b.lit, ',')
		}
		b.lit = appendString(b.lit, c.key)
		b.lit = append(b.lit, ':')
		b.member(enc, c)
	}
	b.lit = append(b.lit, '}')
}

// planned writes the event by its plan, merging the members of the original record in.
// It reports false, having written nothing, when the original record has a member of
// the plan's (then the original's object is opened or replaced: the long way).
func (enc *encoder) planned(dst []byte, e *Event, p *plan) ([]byte, bool, error) {
	if eo := e.encodedOriginal(); eo != nil {
		return enc.plannedEncoded(dst, e, p, eo)
	}
	base := e.Original
	start := len(enc.items)
	for k, v := range base {
		enc.items = append(enc.items, entry{key: k, val: v, sub: -1})
	}
	end := len(enc.items)
	enc.sc.sort(enc.items[start:end])
	from := len(dst)
	dst = append(dst, '{')
	var err error
	i, j := start, 0
	for n := 0; (i < end || j < len(p.top)) && err == nil; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		c := 1 // the plan's member next, unless the plan is done or the record's sorts first
		if j == len(p.top) {
			c = -1
		} else if i < end {
			c = strings.Compare(enc.items[i].key, p.top[j].key)
		}
		if c == 0 {
			// The original record has a member of the plan's: found in the merge
			// rather than looked up first, as records seldom have one.
			clear(enc.items[start:end])
			enc.items = enc.items[:start]
			return dst[:from], false, nil
		}
		if c < 0 {
			it := enc.items[i]
			i++
			dst = appendString(dst, it.key)
			dst = append(dst, ':')
			dst, err = enc.value(dst, it.val)
			continue
		}
		dst, err = enc.member(dst, e, &p.top[j])
		j++
	}
	clear(enc.items[start:end])
	enc.items = enc.items[:start]
	return append(dst, '}'), true, err
}

func (enc *encoder) member(dst []byte, e *Event, m *planMember) ([]byte, error) {
	var err error
	for i := range m.steps {
		st := &m.steps[i]
		dst = append(dst, st.lit...)
		switch st.slot {
		case slotTime:
			dst, err = enc.value(dst, timestampValue{})
		case slotMessage:
			dst = appendString(dst, e.Message)
		case slotID:
			dst = appendString(dst, e.ID)
		case slotModule:
			dst = appendString(dst, e.Type)
		default:
			if s, ok := e.Fields[st.slot].Value.(string); ok {
				dst = appendString(dst, s) // most values, without value's type switch
				continue
			}
			dst, err = enc.value(dst, e.Fields[st.slot].Value)
		}
		if err != nil {
			return dst, err
		}
	}
	return append(dst, m.tail...), nil
}

// plannedEncoded is planned for an event whose original record comes encoded: its
// members are copied as they are.
func (enc *encoder) plannedEncoded(dst []byte, e *Event, p *plan, eo *EncodedObject) ([]byte, bool, error) {
	from := len(dst)
	dst = append(dst, '{')
	var err error
	i, j, at := 0, 0, 0
	for n := 0; (i < len(eo.Keys) || j < len(p.top)) && err == nil; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		c := 1
		if j == len(p.top) {
			c = -1
		} else if i < len(eo.Keys) {
			c = strings.Compare(eo.Keys[i], p.top[j].key)
		}
		if c == 0 {
			return dst[:from], false, nil // the long way, as in planned
		}
		if c < 0 {
			dst = append(dst, eo.Text[at:eo.Ends[i]]...)
			at = eo.Ends[i]
			i++
			continue
		}
		dst, err = enc.member(dst, e, &p.top[j])
		j++
	}
	return append(dst, '}'), true, err
}
