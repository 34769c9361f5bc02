package parse

import (
	"strconv"

	"github.com/vigilsec/vigil/internal/event"
)

// While it decodes a record, the decoder can also write the record's encoding as
// json.Marshal writes it (members in key order, strings escaped as encoding/json
// escapes them), for the event encoder to copy (event.EncodedObject): re-encoding a
// cloud audit record from its maps was most of the time its event took to write. The
// decoder has the members of each object in hand before it makes the map, and most
// keys and strings need no escaping, so their encoding is their text in the input;
// what it adds is sorting each object's members and copying their encodings into
// place.
//
// It is done for the top-level objects that an arena with encode set decodes (a parser
// in Reuse mode); the encoding of the last one is kept in the arena with its map until
// the arena is reset.

// maxCanonInput keeps the offsets of the encoding (int32 in member) in range: an
// encoding is at most six times its text (a < becomes \u003c).
const maxCanonInput = 1 << 28

// startCanon turns the encoding on for a value that is an object, when the arena asks.
func (d *valueDecoder) startCanon() {
	d.canon = false
	if !d.mem.encode || len(d.s) > maxCanonInput {
		return
	}
	i := d.pos
	for i < len(d.s) && (d.s[i] == ' ' || d.s[i] == '\t' || d.s[i] == '\n' || d.s[i] == '\r') {
		i++
	}
	if i < len(d.s) && d.s[i] == '{' {
		d.canon = true
		d.out = d.mem.out
	}
}

// endCanon hands the encoding buffer back to the arena.
func (d *valueDecoder) endCanon(err error) {
	if !d.canon {
		return
	}
	if err != nil {
		d.mem.encodedFor = nil
	}
	d.mem.out = d.out
	d.out = nil
	d.canon = false
}

// canonString writes a string that started at start in the input: its text when it
// needs no escaping, else as encoding/json escapes it.
func (d *valueDecoder) canonString(s string, plain bool, start int) {
	if plain {
		d.out = append(d.out, d.s[start:d.pos]...)
		return
	}
	d.out = event.AppendJSONString(d.out, s)
}

// canonNumber writes a decoded number as encoding/json writes it.
func (d *valueDecoder) canonNumber(v any) {
	switch x := v.(type) {
	case int64:
		d.out = strconv.AppendInt(d.out, x, 10)
	case string: // too large for float64, kept as its text
		d.out = event.AppendJSONString(d.out, x)
	default:
		// A float64, finite: the decoder makes no other numbers.
		d.out, _ = event.AppendValueJSON(d.out, x)
	}
}

// canonLiteral reads true, false or null and writes it.
func (d *valueDecoder) canonLiteral(word string) error {
	err := d.literal(word)
	if d.canon && err == nil {
		d.out = append(d.out, word...)
	}
	return err
}

// canonObject writes the encoding of the object whose members are those from base on
// (their values' encodings are in out from objStart on, in input order): the members
// in key order, a repeated key keeping its last value, as a map does. A nested object's
// encoding replaces its values' in out, as its parent expects it there; the top-level
// object's members go to the arena's EncodedObject, without the braces.
func (d *valueDecoder) canonObject(base, objStart int) {
	ms := d.members[base:]
	ord := d.sortMembers(ms)
	top := d.depth == 1
	enc := &d.mem.enc
	if top {
		enc.Keys, enc.Ends = enc.Keys[:0], enc.Ends[:0]
	}
	mark := len(d.out)
	if !top {
		d.out = append(d.out, '{')
	}
	for n, o := range ord {
		m := &ms[o.i]
		if n+1 < len(ord) && ms[ord[n+1].i].key == m.key {
			continue // the later of equal keys is sorted after
		}
		if !top && len(d.out) > mark+1 {
			d.out = append(d.out, ',')
		}
		if m.ks >= 0 {
			d.out = append(d.out, d.s[m.ks:int(m.ks)+len(m.key)+2]...)
		} else {
			d.out = event.AppendJSONString(d.out, m.key)
		}
		d.out = append(d.out, ':')
		d.out = append(d.out, d.out[m.vs:m.ve]...)
		if top {
			enc.Keys = append(enc.Keys, m.key)
			enc.Ends = append(enc.Ends, len(d.out)-mark)
		}
	}
	if top {
		// Nothing follows the top-level object: its encoding stays where it was made.
		enc.Text = d.out[mark:]
		return
	}
	d.out = append(d.out, '}')
	n := copy(d.out[objStart:], d.out[mark:])
	d.out = d.out[:objStart+n]
}

// memberOrder is a member's place in the sort: the first eight bytes of its key as a
// number, which tells most keys apart, and its index.
type memberOrder struct {
	pfx uint64
	i   int
}

// sortMembers returns the order of members by key, stable: an insertion sort of the
// keys' first eight bytes, comparing whole keys only where those are equal. Objects
// have a few dozen members at most.
func (d *valueDecoder) sortMembers(ms []member) []memberOrder {
	ord := d.order[:0]
	for i := range ms {
		ord = append(ord, memberOrder{pfx: keyPrefix(ms[i].key), i: i})
	}
	for i := 1; i < len(ord); i++ {
		x := ord[i]
		j := i
		for ; j > 0 && (x.pfx < ord[j-1].pfx || x.pfx == ord[j-1].pfx && ms[x.i].key < ms[ord[j-1].i].key); j-- {
			ord[j] = ord[j-1]
		}
		ord[j] = x
	}
	d.order = ord
	return ord
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
