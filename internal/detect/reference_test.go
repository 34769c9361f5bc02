package detect

import (
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// reference is a naive evaluator written for clarity, not speed, and apart from the
// engine: it walks the rules as the sigma package parsed them for every event, reads
// fields with event.Get, and matches strings with regular expressions built from the
// patterns (case-insensitive through the regexp package's own case folding). Only the
// logsource mapping (which paths a field reads) is shared with the engine. The property
// tests compare the engine with it, and the benchmarks use it as the evaluate-every-rule
// baseline.
type reference struct {
	sources []*source
	rules   []*sigma.Rule
	res     map[string]*regexp.Regexp
	ignore  bool
}

func newReference(c *sigma.Collection, ignoreLogsource bool) *reference {
	srcs, err := compileMapping(DefaultMapping())
	if err != nil {
		panic(err)
	}
	r := &reference{sources: srcs, res: map[string]*regexp.Regexp{}, ignore: ignoreLogsource}
	for _, rule := range c.Rules {
		if rule.Kind == sigma.KindDetection {
			r.rules = append(r.rules, rule)
		}
	}
	return r
}

// eval returns the ids of the detection rules that match the event.
func (r *reference) eval(ev *event.Event) []string {
	var out []string
	for _, rule := range r.rules {
		src := findSource(r.sources, rule.LogSource)
		if src == nil && !r.ignore {
			continue
		}
		if !r.ignore && !r.satisfies(ev, src) {
			continue
		}
		if r.cond(ev, src, rule.Detection, rule.Detection.Condition) {
			out = append(out, rule.ID)
		}
	}
	return out
}

func (r *reference) satisfies(ev *event.Event, src *source) bool {
	for _, alt := range src.alts {
		ok := true
		for _, c := range alt {
			vals, present := r.read(ev, []pathSpec{c.path})
			if !present || len(vals) == 0 {
				ok = false
				break
			}
			if c.any {
				continue
			}
			found := false
			for _, v := range vals {
				if s, isText := text(v); isText && containsString(c.values, s) {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			return true
		}
	}
	return false
}

// read returns the flattened values at the paths and whether any path is present.
func (r *reference) read(ev *event.Event, paths []pathSpec) ([]any, bool) {
	var vals []any
	present := false
	add := func(v any) {
		present = true
		vals = flatten(vals, v, 0)
	}
	for _, p := range paths {
		switch p.kind {
		case pathConst:
			add(p.text)
		case pathModule:
			if ev.Type != "" {
				add(ev.Type)
			} else if v, ok := ev.Get(p.text); ok {
				add(v)
			}
		case pathWild:
			for _, f := range ev.Fields {
				if !strings.HasPrefix(f.Key, p.prefix) || !strings.HasSuffix(f.Key, p.suffix) || len(f.Key) <= len(p.prefix)+len(p.suffix) {
					continue
				}
				if !strings.Contains(f.Key[len(p.prefix):len(f.Key)-len(p.suffix)], ".") {
					add(f.Value)
				}
			}
		default:
			if v, ok := ev.Get(p.text); ok {
				add(v)
			}
		}
	}
	return vals, present
}

func flatten(dst []any, v any, depth int) []any {
	switch x := v.(type) {
	case []string:
		for _, s := range x {
			dst = append(dst, s)
		}
	case []any:
		if depth > 2 {
			return append(dst, map[string]any{})
		}
		for _, e := range x {
			dst = flatten(dst, e, depth+1)
		}
	case int:
		dst = append(dst, int64(x))
	default:
		dst = append(dst, v)
	}
	return dst
}

// text is a value's written form, for values that have one.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string, int64, float64, bool:
		return event.String(x), true
	}
	return "", false
}

func (r *reference) cond(ev *event.Event, src *source, d *sigma.Detection, c *sigma.Condition) bool {
	switch c.Op {
	case sigma.CondIdent:
		return r.search(ev, src, d.Search(c.Name))
	case sigma.CondNot:
		return !r.cond(ev, src, d, c.Args[0])
	case sigma.CondAnd:
		for _, a := range c.Args {
			if !r.cond(ev, src, d, a) {
				return false
			}
		}
		return true
	case sigma.CondOr:
		for _, a := range c.Args {
			if r.cond(ev, src, d, a) {
				return true
			}
		}
		return false
	case sigma.CondOneOf:
		for _, m := range c.Matches {
			if r.search(ev, src, d.Search(m)) {
				return true
			}
		}
		return false
	case sigma.CondAllOf:
		for _, m := range c.Matches {
			if !r.search(ev, src, d.Search(m)) {
				return false
			}
		}
		return true
	}
	panic("unknown condition")
}

func (r *reference) search(ev *event.Event, src *source, s *sigma.Search) bool {
	switch s.Kind {
	case sigma.SearchList:
		for _, a := range s.Alternatives {
			if r.search(ev, src, a) {
				return true
			}
		}
		return false
	default:
		for _, it := range s.Items {
			if !r.item(ev, src, it) {
				return false
			}
		}
		return true
	}
}

func (r *reference) item(ev *event.Event, src *source, it *sigma.Item) bool {
	var vals []any
	present := false
	if it.Keyword() {
		for _, f := range ev.Fields {
			vals = appendText(vals, f.Value)
		}
		vals = appendText(vals, ev.Message)
		vals = appendText(vals, ev.Original)
	} else {
		vals, present = r.fieldValues(ev, src, it.Field)
	}
	shaped := false
	for _, m := range it.Modifiers {
		shaped = shaped || m == "contains" || m == "startswith" || m == "endswith"
	}
	valueMatches := func(v *sigma.Value) bool {
		for _, op := range v.Operands {
			if r.operand(ev, src, op, vals, present, it.Keyword(), shaped) {
				return true
			}
		}
		return false
	}
	res := !it.All
	if it.All {
		res = true
		for _, v := range it.Values {
			res = res && valueMatches(v)
		}
	} else {
		res = false
		for _, v := range it.Values {
			res = res || valueMatches(v)
		}
	}
	return res != it.Negate
}

func (r *reference) fieldValues(ev *event.Event, src *source, field string) ([]any, bool) {
	paths, _ := src.fieldPaths(field)
	var specs []pathSpec
	for _, p := range paths {
		ps, _ := parsePath(p)
		specs = append(specs, ps)
	}
	return r.read(ev, specs)
}

// appendText collects every non-empty string inside a value.
func appendText(dst []any, v any) []any {
	switch x := v.(type) {
	case string:
		if x != "" {
			dst = append(dst, x)
		}
	case []string:
		for _, s := range x {
			dst = appendText(dst, s)
		}
	case []any:
		for _, e := range x {
			dst = appendText(dst, e)
		}
	case map[string]any:
		for _, e := range x {
			dst = appendText(dst, e)
		}
	}
	return dst
}

func (r *reference) re(expr string) *regexp.Regexp {
	re, ok := r.res[expr]
	if !ok {
		re = regexp.MustCompile(expr)
		r.res[expr] = re
	}
	return re
}

func (r *reference) operand(ev *event.Event, src *source, op sigma.Operand, vals []any, present, keyword, shaped bool) bool {
	if keyword {
		switch op.Kind {
		case sigma.OperandNumber:
			op = sigma.Operand{Kind: sigma.OperandString, Pattern: sigma.LiteralPattern(op.Number.Text)}
		case sigma.OperandBool:
			op = sigma.Operand{Kind: sigma.OperandString, Pattern: sigma.LiteralPattern(event.String(op.Bool))}
		}
	}
	empty := !present
	if present {
		empty = true
		for _, v := range vals {
			if s, ok := v.(string); !(v == nil || ok && s == "") {
				empty = false
			}
		}
	}
	switch op.Kind {
	case sigma.OperandExists:
		return present == op.Bool
	case sigma.OperandNull:
		return empty
	case sigma.OperandString:
		if !keyword && len(op.Pattern) == 0 && empty {
			return true
		}
		if !utf8.ValidString(op.Pattern.String()) {
			// Byte strings of the encoding modifiers: regular expressions only read
			// UTF-8, so they are matched byte by byte, folding ASCII letters.
			p := op.Pattern
			if keyword && !shaped {
				p = substring(p)
			}
			for _, v := range vals {
				if s, ok := text(v); ok && globBytes(p, s, op.Cased) {
					return true
				}
			}
			return false
		}
		expr := "^(?s:" + sigma.PatternRegex(op.Pattern) + ")$"
		if keyword && !shaped {
			expr = "(?s:" + sigma.PatternRegex(op.Pattern) + ")"
		}
		if !op.Cased {
			expr = "(?i)" + expr
		}
		re := r.re(expr)
		for _, v := range vals {
			if s, ok := text(v); ok && re.MatchString(s) {
				return true
			}
		}
	case sigma.OperandNumber:
		for _, v := range vals {
			switch x := v.(type) {
			case int64:
				if float64(x) == op.Number.Float {
					return true
				}
			case float64:
				if x == op.Number.Float {
					return true
				}
			case string:
				if strings.EqualFold(x, op.Number.Text) {
					return true
				}
				if f, ok := parseNumber(x); ok && f == op.Number.Float {
					return true
				}
			}
		}
	case sigma.OperandBool:
		for _, v := range vals {
			switch x := v.(type) {
			case bool:
				if x == op.Bool {
					return true
				}
			case string:
				if strings.EqualFold(x, event.String(op.Bool)) {
					return true
				}
			}
		}
	case sigma.OperandRegex:
		for _, v := range vals {
			if s, ok := text(v); ok && op.Regex.Compiled.MatchString(s) {
				return true
			}
		}
	case sigma.OperandCIDR:
		for _, v := range vals {
			if s, ok := v.(string); ok {
				a, err := netip.ParseAddr(s)
				if err != nil {
					continue
				}
				if op.Prefix.Addr().Is4() {
					a = a.Unmap()
				}
				if op.Prefix.Contains(a.WithZone("")) {
					return true
				}
			}
		}
	case sigma.OperandCompare:
		for _, v := range vals {
			var f float64
			switch x := v.(type) {
			case int64:
				f = float64(x)
			case float64:
				f = x
			case string:
				var ok bool
				if f, ok = parseNumber(x); !ok {
					continue
				}
			default:
				continue
			}
			n := op.Number.Float
			if op.Compare == sigma.CompareLT && f < n || op.Compare == sigma.CompareLTE && f <= n ||
				op.Compare == sigma.CompareGT && f > n || op.Compare == sigma.CompareGTE && f >= n {
				return true
			}
		}
	case sigma.OperandFieldRef:
		others, _ := r.fieldValues(ev, src, op.Field)
		for _, v := range vals {
			a, ok := text(v)
			if !ok {
				continue
			}
			for _, w := range others {
				b, ok := text(w)
				if !ok {
					continue
				}
				q := regexp.QuoteMeta(b)
				expr := map[sigma.Anchor]string{sigma.AnchorWhole: "^" + q + "$", sigma.AnchorPrefix: "^" + q,
					sigma.AnchorSuffix: q + "$", sigma.AnchorContains: q}[op.Anchor]
				if r.re("(?i)" + expr).MatchString(a) {
					return true
				}
			}
		}
	case sigma.OperandTimePart:
		for _, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				continue
			}
			t = t.UTC()
			_, week := t.ISOWeek()
			part := map[sigma.TimePart]int{sigma.TimeMinute: t.Minute(), sigma.TimeHour: t.Hour(), sigma.TimeDay: t.Day(),
				sigma.TimeWeek: week, sigma.TimeMonth: int(t.Month()), sigma.TimeYear: t.Year()}[op.TimePart]
			if int64(part) == op.Number.Int {
				return true
			}
		}
	}
	return false
}

// globBytes matches a pattern byte by byte with backtracking; ? is one byte.
func globBytes(p sigma.Pattern, s string, cased bool) bool {
	low := func(x string) string {
		if cased {
			return x
		}
		b := []byte(x)
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 32
			}
		}
		return string(b)
	}
	s = low(s)
	var m func(i int, s string) bool
	m = func(i int, s string) bool {
		if i == len(p) {
			return s == ""
		}
		switch p[i].Kind {
		case sigma.TokenAnyString:
			for k := 0; k <= len(s); k++ {
				if m(i+1, s[k:]) {
					return true
				}
			}
			return false
		case sigma.TokenAnyChar:
			return s != "" && m(i+1, s[1:])
		}
		l := low(p[i].Text)
		return strings.HasPrefix(s, l) && m(i+1, s[len(l):])
	}
	return m(0, s)
}
