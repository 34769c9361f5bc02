package detect

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// everything matches any event that has a message or an eventName, so that routing
// alone decides which rules see which events.
const routedRules = `
title: cloudtrail anything
id: 40000000-0000-4000-8000-000000000001
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName|exists: true}
    condition: sel
---
title: sshd anything
id: 40000000-0000-4000-8000-000000000002
logsource: {product: linux, service: sshd}
detection:
    sel: {message|exists: true}
    condition: sel
---
title: linux anything
id: 40000000-0000-4000-8000-000000000003
logsource: {product: linux}
detection:
    sel: {message|exists: true}
    condition: sel
---
title: auth anything
id: 40000000-0000-4000-8000-000000000004
logsource: {product: linux, service: auth}
detection:
    sel: {message|exists: true}
    condition: sel
---
title: process creation anything
id: 40000000-0000-4000-8000-000000000005
logsource: {product: linux, category: process_creation}
detection:
    sel: {Image|exists: true}
    condition: sel
---
title: webserver anything
id: 40000000-0000-4000-8000-000000000006
logsource: {category: webserver}
detection:
    sel: {cs-method|exists: true}
    condition: sel
---
title: tencent anything
id: 40000000-0000-4000-8000-000000000007
logsource: {product: tencentcloud, service: cloudaudit}
detection:
    sel: {eventName|exists: true}
    condition: sel
---
title: alibaba anything
id: 40000000-0000-4000-8000-000000000008
logsource: {product: alibabacloud, service: actiontrail}
detection:
    sel: {eventName|exists: true}
    condition: sel
---
title: firewall anything
id: 40000000-0000-4000-8000-00000000000a
logsource: {product: linux, category: firewall}
detection:
    sel: {src_ip|exists: true}
    condition: sel
---
title: auditd anything
id: 40000000-0000-4000-8000-000000000009
logsource: {product: linux, service: auditd}
detection:
    sel: {type|exists: true}
    condition: sel
`

// TestRouting checks which rules see the golden events of each parser.
func TestRouting(t *testing.T) {
	e := compileRules(t, routedRules, Options{})
	seen := map[string]map[string]bool{} // parser -> rule titles
	for _, ev := range goldenEvents(t) {
		if seen[ev.Type] == nil {
			seen[ev.Type] = map[string]bool{}
		}
		for _, a := range e.Eval(ev, ev.Time) {
			seen[ev.Type][strings.TrimSuffix(a.Rule.Title, " anything")] = true
		}
	}
	want := map[string]string{
		"sshd":        "auth linux sshd",
		"sudo":        "auth linux process creation",
		"su":          "auth linux",
		"accounts":    "auth linux",
		"cron":        "linux process creation",
		"systemd":     "linux",
		"syslog":      "linux",
		"kernel":      "firewall linux",
		"unknown":     "linux",
		"auditd":      "auditd linux process creation",
		"nginx":       "webserver",
		"cloudtrail":  "cloudtrail",
		"cloudaudit":  "tencent",
		"actiontrail": "alibaba",
	}
	for typ, w := range want {
		var got []string
		for title := range seen[typ] {
			got = append(got, title)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != w {
			t.Errorf("%s events reached %q, want %q", typ, strings.Join(got, " "), w)
		}
	}
}

// TestRoutingCloudTrailNeverSeesSSHD evaluates a CloudTrail rule whose condition any
// event satisfies against sshd events: routing keeps them apart.
func TestRoutingCloudTrailNeverSeesSSHD(t *testing.T) {
	e := compileRules(t, `
title: any cloudtrail record
id: 40000000-0000-4000-8000-000000000010
logsource: {product: aws, service: cloudtrail}
detection:
    keywords: ['*']
    condition: keywords
`, Options{})
	sshd := parseFile(t, moduleRoot(t)+"/internal/parse/testdata/sshd/auth.log")
	for _, ev := range sshd {
		if as := e.Eval(ev, ev.Time); len(as) > 0 {
			t.Fatalf("a CloudTrail rule alerted on %s", ev.Message)
		}
	}
	if st := e.Stats(); st.Offered != 0 {
		t.Errorf("sshd events were offered to %d rules", st.Offered)
	}
	ignore := compileRules(t, `
title: any cloudtrail record
id: 40000000-0000-4000-8000-000000000010
logsource: {product: aws, service: cloudtrail}
detection:
    keywords: ['*']
    condition: keywords
`, Options{IgnoreLogsource: true})
	if n := len(ignore.Eval(sshd[0], sshd[0].Time)); n != 1 {
		t.Errorf("with IgnoreLogsource the rule raised %d alerts, want 1", n)
	}
}

func TestAuditdPipeline(t *testing.T) {
	e := compileRules(t, `
title: auditd fields
id: 40000000-0000-4000-8000-000000000011
logsource: {product: linux, service: auditd}
detection:
    sel:
        type: EXECVE
        a0: wget
        a3|startswith: /tmp/
        syscall: 59
        SYSCALL: execve
        key: exec
        exe|endswith: /wget
        comm: wget
        uid: 1000
        name: /usr/bin/wget
    condition: sel
`, Options{})
	var hits []string
	for _, ev := range parseFile(t, moduleRoot(t)+"/internal/parse/testdata/auditd/ausearch.log") {
		for _, a := range e.Eval(ev, ev.Time) {
			hits = append(hits, fmt.Sprint(a.Matched))
		}
	}
	if len(hits) != 1 {
		t.Errorf("hits %v, want the wget execve", hits)
	}
}

func TestCompileRejections(t *testing.T) {
	for _, tc := range []struct{ name, yml, want string }{
		{"unmapped logsource", `
title: azure
id: 50000000-0000-4000-8000-000000000001
logsource: {product: azure, service: activitylogs}
detection:
    sel: {operationName: x}
    condition: sel
`, "test.yml:2: no log source of Vigil provides logsource product azure, service activitylogs"},
		{"correlation over a rejected rule", `
title: azure
id: 50000000-0000-4000-8000-000000000001
name: az
logsource: {product: azure}
detection:
    sel: {operationName: x}
    condition: sel
---
title: many
id: 50000000-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules: [az]
    group-by: [x]
    timespan: 1m
    condition: {gte: 2}
`, `correlation references "az", which could not be compiled`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Compile(loadRules(t, tc.yml), Options{})
			var all []string
			for _, e := range errs {
				all = append(all, e.Error())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Errorf("errors %q, want %q", all, tc.want)
			}
		})
	}
	m, err := LoadMapping([]byte(`
sources:
  - name: hosts
    logsource: {product: linux}
    when:
      - event.module: [sshd]
    fields:
      ParentImage: []
`))
	if err != nil {
		t.Fatal(err)
	}
	_, errs := Compile(loadRules(t, `
title: parent
id: 50000000-0000-4000-8000-000000000003
logsource: {product: linux}
detection:
    sel:
        ParentImage: /bin/sh
    condition: sel
`), Options{Mapping: m})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "test.yml:7: field ParentImage is not available in events of hosts") {
		t.Errorf("errors %v", errs)
	}
}

