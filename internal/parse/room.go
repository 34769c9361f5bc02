package parse

import (
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
)

// fieldRoom is memory for the values of a text line's fields, for a parser in Reuse
// mode: a syslog line's event gets about a dozen fields, half of them strings cut from
// the line and a related.user or related.ip list or two, and putting each into an
// interface was an allocation, most of those left per line. The room belongs to the
// parser's one text event and is taken back with it for the next line; a value that
// does not fit is allocated as usual.
type fieldRoom struct {
	strs  [16]string
	nstr  int
	nums  [4]int64
	nnum  int
	lists [6][]string
	nlist int
	items [24]string
	nitem int
}

func (r *fieldRoom) reset() {
	clear(r.strs[:r.nstr])
	clear(r.lists[:r.nlist])
	clear(r.items[:r.nitem])
	r.nstr, r.nnum, r.nlist, r.nitem = 0, 0, 0, 0
}

// str returns s in an interface: boxed in the room of the current text event with
// Options.Reuse, else as Go boxes it. p may be nil.
func (p *Parser) str(s string) any {
	if p == nil || p.vals == nil || s == "" || p.vals.nstr == len(p.vals.strs) {
		return s
	}
	r := p.vals
	r.strs[r.nstr] = s
	r.nstr++
	return boxString(&r.strs[r.nstr-1])
}

// num is str for an int64.
func (p *Parser) num(n int64) any {
	if p == nil || p.vals == nil || p.vals.nnum == len(p.vals.nums) {
		return n
	}
	r := p.vals
	r.nums[r.nnum] = n
	r.nnum++
	return boxInt64(&r.nums[r.nnum-1])
}

// list returns a new list of the items of head followed by tail, in an interface.
func (p *Parser) list(head []string, tail ...string) any {
	n := len(head) + len(tail)
	if p == nil || p.vals == nil || p.vals.nlist == len(p.vals.lists) || p.vals.nitem+n > len(p.vals.items) {
		return append(append(make([]string, 0, n), head...), tail...)
	}
	r := p.vals
	l := r.items[r.nitem : r.nitem : r.nitem+n]
	l = append(append(l, head...), tail...)
	r.nitem += n
	r.lists[r.nlist] = l
	r.nlist++
	return boxList(&r.lists[r.nlist-1])
}

// add is ev.Append(key, value), with the new list in the room.
func (p *Parser) add(ev *event.Event, key, value string) {
	if p == nil || p.vals == nil {
		ev.Append(key, value)
		return
	}
	if value == "" {
		return
	}
	for i := range ev.Fields {
		if ev.Fields[i].Key == key {
			list, _ := ev.Fields[i].Value.([]string)
			for _, v := range list {
				if v == value {
					return
				}
			}
			ev.Fields[i].Value = p.list(list, value)
			return
		}
	}
	ev.Fields = append(ev.Fields, event.Field{Key: key, Value: p.list(nil, value)})
}

// fields is strings.Fields(s) in an interface, cut into the room when s is ASCII and
// its words fit.
func (p *Parser) fields(s string) any {
	if p == nil || p.vals == nil || p.vals.nlist == len(p.vals.lists) {
		return strings.Fields(s)
	}
	r := p.vals
	start := r.nitem
	for i := 0; i < len(s); {
		for i < len(s) && asciiSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !asciiSpace(s[j]) {
			if s[j] >= utf8.RuneSelf || r.nitem == len(r.items) {
				clear(r.items[start:r.nitem])
				r.nitem = start
				return strings.Fields(s) // Unicode spaces, or too many words
			}
			j++
		}
		if j > i {
			if r.nitem == len(r.items) {
				clear(r.items[start:r.nitem])
				r.nitem = start
				return strings.Fields(s)
			}
			r.items[r.nitem] = s[i:j]
			r.nitem++
		}
		i = j
	}
	if r.nitem == start {
		return strings.Fields(s) // no words: strings.Fields gives an empty list
	}
	r.lists[r.nlist] = r.items[start:r.nitem:r.nitem]
	r.nlist++
	return boxList(&r.lists[r.nlist-1])
}

// asciiSpace reports the ASCII bytes that strings.Fields splits on.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
