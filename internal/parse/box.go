package parse

import "unsafe"

// Putting a string (or a list) into an interface allocates a copy of its header, 16
// bytes, for every field value of every event and every string of a decoded record:
// tens of allocations per record, most of what the parse path allocates. The functions
// here make an interface that points at a header the parser already holds in a larger
// block (a decoded record's string table, an event allocated together with room for its
// values), so that one allocation serves all the values of a record.
//
// This relies on how Go represents an interface holding a value that is not a pointer: a
// type word and a pointer to the value, which nothing ever writes through (the runtime
// copies the value when it converts, and reads it when it asserts or compares). Such an
// interface is indistinguishable from one made by conversion, as long as the header it
// points at is not changed afterwards: callers fill a header, box it, and never write it
// again while the event may be in use. The garbage collector keeps the whole block alive
// while any interface points into it.

// eface is the layout of an interface{} value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

var (
	stringTypeWord  = typeWord("")
	listTypeWord    = typeWord([]string(nil))
	anyListTypeWord = typeWord([]any(nil))
	int64TypeWord   = typeWord(int64(0))
)

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// mapID is the identity of a map: a map value is a pointer to the runtime's map.
func mapID(m map[string]any) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&m)) }

// boxString returns an interface holding *p, pointing at p itself. *p must not change
// while the interface is in use.
func boxString(p *string) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = stringTypeWord, unsafe.Pointer(p)
	return v
}

// boxList is boxString for a []string.
func boxList(p *[]string) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = listTypeWord, unsafe.Pointer(p)
	return v
}

// boxInt64 is boxString for an int64.
func boxInt64(p *int64) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = int64TypeWord, unsafe.Pointer(p)
	return v
}

// boxAnyList is boxString for a []any.
func boxAnyList(p *[]any) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = anyListTypeWord, unsafe.Pointer(p)
	return v
}

// stringBoxes hands out boxed strings from blocks of headers. Its zero value allocates a
// block when it needs one; reset starts the next record in a new block, so that an event
// kept by its receiver keeps only its own record's block alive.
type stringBoxes struct {
	block []string
	// want is the size of the next block: the number of strings the previous record
	// needed, so that a record usually takes one block.
	want, used int
}

const minStringBlock = 16

// box returns s in an interface. The empty string needs no header.
func (b *stringBoxes) box(s string) any {
	if s == "" {
		return ""
	}
	if len(b.block) == cap(b.block) {
		b.block = make([]string, 0, max(b.want, minStringBlock))
	}
	b.block = append(b.block, s)
	b.used++
	return boxString(&b.block[len(b.block)-1])
}

// reset ends a record: the next string goes into a new block.
func (b *stringBoxes) reset() {
	b.want = b.used
	b.used = 0
	b.block = nil
}

// rewind ends a record whose values are no longer in use (Options.Reuse): the next
// record's strings overwrite this one's.
func (b *stringBoxes) rewind() {
	switch {
	case b.used > maxArenaItems:
		b.block = nil
	case b.used > cap(b.block):
		b.block = make([]string, 0, b.used) // the record took more than one block
	default:
		clear(b.block)
		b.block = b.block[:0]
	}
	b.want, b.used = b.used, 0
}
