package cli_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const parseInput = `Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52146 ssh2
Nov 28 10:05:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id
something nobody parses
`

func decodeNDJSON(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestParseStdinAndFiles(t *testing.T) {
	r := mustVigil(t, parseInput, "parse")
	evs := decodeNDJSON(t, r.stdout)
	if len(evs) != 3 {
		t.Fatalf("%d events: %s", len(evs), r.stdout)
	}
	mods := []string{}
	for _, ev := range evs {
		mods = append(mods, ev["event"].(map[string]any)["module"].(string))
	}
	if strings.Join(mods, ",") != "sshd,sudo,unknown" {
		t.Errorf("types = %v", mods)
	}
	if !strings.Contains(r.stderr, "parsed 3 events (sshd 1, sudo 1, unknown 1); unparsed 1; rejected 0") {
		t.Errorf("summary: %q", r.stderr)
	}

	// Files, one of them gzip-compressed, with a time zone for zone-less timestamps.
	dir := t.TempDir()
	plain := filepath.Join(dir, "auth.log")
	os.WriteFile(plain, []byte(parseInput), 0o644)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(parseInput))
	zw.Close()
	zipped := filepath.Join(dir, "auth.log.1.gz")
	os.WriteFile(zipped, gz.Bytes(), 0o644)
	r = mustVigil(t, "", "parse", "--tz", "Asia/Shanghai", plain, zipped)
	evs = decodeNDJSON(t, r.stdout)
	if len(evs) != 6 || !strings.HasSuffix(evs[0]["@timestamp"].(string), "T02:00:01Z") {
		t.Errorf("%d events, first at %v", len(evs), evs[0]["@timestamp"])
	}
	// The same input gives the same ids; the two files give different ones.
	if evs[0]["event"].(map[string]any)["id"] == evs[3]["event"].(map[string]any)["id"] {
		t.Error("two files gave one event id")
	}
	// Lines with their own time parse identically every time (an unknown line gets the
	// time it was read).
	r2 := mustVigil(t, "", "parse", "--tz", "Asia/Shanghai", plain, zipped)
	again := decodeNDJSON(t, r2.stdout)
	for i := range evs {
		if evs[i]["event"].(map[string]any)["module"] == "unknown" {
			continue
		}
		a, _ := json.Marshal(evs[i])
		b, _ := json.Marshal(again[i])
		if string(a) != string(b) {
			t.Errorf("event %d differs between two runs:\n%s\n%s", i, a, b)
		}
	}
}

func TestParseForcedTypeAndErrors(t *testing.T) {
	r := mustVigil(t, "a line\n", "parse", "--type", "sshd", "--host", "h1")
	evs := decodeNDJSON(t, r.stdout)
	if len(evs) != 1 || evs[0]["host"].(map[string]any)["name"] != "h1" {
		t.Errorf("forced: %s", r.stdout)
	}
	wantFailure(t, vigil(t, "", "parse", "--type", "nope"), "unknown log type")
	wantFailure(t, vigil(t, "", "parse", "--tz", "Mars/Olympus"), "--tz")
	wantFailure(t, vigil(t, "", "parse", filepath.Join(t.TempDir(), "missing.log")), "no such file")
	// A line over the limit is rejected with its position and the exit code says so.
	long := strings.Repeat("x", 1<<20+10) + "\nok line\n"
	r = vigil(t, long, "parse")
	if r.code != 1 || !strings.Contains(r.stderr, "-:0: rejected: line longer than") || len(decodeNDJSON(t, r.stdout)) != 1 {
		t.Errorf("long line: exit %d, stderr %q", r.code, r.stderr)
	}
}
