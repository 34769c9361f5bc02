package sigma

import (
	"fmt"
	"net/netip"
)

// ValueKind is the YAML type of a value as written in a rule.
type ValueKind uint8

// The kinds of values.
const (
	ValueString ValueKind = iota + 1
	ValueNumber
	ValueBool
	ValueNull
)

// String names the kind for messages.
func (k ValueKind) String() string {
	switch k {
	case ValueString:
		return "string"
	case ValueNumber:
		return "number"
	case ValueBool:
		return "boolean"
	case ValueNull:
		return "null"
	}
	return "value"
}

// Value is one value of a field item, as written, with its position and what the
// item's modifiers made of it.
type Value struct {
	Kind ValueKind
	// Raw is the value's text as written (after YAML quoting), e.g. `C:\Windows\*`
	// or "0x17". It is empty for null.
	Raw    string
	Number Number // for ValueNumber
	Bool   bool   // for ValueBool
	Line   int
	Column int
	// Operands are the forms the value takes after the modifiers, linked with OR:
	// one for most values, several when a modifier expands the value (windash,
	// base64offset, a placeholder with several values).
	Operands []Operand
}

// OperandKind is what an operand asks of a field (or, for keywords, of the event).
type OperandKind uint8

// The kinds of operands.
const (
	// OperandString matches text against Pattern (wildcards, case-insensitive
	// unless Cased).
	OperandString OperandKind = iota + 1
	// OperandNumber matches a number equal to Number; a text field matches its
	// written form.
	OperandNumber
	// OperandBool matches the boolean Bool.
	OperandBool
	// OperandNull matches a field that is absent or null.
	OperandNull
	// OperandRegex matches Regex anywhere in the value.
	OperandRegex
	// OperandCIDR matches an IP address inside Prefix.
	OperandCIDR
	// OperandCompare compares the field numerically: field Compare Number.
	OperandCompare
	// OperandExists matches when the field's presence equals Bool.
	OperandExists
	// OperandFieldRef compares the field with the value of another field, Field,
	// as a whole or as prefix, suffix or substring (Anchor).
	OperandFieldRef
	// OperandTimePart extracts TimePart from a date field and compares it with
	// Number.
	OperandTimePart
)

// Anchor says where a field reference's value must appear in the field.
type Anchor uint8

// The anchors of a field reference.
const (
	AnchorWhole    Anchor = iota // the values are equal
	AnchorPrefix                 // the field starts with the other field's value
	AnchorSuffix                 // the field ends with the other field's value
	AnchorContains               // the field contains the other field's value
)

// Operand is a value ready for the evaluator: it needs nothing more from the rule.
type Operand struct {
	Kind     OperandKind
	Pattern  Pattern // OperandString
	Cased    bool    // OperandString: match case-sensitively (the cased modifier)
	Number   Number  // OperandNumber, OperandCompare, OperandTimePart
	Bool     bool    // OperandBool, OperandExists
	Regex    *Regex  // OperandRegex
	Prefix   netip.Prefix
	Compare  CompareOp // OperandCompare
	Field    string    // OperandFieldRef
	Anchor   Anchor    // OperandFieldRef
	TimePart TimePart  // OperandTimePart
}

// Transform applies a modifier chain to one value of a field item (field is empty
// for keywords) and returns the operands it yields: the pure, compile-time part of
// matching. The chain is checked first (see ParseModifiers). Placeholders resolve the
// expand modifier; without them, a value with a placeholder is an error, as the
// specification requires of a tool that cannot resolve placeholders.
func Transform(field string, mods []string, v Value, ph Placeholders) ([]Operand, error) {
	mods, err := ParseModifiers(field, mods)
	if err != nil {
		return nil, err
	}
	ops := []Operand{initialOperand(v)}
	for _, m := range mods {
		var next []Operand
		for _, op := range ops {
			res, err := applyModifier(m, op, v, ph)
			if err != nil {
				return nil, err
			}
			next = append(next, res...)
			if len(next) > maxExpansions {
				return nil, fmt.Errorf("the value expands into more than %d values", maxExpansions)
			}
		}
		ops = next
	}
	for i := range ops {
		if ops[i].Kind != OperandRegex {
			continue
		}
		re, err := CompileRegex(ops[i].Regex.Expr, ops[i].Regex.Flags)
		if err != nil {
			return nil, fmt.Errorf("re: %v", err)
		}
		ops[i].Regex.Compiled = re
	}
	return ops, nil
}

