package detect

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// The state of a correlation: its groups, their windows of matches, and the decisions.

// add puts a match into its group and decides the condition as the mode says.
func (co *corr) add(e *Engine, en entry, keys []string) {
	key := strings.Join(keys, "\x1f")
	g := co.groups[key]
	if g != nil && co.mode == modeClosing && en.t > g.start+co.span {
		co.unlink(g)
		co.decide(e, g, g.start, g.start+co.span)
		g = nil
	}
	if g == nil {
		if len(co.groups) >= e.opts.MaxGroups && co.head != nil {
			co.evicted++
			co.unlink(co.head)
		}
		g = &group{key: key, values: keys, start: en.t}
		co.groups[key] = g
		co.deadline(g, en.t)
	} else if co.mode != modeClosing {
		co.detach(g)
		co.deadline(g, en.t)
	}
	g.entries = append(g.entries, en)
	if len(g.entries)-g.head > co.maxEvents {
		g.head++
		co.dropped++
	}
	if g.head > 64 && g.head*2 > len(g.entries) {
		g.entries = append(g.entries[:0], g.entries[g.head:]...)
		g.head = 0
	}
	switch co.mode {
	case modeSliding:
		co.trim(g, en.t)
		if v, ok := co.aggregate(g.entries[g.head:], nil); ok && co.cond.Holds(v) {
			co.unlink(g)
			co.fire(e, g, g.entries[g.head:], en.t-co.span, en.t, v)
		}
	case modeShare:
		co.trim(g, en.t)
		if v, ok := co.aggregate(g.entries[g.head:], &en); ok && co.cond.Holds(v) {
			co.fire(e, g, g.entries[len(g.entries)-1:], en.t-co.span, en.t, v)
		}
	}
}

// trim drops the matches that fell out of the window ending at t.
func (co *corr) trim(g *group, t int64) {
	for g.head < len(g.entries) && g.entries[g.head].t < t-co.span {
		g.head++
	}
}

// maxQueueWalk bounds the search for a group's place in the queue (see deadline).
const maxQueueWalk = 64

// deadline sets when the group's window ends and queues it in the order of the windows'
// ends, which is the order the clock closes them in. Matches mostly come in time order,
// so the group mostly goes at the back; a late source's match (an agent's backlog) goes
// before the windows that end after its own, found within maxQueueWalk groups of either
// end of the queue. Past that (many late windows among many current ones) it goes at
// the back, and its window is decided when the windows before it are, or by its next
// match: later than its end, with the same matches.
func (co *corr) deadline(g *group, t int64) {
	if co.mode == modeClosing {
		g.deadline = g.start + co.span
	} else {
		g.deadline = t + co.span
	}
	after := co.tail
	for n := 0; after != nil && after.deadline > g.deadline; n++ {
		if n == maxQueueWalk {
			after = co.placeFromHead(g.deadline)
			break
		}
		after = after.prev
	}
	g.prev = after
	if after != nil {
		g.next = after.next
		after.next = g
	} else {
		g.next = co.head
		co.head = g
	}
	if g.next != nil {
		g.next.prev = g
	} else {
		co.tail = g
	}
}

// placeFromHead returns the group after which a window ending at deadline goes, looking
// from the head of the queue (nil: at the head), or the tail when it is not within
// maxQueueWalk groups.
func (co *corr) placeFromHead(deadline int64) *group {
	var after *group
	next := co.head
	for n := 0; next != nil && next.deadline <= deadline; n++ {
		if n == maxQueueWalk {
			return co.tail
		}
		after, next = next, next.next
	}
	return after
}

func (co *corr) detach(g *group) {
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		co.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else {
		co.tail = g.prev
	}
	g.prev, g.next = nil, nil
}

// unlink removes a group from the correlation.
func (co *corr) unlink(g *group) {
	co.detach(g)
	delete(co.groups, g.key)
}

// sweep ends the windows that closed before now: closing windows are decided, the
// others forgotten.
func (co *corr) sweep(e *Engine, now int64) {
	for co.head != nil && co.head.deadline < now {
		g := co.head
		co.unlink(g)
		if co.mode == modeClosing {
			co.decide(e, g, g.start, g.start+co.span)
		} else {
			co.expired++
		}
	}
}

