package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/spool"
)

// journalEntries are what the fake journalctl prints: an sshd message, a message as
// bytes, an audit record (skipped: the audit log is read), a message too large to print
// (null), and an entry with the sequence fields newer journalctl adds.
var journalEntries = []string{
	`{"__CURSOR":"s=5eq1d;i=1a;b=b00t;m=1;t=1;x=1","__REALTIME_TIMESTAMP":"1732788001000000","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshd","_PID":"1234","_SYSTEMD_UNIT":"ssh.service","MESSAGE":"Failed password for root from 203.0.113.5 port 22 ssh2"}`,
	`{"__CURSOR":"s=5eq1d;i=1b;b=b00t;m=2;t=2;x=2","__REALTIME_TIMESTAMP":"1732788002000000","_HOSTNAME":"web-1","_COMM":"app","_PID":"99","MESSAGE":[104,105,255]}`,
	`{"__CURSOR":"s=5eq1d;i=1c;b=b00t;m=3;t=3;x=3","__REALTIME_TIMESTAMP":"1732788003000000","_TRANSPORT":"audit","MESSAGE":"SYSCALL arch=c000003e"}`,
	`{"__CURSOR":"s=5eq1d;i=1d;b=b00t;m=4;t=4;x=4","__REALTIME_TIMESTAMP":"1732788004000000","SYSLOG_IDENTIFIER":"big","MESSAGE":null}`,
	`{"__CURSOR":"s=5eq1d;i=1e;b=b00t;m=5;t=5;x=5","__SEQNUM":"30","__SEQNUM_ID":"abc","__REALTIME_TIMESTAMP":"1732788005000000","SYSLOG_IDENTIFIER":"sudo","MESSAGE":"  alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"}`,
}

// fakeJournalctl writes a script that records its arguments, answers --lines=1 with one
// old entry, and otherwise prints the entries and exits (so the agent restarts it).
func fakeJournalctl(t *testing.T, dir string) (bin, argsFile string) {
	argsFile = filepath.Join(dir, "args")
	entries := filepath.Join(dir, "entries.json")
	os.WriteFile(entries, []byte(strings.Join(journalEntries, "\n")+"\n"), 0o644)
	bin = filepath.Join(dir, "journalctl")
	script := "#!/bin/sh\n" +
		"echo \"$*\" >> '" + argsFile + "'\n" +
		"case \"$*\" in *--lines=1*) echo '{\"__CURSOR\":\"s=5eq1d;i=19;b=b00t;m=0;t=0;x=0\",\"MESSAGE\":\"old\"}'; exit 0;; esac\n" +
		"cat '" + entries + "'\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argsFile
}

func TestJournald(t *testing.T) {
	dir := t.TempDir()
	bin, argsFile := fakeJournalctl(t, dir)
	auditLog := filepath.Join(dir, "audit.log")
	os.WriteFile(auditLog, nil, 0o600)
	cfg := testConfig(t, "http://127.0.0.1:1", filepath.Join(dir, "state"))
	cfg.journalctl = bin
	cfg.Journald = Journald{Enabled: "true", Units: []string{"ssh.service"}}
	cfg.Auditd = Auditd{Enabled: true, Path: auditLog}
	a, err := newAgent(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.openState(); err != nil {
		t.Fatal(err)
	}
	defer a.spool.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.runJournald(ctx) })
	// The fake exits after its entries; the agent runs it again from the checkpoint.
	eventually(t, 10*time.Second, "journalctl to be restarted", func() bool {
		b, _ := os.ReadFile(argsFile)
		return strings.Count(string(b), "--follow") >= 2
	})
	cancel()
	wg.Wait()

	args, _ := os.ReadFile(argsFile)
	calls := strings.Split(strings.TrimSpace(string(args)), "\n")
	if !strings.Contains(calls[0], "--lines=1") || !strings.Contains(calls[0], "--unit=ssh.service") ||
		!strings.Contains(calls[1], "--after-cursor=s=5eq1d;i=19;") || !strings.Contains(calls[2], "--after-cursor=s=5eq1d;i=1e;") {
		t.Errorf("journalctl calls:\n%s", args)
	}
	var cp journalCheckpoint
	if ok, _ := a.ckpts.load(journaldCheckpointName, &cp); !ok || !strings.Contains(cp.Cursor, "i=1e;") {
		t.Errorf("checkpoint %+v", cp)
	}

	b, err := a.spool.Next(100, 1<<20)
	if err != nil || b == nil {
		t.Fatalf("spool: %v %v", b, err)
	}
	byID := map[string]map[string]any{}
	var order []map[string]any
	for _, r := range b.Records {
		var doc map[string]any
		json.Unmarshal(r, &doc)
		byID[eventID(r)] = doc
		order = append(order, doc)
	}
	// Each run printed the same three usable entries: same ids, so the server would keep
	// them once.
	if len(b.Records) != 6 || len(byID) != 3 {
		t.Fatalf("%d records with %d distinct ids, want 6 and 3", len(b.Records), len(byID))
	}
	sshd, app, sudo := order[0], order[1], order[2]
	if sshd["event"].(map[string]any)["module"] != "sshd" || sshd["systemd"].(map[string]any)["unit"] != "ssh.service" ||
		sshd["@timestamp"] != "2024-11-28T10:00:01Z" || sshd["host"].(map[string]any)["name"] != "web-1" {
		t.Errorf("sshd event %v", sshd)
	}
	if app["message"] != "hi\xef\xbf\xbd" && app["message"] != "hi\ufffd" {
		t.Errorf("byte-array message: %q", app["message"])
	}
	if sudo["event"].(map[string]any)["module"] != "sudo" {
		t.Errorf("sudo event %v", sudo)
	}
	st := a.status.snapshot(a.spool.Stats()).Sources["journald"]
	if st.Lines != 10 || st.Events != 6 || st.Skipped != 4 {
		t.Errorf("status %+v", st)
	}
}

func TestJournaldUnavailable(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1", t.TempDir())
	cfg.journalctl = filepath.Join(t.TempDir(), "no-journalctl")
	a, err := newAgent(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	a.runJournald(t.Context()) // returns at once
	if st := a.status.snapshot(spool.Stats{}).Sources["journald"]; st.State != "unavailable" {
		t.Errorf("status %+v", st)
	}
	cfg.Journald.Enabled = "auto"
	if a.journaldEnabled() {
		t.Error("journald enabled without journalctl")
	}
}

func TestJournalMessage(t *testing.T) {
	for raw, want := range map[string]string{`"text"`: "text", `[104,105]`: "hi", `["a","b"]`: "a", `null`: "", `[]`: ""} {
		got, _ := message(json.RawMessage(raw))
		if got != want {
			t.Errorf("message(%s) = %q, want %q", raw, got, want)
		}
	}
}