// initialOperand is a value before any modifier: its text read as a Sigma string
// (wildcards and escapes), or its number, boolean or null.
func initialOperand(v Value) Operand {
	switch v.Kind {
	case ValueNumber:
		return Operand{Kind: OperandNumber, Number: v.Number}
	case ValueBool:
		return Operand{Kind: OperandBool, Bool: v.Bool}
	case ValueNull:
		return Operand{Kind: OperandNull}
	}
	return Operand{Kind: OperandString, Pattern: ParsePattern(v.Raw)}
}

// kindOf names what an operand holds, for messages.
func kindOf(op Operand) string {
	switch op.Kind {
	case OperandString:
		return "string"
	case OperandNumber:
		return "number"
	case OperandBool:
		return "boolean"
	case OperandNull:
		return "null"
	case OperandRegex:
		return "regular expression"
	case OperandCIDR:
		return "network"
	case OperandFieldRef:
		return "field reference"
	}
	return "value"
}

// asString returns op as a string operand, reading a number as its written text;
// other kinds are an error for modifier m.
func asString(m string, op Operand) (Operand, error) {
	switch op.Kind {
	case OperandString:
		return op, nil
	case OperandNumber:
		return Operand{Kind: OperandString, Pattern: ParsePattern(op.Number.Text)}, nil
	}
	return op, fmt.Errorf("modifier %s needs a string, not a %s", m, kindOf(op))
}