// flush decides every open window, as if the clock had passed their ends.
func (co *corr) flush(e *Engine) {
	for co.head != nil {
		g := co.head
		co.unlink(g)
		if co.mode == modeClosing {
			co.decide(e, g, g.start, g.start+co.span)
		}
	}
}

// decide evaluates a closed window.
func (co *corr) decide(e *Engine, g *group, start, end int64) {
	es := g.entries[g.head:]
	if v, ok := co.aggregate(es, nil); ok && co.cond.Holds(v) {
		co.fire(e, g, es, start, end, v)
	}
}

// aggregate computes the correlation's value over matches; cur is the current match for
// the share mode. ok is false when there is nothing to decide (no numbers to average).
func (co *corr) aggregate(es []entry, cur *entry) (float64, bool) {
	switch co.typ {
	case sigma.EventCount:
		return float64(len(es)), true
	case sigma.ValueCount:
		clear(co.scratch)
		for _, x := range es {
			if x.val != co.emptyVal {
				co.scratch[x.val]++
			}
		}
		return float64(len(co.scratch)), true
	case sigma.Temporal:
		seen := co.seen[:0]
		for range co.targets {
			seen = append(seen, false)
		}
		n := 0
		for _, x := range es {
			if !seen[x.target] {
				seen[x.target] = true
				n++
			}
		}
		co.seen = seen
		return float64(n), true
	case sigma.TemporalOrdered:
		k := 0
		for _, x := range es {
			if x.target == k {
				k++
				if k == len(co.targets) {
					break
				}
			}
		}
		return float64(k), true
	case sigma.ValueSum, sigma.ValueAvg:
		sum, n := 0.0, 0
		for _, x := range es {
			if x.hasNum {
				sum += x.num
				n++
			}
		}
		if co.typ == sigma.ValueSum {
			return sum, true
		}
		if n == 0 {
			return 0, false
		}
		return sum / float64(n), true
	case sigma.ValuePercentile:
		if cur != nil {
			same := 0
			for _, x := range es {
				if x.val == cur.val {
					same++
				}
			}
			if len(es) == 0 || cur.val == "" {
				return 0, false
			}
			return 100 * float64(same) / float64(len(es)), true
		}
		var nums []float64
		for _, x := range es {
			if x.hasNum {
				nums = append(nums, x.num)
			}
		}
		if len(nums) == 0 {
			return 0, false
		}
		sort.Float64s(nums)
		// The nearest-rank percentile.
		rank := int(math.Ceil(float64(co.cond.Percentile) / 100 * float64(len(nums))))
		if rank < 1 {
			rank = 1
		}
		return nums[rank-1], true
	}
	return 0, false
}

// fire raises the correlation's alert and feeds the correlations that reference it.
func (co *corr) fire(e *Engine, g *group, es []entry, start, end int64, v float64) {
	co.fired++
	cr := co.cr
	a := Alert{Rule: cr.ref, GroupKey: g.key, Window: &Window{time.Unix(0, start).UTC(), time.Unix(0, end).UTC()},
		Correlation: &Aggregate{Type: string(co.typ), Value: v}}
	for i, name := range co.groupBy {
		a.Group = append(a.Group, MatchedField{Field: name, Value: g.values[i]})
	}
	if len(es) > 0 {
		first, last := es[0].first, es[0].last
		for _, x := range es {
			first, last = min(first, x.first), max(last, x.last)
		}
		a.First = time.Unix(0, first).UTC()
		a.Last = time.Unix(0, last).UTC()
	}
	a.Time = a.Last
	var ids []string
	for _, x := range es {
		if x.ids != nil {
			ids = append(ids, x.ids...)
			a.EventCount += len(x.ids)
		} else {
			ids = append(ids, x.id)
			a.EventCount++
		}
	}
	if n := e.opts.MaxAlertEvents; len(ids) > n {
		ids = ids[len(ids)-n:]
	}
	a.EventIDs = ids
	cr.st.hits++
	e.emit(cr, &a)
}

// String names the mode, for statistics.
func (m corrMode) String() string {
	switch m {
	case modeSliding:
		return "sliding"
	case modeClosing:
		return "closing"
	case modeShare:
		return "share"
	}
	return fmt.Sprint(uint8(m))
}
