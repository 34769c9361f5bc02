package rulestest

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/sigma"
)

func TestParse(t *testing.T) {
	const good = `# tests
placeholders:
  used_regions: [us-east-1]
positive:
  - name: failed then accepted
    log: |
      Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52144 ssh2
      Nov 28 10:00:09 web-1 sshd[1250]: Accepted password for root from 203.0.113.5 port 40022 ssh2
  - name: a record
    records:
      - {"eventVersion": "1.10", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "awsRegion": "us-east-1", "eventTime": "2026-11-28T09:00:00Z", "eventID": "1", "sourceIPAddress": "203.0.113.50", "requestParameters": {"userName": "svc"}, "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}}
negative:
  - name: repeated
    log: |
      Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52144 ssh2
    repeat: 3
`
	f, err := Parse("good.tests.yml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Positive) != 2 || len(f.Negative) != 1 || !f.Positive[0].Positive || f.Negative[0].Positive {
		t.Fatalf("cases: %+v %+v", f.Positive, f.Negative)
	}
	if f.Positive[0].Line != 5 || f.Negative[0].Line != 13 {
		t.Errorf("lines %d and %d, want 5 and 13", f.Positive[0].Line, f.Negative[0].Line)
	}
	if got := f.Placeholders["used_regions"]; len(got) != 1 || got[0] != "us-east-1" {
		t.Errorf("placeholders %v", f.Placeholders)
	}

	evs, err := f.Positive[0].Events("")
	if err != nil || len(evs) != 2 || evs[0].Type != "sshd" || evs[1].GetString("event.outcome") != "success" {
		t.Fatalf("log events: %v %v", evs, err)
	}
	if evs[0].Time.Year() != 2026 {
		t.Errorf("a year-less time resolves to %v, want 2026 (Now)", evs[0].Time)
	}
	evs, err = f.Positive[1].Events("")
	if err != nil || len(evs) != 1 || evs[0].Type != "cloudtrail" || evs[0].GetString("user.target.name") != "svc" {
		t.Fatalf("record events: %v %v", evs, err)
	}
	evs, err = f.Negative[0].Events("")
	if err != nil || len(evs) != 3 {
		t.Fatalf("repeat 3 gives %d events (%v)", len(evs), err)
	}
	if evs[0].ID == evs[1].ID {
		t.Error("repeated lines share an event id")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "positive: []\nnegative: []\nextra: 1\n", "field extra not found"},
		{"unknown case key", "positive:\n  - name: a\n    lines: x\n", "field lines not found"},
		{"no name", "positive:\n  - log: x\n", "has no name"},
		{"two names", "positive:\n  - name: a\n    log: x\nnegative:\n  - name: a\n    log: y\n", `two cases are named "a"`},
		{"no input", "positive:\n  - name: a\n", "has no input"},
		{"bad type", "positive:\n  - name: a\n    log: x\n    type: nope\n", `unknown type "nope"`},
		{"type without log", "positive:\n  - name: a\n    type: sshd\n    records: [{a: 1}]\n", "forces a type but has no log"},
		{"repeat", "positive:\n  - name: a\n    log: x\n    repeat: -1\n", "repeat must be"},
		{"empty placeholder", "placeholders:\n  x: []\npositive:\n  - name: a\n    log: x\n", `placeholder "x" has no values`},
		{"two documents", "positive: []\n---\nnegative: []\n", "more than one YAML document"},
		{"empty", "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.tests.yml", []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEventsRejected(t *testing.T) {
	f, err := Parse("x.tests.yml", []byte("positive:\n  - name: broken\n    log: |\n      {\"a\": \n      [1,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Positive[0].Events(""); err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Errorf("broken JSON gives %v, want a rejection", err)
	}
}

func TestEventTypes(t *testing.T) {
	for _, tc := range []struct {
		ls   sigma.LogSource
		want string
	}{
		{sigma.LogSource{Product: "linux", Service: "sshd"}, "sshd"},
		{sigma.LogSource{Product: "linux", Service: "auth"}, "sshd,sudo,su,accounts"},
		{sigma.LogSource{Product: "linux", Category: "process_creation"}, "sudo,cron,auditd"},
		{sigma.LogSource{Category: "webserver"}, "nginx,apache"},
		{sigma.LogSource{Product: "linux", Category: "firewall"}, "kernel"},
		{sigma.LogSource{Product: "aws", Service: "cloudtrail"}, "cloudtrail"},
		{sigma.LogSource{Product: "tencentcloud", Service: "cloudaudit"}, "cloudaudit"},
		{sigma.LogSource{Product: "alibabacloud", Service: "actiontrail"}, "actiontrail"},
		{sigma.LogSource{Product: "windows", Service: "security"}, ""},
		{sigma.LogSource{Product: "linux", Category: "process_creation", Service: "sshd"}, ""},
		{sigma.LogSource{Product: "aws"}, ""},
	} {
		got, err := EventTypes(&tc.ls)
		if strings.Join(got, ",") != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("%+v: %v, %v; want %q", tc.ls, got, err, tc.want)
		}
	}
}

func TestMainRules(t *testing.T) {
	const file = `title: main
id: 11111111-1111-4111-8111-111111111111
correlation:
  type: event_count
  rules: [helper]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
---
title: helper
id: 22222222-2222-4222-8222-222222222222
name: helper
logsource: {product: linux, service: sshd}
detection:
  selection: {event.action: ssh_login}
  condition: selection
---
title: alone
id: 33333333-3333-4333-8333-333333333333
logsource: {product: linux, service: sshd}
detection:
  selection: {event.action: ssh_login}
  condition: selection
`
	c, errs := sigma.Load("r.yml", []byte(file))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	mains := MainRules(c)["r.yml"]
	if len(mains) != 2 || mains[0].Title != "main" || mains[1].Title != "alone" {
		t.Fatalf("main rules %v", mains)
	}
	if ls := LogSources(mains[0]); len(ls) != 1 || ls[0].Service != "sshd" {
		t.Errorf("log sources of the correlation: %v", ls)
	}
}

func TestPlaceholders(t *testing.T) {
	a := &File{Path: "a", Placeholders: map[string][]string{"r": {"x"}}}
	b := &File{Path: "b", Placeholders: map[string][]string{"r": {"x"}, "s": {"y"}}}
	c := &File{Path: "c", Placeholders: map[string][]string{"r": {"z"}}}
	ph, err := Placeholders([]*File{a, b})
	if err != nil || len(ph) != 2 {
		t.Errorf("%v %v", ph, err)
	}
	if _, err := Placeholders([]*File{a, c}); err == nil {
		t.Error("conflicting placeholder values accepted")
	}
}

func TestFileNames(t *testing.T) {
	if got := TestsFor("rules/x/a_b.yml"); got != "rules/x/a_b.tests.yml" {
		t.Error(got)
	}
	if got := RuleFor("rules/x/a_b.tests.yml"); got != "rules/x/a_b.yml" {
		t.Error(got)
	}
}