// applyModifier applies modifier m to one operand.
func applyModifier(m string, op Operand, v Value, ph Placeholders) ([]Operand, error) {
	one := func(o Operand) ([]Operand, error) { return []Operand{o}, nil }
	switch m {
	case "all", "neq":
		return one(op)
	case "contains", "startswith", "endswith":
		if op.Kind == OperandFieldRef {
			op.Anchor = map[string]Anchor{"contains": AnchorContains, "startswith": AnchorPrefix, "endswith": AnchorSuffix}[m]
			return one(op)
		}
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		p := op.Pattern
		if m != "endswith" && !p.endsWithAny() {
			p = concat(p, Pattern{{Kind: TokenAnyString}})
		}
		if m != "startswith" && !p.startsWithAny() {
			p = concat(Pattern{{Kind: TokenAnyString}}, p)
		}
		op.Pattern = p
		return one(op)
	case "windash":
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		vs, ok := WindashPattern(op.Pattern)
		if !ok {
			return nil, fmt.Errorf("windash: the value has more than %d flag dashes to vary", maxWindashPositions)
		}
		out := make([]Operand, len(vs))
		for i, p := range vs {
			out[i] = op
			out[i].Pattern = p
		}
		return out, nil
	case "base64", "base64offset":
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		lit, ok := op.Pattern.Literal()
		if !ok {
			return nil, fmt.Errorf("%s cannot encode a value with wildcards (put contains, startswith or endswith after %s, or escape the wildcard)", m, m)
		}
		if m == "base64" {
			op.Pattern = LiteralPattern(Base64([]byte(lit)))
			return one(op)
		}
		forms := Base64Offset([]byte(lit))
		for _, f := range forms {
			if f == "" {
				// One byte leaves nothing stable in some forms, and an empty form
				// would match everything.
				return nil, fmt.Errorf("base64offset needs a value of at least two bytes")
			}
		}
		out := make([]Operand, 3)
		for i, f := range forms {
			out[i] = op
			out[i].Pattern = LiteralPattern(f)
		}
		return out, nil
	case "utf16le", "utf16be", "utf16":
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		switch m {
		case "utf16le":
			op.Pattern = utf16Pattern(op.Pattern, UTF16LE, false)
		case "utf16be":
			op.Pattern = utf16Pattern(op.Pattern, UTF16BE, false)
		default:
			op.Pattern = utf16Pattern(op.Pattern, UTF16LE, true)
		}
		return one(op)
	case "cased":
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		op.Cased = true
		return one(op)
	case "re":
		if op.Kind != OperandString && op.Kind != OperandNumber {
			return nil, fmt.Errorf("re needs a string, not a %s", kindOf(op))
		}
		return one(Operand{Kind: OperandRegex, Regex: &Regex{Expr: v.Raw}})
	case "i", "m", "s":
		if op.Kind != OperandRegex {
			return nil, fmt.Errorf("%s is a flag of the re modifier and must follow re", m)
		}
		r := *op.Regex
		switch m {
		case "i":
			r.Flags.IgnoreCase = true
		case "m":
			r.Flags.Multiline = true
		default:
			r.Flags.DotAll = true
		}
		op.Regex = &r
		return one(op)
	case "cidr":
		if op.Kind != OperandString && op.Kind != OperandNumber {
			return nil, fmt.Errorf("cidr needs a string, not a %s", kindOf(op))
		}
		p, err := ParseCIDR(v.Raw)
		if err != nil {
			return nil, fmt.Errorf("cidr: %v", err)
		}
		return one(Operand{Kind: OperandCIDR, Prefix: p})
	case "exists":
		if op.Kind != OperandBool {
			return nil, fmt.Errorf("exists needs true or false, not a %s", kindOf(op))
		}
		return one(Operand{Kind: OperandExists, Bool: op.Bool})
	case "fieldref":
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		name, ok := op.Pattern.Literal()
		if !ok || name == "" {
			return nil, fmt.Errorf("fieldref needs a field name without wildcards")
		}
		return one(Operand{Kind: OperandFieldRef, Field: name})
	case "lt", "lte", "gt", "gte":
		if op.Kind != OperandNumber {
			return nil, fmt.Errorf("%s needs a number, not a %s (write the number without quotes)", m, kindOf(op))
		}
		cmp := map[string]CompareOp{"lt": CompareLT, "lte": CompareLTE, "gt": CompareGT, "gte": CompareGTE}[m]
		return one(Operand{Kind: OperandCompare, Compare: cmp, Number: op.Number})
	case "minute", "hour", "day", "week", "month", "year":
		if op.Kind != OperandNumber || !op.Number.IsInt {
			return nil, fmt.Errorf("%s needs a whole number, not a %s", m, kindOf(op))
		}
		part := map[string]TimePart{"minute": TimeMinute, "hour": TimeHour, "day": TimeDay, "week": TimeWeek, "month": TimeMonth, "year": TimeYear}[m]
		lo, hi := part.Range()
		if op.Number.Int < lo || op.Number.Int > hi {
			return nil, fmt.Errorf("%s must be between %d and %d, not %d", m, lo, hi, op.Number.Int)
		}
		return one(Operand{Kind: OperandTimePart, TimePart: part, Number: op.Number})
	case "expand":
		if op.Kind == OperandRegex {
			expr, err := ExpandRegex(op.Regex.Expr, ph)
			if err != nil {
				return nil, err
			}
			r := *op.Regex
			r.Expr = expr
			op.Regex = &r
			return one(op)
		}
		op, err := asString(m, op)
		if err != nil {
			return nil, err
		}
		ps, err := ExpandPattern(op.Pattern, ph)
		if err != nil {
			return nil, err
		}
		out := make([]Operand, len(ps))
		for i, p := range ps {
			out[i] = op
			out[i].Pattern = p
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown modifier %q", m)
}
