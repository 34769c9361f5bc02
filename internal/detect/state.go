package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Correlation state that outlives the process: SaveState writes the open windows of
// every correlation and the engine's clock, LoadState puts them into a freshly compiled
// engine, so that a restart does not forget a brute force in progress. The format is in
// statefile.go.
//
// A correlation's state is keyed by its rule's id (its name or title without one) and
// carries a fingerprint of what the state means: the correlation's type, timespan,
// condition and group-by, and for each rule it references that rule's reference and the
// event paths its group-by and condition fields read (through aliases and the logsource's
// field pipeline), or, for a referenced correlation, that correlation's fingerprint. A
// rule set that changed in any of these leaves the old state out rather than count
// matches of one definition in the windows of another. Titles, levels, tags, generate
// and the detection rules' conditions are not in it: the matches kept stay matches.

// fingerprintVersion changes when the fingerprint's contents change, so that states saved
// under the old scheme are dropped rather than compared.
const fingerprintVersion = 1

// fingerprintDef is what a correlation's fingerprint hashes, as JSON.
type fingerprintDef struct {
	Version       int                 `json:"v"`
	Type          string              `json:"type"`
	Mode          string              `json:"mode"`
	Timespan      int64               `json:"timespan"`
	Bounds        []string            `json:"bounds"`
	Fields        []string            `json:"fields"`
	Percentile    int                 `json:"percentile"`
	HasPercentile bool                `json:"has_percentile"`
	GroupBy       []string            `json:"group_by"`
	Targets       []fingerprintTarget `json:"targets"`
}

type fingerprintTarget struct {
	Ref  string     `json:"ref"`
	Kind string     `json:"kind"`
	Keys [][]string `json:"keys"` // per group-by field: the paths read, or the alert's group field
	Vals [][]string `json:"vals"` // per condition field
	Corr string     `json:"corr,omitempty"`
}

// fingerprintCorrelations sets each correlation's fingerprint. The correlations are in
// compile order, each after those it references, whose fingerprints it includes.
func (e *Engine) fingerprintCorrelations() {
	for _, co := range e.corrs {
		co.fp = co.fingerprint(e)
	}
}

