// Package demo holds the multi-stage attack that `vigil demo` replays against a running
// server: an AWS access key leak that ends on a Linux server with stolen role credentials
// and wiped logs. The scenario is data embedded in the binary (scenario/scenario.yml and
// one template per log file); Render times it for a replay, so that the alerts it raises
// are fresh and the time-window correlations (a brute force, then the login) see the
// events in attack order.
package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"strings"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed scenario
var scenarioFS embed.FS

// Scenario is the attack rendered for one replay.
type Scenario struct {
	// Start and End bound the attack's events: End is the replay time and Start lies
	// the scenario's span before it.
	Start, End time.Time
	Stages     []Stage
}

// Stage is one step of the attack with the logs that show it.
type Stage struct {
	Name    string
	Title   string
	Summary string
	// Techniques are the ids of the matrix techniques (CS-IA-01, ...) that the built-in
	// rules raise alerts for on this stage's events.
	Techniques []string
	Batches    []Batch
}

// Batch is one log file of a stage, ready to be sent as the body of
// POST /api/v1/ingest?type=Type&host=Host.
type Batch struct {
	File        string // the template it was rendered from
	Type        string // the log type (?type=)
	Host        string // the host of records that name none (?host=); empty for cloud records
	ContentType string // text/plain for log lines, application/x-ndjson for cloud records
	Body        []byte
	Lines       int // non-empty lines in Body
}

// manifest is scenario/scenario.yml.
type manifest struct {
	Span   time.Duration `yaml:"span"`
	Stages []struct {
		Name       string   `yaml:"name"`
		Title      string   `yaml:"title"`
		Summary    string   `yaml:"summary"`
		Techniques []string `yaml:"techniques"`
		Files      []struct {
			Name string `yaml:"name"`
			Type string `yaml:"type"`
			Host string `yaml:"host"`
		} `yaml:"files"`
	} `yaml:"stages"`
}

var techniqueRE = regexp.MustCompile(`^CS-[A-Z]{2}-\d{2}$`)

func loadManifest() (*manifest, error) {
	b, err := scenarioFS.ReadFile("scenario/scenario.yml")
	if err != nil {
		return nil, err
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("scenario.yml: %w", err)
	}
	if m.Span <= 0 {
		return nil, errors.New("scenario.yml: span must be positive")
	}
	if len(m.Stages) == 0 {
		return nil, errors.New("scenario.yml: no stages")
	}
	seen := map[string]bool{}
	for i, s := range m.Stages {
		switch {
		case s.Name == "" || s.Title == "":
			return nil, fmt.Errorf("scenario.yml: stage %d: name and title are required", i+1)
		case seen[s.Name]:
			return nil, fmt.Errorf("scenario.yml: stage %q appears twice", s.Name)
		case len(s.Files) == 0:
			return nil, fmt.Errorf("scenario.yml: stage %q has no files", s.Name)
		}
		seen[s.Name] = true
		for _, t := range s.Techniques {
			if !techniqueRE.MatchString(t) {
				return nil, fmt.Errorf("scenario.yml: stage %q: %q is not a technique id (CS-XX-nn)", s.Name, t)
			}
		}
		for _, f := range s.Files {
			if f.Name == "" || f.Type == "" {
				return nil, fmt.Errorf("scenario.yml: stage %q: every file needs a name and a type", s.Name)
			}
		}
	}
	return &m, nil
}

// Render times the scenario for a replay at now: every event falls between now minus the
// scenario's span and now, in stage order. The same now gives the same bytes. Cloud
// records carry event ids derived from now, so a later replay is stored as new events
// rather than dropped as a retry of the earlier one.
func Render(now time.Time) (*Scenario, error) {
	m, err := loadManifest()
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Millisecond)
	sc := &Scenario{Start: now.Add(-m.Span), End: now}
	funcs := templateFuncs(sc.Start, m.Span, now)
	for _, ms := range m.Stages {
		st := Stage{Name: ms.Name, Title: ms.Title, Summary: strings.TrimSpace(ms.Summary),
			Techniques: ms.Techniques}
		for _, f := range ms.Files {
			body, err := renderFile(f.Name, funcs)
			if err != nil {
				return nil, fmt.Errorf("stage %s: %w", ms.Name, err)
			}
			ct := "text/plain"
			if path.Ext(f.Name) == ".ndjson" {
				ct = "application/x-ndjson"
			}
			st.Batches = append(st.Batches, Batch{File: f.Name, Type: f.Type, Host: f.Host,
				ContentType: ct, Body: body, Lines: countLines(body)})
		}
		sc.Stages = append(sc.Stages, st)
	}
	return sc, nil
}

