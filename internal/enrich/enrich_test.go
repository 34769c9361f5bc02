package enrich

import (
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

var instances = []Instance{
	{Host: "web-01", Provider: "aws", InstanceID: "i-0a1b2c3d4e5f67890", Region: "us-east-1", Zone: "us-east-1a",
		IPs: []string{"10.0.1.5/24", "fe80::1/64"}, PublicIPs: []string{"198.51.100.10"}},
	{Host: "ignored", Provider: "aws"}, // no instance id
}

func TestHostEvent(t *testing.T) {
	e := New(instances)
	ev := &event.Event{}
	ev.Set("host.name", "WEB-01")
	e.Event(ev)
	if ev.GetString("cloud.instance.id") != "i-0a1b2c3d4e5f67890" || ev.GetString("cloud.provider") != "aws" ||
		ev.GetString("cloud.region") != "us-east-1" || ev.GetString("cloud.availability_zone") != "us-east-1a" {
		t.Errorf("enriched host event = %+v", ev.Fields)
	}
	other := &event.Event{}
	other.Set("host.name", "db-9")
	e.Event(other)
	if _, ok := other.Get("cloud.instance.id"); ok {
		t.Error("an unknown host was enriched")
	}
	if e.Len() != 1 {
		t.Errorf("Len = %d, want 1", e.Len())
	}
}

func cloudEvent(session, ip string) *event.Event {
	ev := &event.Event{}
	ev.Set("cloud.provider", "aws")
	ev.Set("user.name", session)
	ev.Set("source.ip", ip)
	return ev
}

func TestCredentialUse(t *testing.T) {
	e := New(instances)
	for _, c := range []struct {
		name, session, ip string
		known, from       bool
		fromSet           bool
	}{
		{"from the instance's public address", "i-0a1b2c3d4e5f67890", "198.51.100.10", true, true, true},
		{"from its private address (VPC endpoint)", "i-0a1b2c3d4e5f67890", "10.0.1.5", true, true, true},
		{"from elsewhere", "i-0a1b2c3d4e5f67890", "203.0.113.66", true, false, true},
		{"by an AWS service on its behalf", "i-0a1b2c3d4e5f67890", "ec2.amazonaws.com", true, false, false},
		{"another instance's session", "i-0fffffffffffffff0", "203.0.113.66", false, false, false},
		{"a person's session", "alice", "203.0.113.66", false, false, false},
	} {
		ev := cloudEvent(c.session, c.ip)
		e.Event(ev)
		_, known := ev.Get(FieldCredentialInstance)
		from, fromSet := ev.Get(FieldFromInstance)
		if known != c.known || fromSet != c.fromSet || (fromSet && from != c.from) {
			t.Errorf("%s: known %v, from_instance %v (set %v)", c.name, known, from, fromSet)
		}
		if known && ev.GetString(FieldCredentialHost) != "web-01" {
			t.Errorf("%s: host %q", c.name, ev.GetString(FieldCredentialHost))
		}
	}
	// The session can also only be in the principal id or the ARN.
	ev := &event.Event{}
	ev.Set("cloud.provider", "aws")
	ev.Set("source.ip", "203.0.113.66")
	ev.Original = map[string]any{"userIdentity": map[string]any{"arn": "arn:aws:sts::111122223333:assumed-role/web/i-0a1b2c3d4e5f67890"}}
	e.Event(ev)
	if ev.GetString(FieldCredentialInstance) != "i-0a1b2c3d4e5f67890" {
		t.Errorf("session from the ARN not found: %+v", ev.Fields)
	}
	// Another provider's event never matches an AWS instance.
	tc := cloudEvent("i-0a1b2c3d4e5f67890", "203.0.113.66")
	tc.Set("cloud.provider", "tencent_cloud")
	e.Event(tc)
	if _, ok := tc.Get(FieldCredentialInstance); ok {
		t.Error("a Tencent Cloud event matched an AWS instance")
	}
	var nilE *Enricher
	nilE.Event(tc) // no panic
}
