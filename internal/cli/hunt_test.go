package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// huntAlert is the part of a hunt output line the tests read.
type huntAlert struct {
	Time string `json:"@timestamp"`
	Rule struct {
		ID    string   `json:"id"`
		Title string   `json:"title"`
		Level string   `json:"level"`
		Tags  []string `json:"tags"`
		Kind  string   `json:"kind"`
	} `json:"rule"`
	Event struct {
		IDs   []string `json:"ids"`
		Count int      `json:"count"`
		First string   `json:"first"`
		Last  string   `json:"last"`
	} `json:"event"`
	Matched map[string]any    `json:"matched"`
	Group   map[string]string `json:"group"`
	Window  *struct {
		Start, End string
	} `json:"window"`
}

// alertsOf decodes hunt's standard output, one alert per line.
func alertsOf(t *testing.T, stdout string) []huntAlert {
	t.Helper()
	var out []huntAlert
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var a huntAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("not a JSON alert: %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

// TestHuntSSHBruteForce hunts a realistic auth.log in which one address guesses
// passwords and then logs in, with the correlation rules in testdata: one critical alert
// names the address and the events, with the ids `vigil parse` gives them.
func TestHuntSSHBruteForce(t *testing.T) {
	log := filepath.Join("testdata", "hunt", "auth.log")
	r := mustVigil(t, "", "hunt", "--rules", filepath.Join("testdata", "hunt", "rules"), log)
	alerts := alertsOf(t, r.stdout)
	if len(alerts) != 1 {
		t.Fatalf("want one alert: %v", r)
	}
	a := alerts[0]
	if a.Rule.Title != "SSH brute force followed by a successful login" || a.Rule.Level != "critical" || a.Rule.Kind != "correlation" ||
		a.Rule.ID != "7c1f3b52-4a0e-4d6b-9f3e-1b2a5c8d9e04" || !contains(a.Rule.Tags, "attack.t1110.001") || !contains(a.Rule.Tags, "cs.ca-01") {
		t.Errorf("rule %+v", a.Rule)
	}
	if a.Group["source.ip"] != "203.0.113.77" || a.Window == nil {
		t.Errorf("group %v window %v", a.Group, a.Window)
	}
	if a.Event.Count != 6 || a.Event.First != "2026-11-28T10:00:12Z" || a.Event.Last != "2026-11-28T10:02:19Z" || a.Time != a.Event.Last {
		t.Errorf("event %+v", a.Event)
	}
	// The ids are those of the events `vigil parse` prints for the same file.
	parsed := mustVigil(t, "", "parse", log)
	messages := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(parsed.stdout), "\n") {
		var ev struct {
			Event   struct{ ID string } `json:"event"`
			Message string              `json:"message"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		messages[ev.Event.ID] = ev.Message
	}
	var got []string
	for _, id := range a.Event.IDs {
		got = append(got, messages[id][len("Nov 28 10:00:12 web-1 "):])
	}
	want := []string{
		"sshd[20120]: Invalid user admin from 203.0.113.77 port 51022",
		"sshd[20120]: Failed password for invalid user admin from 203.0.113.77 port 51022 ssh2",
		"sshd[20124]: Failed password for root from 203.0.113.77 port 51040 ssh2",
		"sshd[20124]: Failed password for root from 203.0.113.77 port 51040 ssh2",
		"sshd[20133]: Invalid user oracle from 203.0.113.77 port 51066",
		"sshd[20141]: Accepted password for deploy from 203.0.113.77 port 51090 ssh2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"hunted 21 events", "events/s", "prefilter skipped", "alerts: 1", "critical      SSH brute force followed by a successful login"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary lacks %q:\n%s", s, r.stderr)
		}
	}
}

// TestHuntMergesInputsInTimeOrder hunts two hosts' logs given with the later one first:
// the events are evaluated in time order across the inputs, so the brute force in the
// second file is found as in a hunt of that file alone (read one after the other, the
// first file's times would have closed its windows), and the order of the inputs does
// not change the output.
func TestHuntMergesInputsInTimeOrder(t *testing.T) {
	later := filepath.Join(t.TempDir(), "db-1.log")
	var b strings.Builder
	for m := 0; m < 30; m++ {
		fmt.Fprintf(&b, "Nov 28 11:%02d:00 db-1 CRON[%d]: (root) CMD (run-parts /etc/cron.hourly)\n", m, 30000+m)
	}
	if err := os.WriteFile(later, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join("testdata", "hunt", "auth.log")
	rules := filepath.Join("testdata", "hunt", "rules")
	alone := mustVigil(t, "", "hunt", "--rules", rules, log)
	r := mustVigil(t, "", "hunt", "--rules", rules, later, log)
	if r.stdout != alone.stdout || len(alertsOf(t, r.stdout)) != 1 {
		t.Fatalf("hunting %s after a later log:\n%s\nwant, as alone:\n%s", log, r.stdout, alone.stdout)
	}
	if !strings.Contains(r.stderr, "hunted 51 events") {
		t.Errorf("summary: %s", r.stderr)
	}
	if reversed := mustVigil(t, "", "hunt", "--rules", rules, log, later); reversed.stdout != r.stdout {
		t.Errorf("inputs reversed:\n%s\nwant:\n%s", reversed.stdout, r.stdout)
	}

	// The log's lines dealt alternately into two files interleave line by line: the
	// same brute force (the events' ids name their file, so only they differ).
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var halves [2]strings.Builder
	for i, line := range strings.SplitAfter(string(data), "\n") {
		halves[i%2].WriteString(line)
	}
	var names []string
	for i := range halves {
		names = append(names, filepath.Join(t.TempDir(), fmt.Sprintf("half-%d.log", i)))
		if err := os.WriteFile(names[i], []byte(halves[i].String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dealt := alertsOf(t, mustVigil(t, "", "hunt", "--rules", rules, names[0], names[1]).stdout)
	want := alertsOf(t, alone.stdout)[0]
	if len(dealt) != 1 || dealt[0].Rule.ID != want.Rule.ID || dealt[0].Event.Count != want.Event.Count ||
		dealt[0].Event.First != want.Event.First || dealt[0].Event.Last != want.Event.Last || dealt[0].Group["source.ip"] != want.Group["source.ip"] {
		t.Errorf("interleaved halves: %+v\nwant like %+v", dealt, want)
	}
}

// TestHuntManyInputs: past 256 inputs they are read one after the other, with a warning.
func TestHuntManyInputs(t *testing.T) {
	dir := t.TempDir()
	args := []string{"hunt", "--ignore-logsource", "--rules", ruleFile(t, map[string]string{"w.yml": windowsRule})}
	for i := range 257 {
		name := filepath.Join(dir, fmt.Sprintf("%03d.json", i))
		if err := os.WriteFile(name, []byte(`{"CommandLine":"whoami"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	r := mustVigil(t, "", args...)
	if len(alertsOf(t, r.stdout)) != 257 || !strings.Contains(r.stderr, "more than 256 inputs: they are read one after the other") {
		t.Errorf("%d alerts, stderr %s", len(alertsOf(t, r.stdout)), r.stderr)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ruleFile writes a rule into a temporary directory and returns the directory.
func ruleFile(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const windowsRule = `title: whoami
id: 9b3c0d4e-1f2a-4b5c-8d6e-7f8091a2b3c4
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        CommandLine|contains: whoami
    condition: selection
level: low
tags: [attack.discovery]
`

// TestHuntJSONIgnoreLogsource hunts generic JSON lines (events of exactly their fields)
// with a rule whose logsource Vigil does not map: rejected by default, evaluated against
// every event with --ignore-logsource.
func TestHuntJSONIgnoreLogsource(t *testing.T) {
	dir := ruleFile(t, map[string]string{"whoami.yml": windowsRule})
	input := `{"CommandLine":"cmd /c WHOAMI /all","Computer":"ws1","@timestamp":"2026-11-28T10:00:00Z"}
{"CommandLine":"notepad.exe","Computer":"ws1","@timestamp":"2026-11-28T10:00:01Z"}
`
	r := vigil(t, input, "hunt", "--rules", dir, "-")
	if r.code != 1 || !strings.Contains(r.stderr, "whoami.yml:1: no log source of Vigil provides logsource product windows, category process_creation") {
		t.Errorf("want the rule rejected: %v", r)
	}
	r = mustVigil(t, input, "hunt", "--ignore-logsource", "--rules", dir)
	alerts := alertsOf(t, r.stdout)
	if len(alerts) != 1 || alerts[0].Rule.Title != "whoami" || alerts[0].Matched["CommandLine"] != "cmd /c WHOAMI /all" || alerts[0].Time != "2026-11-28T10:00:00Z" {
		t.Errorf("alerts %+v\n%v", alerts, r)
	}
}

func TestHuntSinceUntil(t *testing.T) {
	dir := ruleFile(t, map[string]string{"whoami.yml": windowsRule})
	var input strings.Builder
	for _, ts := range []string{"2026-11-27T23:59:59Z", "2026-11-28T00:00:00Z", "2026-11-28T12:00:00Z", "2026-11-29T00:00:00Z"} {
		input.WriteString(`{"CommandLine":"whoami","@timestamp":"` + ts + `"}` + "\n")
	}
	r := mustVigil(t, input.String(), "hunt", "--ignore-logsource", "--rules", dir, "--since", "2026-11-28", "--until", "2026-11-29T00:00:00Z")
	var times []string
	for _, a := range alertsOf(t, r.stdout) {
		times = append(times, a.Time)
	}
	sort.Strings(times)
	if strings.Join(times, " ") != "2026-11-28T00:00:00Z 2026-11-28T12:00:00Z" || !strings.Contains(r.stderr, "2 events outside --since/--until were skipped") {
		t.Errorf("alerts at %v\n%v", times, r)
	}
	r = mustVigil(t, input.String(), "hunt", "--ignore-logsource", "--rules", dir, "--since", "2026-11-28T08:00:00", "--tz", "Asia/Shanghai")
	if n := len(alertsOf(t, r.stdout)); n != 3 {
		t.Errorf("since 08:00 Shanghai (00:00 UTC): %d alerts, want 3", n)
	}
	wantFailure(t, vigil(t, "", "hunt", "--rules", dir, "--since", "yesterday"), `--since "yesterday"`)
}

func TestHuntFailures(t *testing.T) {
	good := ruleFile(t, map[string]string{"whoami.yml": windowsRule})
	wantFailure(t, vigil(t, "", "hunt", "-"), "--rules is required")
	r := vigil(t, `{"CommandLine":"whoami"}`+"\n", "hunt", "--ignore-logsource", "--rules", good, "-", filepath.Join(t.TempDir(), "missing.log"))
	if r.code != 1 || !strings.Contains(r.stderr, "missing.log: no such file or directory") || len(alertsOf(t, r.stdout)) != 1 {
		t.Errorf("an unreadable input: %v", r)
	}
	bad := ruleFile(t, map[string]string{"whoami.yml": windowsRule, "broken.yml": "title: x\ndetection: {condition: nothing}\n"})
	r = vigil(t, `{"CommandLine":"whoami"}`+"\n", "hunt", "--ignore-logsource", "--rules", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "broken.yml:") || len(alertsOf(t, r.stdout)) != 1 {
		t.Errorf("a broken rule stops nothing but sets the exit code: %v", r)
	}
	wantFailure(t, vigil(t, "", "hunt", "--rules", ruleFile(t, map[string]string{"broken.yml": "title: x\n"})), "no rule to run")
}

func TestRulesLint(t *testing.T) {
	r := mustVigil(t, "", "rules", "lint", filepath.Join("testdata", "hunt", "rules"), filepath.Join("testdata", "lint", "good.yml"))
	if r.stdout != "loaded 5, rejected 0\n" {
		t.Errorf("lint: %v", r)
	}
	r = vigil(t, "", "rules", "lint", filepath.Join("testdata", "lint"))
	bad := filepath.Join("testdata", "lint", "bad.yml")
	want := bad + ":1: no log source of Vigil provides logsource product azure, service signinlogs: map it in the logsource configuration, or hunt with --ignore-logsource\n" +
		bad + ":20: condition: unknown search identifier \"selection\"\n" +
		"loaded 1, rejected 2\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("lint:\n%v\nwant stdout:\n%s", r, want)
	}
	r = vigil(t, "", "rules", "lint", "--ignore-logsource", filepath.Join("testdata", "lint"))
	if r.code != 1 || r.lastLine() != "loaded 2, rejected 1" {
		t.Errorf("lint --ignore-logsource: %v", r)
	}
	r = vigil(t, "", "rules", "lint", filepath.Join(t.TempDir(), "none"))
	if r.code != 1 || !strings.Contains(r.stdout, "no such file or directory") {
		t.Errorf("lint of a missing path: %v", r)
	}
	mapping := filepath.Join(t.TempDir(), "map.yml")
	if err := os.WriteFile(mapping, []byte("sources:\n  - name: win\n    logsource: {product: azure, service: signinlogs}\n    when: [{event.module: json}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = vigil(t, "", "rules", "lint", "--logsources", mapping, bad)
	if r.lastLine() != "loaded 1, rejected 1" {
		t.Errorf("lint with a mapping of one's own: %v", r)
	}
	expand := ruleFile(t, map[string]string{"admins.yml": `title: admin login
id: 9b3c0d4e-1f2a-4b5c-8d6e-7f8091a2b3c5
logsource: {product: linux, service: sshd}
detection:
    selection: {user.name|expand: '%admins%'}
    condition: selection
`, "ph.yml": "admins: [root, 'adm_*']\n"})
	r = vigil(t, "", "rules", "lint", filepath.Join(expand, "admins.yml"))
	if r.code != 1 || !strings.Contains(r.stdout, "placeholder %admins% has no value") {
		t.Errorf("lint without placeholders: %v", r)
	}
	r = mustVigil(t, "", "rules", "lint", "--placeholders", filepath.Join(expand, "ph.yml"), filepath.Join(expand, "admins.yml"))
	if r.stdout != "loaded 1, rejected 0\n" {
		t.Errorf("lint with placeholders: %v", r)
	}
}

// TestRulesLintSigmaHQ lints the public SigmaHQ rules for Linux and AWS, which all
// compile, and for the whole cloud folder, whose Azure, GCP and Microsoft 365 rules
// have no log source in Vigil unless the logsource is ignored.
func TestRulesLintSigmaHQ(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "corpora", "sigmahq-rules", "rules")
	if _, err := os.Stat(filepath.Join(root, "linux")); err != nil {
		t.Skipf("SigmaHQ corpus not present: %v", err)
	}
	r := mustVigil(t, "", "rules", "lint", filepath.Join(root, "linux"), filepath.Join(root, "cloud", "aws"))
	if r.stdout != "loaded 267, rejected 0\n" {
		t.Errorf("linux and aws: %v", r)
	}
	r = vigil(t, "", "rules", "lint", filepath.Join(root, "cloud"))
	if r.code != 1 || r.lastLine() != "loaded 57, rejected 168" {
		t.Errorf("cloud: %s", r.lastLine())
	}
	r = mustVigil(t, "", "rules", "lint", "--ignore-logsource", filepath.Join(root, "linux"), filepath.Join(root, "cloud"))
	if r.stdout != "loaded 435, rejected 0\n" {
		t.Errorf("linux and cloud, ignoring the logsource: %v", r)
	}
}

// TestHuntIntel hunts the auth.log with indicator lists: the line from a listed address
// gives an intel alert next to the rules' alert, a listed network (STIX) gives one per
// event from it, and a rejected indicator is reported and makes the exit status 1.
func TestHuntIntel(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "feed.csv")
	if err := os.WriteFile(csvFile, []byte("type,value,severity,description,source,tags\n"+
		"ipv4,198.51.100.7,medium,known bad deploy source,example-feed,attack.t1078\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stixFile := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(stixFile, []byte(`{"type":"bundle","objects":[
		{"type":"indicator","id":"indicator--1","name":"scanner net","pattern_type":"stix","pattern":"[ipv4-addr:value ISSUBSET '203.0.113.0/24']","labels":["scanner"]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join("testdata", "hunt", "auth.log")
	rules := filepath.Join("testdata", "hunt", "rules")
	r := mustVigil(t, "", "hunt", "--rules", rules, "--intel", csvFile, "--intel", stixFile, log)
	byRule := map[string][]huntAlert{}
	for _, a := range alertsOf(t, r.stdout) {
		byRule[a.Rule.ID] = append(byRule[a.Rule.ID], a)
	}
	if len(byRule["7c1f3b52-4a0e-4d6b-9f3e-1b2a5c8d9e04"]) != 1 {
		t.Errorf("the rule's alert is missing: %v", r)
	}
	feed := byRule["intel:"+csvFile]
	if len(feed) != 1 {
		t.Fatalf("want one intel alert of the CSV list: %v", r)
	}
	a := feed[0]
	if a.Rule.Title != "Threat intelligence match: "+csvFile || a.Rule.Level != "medium" || a.Rule.Kind != "intel" || !contains(a.Rule.Tags, "attack.t1078") {
		t.Errorf("rule %+v", a.Rule)
	}
	if a.Matched["source.ip"] != "198.51.100.7" || a.Matched["threat.indicator.description"] != "known bad deploy source" || len(a.Event.IDs) != 1 || a.Event.Count != 1 {
		t.Errorf("alert %+v", a)
	}
	if a.Time != "2026-11-28T09:58:01Z" {
		t.Errorf("time %s", a.Time)
	}
	net := byRule["intel:"+stixFile]
	if len(net) == 0 || net[0].Rule.Level != "high" || !contains(net[0].Rule.Tags, "scanner") || net[0].Matched["source.ip"] != "203.0.113.77" {
		t.Errorf("STIX list alerts %+v", net)
	}
	if !strings.Contains(r.stderr, "intel: 2 indicators from 2 lists (0 rejected, 0 expired)") ||
		!strings.Contains(r.stderr, fmt.Sprintf("Threat intelligence match: %s (intel:%s)", csvFile, csvFile)) {
		t.Errorf("summary: %s", r.stderr)
	}

	// A bad row is reported with its line; the good rows still match.
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("type,value\nipv4,not-an-ip\nipv4,198.51.100.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = vigil(t, "", "hunt", "--rules", rules, "--intel", bad, log)
	wantFailure(t, r, bad+": line 2: rejected: \"not-an-ip\" is not an IP address")
	matched := false
	for _, a := range alertsOf(t, r.stdout) {
		matched = matched || a.Rule.ID == "intel:"+bad
	}
	if !matched {
		t.Errorf("the good row did not match: %v", r)
	}
	// A file that is no list stops the hunt.
	wantFailure(t, vigil(t, "", "hunt", "--rules", rules, "--intel", filepath.Join(dir, "missing.csv"), log), "--intel:")
}
