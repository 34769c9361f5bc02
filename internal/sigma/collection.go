package sigma

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Collection is the set of documents that loaded, with their references resolved:
// every correlation's Targets and every filter's Targets point into Rules.
type Collection struct {
	// Rules are the accepted documents of every kind, in the order read.
	Rules []*Rule
	// Warnings are the problems that did not reject a document.
	Warnings []*Error
	// Files is the number of files read; Documents the number of rule documents
	// they held (collection templates and empty documents are not counted);
	// Rejected the number of documents rejected.
	Files     int
	Documents int
	Rejected  int

	byID   map[string]*Rule
	byName map[string]*Rule
}

// Loaded is the number of accepted documents.
func (c *Collection) Loaded() int { return len(c.Rules) }

// Lookup finds a rule by id (in any letter case) or by name, as correlations and
// filters reference them.
func (c *Collection) Lookup(ref string) *Rule {
	if r, ok := c.byID[strings.ToLower(ref)]; ok {
		return r
	}
	return c.byName[ref]
}

// OfKind returns the accepted documents of one kind, in order.
func (c *Collection) OfKind(k Kind) []*Rule {
	var out []*Rule
	for _, r := range c.Rules {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// builder resolves references across the documents of several files.
type builder struct {
	c            *Collection
	errs         []*Error
	rejected     map[*Rule]bool
	rejectedRefs map[string]bool
}

// reject records why a document that passed its own checks is rejected after all.
func (b *builder) reject(r *Rule, line, col int, format string, args ...any) {
	if line <= 0 {
		line, col = r.Line, r.Column
	}
	b.errs = append(b.errs, &Error{File: r.File, Line: line, Column: col, Rule: r.Ref(), Reason: fmt.Sprintf(format, args...)})
	if !b.rejected[r] {
		b.rejected[r] = true
		if r.ID != "" {
			b.rejectedRefs[strings.ToLower(r.ID)] = true
		}
		if r.Name != "" {
			b.rejectedRefs[r.Name] = true
		}
	}
}

// warn records a warning about a document.
func (b *builder) warn(r *Rule, n *yaml.Node, format string, args ...any) {
	line, col := r.Line, r.Column
	if n != nil {
		line, col = n.Line, n.Column
	}
	b.c.Warnings = append(b.c.Warnings, &Error{File: r.File, Line: line, Column: col, Rule: r.Ref(), Reason: fmt.Sprintf(format, args...)})
}

// build merges parsed files into a collection: it rejects duplicate ids and names,
// resolves the references of correlations (unknown, rejected and cyclic references
// reject the correlation) and of filters (unresolved references are warnings, since
// a filter may be written for rules loaded elsewhere).
func (l *Loader) build(files []*parsedFile) (*Collection, []*Error) {
	b := &builder{c: &Collection{byID: map[string]*Rule{}, byName: map[string]*Rule{}},
		rejected: map[*Rule]bool{}, rejectedRefs: map[string]bool{}}
	var cands []*Rule
	for _, f := range files {
		b.c.Files++
		b.errs = append(b.errs, f.errs...)
		b.c.Warnings = append(b.c.Warnings, f.warns...)
		b.c.Rejected += f.rejected
		cands = append(cands, f.rules...)
		for k := range f.rejectedRefs {
			b.rejectedRefs[k] = true
		}
	}
	b.duplicates(cands, "id", func(r *Rule) string { return strings.ToLower(r.ID) })
	b.duplicates(cands, "name", func(r *Rule) string { return r.Name })
	for _, r := range cands {
		if b.rejected[r] {
			continue
		}
		if r.ID != "" {
			b.c.byID[strings.ToLower(r.ID)] = r
		}
		if r.Name != "" {
			b.c.byName[r.Name] = r
		}
	}
	for _, r := range cands {
		if r.Kind == KindCorrelation && !b.rejected[r] {
			b.resolveCorrelation(r)
		}
	}
	b.rejectCycles(cands)
	b.cascade(cands)
	for _, r := range cands {
		if r.Kind == KindFilter && !b.rejected[r] {
			b.resolveFilter(r)
		}
	}
	for _, r := range cands {
		if b.rejected[r] {
			b.c.Rejected++
			if r.ID != "" && b.c.byID[strings.ToLower(r.ID)] == r {
				delete(b.c.byID, strings.ToLower(r.ID))
			}
			if r.Name != "" && b.c.byName[r.Name] == r {
				delete(b.c.byName, r.Name)
			}
			continue
		}
		b.c.Rules = append(b.c.Rules, r)
	}
	b.c.Documents = len(b.c.Rules) + b.c.Rejected
	sortErrors(b.errs)
	sortErrors(b.c.Warnings)
	return b.c, b.errs
}

// duplicates rejects every document that shares a key (id or name) with another.
func (b *builder) duplicates(rules []*Rule, what string, key func(*Rule) string) {
	groups := map[string][]*Rule{}
	var order []string
	for _, r := range rules {
		k := key(r)
		if k == "" {
			continue
		}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		for _, r := range g {
			var others []string
			for _, o := range g {
				if o != r {
					line, _ := o.posOf(what)
					others = append(others, fmt.Sprintf("%s:%d", o.File, line))
				}
			}
			line, col := r.posOf(what)
			b.reject(r, line, col, "duplicate %s %q: also at %s", what, key(r), strings.Join(others, ", "))
		}
	}
}

// refNode returns the node of the i-th reference, or nil.
func refNode(nodes []*yaml.Node, i int) (int, int) {
	if i < len(nodes) && nodes[i] != nil {
		return nodes[i].Line, nodes[i].Column
	}
	return 0, 0
}

// missing explains why a reference does not resolve.
func (b *builder) missing(ref string) string {
	if b.rejectedRefs[strings.ToLower(ref)] || b.rejectedRefs[ref] {
		return fmt.Sprintf("references %q, which was rejected", ref)
	}
	return fmt.Sprintf("references %q, which is not a loaded rule id or name", ref)
}

// resolveCorrelation resolves a correlation's rules and aliases.
func (b *builder) resolveCorrelation(r *Rule) {
	c := r.Correlation
	c.Targets = make([]*Rule, len(c.Rules))
	for i, ref := range c.Rules {
		line, col := refNode(c.refNodes, i)
		t := b.c.Lookup(ref)
		switch {
		case t == nil:
			b.reject(r, line, col, "correlation %s", b.missing(ref))
		case t == r:
			b.reject(r, line, col, "the correlation references itself")
		case t.Kind == KindFilter:
			b.reject(r, line, col, "correlation references %q, which is a filter: a correlation needs detection or correlation rules", ref)
		default:
			c.Targets[i] = t
		}
	}
	for _, a := range c.Aliases {
		a.Targets = map[string]*Rule{}
		keys := make([]string, 0, len(a.Fields))
		for k := range a.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var hit *Rule
			for i, ref := range c.Rules {
				if c.Targets[i] != nil && (ref == k || c.Targets[i] == b.c.Lookup(k)) {
					hit = c.Targets[i]
				}
			}
			if hit == nil {
				n := a.keyNodes[k]
				b.reject(r, n.Line, n.Column, "alias %q names rule %q, which the correlation does not list", a.Name, k)
				continue
			}
			a.Targets[k] = hit
		}
		for _, t := range c.Targets {
			if t == nil {
				continue
			}
			covered := false
			for _, hit := range a.Targets {
				covered = covered || hit == t
			}
			if !covered {
				b.warn(r, nil, "alias %q gives no field for rule %q", a.Name, t.Ref())
			}
		}
	}
}

// rejectCycles rejects the correlations that reach themselves through their rules.
func (b *builder) rejectCycles(rules []*Rule) {
	const (
		unvisited = iota
		active
		done
	)
	state := map[*Rule]int{}
	var stack []*Rule
	var visit func(r *Rule)
	visit = func(r *Rule) {
		state[r] = active
		stack = append(stack, r)
		for _, t := range r.Correlation.Targets {
			if t == nil || t.Kind != KindCorrelation {
				continue
			}
			switch state[t] {
			case unvisited:
				visit(t)
			case active:
				// Every correlation from t to the top of the stack is on the cycle.
				start := len(stack) - 1
				for stack[start] != t {
					start--
				}
				cycle := stack[start:]
				names := make([]string, 0, len(cycle)+1)
				for _, x := range cycle {
					names = append(names, x.Ref())
				}
				names = append(names, t.Ref())
				path := strings.Join(names, " → ")
				for k, x := range cycle {
					next := t
					if k+1 < len(cycle) {
						next = cycle[k+1]
					}
					line, col := 0, 0
					for j, xt := range x.Correlation.Targets {
						if xt == next {
							line, col = refNode(x.Correlation.refNodes, j)
							break
						}
					}
					b.reject(x, line, col, "correlation cycle: %s", path)
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[r] = done
	}
	for _, r := range rules {
		if r.Kind == KindCorrelation && state[r] == unvisited && r.Correlation != nil {
			visit(r)
		}
	}
}

// cascade rejects correlations whose rules were rejected, until none is left.
func (b *builder) cascade(rules []*Rule) {
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			if r.Kind != KindCorrelation || b.rejected[r] {
				continue
			}
			for i, t := range r.Correlation.Targets {
				if t != nil && b.rejected[t] {
					line, col := refNode(r.Correlation.refNodes, i)
					b.reject(r, line, col, "correlation references %q, which was rejected", r.Correlation.Rules[i])
					changed = true
					break
				}
			}
		}
	}
}

// resolveFilter resolves a filter's rules. A reference that does not resolve, or
// resolves to something a filter cannot apply to, is a warning: the filter still
// applies to the others.
func (b *builder) resolveFilter(r *Rule) {
	f := r.Filter
	if f.All {
		return
	}
	for i, ref := range f.Rules {
		var n *yaml.Node
		if i < len(f.refNodes) {
			n = f.refNodes[i]
		}
		t := b.c.Lookup(ref)
		switch {
		case t == nil || b.rejected[t]:
			b.warn(r, n, "filter %s; it does not apply to it", b.missing(ref))
		case t.Kind != KindDetection:
			b.warn(r, n, "filter references %q, a %s: filters apply to detection rules only", ref, t.Kind)
		default:
			if !r.LogSource.Covers(t.LogSource) {
				b.warn(r, n, "filter references %q, whose log source its own does not cover: it will not apply", ref)
			}
			f.Targets = append(f.Targets, t)
		}
	}
}
