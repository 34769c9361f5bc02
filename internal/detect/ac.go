package detect

import (
	"encoding/binary"
	"sort"
	"unsafe"
)

// acScanner is the prefilter's Aho-Corasick automaton, compiled into a dense DFA over
// byte classes. It is written for this one use rather than taken from a library (the
// first version used github.com/coregx/ahocorasick, which profiles showed as 40% of
// the engine's time): it reads text without folding it first, since upper-case ASCII
// letters share the class of their lower-case letter; it allocates nothing while
// scanning; and instead of reporting matches it marks, once per state and event, the
// rules whose literals end in that state.
type acScanner struct {
	class  [256]uint8
	stride uint32   // the number of classes: a state's transitions are stride wide
	trans  []uint32 // premultiplied state (state*stride) + class -> next state, outFlag set when it has output
	out    [][]int32
	stamp  []uint32 // per state: the scan generation that last marked its rules
	// memo remembers the states with output that short texts reached: most field
	// values repeat from event to event (event.action, an eventSource, a user), and
	// comparing a text with the remembered one is cheaper than running the automaton.
	memo [memoSize]memoEntry
	seen []uint32 // scratch: the states with output of the text being scanned
}

// memoSize is the number of remembered texts; memoMax the longest text remembered.
const (
	memoSize = 256
	memoMax  = 64
)

// memoEntry is one remembered text. The text is copied: the caller may reuse the
// memory of an evaluated event (parse.Options.Reuse), and a remembered string that
// pointed there would change under the memo, which would then hand the states of the
// old text to a new text equal to what the memory holds now.
type memoEntry struct {
	text   []byte
	states []uint32
}

const outFlag = 1 << 31

// newACScanner builds the automaton of folded literals; litRules lists the rules each
// literal marks.
func newACScanner(lits []string, litRules [][]int) *acScanner {
	a := &acScanner{}
	// Byte classes: one per byte the literals use; upper-case ASCII letters share the
	// class of their lower-case letter; every other byte is class 0.
	var used [256]bool
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			used[l[i]] = true
		}
	}
	n := uint8(1)
	for b := 0; b < 256; b++ {
		if used[b] && !(b >= 'A' && b <= 'Z') {
			a.class[b] = n
			n++
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		if a.class[b+'a'-'A'] != 0 {
			a.class[b] = a.class[b+'a'-'A']
		} else if used[b] {
			// An upper-case letter in a literal (never the case once folded).
			a.class[b] = n
			n++
		}
	}
	stride := int(n)
	a.stride = uint32(stride)

	// The trie, built right in the transition table: a row per node, 0 for "no child"
	// (the root is never a child), then completed breadth first with the failure
	// links, whose outputs each state inherits (a state's output includes its longest
	// proper suffix's).
	trans := make([]uint32, stride, stride*(1+totalLen(lits)))
	var own [][]int32
	own = append(own, nil)
	for id, l := range lits {
		s := 0
		for i := 0; i < len(l); i++ {
			c := int(a.class[l[i]])
			nx := int(trans[s*stride+c])
			if nx == 0 {
				nx = len(own)
				own = append(own, nil)
				trans = append(trans, make([]uint32, stride)...)
				trans[s*stride+c] = uint32(nx)
			}
			s = nx
		}
		for _, r := range litRules[id] {
			own[s] = append(own[s], int32(r))
		}
	}
	nstates := len(own)
	// Number the states breadth first, so that the rows text visits most (the root
	// and the states near it) lie together in memory.
	trans, own = renumber(trans, own, stride)
	a.out = make([][]int32, nstates)
	fail := make([]int32, nstates)
	queue := make([]int32, 0, nstates)
	queue = append(queue, 0)
	for qi := 0; qi < len(queue); qi++ {
		u := int(queue[qi])
		if u != 0 {
			a.out[u] = mergeRules(own[u], a.out[fail[u]])
		}
		row := trans[u*stride : (u+1)*stride]
		frow := trans[int(fail[u])*stride : (int(fail[u])+1)*stride]
		for c := range row {
			v := row[c]
			// Until u is processed its row holds only its children (0 elsewhere: the
			// root is nobody's child).
			if v != 0 {
				if u == 0 {
					fail[v] = 0
				} else {
					fail[v] = int32(frow[c])
				}
				queue = append(queue, int32(v))
				continue
			}
			if u != 0 {
				row[c] = frow[c]
			}
		}
	}
	// Premultiply the states and flag the transitions into states with output.
	for i, t := range trans {
		v := t * uint32(stride)
		if len(a.out[t]) > 0 {
			v |= outFlag
		}
		trans[i] = v
	}
	a.trans = trans
	a.stamp = make([]uint32, nstates)
	return a
}