func renderFile(name string, funcs template.FuncMap) ([]byte, error) {
	src, err := scenarioFS.ReadFile("scenario/" + name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func countLines(b []byte) int {
	n := 0
	for l := range bytes.Lines(b) {
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}

// templateFuncs are the functions the scenario's templates call. Times are offsets in
// seconds (fractions allowed) from start, and must lie within the span:
//
//	cloudtime S        CloudTrail eventTime: 2026-11-28T10:00:05Z
//	clouddate S        the date IAM writes in responses: Nov 28, 2026, 10:00:05 AM
//	syslogtime S       rsyslog's RFC 3339 stamp: 2026-11-28T10:00:05.123000+00:00
//	audit S SERIAL     an auditd record stamp: audit(1795860005.123:4417)
//	minuteafter S D    the offset of the first whole minute at or after S, plus D seconds
//	                   (cron starts jobs on the minute)
//	uuid KEY           a UUID derived from the replay time and KEY
//	execve ARG...      an EXECVE record's arguments, encoded as auditd encodes them
//	proctitle ARG...   a PROCTITLE record's value
func templateFuncs(start time.Time, span time.Duration, now time.Time) template.FuncMap {
	at := func(s float64) (time.Time, error) {
		d := time.Duration(math.Round(s*1e6)) * time.Microsecond
		if s < 0 || d > span || math.IsNaN(s) {
			return time.Time{}, fmt.Errorf("offset %gs is outside the scenario's span of %s", s, span)
		}
		return start.Add(d), nil
	}
	format := func(layout string) func(float64) (string, error) {
		return func(s float64) (string, error) {
			t, err := at(s)
			if err != nil {
				return "", err
			}
			return t.Format(layout), nil
		}
	}
	return template.FuncMap{
		"cloudtime":  format("2006-01-02T15:04:05Z"),
		"clouddate":  format("Jan 2, 2006, 3:04:05 PM"),
		"syslogtime": format("2006-01-02T15:04:05.000000-07:00"),
		"audit": func(s float64, serial int) (string, error) {
			t, err := at(s)
			if err != nil {
				return "", err
			}
			ms := t.UnixMilli()
			return fmt.Sprintf("audit(%d.%03d:%d)", ms/1000, ms%1000, serial), nil
		},
		"minuteafter": func(s, delay float64) (float64, error) {
			t, err := at(s)
			if err != nil {
				return 0, err
			}
			m := t.Truncate(time.Minute)
			if m.Before(t) {
				m = m.Add(time.Minute)
			}
			return m.Sub(start).Seconds() + delay, nil
		},
		"uuid":      func(key string) string { return uuidFor(now, key) },
		"execve":    execveArgs,
		"proctitle": func(args ...string) string { return auditString(strings.Join(args, "\x00")) },
	}
}

// uuidFor returns a version 4 shaped UUID that depends only on now and key.
func uuidFor(now time.Time, key string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s", now.UnixNano(), key))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// execveArgs writes the fields of an EXECVE record: argc=N a0=... a1=...
func execveArgs(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "argc=%d", len(args))
	for i, a := range args {
		fmt.Fprintf(&b, " a%d=%s", i, auditString(a))
	}
	return b.String()
}

// auditString encodes a value as the kernel's audit_log_untrustedstring does: in double
// quotes, or in upper-case hex when it holds a double quote, a space, a control
// character or a byte beyond ASCII.
func auditString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c < 0x21 || c > 0x7e {
			return fmt.Sprintf("%X", s)
		}
	}
	return `"` + s + `"`
}

// Host is the scenario's server as its agent would describe itself: the demo registers
// it as an agent with this inventory, so that the server knows web-01 is the EC2
// instance whose role credentials the attacker steals, and joins the host's and the
// cloud's events (the instance's own calls come from PublicIP).
var Host = struct {
	Hostname, MachineID, InstanceID, Region, Zone, PrivateIP, PublicIP string
}{"web-01", "vigil-demo-web-01", "i-0a1b2c3d4e5f67890", "us-east-1", "us-east-1a", "10.0.1.5", "198.51.100.24"}

// HostInventory is Host's inventory in the agents' heartbeat format.
func HostInventory() map[string]any {
	return map[string]any{
		"hostname": Host.Hostname, "machine_id": Host.MachineID, "os": "Ubuntu 24.04.1 LTS", "arch": "amd64",
		"ips": []string{Host.PrivateIP + "/24"},
		"cloud": map[string]any{"provider": "aws", "instance_id": Host.InstanceID, "region": Host.Region,
			"zone": Host.Zone, "public_ips": []string{Host.PublicIP}},
	}
}
