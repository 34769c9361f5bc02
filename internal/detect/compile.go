package detect

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Options configure an Engine.
type Options struct {
	// Mapping is the logsource mapping; nil means DefaultMapping().
	Mapping *Mapping
	// IgnoreLogsource offers every event to every rule, as offline Sigma tools do for
	// generic JSON input. Rules still read fields through the pipeline of their
	// logsource when the mapping has one, and under their own names otherwise; rules
	// whose logsource has no mapping are then accepted.
	IgnoreLogsource bool
	// NoPrefilter evaluates every rule the routing offers an event, without the
	// literal prefilter (for tests and comparisons: the alerts are the same).
	NoPrefilter bool
	// MaxGroups bounds the groups one correlation keeps (default 10000); past it the
	// group whose window ends first is evicted, and evictions are counted.
	MaxGroups int
	// MaxGroupEvents bounds the matches one group keeps (default 1000, raised for a
	// correlation whose count threshold is higher); past it the oldest are dropped.
	MaxGroupEvents int
	// MaxAlertEvents bounds the event ids of a correlation alert (default 100, the
	// latest kept).
	MaxAlertEvents int
	// MaxLag bounds how far behind the newest event a lagging source holds the
	// correlation windows open (EvalFrom; default 24 hours): the events of a source
	// further behind still match the rules, but their correlations are hunt's.
	MaxLag time.Duration
	// LagIdle is how long, as the time given to Advance moves, a lagging source holds
	// the windows after its last event (default 1 minute): a backlog is delivered in
	// batches, with pauses between them.
	LagIdle time.Duration
	// MaxHold bounds how long, as the time given to Advance moves, one source lags
	// before it no longer holds the windows (default 10 minutes): a backlog catches up
	// within it, a host whose clock is behind never does.
	MaxHold time.Duration
}

func (o *Options) defaults() {
	if o.MaxGroups <= 0 {
		o.MaxGroups = 10000
	}
	if o.MaxLag <= 0 {
		o.MaxLag = 24 * time.Hour
	}
	if o.LagIdle <= 0 {
		o.LagIdle = time.Minute
	}
	if o.MaxHold <= 0 {
		o.MaxHold = 10 * time.Minute
	}
	if o.MaxGroupEvents <= 0 {
		o.MaxGroupEvents = 1000
	}
	if o.MaxAlertEvents <= 0 {
		o.MaxAlertEvents = 100
	}
}

// builder holds what compiling a collection needs beyond the engine.
type builder struct {
	e        *Engine
	accIndex map[string]int
	byRule   map[*sigma.Rule]*crule
	errs     []error
}

// Compile compiles the rules of a collection into an engine, once: field names resolved
// through the pipelines, patterns folded, the prefilter's automaton built. Rules that
// cannot be supported (a logsource without a mapping, a field that the logsource's
// events do not have, a correlation or filter over such a rule) are left out, each with
// an error naming its file, line and reason; the engine runs the others.
func Compile(c *sigma.Collection, opts Options) (*Engine, []error) {
	opts.defaults()
	e := &Engine{opts: opts, routes: map[srcMask]*route{}, plans: map[string]*typePlan{}, accIndex: map[string]int{}, floor: math.MinInt64}
	b := &builder{e: e, accIndex: e.accIndex, byRule: map[*sigma.Rule]*crule{}}
	m := opts.Mapping
	if m == nil {
		m = DefaultMapping()
	}
	srcs, err := compileMapping(m)
	if err != nil {
		return nil, []error{err}
	}
	e.sources = srcs
	for _, src := range srcs {
		for _, alt := range src.alts {
			for i := range alt {
				acc, err := b.pathAccessor(alt[i].path)
				if err != nil {
					return nil, []error{err}
				}
				alt[i].acc = acc
			}
		}
	}
	if c == nil {
		c = &sigma.Collection{}
	}
	for _, r := range c.Rules {
		if r.Kind == sigma.KindDetection {
			b.detection(r)
		}
	}
	b.correlations(c)
	e.fingerprintCorrelations()
	for _, r := range c.Rules {
		if r.Kind == sigma.KindFilter {
			b.filter(r)
		}
	}
	b.generation()
	e.bySource = make([][]int, len(e.sources))
	for _, cr := range e.rules {
		if cr.kind != sigma.KindDetection {
			continue
		}
		switch {
		case opts.IgnoreLogsource:
			e.everywhere = append(e.everywhere, cr.idx)
		case cr.srcIdx >= 0:
			e.bySource[cr.srcIdx] = append(e.bySource[cr.srcIdx], cr.idx)
		}
	}
	e.buildPrefilter()
	e.ctx = newEvalCtx(e.acc)
	e.candGen = make([]uint32, len(e.rules))
	return e, b.errs
}

// reject records why a document is left out.
func (b *builder) reject(r *sigma.Rule, line, col int, format string, args ...any) {
	if line <= 0 {
		line, col = r.Line, r.Column
	}
	b.errs = append(b.errs, &sigma.Error{File: r.File, Line: line, Column: col, Rule: r.Ref(), Reason: fmt.Sprintf(format, args...)})
}

// rejectErr records a compile error, at its line when it has one.
func (b *builder) rejectErr(r *sigma.Rule, err error) {
	var le *lineError
	if errors.As(err, &le) {
		b.reject(r, le.line, le.col, "%s", le.msg)
		return
	}
	b.reject(r, 0, 0, "%v", err)
}