func (co *corr) fingerprint(e *Engine) string {
	d := fingerprintDef{Version: fingerprintVersion, Type: string(co.typ), Mode: co.mode.String(), Timespan: co.span,
		Fields: co.cond.Field, Percentile: co.cond.Percentile, HasPercentile: co.cond.HasPercentile, GroupBy: co.groupBy}
	for _, b := range co.cond.Bounds {
		d.Bounds = append(d.Bounds, b.Op+" "+strconv.FormatFloat(b.Value.Float, 'g', -1, 64))
	}
	paths := func(ks keySrc) []string {
		if ks.acc < 0 {
			return []string{"group:" + ks.group}
		}
		var out []string
		for _, p := range e.acc[ks.acc].paths {
			out = append(out, fmt.Sprintf("%d:%s", p.kind, p.text))
		}
		return out
	}
	for i, t := range co.targets {
		ft := fingerprintTarget{Ref: t.rule.Ref(), Kind: t.ref.Kind}
		for _, ks := range co.keys[i] {
			ft.Keys = append(ft.Keys, paths(ks))
		}
		for _, ks := range co.vals[i] {
			ft.Vals = append(ft.Vals, paths(ks))
		}
		if t.corr != nil {
			ft.Corr = t.corr.fp
		}
		d.Targets = append(d.Targets, ft)
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("detect: fingerprint of %s: %v", co.cr.rule.Ref(), err)) // only strings and integers
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// stateKey is the key of a correlation's state: its rule's id, name or title.
func (co *corr) stateKey() string { return co.cr.rule.Ref() }

// corrSnapshot is a copy of one correlation's state, taken under the engine's lock and
// written without it.
type corrSnapshot struct {
	co     *corr
	groups []groupSnapshot
}

type groupSnapshot struct {
	values  []string
	start   int64
	entries []entry
}

// SaveState writes the engine's correlation state to w: the open windows of every
// correlation (groups, their matches, in the order their windows end) and the clock,
// in the format LoadState reads (see docs/DETECTION.md). It holds the engine's lock
// only to copy the state, not while writing. The state is as bounded as the engine's:
// Options.MaxGroups groups per correlation, MaxGroupEvents matches per group.
func (e *Engine) SaveState(w io.Writer) error {
	e.mu.Lock()
	clock := e.clock
	var floor *int64
	if e.floor != math.MinInt64 {
		floor = new(e.floor)
	}
	var snaps []corrSnapshot
	for _, co := range e.corrs {
		if co.head == nil {
			continue
		}
		s := corrSnapshot{co: co}
		for g := co.head; g != nil; g = g.next {
			// The entries are copied: the engine appends to and compacts them in place.
			s.groups = append(s.groups, groupSnapshot{values: g.values, start: g.start,
				entries: append([]entry(nil), g.entries[g.head:]...)})
		}
		snaps = append(snaps, s)
	}
	e.mu.Unlock()
	return writeState(w, clock, floor, snaps)
}

// LoadState replaces the engine's correlation state with the state SaveState wrote,
// normally into an engine just compiled, before it evaluates events. The clock moves to
// the saved clock (never back). restored is the number of correlations whose state was
// put back; dropped the number whose state was left out because the engine has no
// correlation of that id, or one whose definition changed (its fingerprint differs).
// The bounds of the engine's Options apply: past MaxGroups the groups whose windows end
// first are evicted, past a group's cap its oldest matches are dropped, as Eval would.
//
// A file that is not a complete state file of a known version (truncated, corrupt,
// altered) is an error, and the engine then holds no correlation state at all.
func (e *Engine) LoadState(r io.Reader) (restored, dropped int, err error) {
	byKey := map[string]*corr{}
	for _, co := range e.corrs {
		k := co.stateKey()
		if _, dup := byKey[k]; dup {
			byKey[k] = nil // ambiguous: neither gets state
			continue
		}
		byKey[k] = co
	}
	st, err := readState(r, byKey)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, co := range e.corrs {
		co.groups = map[string]*group{}
		co.head, co.tail = nil, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("correlation state: %w", err)
	}
	if st.clock > e.clock {
		e.clock = st.clock
	}
	e.floor = max(e.floor, st.floor)
	for _, s := range st.corrs {
		s.co.restore(e, s.groups)
	}
	return len(st.corrs), st.dropped, nil
}

// restore puts saved groups back in their order, within the engine's bounds.
func (co *corr) restore(e *Engine, groups []groupSnapshot) {
	// The groups come in the order their windows end, the order Eval evicts them in.
	if n := len(groups) - e.opts.MaxGroups; n > 0 {
		groups = groups[n:]
		co.evicted += uint64(n)
	}
	for _, gs := range groups {
		es := gs.entries
		if n := len(es) - co.maxEvents; n > 0 {
			es = es[n:]
			co.dropped += uint64(n)
		}
		for i := range es {
			if n := len(es[i].ids) - e.opts.MaxAlertEvents; n > 0 {
				es[i].ids = es[i].ids[n:]
			}
		}
		g := &group{key: strings.Join(gs.values, "\x1f"), values: gs.values, start: gs.start, entries: es}
		co.groups[g.key] = g
		co.deadline(g, es[len(es)-1].t)
	}
}

// stagedState is a state file read and checked against the engine, not yet applied.
type stagedState struct {
	clock   int64
	floor   int64 // math.MinInt64 when the file has none
	corrs   []corrSnapshot
	dropped int
}

// errState marks what is wrong with a state file's contents.
var errState = errors.New("not a valid state file")

// checkGroup checks a saved group against the correlation it is restored to.
func (co *corr) checkGroup(gs groupSnapshot, seen map[string]bool) error {
	if len(gs.values) != len(co.groupBy) {
		return fmt.Errorf("%w: a group of %d values for %d group-by fields", errState, len(gs.values), len(co.groupBy))
	}
	key := strings.Join(gs.values, "\x1f")
	if seen[key] {
		return fmt.Errorf("%w: a repeated group", errState)
	}
	seen[key] = true
	for i := range gs.entries {
		en := &gs.entries[i]
		if en.target >= len(co.targets) {
			return fmt.Errorf("%w: a match of rule %d of %d", errState, en.target, len(co.targets))
		}
		switch {
		case co.targets[en.target].kind != sigma.KindCorrelation:
			if en.ids != nil {
				return fmt.Errorf("%w: a match of a detection rule with the events of an alert", errState)
			}
		case en.ids == nil:
			// A referenced correlation's alert: its events, even none, tell it from an
			// event's match.
			en.ids = []string{}
		}
	}
	return nil
}