// renumber orders the trie's states breadth first.
func renumber(trans []uint32, own [][]int32, stride int) ([]uint32, [][]int32) {
	n := len(own)
	order := make([]int32, 0, n)
	order = append(order, 0)
	for qi := 0; qi < len(order); qi++ {
		u := int(order[qi])
		for _, v := range trans[u*stride : (u+1)*stride] {
			if v != 0 {
				order = append(order, int32(v))
			}
		}
	}
	newID := make([]uint32, n)
	for i, old := range order {
		newID[old] = uint32(i)
	}
	t2 := make([]uint32, len(trans))
	o2 := make([][]int32, n)
	for i, old := range order {
		row := trans[int(old)*stride : (int(old)+1)*stride]
		dst := t2[i*stride : (i+1)*stride]
		for c, v := range row {
			if v != 0 {
				dst[c] = newID[v]
			}
		}
		o2[i] = own[old]
	}
	return t2, o2
}

func totalLen(lits []string) int {
	n := 0
	for _, l := range lits {
		n += len(l)
	}
	return n
}

// mergeRules returns the sorted union of two rule lists.
func mergeRules(a, b []int32) []int32 {
	if len(a) == 0 {
		return b
	}
	out := append(append([]int32(nil), a...), b...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	n := 0
	for i, x := range out {
		if i == 0 || x != out[n-1] {
			out[n] = x
			n++
		}
	}
	return out[:n]
}

// scan runs the automaton over text that is ASCII or already folded, marking in cand the
// rules whose literals it finds with gen. (A variant without a branch on matches, and
// one with 16-bit transitions, measured slower.)
func (a *acScanner) scan(s string, cand []uint32, gen uint32) {
	trans, class, stride := a.trans, &a.class, a.stride
	st := uint32(0)
	for i := 0; i < len(s); i++ {
		st = trans[st+uint32(class[s[i]])]
		if st&outFlag != 0 {
			st &^= outFlag
			idx := st / stride
			if a.stamp[idx] != gen {
				a.stamp[idx] = gen
				for _, r := range a.out[idx] {
					cand[r] = gen
				}
			}
		}
	}
}

// scanShort scans a text through the memo: a text seen before (same content, found by
// a hash of its length and its first and last eight bytes) marks the states it reached
// then; another is scanned and remembered.
func (a *acScanner) scanShort(s string, cand []uint32, gen uint32) {
	if len(s) > memoMax || len(s) < 8 {
		a.scan(s, cand, gen)
		return
	}
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	h := binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[len(b)-8:])*0x9e3779b97f4a7c15 ^ uint64(len(s))
	m := &a.memo[(h*0x9e3779b97f4a7c15)>>56]
	if string(m.text) == s {
		for _, st := range m.states {
			a.mark(st, cand, gen)
		}
		return
	}
	trans, class, stride := a.trans, &a.class, a.stride
	seen := a.seen[:0]
	st := uint32(0)
	for i := 0; i < len(s); i++ {
		st = trans[st+uint32(class[s[i]])]
		if st&outFlag != 0 {
			st &^= outFlag
			seen = append(seen, st/stride)
			a.mark(st/stride, cand, gen)
		}
	}
	a.seen = seen
	m.text = append(m.text[:0], s...)
	m.states = append(m.states[:0], seen...)
}

// mark marks the rules of one state, once per scan generation.
func (a *acScanner) mark(idx uint32, cand []uint32, gen uint32) {
	if a.stamp[idx] != gen {
		a.stamp[idx] = gen
		for _, r := range a.out[idx] {
			cand[r] = gen
		}
	}
}

// resetStamps clears the per-state marks when the generation counter wraps.
func (a *acScanner) resetStamps() { clear(a.stamp) }

// states is the number of states, for statistics.
func (a *acScanner) states() int { return len(a.out) }

// hasHigh tells whether s has a byte outside ASCII, eight bytes at a time.
func hasHigh(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}
