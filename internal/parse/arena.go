package parse

import (
	"math/bits"

	"github.com/vigilsec/vigil/internal/event"
)

// jsonArena is the memory of decoded records: their maps, lists and boxed strings. A
// parser in Reuse mode keeps one and takes the memory back once a record's events are
// emitted (reset), so that decoding a trail file of any length allocates maps only
// while their number or size grows: a CloudTrail record is a dozen maps and some forty
// boxed strings, and allocating them anew for each record cost more than decoding it.
// Without Reuse (the zero value with reuse off), every map and list is allocated as
// usual and the strings of one value are boxed in one block.
type jsonArena struct {
	reuse bool
	strs  stringBoxes
	// With encode, the decoder also writes the encoding of each top-level object into
	// out (see jsonencode.go); enc is the last one's, of the map encodedFor.
	encode     bool
	out        []byte
	enc        event.EncodedObject
	encodedFor map[string]any
	// free holds cleared maps by size class (see mapClass); used the maps handed out
	// since the last reset.
	free [maxMapClass + 1][]map[string]any
	used []usedMap
	// items is the block that lists are cut from, and heads the block of their headers,
	// which the interfaces holding the lists point at.
	items  []any
	nitems int
	heads  [][]any
	nheads int
}

// Map size classes: class 0 holds up to 8 members (one group of a Go map), class c up
// to 8<<c. Larger maps are not kept.
const maxMapClass = 8

func mapClass(n int) int {
	if n <= 8 {
		return 0
	}
	return bits.Len(uint(n-1)) - 3
}

// maxFreeMaps bounds the maps kept per class, and maxArenaItems the list block, so
// that one huge record does not pin its memory for the rest of the stream.
const (
	maxFreeMaps   = 256
	maxArenaItems = 1 << 14
)

// newMap returns an empty map with room for n members.
func (a *jsonArena) newMap(n int) map[string]any {
	if !a.reuse {
		return make(map[string]any, n)
	}
	c := mapClass(n)
	if c > maxMapClass {
		return make(map[string]any, n)
	}
	var m map[string]any
	if free := a.free[c]; len(free) > 0 {
		m = free[len(free)-1]
		free[len(free)-1] = nil
		a.free[c] = free[:len(free)-1]
	} else {
		m = make(map[string]any, 8<<c)
	}
	a.used = append(a.used, usedMap{m, c})
	return m
}

type usedMap struct {
	m     map[string]any
	class int
}

// emptyList is every decoded empty array: a list of no items cannot be written to.
var emptyList any = []any{}

// newList returns a list of n nil items in an interface.
func (a *jsonArena) newList(n int) any {
	if n == 0 {
		return emptyList
	}
	if !a.reuse {
		return make([]any, n)
	}
	if a.nitems+n > len(a.items) {
		// The old block stays with the lists cut from it until reset.
		a.items = make([]any, max(2*len(a.items), n, 256))
		a.nitems = 0
	}
	list := a.items[a.nitems : a.nitems+n : a.nitems+n]
	a.nitems += n
	if a.nheads == len(a.heads) {
		a.heads = make([][]any, max(2*len(a.heads), 16))
		a.nheads = 0
	}
	a.heads[a.nheads] = list
	v := boxAnyList(&a.heads[a.nheads])
	a.nheads++
	return v
}

// reset takes back the memory of everything decoded since the last reset: nothing
// decoded before may be used afterwards.
func (a *jsonArena) reset() {
	if !a.reuse {
		a.strs.reset()
		return
	}
	for i, u := range a.used {
		clear(u.m)
		if len(a.free[u.class]) < maxFreeMaps {
			a.free[u.class] = append(a.free[u.class], u.m)
		}
		a.used[i] = usedMap{}
	}
	a.used = a.used[:0]
	clear(a.items[:a.nitems])
	a.nitems = 0
	if len(a.items) > maxArenaItems {
		a.items = nil
	}
	clear(a.heads[:a.nheads])
	a.nheads = 0
	a.strs.rewind()
	a.out = a.out[:0]
	if cap(a.out) > 1<<20 {
		a.out = nil
	}
	a.encodedFor = nil
}

// encodingOf returns the encoding of a record that the arena decoded, or nil.
func (a *jsonArena) encodingOf(rec map[string]any) *event.EncodedObject {
	if a == nil || a.encodedFor == nil || mapID(a.encodedFor) != mapID(rec) {
		return nil
	}
	return &a.enc
}
