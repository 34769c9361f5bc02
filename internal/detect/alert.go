package detect

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Alert is a rule's match: one event for a detection rule, a window of events for a
// correlation rule.
type Alert struct {
	// Time is when the alert happened: the time of the (last) event that completed
	// the match.
	Time time.Time
	Rule RuleRef
	// EventIDs are the ids of the matched events: one for a detection rule; for a
	// correlation, the events of the window (at most Options.MaxAlertEvents, the
	// latest kept) and EventCount the number there were.
	EventIDs   []string
	EventCount int
	// First and Last are the times of the first and the last matched event.
	First, Last time.Time
	// Matched lists the fields that made a detection rule match, with the event's
	// values, in the order the condition reached them.
	Matched []MatchedField
	// Group holds a correlation's group-by fields and the values of this group, in
	// the order of group-by; GroupKey is the same as one string.
	Group    []MatchedField
	GroupKey string
	// Window is the time frame a correlation looked at.
	Window *Window
	// Correlation describes a correlation's aggregate.
	Correlation *Aggregate
}

// RuleRef names the rule of an alert.
type RuleRef struct {
	ID    string
	Title string
	Level string
	// Tags are the rule's tags as written: ATT&CK (attack.*), the cloud-server
	// matrix (cs.*) and the others.
	Tags []string
	// Kind is "detection" or "correlation".
	Kind string
	File string
}

// MatchedField is a field and its value.
type MatchedField struct {
	Field string
	Value any
}

// Window is a time frame.
type Window struct {
	Start, End time.Time
}

// Aggregate is what a correlation counted or computed.
type Aggregate struct {
	Type  string  // event_count, value_count, temporal, ...
	Value float64 // the count, the sum, the average, the percentile or the share
}

// MarshalJSON writes the alert as hunt prints it (see AppendJSON).
func (a *Alert) MarshalJSON() ([]byte, error) {
	return a.AppendJSON(make([]byte, 0, 512)), nil
}

// AppendJSON appends the alert as one JSON object:
//
//	{"@timestamp":…, "rule":{"id","title","level","tags","kind"},
//	 "event":{"ids":[…],"count":N,"first":…,"last":…}, "matched":{field: value},
//	 "group":{field: value}, "window":{"start","end"}, "correlation":{"type","value"}}
//
// matched, group, window and correlation are left out when empty; a field that
// repeats in matched keeps its first value.
func (a *Alert) AppendJSON(b []byte) []byte {
	b = append(b, `{"@timestamp":`...)
	b = appendTime(b, a.Time)
	b = append(b, `,"rule":{"id":`...)
	b = appendString(b, a.Rule.ID)
	b = append(b, `,"title":`...)
	b = appendString(b, a.Rule.Title)
	if a.Rule.Level != "" {
		b = append(b, `,"level":`...)
		b = appendString(b, a.Rule.Level)
	}
	b = append(b, `,"tags":`...)
	b = appendJSONStrings(b, a.Rule.Tags)
	b = append(b, `,"kind":`...)
	b = appendString(b, a.Rule.Kind)
	b = append(b, `},"event":{"ids":`...)
	b = appendJSONStrings(b, a.EventIDs)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(a.EventCount), 10)
	b = append(b, `,"first":`...)
	b = appendTime(b, a.First)
	b = append(b, `,"last":`...)
	b = appendTime(b, a.Last)
	b = append(b, '}')
	if len(a.Matched) > 0 {
		b = append(b, `,"matched":`...)
		b = appendFields(b, a.Matched)
	}
	if len(a.Group) > 0 {
		b = append(b, `,"group":`...)
		b = appendFields(b, a.Group)
	}
	if a.Window != nil {
		b = append(b, `,"window":{"start":`...)
		b = appendTime(b, a.Window.Start)
		b = append(b, `,"end":`...)
		b = appendTime(b, a.Window.End)
		b = append(b, '}')
	}
	if a.Correlation != nil {
		b = append(b, `,"correlation":{"type":`...)
		b = appendString(b, a.Correlation.Type)
		b = append(b, `,"value":`...)
		b = appendNumber(b, a.Correlation.Value)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendJSONStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendFields writes fields as a JSON object in their order; a field that repeats
// keeps its first value.
func appendFields(b []byte, fields []MatchedField) []byte {
	b = append(b, '{')
	for i, f := range fields {
		dup := false
		for _, g := range fields[:i] {
			dup = dup || g.Field == f.Field
		}
		if dup {
			continue
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = appendString(b, f.Field)
		b = append(b, ':')
		switch v := f.Value.(type) {
		case string:
			b = appendString(b, v)
		case []string:
			b = appendJSONStrings(b, v)
		default:
			enc, err := json.Marshal(v)
			if err != nil {
				enc = []byte("null")
			}
			b = append(b, enc...)
		}
	}
	return append(b, '}')
}

// appendString writes a JSON string as encoding/json does.
func appendString(b []byte, s string) []byte { return event.AppendJSONString(b, s) }
