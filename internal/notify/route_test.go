package notify

import (
	"reflect"
	"testing"
)

func TestChannelsFor(t *testing.T) {
	hook := func(name string) Channel {
		return Channel{Name: name, Type: TypeWebhook, URL: "https://example.com/" + name}
	}
	cfg := Config{
		Channels: []Channel{hook("siem"), hook("pager"), hook("chat"), hook("prod"), hook("sla")},
		Routes: []Route{
			{Name: "all", Channels: []string{"siem"}},
			{Name: "urgent", Channels: []string{"pager", "chat"}, MinSeverity: "high"},
			{Name: "initial access", Channels: []string{"chat"}, Tactics: []string{"cs.ia", "cs.ex"}},
			{Name: "prod creds", Channels: []string{"prod"}, HostGroups: []string{"prod"}, Techniques: []string{"cs-ca-01"}},
			{Name: "sla", Channels: []string{"sla", "pager"}, Kinds: []string{KindSLABreach}},
			{Name: "new medium+", Channels: []string{"chat"}, Kinds: []string{"incident.*"}, MinSeverity: "MEDIUM"},
		},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  Message
		want []string
	}{
		{"low update goes to the catch-all only",
			Message{Kind: KindIncidentUpdated, Severity: "low"}, []string{"siem"}},
		{"high reaches the pager and chat once",
			Message{Kind: KindIncidentCreated, Severity: "high", Tactics: []string{"cs.ia"}}, []string{"siem", "pager", "chat"}},
		{"critical is above high",
			Message{Kind: "other", Severity: "critical"}, []string{"siem", "pager", "chat"}},
		{"severity compares ignoring case",
			Message{Kind: "other", Severity: "High"}, []string{"siem", "pager", "chat"}},
		{"unknown severity meets no minimum",
			Message{Kind: KindIncidentCreated, Severity: "urgent"}, []string{"siem"}},
		{"any listed tactic matches",
			Message{Kind: "x", Severity: "low", Tactics: []string{"cs.pe", "cs.ex"}}, []string{"siem", "chat"}},
		{"tactics match ignoring case",
			Message{Kind: "x", Tactics: []string{"CS.IA"}}, []string{"siem", "chat"}},
		{"every criterion of a route must hold: technique without the group",
			Message{Kind: "x", Techniques: []string{"CS-CA-01"}, HostGroups: []string{"dev"}}, []string{"siem"}},
		{"technique and group together",
			Message{Kind: "x", Techniques: []string{"CS-CA-01"}, HostGroups: []string{"dev", "prod"}}, []string{"siem", "prod"}},
		{"host groups match exactly",
			Message{Kind: "x", Techniques: []string{"CS-CA-01"}, HostGroups: []string{"Prod"}}, []string{"siem"}},
		{"kind by exact name",
			Message{Kind: KindSLABreach, Severity: "low"}, []string{"siem", "sla", "pager"}},
		{"kind by prefix",
			Message{Kind: KindIncidentCreated, Severity: "medium"}, []string{"siem", "chat"}},
		{"prefix needs the dot",
			Message{Kind: "incidental", Severity: "medium"}, []string{"siem"}},
		{"test kind is routed like any other",
			Message{Kind: KindTest}, []string{"siem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cfg.ChannelsFor(tt.msg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ChannelsFor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNoRoutesNoDeliveries(t *testing.T) {
	cfg := Config{Channels: []Channel{{Name: "a", Type: TypeWebhook, URL: "https://example.com"}}}
	if got := cfg.ChannelsFor(sample()); len(got) != 0 {
		t.Errorf("ChannelsFor = %v without routes", got)
	}
}
