package detect

import (
	"testing"
	"time"
)

const disableRules = `title: Failed Login
id: 11111111-1111-4111-8111-111111111111
name: failed_login
logsource: {product: test}
detection:
  selection: {outcome: failure}
  condition: selection
level: low
---
title: Many Failed Logins
id: 22222222-2222-4222-8222-222222222222
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 10m
  condition: {gte: 3}
level: high
`

func TestSetDisabled(t *testing.T) {
	e := compileRules(t, disableRules, Options{IgnoreLogsource: true})
	// The correlation's base generates alerts of its own only when asked to; here
	// it is the correlation itself that is disabled first, then re-enabled.
	if unknown := e.SetDisabled([]string{"22222222-2222-4222-8222-222222222222", "no-such-rule"}); len(unknown) != 1 || unknown[0] != "no-such-rule" {
		t.Fatalf("unknown = %v", unknown)
	}
	var alerts []Alert
	for i := range 3 {
		ev := jsonEvent("e"+string(rune('0'+i)), map[string]any{"outcome": "failure", "user": "bob"})
		ev.Time = goldenNow.Add(time.Duration(i) * time.Second)
		alerts = append(alerts, e.Eval(ev, goldenNow)...)
	}
	for _, a := range alerts {
		if a.Rule.ID == "22222222-2222-4222-8222-222222222222" {
			t.Errorf("a disabled correlation alerted: %+v", a)
		}
	}
	st := e.Stats()
	var muted, disabled bool
	for _, r := range st.Rules {
		if r.ID == "22222222-2222-4222-8222-222222222222" {
			muted, disabled = r.Muted == 1, r.Disabled
		}
	}
	if !muted || !disabled {
		t.Errorf("stats of the disabled correlation: muted %v disabled %v", muted, disabled)
	}
	// Enabled again, it alerts.
	e.SetDisabled(nil)
	fired := false
	for i := range 3 {
		ev := jsonEvent("f"+string(rune('0'+i)), map[string]any{"outcome": "failure", "user": "bob"})
		ev.Time = goldenNow.Add(time.Duration(5+i) * time.Second)
		for _, a := range e.Eval(ev, goldenNow) {
			fired = fired || a.Rule.ID == "22222222-2222-4222-8222-222222222222"
		}
	}
	if !fired {
		t.Error("the re-enabled correlation did not fire")
	}
}
