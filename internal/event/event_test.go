package event_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

func TestSetGetAppend(t *testing.T) {
	var e event.Event
	e.Set("user.name", "alice")
	e.Set("user.name", "bob") // replaces
	e.Set("source.port", int64(22))
	e.Set("empty", "")
	e.Set("nil", nil)
	e.Append("related.ip", "192.0.2.1")
	e.Append("related.ip", "192.0.2.1")
	e.Append("related.ip", "2001:db8::1")
	if v, _ := e.Get("user.name"); v != "bob" {
		t.Errorf("user.name = %v", v)
	}
	if _, ok := e.Get("empty"); ok {
		t.Error("empty string stored")
	}
	if _, ok := e.Get("nil"); ok {
		t.Error("nil stored")
	}
	if got := e.GetString("source.port"); got != "22" {
		t.Errorf("GetString(source.port) = %q", got)
	}
	if got := e.GetString("related.ip"); got != "192.0.2.1,2001:db8::1" {
		t.Errorf("related.ip = %q", got)
	}
	if len(e.Fields) != 3 {
		t.Errorf("fields = %+v", e.Fields)
	}
}

func TestGetOriginalByDottedPath(t *testing.T) {
	e := event.Event{Original: map[string]any{
		"eventName":    "CreateAccessKey",
		"userIdentity": map[string]any{"arn": "arn:aws:iam::1:user/a", "sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false"}}},
		"requestParameters": map[string]any{
			"policy.name": "dotted key",
			"list":        []any{"x"},
		},
		"a.b": "flat wins",
		"a":   map[string]any{"b": "nested"},
	}}
	cases := map[string]any{
		"eventName":        "CreateAccessKey",
		"userIdentity.arn": "arn:aws:iam::1:user/a",
		"userIdentity.sessionContext.attributes.mfaAuthenticated": "false",
		"requestParameters.policy.name":                           "dotted key",
		"requestParameters.list":                                  []any{"x"},
		"a.b":                                                     "flat wins",
	}
	for path, want := range cases {
		got, ok := e.Get(path)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Get(%q) = %v, %v; want %v", path, got, ok, want)
		}
	}
	for _, missing := range []string{"userIdentity.nope", "eventName.x", "", "."} {
		if v, ok := e.Get(missing); ok {
			t.Errorf("Get(%q) = %v, want absent", missing, v)
		}
	}
	// Normalized fields shadow the original.
	e.Set("eventName", "normalized")
	if v, _ := e.Get("eventName"); v != "normalized" {
		t.Errorf("shadowing: %v", v)
	}
}

func TestTreeNestsAndKeepsOriginalIntact(t *testing.T) {
	orig := map[string]any{"event": map[string]any{"custom": "x"}, "host": "a-string"}
	e := event.Event{ID: "id1", Type: "json", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Message: "m", Original: orig}
	e.Set("event.action", "login")
	e.Set("host.name", "h") // "host" is a string in the original: stays flat
	b, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	want := map[string]any{
		"@timestamp": "2026-01-02T03:04:05.000000006Z",
		"message":    "m",
		"event":      map[string]any{"custom": "x", "action": "login", "id": "id1", "module": "json"},
		"host":       "a-string",
		"host.name":  "h",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tree = %v\nwant   %v", got, want)
	}
	if !reflect.DeepEqual(orig, map[string]any{"event": map[string]any{"custom": "x"}, "host": "a-string"}) {
		t.Errorf("original modified: %v", orig)
	}
}

func TestFinishIsStable(t *testing.T) {
	a := event.Event{Type: "sshd"}
	b := event.Event{Type: "sshd"}
	a.Finish("file:/var/log/auth.log#1", []byte("line"))
	b.Finish("file:/var/log/auth.log#1", []byte("line"))
	if a.ID == "" || a.ID != b.ID {
		t.Errorf("ids %q %q", a.ID, b.ID)
	}
	c := event.Event{Type: "sshd"}
	c.Finish("file:/var/log/auth.log#2", []byte("line"))
	if c.ID == a.ID {
		t.Error("two positions got one id")
	}
	d := event.Event{ID: "given"}
	d.Finish("x", nil)
	if d.ID != "given" {
		t.Error("Finish replaced a set id")
	}
	// IDBuilder gives the ids of Finish, as an id or as text.
	var ids event.IDBuilder
	e := event.Event{Type: "sshd"}
	ids.Finish(&e, "file:/var/log/auth.log", 1, "line")
	if text := ids.AppendID([]byte("x"), "sshd", "file:/var/log/auth.log", 1, "line"); e.ID != a.ID || string(text) != "x"+a.ID {
		t.Errorf("IDBuilder: %q and %q, Finish %q", e.ID, text, a.ID)
	}
}

func TestGetInsideObjectField(t *testing.T) {
	var e event.Event
	e.Set("cloudaudit.requestParameters", map[string]any{"UserData": "IyEvYmluL3No", "Placement": map[string]any{"Zone": "ap-guangzhou-3"}})
	if v, ok := e.Get("cloudaudit.requestParameters.UserData"); !ok || v != "IyEvYmluL3No" {
		t.Errorf("inside an object field: %v %v", v, ok)
	}
	if v, ok := e.Get("cloudaudit.requestParameters.Placement.Zone"); !ok || v != "ap-guangzhou-3" {
		t.Errorf("two levels inside: %v %v", v, ok)
	}
	if _, ok := e.Get("cloudaudit.requestParametersX"); ok {
		t.Error("prefix without a dot matched")
	}
}