// accessorFor resolves a rule field through a pipeline to an accessor, shared by every
// rule that reads the same paths.
func (b *builder) accessorFor(src *source, field string) (int, error) {
	paths, ok := src.fieldPaths(field)
	if !ok {
		return 0, fmt.Errorf("field %s is not available in events of %s", field, src.name)
	}
	key := strings.Join(paths, "\x00")
	if i, ok := b.accIndex[key]; ok {
		return i, nil
	}
	acc := accessor{name: field}
	for _, p := range paths {
		ps, err := parsePath(p)
		if err != nil {
			return 0, fmt.Errorf("field %s: %v", field, err)
		}
		acc.paths = append(acc.paths, ps)
	}
	b.e.acc = append(b.e.acc, acc)
	b.accIndex[key] = len(b.e.acc) - 1
	return len(b.e.acc) - 1, nil
}

// pathAccessor returns the accessor of one event path.
func (b *builder) pathAccessor(p pathSpec) (int, error) {
	key := p.text
	if p.kind == pathConst {
		key = "=" + p.text
	}
	return b.accessorFor(nil, key)
}

// newRule adds a compiled document to the engine.
func (b *builder) newRule(r *sigma.Rule, kind sigma.Kind) *crule {
	cr := &crule{rule: r, kind: kind, idx: len(b.e.rules), srcIdx: -1, generate: true}
	cr.ref = RuleRef{ID: r.ID, Title: r.Title, Level: r.Level, File: r.File, Kind: "detection"}
	if kind == sigma.KindCorrelation {
		cr.ref.Kind = "correlation"
	}
	if cr.ref.ID == "" {
		cr.ref.ID = r.Name
	}
	cr.ref.Tags = make([]string, 0, len(r.Tags))
	for _, t := range r.Tags {
		cr.ref.Tags = append(cr.ref.Tags, t.String())
	}
	b.e.rules = append(b.e.rules, cr)
	b.byRule[r] = cr
	return cr
}

// detection compiles a detection rule.
func (b *builder) detection(r *sigma.Rule) {
	if r.Detection == nil || r.Detection.Condition == nil {
		b.reject(r, 0, 0, "the rule has no condition")
		return
	}
	src := findSource(b.e.sources, r.LogSource)
	if src == nil && !b.e.opts.IgnoreLogsource {
		b.reject(r, 0, 0, "no log source of Vigil provides %s: map it in the logsource configuration, or hunt with --ignore-logsource", describeLogSource(r.LogSource))
		return
	}
	dc := &detCompiler{e: b, src: src, d: r.Detection, searches: map[string]*node{}}
	cond, err := dc.condition(r.Detection.Condition)
	if err != nil {
		b.rejectErr(r, err)
		return
	}
	cr := b.newRule(r, sigma.KindDetection)
	cr.cond = cond
	cr.src = src
	if src != nil {
		for i, s := range b.e.sources {
			if s == src {
				cr.srcIdx = i
			}
		}
	}
}

func describeLogSource(ls *sigma.LogSource) string {
	if ls == nil {
		return "an empty logsource"
	}
	return "logsource " + LogSourceKey{ls.Product, ls.Category, ls.Service}.String()
}

// filter compiles a filter for each rule it applies to, with that rule's pipeline.
func (b *builder) filter(r *sigma.Rule) {
	f := r.Filter
	if f == nil || f.Detection == nil || f.Detection.Condition == nil {
		b.reject(r, 0, 0, "the filter has no condition")
		return
	}
	var targets []*crule
	if f.All {
		for _, cr := range b.e.rules {
			if cr.kind == sigma.KindDetection && r.LogSource.Covers(cr.rule.LogSource) {
				targets = append(targets, cr)
			}
		}
	} else {
		for _, t := range f.Targets {
			if cr := b.byRule[t]; cr != nil && r.LogSource.Covers(t.LogSource) {
				targets = append(targets, cr)
			}
		}
	}
	cf := &cfilter{rule: r, ref: RuleRef{ID: r.ID, Title: r.Title, File: r.File, Kind: "filter"}}
	if cf.ref.ID == "" {
		cf.ref.ID = r.Name
	}
	conds := map[*source]*node{}
	for _, cr := range targets {
		cond, ok := conds[cr.src]
		if !ok {
			dc := &detCompiler{e: b, src: cr.src, d: f.Detection, searches: map[string]*node{}}
			var err error
			if cond, err = dc.condition(f.Detection.Condition); err != nil {
				b.rejectErr(r, fmt.Errorf("for rule %s: %w", cr.rule.Ref(), err))
				return
			}
			conds[cr.src] = cond
		}
		cr.filters = append(cr.filters, filterUse{f: cf, cond: cond})
	}
	cf.rules = len(targets)
	b.e.filters = append(b.e.filters, cf)
}

// generation decides which rules alert on their own: a rule that correlations
// reference alerts only when one of them sets generate.
func (b *builder) generation() {
	referenced := map[*crule]bool{}
	generated := map[*crule]bool{}
	for _, co := range b.e.corrs {
		for _, t := range co.targets {
			referenced[t] = true
			if co.cr.rule.Correlation.Generate {
				generated[t] = true
			}
		}
	}
	for cr := range referenced {
		cr.generate = generated[cr]
	}
}
