package detect

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/sigma"
)

// operand is a compiled sigma.Operand: what one value of an item asks of a field.
type operand struct {
	kind  sigma.OperandKind
	g     *glob // OperandString
	cased bool
	num   sigma.Number
	b     bool
	re    *regexp.Regexp
	pfx   netip.Prefix
	cmp   sigma.CompareOp
	ref   int          // OperandFieldRef: the accessor of the other field
	refTo sigma.Anchor // OperandFieldRef
	part  sigma.TimePart
}

// matchField tells whether a field's values satisfy the operand. A field matches when
// any of its values does (lists match by any element).
func (o *operand) matchField(c *evalCtx, sl *slot) bool {
	switch o.kind {
	case sigma.OperandExists:
		return sl.present == o.b
	case sigma.OperandNull:
		return isNull(sl)
	case sigma.OperandString:
		if o.g.kind == globEmpty && isNull(sl) {
			return true // absent and empty are the same (see docs/EVENTS.md)
		}
	case sigma.OperandFieldRef:
		return o.matchRef(c, sl)
	}
	for i := range sl.vals {
		if o.matchScalar(c, &sl.vals[i]) {
			return true
		}
	}
	return false
}

// isNull tells whether a field is absent, null, empty or an empty list.
func isNull(sl *slot) bool {
	if !sl.present {
		return true
	}
	for _, v := range sl.vals {
		if v.kind != kNull && !(v.kind == kString && v.s == "") {
			return false
		}
	}
	return true
}

// matchScalar tests one value.
func (o *operand) matchScalar(c *evalCtx, v *scalar) bool {
	switch o.kind {
	case sigma.OperandString:
		if v.kind == kNull || v.kind == kObject {
			return false
		}
		if o.cased {
			return o.g.match(v.s)
		}
		return o.g.match(c.foldOf(v))
	case sigma.OperandNumber:
		switch v.kind {
		case kNumber:
			return v.num == o.num.Float
		case kString:
			if strings.EqualFold(v.s, o.num.Text) {
				return true
			}
			f, ok := parseNumber(v.s)
			return ok && f == o.num.Float
		}
		return false
	case sigma.OperandBool:
		switch v.kind {
		case kBool:
			return v.b == o.b
		case kString:
			return strings.EqualFold(v.s, strconv.FormatBool(o.b))
		}
		return false
	case sigma.OperandRegex:
		if v.kind == kNull || v.kind == kObject {
			return false
		}
		return o.re.MatchString(v.s)
	case sigma.OperandCIDR:
		if v.kind != kString {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		if err != nil {
			return false
		}
		if o.pfx.Addr().Is4() {
			a = a.Unmap()
		}
		return o.pfx.Contains(a.WithZone(""))
	case sigma.OperandCompare:
		var f float64
		switch v.kind {
		case kNumber:
			f = v.num
		case kString:
			var ok bool
			if f, ok = parseNumber(v.s); !ok {
				return false
			}
		default:
			return false
		}
		switch o.cmp {
		case sigma.CompareLT:
			return f < o.num.Float
		case sigma.CompareLTE:
			return f <= o.num.Float
		case sigma.CompareGT:
			return f > o.num.Float
		case sigma.CompareGTE:
			return f >= o.num.Float
		}
		return false
	case sigma.OperandTimePart:
		t, ok := scalarTime(v)
		if !ok {
			return false
		}
		return int64(timePart(t, o.part)) == o.num.Int
	}
	return false
}

// matchRef compares the field with another field of the same event (fieldref).
func (o *operand) matchRef(c *evalCtx, sl *slot) bool {
	other := c.slot(o.ref)
	for i := range sl.vals {
		a := &sl.vals[i]
		if a.kind == kNull || a.kind == kObject {
			continue
		}
		fa := c.foldOf(a)
		for j := range other.vals {
			b := &other.vals[j]
			if b.kind == kNull || b.kind == kObject {
				continue
			}
			fb := c.foldOf(b)
			var ok bool
			switch o.refTo {
			case sigma.AnchorPrefix:
				ok = strings.HasPrefix(fa, fb)
			case sigma.AnchorSuffix:
				ok = strings.HasSuffix(fa, fb)
			case sigma.AnchorContains:
				ok = strings.Contains(fa, fb)
			default:
				ok = fa == fb
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// parseNumber reads a number written as text: decimal, or hexadecimal with 0x.
func parseNumber(s string) (float64, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(u), err == nil
	}
	if c := s[0]; !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// timeLayouts are the forms of dates the time modifiers read from text fields.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

// scalarTime reads a date: text in the usual forms (UTC unless it says otherwise), or a
// number of seconds (or of milliseconds, for numbers too large to be seconds) since 1970.
func scalarTime(v *scalar) (time.Time, bool) {
	switch v.kind {
	case kString:
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, v.s); err == nil {
				return t.UTC(), true
			}
		}
	case kNumber:
		if v.num > 1e11 {
			return time.UnixMilli(int64(v.num)).UTC(), true
		}
		return time.Unix(int64(v.num), 0).UTC(), true
	}
	return time.Time{}, false
}

func timePart(t time.Time, p sigma.TimePart) int {
	switch p {
	case sigma.TimeMinute:
		return t.Minute()
	case sigma.TimeHour:
		return t.Hour()
	case sigma.TimeDay:
		return t.Day()
	case sigma.TimeWeek:
		_, w := t.ISOWeek()
		return w
	case sigma.TimeMonth:
		return int(t.Month())
	}
	return t.Year()
}
