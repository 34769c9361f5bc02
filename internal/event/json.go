package event

import (
	"errors"
	"maps"
	"strings"
	"time"
)

// MarshalJSON writes the event as one JSON object: the original record's fields at the
// top level, the normalized fields nested by their dotted names (ECS layout), and
// "@timestamp", "event.id", "event.module" (the parser) and "message". It writes what
// json.Marshal(e.Tree()) would, without building the maps (see AppendJSON).
func (e *Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 1024))
}

// Tree returns the event as nested maps, as MarshalJSON writes it.
func (e *Event) Tree() map[string]any {
	out := make(map[string]any, len(e.Original)+len(e.Fields)+4)
	for k, v := range e.Original {
		out[k] = v
	}
	if !e.Time.IsZero() {
		out["@timestamp"] = e.Time.UTC().Format(time.RFC3339Nano)
	}
	if e.Message != "" {
		out["message"] = e.Message
	}
	if e.ID != "" {
		put(out, "event.id", e.ID)
	}
	if e.Type != "" {
		put(out, "event.module", e.Type)
	}
	for _, f := range e.Fields {
		put(out, f.Key, f.Value)
	}
	return out
}

// put stores v at a dotted key, creating intermediate objects. Where a level is already
// taken by a non-object value (an original field), the rest of the key stays flat so no
// value is lost.
func put(m map[string]any, key string, v any) {
	for {
		head, rest, found := strings.Cut(key, ".")
		if !found {
			m[key] = v
			return
		}
		child, exists := m[head]
		sub, isMap := child.(map[string]any)
		if exists && !isMap {
			m[key] = v
			return
		}
		if exists {
			// Copy before writing: the map may belong to the original record.
			sub = maps.Clone(sub)
		} else {
			sub = map[string]any{}
		}
		m[head] = sub
		m, key = sub, rest
	}
}

// FromJSON rebuilds an event from the JSON document MarshalJSON wrote (as an agent sends
// it, or as the store keeps it). The whole document becomes the original record, so
// every field reads by its dotted path; id, type, time and message are restored.
func FromJSON(doc map[string]any) (*Event, error) {
	e := &Event{Original: doc}
	if ev, ok := doc["event"].(map[string]any); ok {
		e.ID, _ = ev["id"].(string)
		e.Type, _ = ev["module"].(string)
	}
	if e.ID == "" {
		return nil, errors.New("event.id is missing")
	}
	if len(e.ID) > 128 {
		return nil, errors.New("event.id is longer than 128 characters")
	}
	ts, _ := doc["@timestamp"].(string)
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, errors.New("@timestamp is missing or not RFC 3339")
	}
	e.Time = t.UTC()
	e.Message, _ = doc["message"].(string)
	return e, nil
}
