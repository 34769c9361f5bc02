package detect

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// acMarks scans s and returns which of n rules the automaton marked.
func acMarks(a *acScanner, s string, n int, gen uint32) []bool {
	cand := make([]uint32, n)
	a.scanShort(s, cand, gen)
	out := make([]bool, n)
	for i := range cand {
		out[i] = cand[i] == gen
	}
	return out
}

// TestACScannerMarksTheRulesOfContainedLiterals compares the automaton, memo included,
// with strings.Contains over folded text, on random texts that repeat (so that the memo
// answers) and lie in reused memory (so that a remembered text changes under it).
func TestACScannerMarksTheRulesOfContainedLiterals(t *testing.T) {
	lits := []string{"consolelogin", "deletetrail", "stoplogging", "/bin/sh", "passwd", "getobject", "aws-cli"}
	rules := make([][]int, len(lits))
	for i := range lits {
		rules[i] = []int{i}
	}
	a := newACScanner(lits, rules)
	words := []string{"ConsoleLogin", "DeleteTrail", "StopLogging", "/BIN/SH", "passwd", "GetObjects1", "aws-cli/2.0", "ListBuckets", "DescribeInstances"}
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 64)
	for gen := uint32(1); gen < 5000; gen++ {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(words[r.IntN(len(words))])
		}
		text := b.String()
		if len(text) > len(buf) {
			text = text[:len(buf)]
		}
		// The text is written over the same memory each time, as a reused event's
		// values are.
		n := copy(buf, text)
		s := unsafe.String(&buf[0], n)
		got := acMarks(a, s, len(lits), gen)
		for i, l := range lits {
			if want := strings.Contains(strings.ToLower(text), l); got[i] != want {
				t.Fatalf("text %q, literal %q: marked %v, want %v", text, l, got[i], want)
			}
		}
	}
}