func TestLoadMapping(t *testing.T) {
	if _, err := LoadMapping(DefaultMappingYAML()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"sources:\n  - name: x\n    logsource: {}\n    when: [{event.module: a}]",
		"sources:\n  - name: x\n    logsource: {product: p}\n",
		"sources:\n  - name: x\n    logsource: {product: p}\n    when: [{event.module: a}]\n  - name: y\n    logsource: {product: p}\n    when: [{event.module: a}]",
		"sources:\n  - name: x\n    logsource: {product: p}\n    when: [{a.*b: a}]",
		"sources:\n  - name: x\n    logsource: {product: p}\n    unknown: 1",
	} {
		if _, err := LoadMapping([]byte(bad)); err == nil {
			t.Errorf("mapping accepted:\n%s", bad)
		}
	}
}

// TestScannerOverlapping checks that the automaton reports every literal that occurs,
// overlapping ones included, against strings.Contains.
func TestScannerOverlapping(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	word := func(n int) string {
		b := make([]byte, 2+rng.IntN(n))
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	var yml strings.Builder
	var lits []string
	for i := range 60 {
		l := word(5)
		lits = append(lits, l)
		fmt.Fprintf(&yml, "---\ntitle: r%d\nid: 60000000-0000-4000-8000-%012d\nlogsource: {product: test}\ndetection:\n    sel: {F|contains: '%s'}\n    condition: sel\n", i, i, l)
	}
	e := compileRules(t, yml.String(), Options{IgnoreLogsource: true})
	for i := range 500 {
		text := word(30)
		ev := &event.Event{ID: fmt.Sprint(i), Type: "json", Time: goldenNow, Original: map[string]any{"F": text}}
		got := map[string]bool{}
		for _, a := range e.Eval(ev, goldenNow) {
			got[a.Rule.Title] = true
		}
		for k, l := range lits {
			if strings.Contains(text, l) != got[fmt.Sprintf("r%d", k)] {
				t.Fatalf("text %q literal %q: alert %v", text, l, got[fmt.Sprintf("r%d", k)])
			}
		}
	}
}

// TestAuthFacilityCoversEveryTextType: linux/auth takes a line of the auth or authpriv
// facility from every event type but the cloud audit records, which hold no syslog
// facility. A parser added without being named there would miss such lines.
func TestAuthFacilityCoversEveryTextType(t *testing.T) {
	cloud := map[string]bool{"actiontrail": true, "cloudaudit": true, "cloudtrail": true}
	want := []string{"unknown"}
	for _, typ := range parse.Types() {
		if !cloud[typ] {
			want = append(want, typ)
		}
	}
	sort.Strings(want)
	for _, s := range DefaultMapping().Sources {
		if s.Name != "linux/auth" {
			continue
		}
		for _, alt := range s.When {
			if _, ok := alt["log.syslog.facility.code"]; !ok {
				continue
			}
			got := append([]string(nil), alt["event.module"]...)
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("linux/auth's facility alternative names the types %v, want %v", got, want)
			}
			return
		}
	}
	t.Fatal("linux/auth has no alternative on log.syslog.facility.code")
}
