package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
)

func sshdLine(n int) string {
	return fmt.Sprintf("Nov 28 10:00:%02d web-1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port %d ssh2", n%60, 50000+n)
}

var portRe = regexp.MustCompile(`port (\d+)`)

// countByPort counts the stored events of each sshdLine number.
func countByPort(t *testing.T, events []map[string]any) map[int]int {
	t.Helper()
	out := map[int]int{}
	for _, ev := range events {
		msg, _ := ev["message"].(string)
		if m := portRe.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			out[n-50000]++
		}
	}
	return out
}

func wantExactlyOnce(t *testing.T, counts map[int]int, from, to int) {
	t.Helper()
	var missing, dup []int
	for n := from; n < to; n++ {
		switch c := counts[n]; {
		case c == 0:
			missing = append(missing, n)
		case c > 1:
			dup = append(dup, n)
		}
	}
	if len(missing) > 0 || len(dup) > 0 {
		t.Errorf("lines %d..%d: %d missing (first %v), %d duplicated (first %v)", from, to-1, len(missing), head(missing), len(dup), head(dup))
	}
	if len(counts) != to-from {
		t.Errorf("%d distinct lines stored, want %d", len(counts), to-from)
	}
}

func head(xs []int) []int { return xs[:min(len(xs), 10)] }

// TestEnrolTailAndHeartbeat enrols against a real server, follows a file, and checks that
// the events arrive exactly once, also across a restart of the agent, and that the
// heartbeat carries the inventory (cloud fields from a local fake metadata service).
func TestEnrolTailAndHeartbeat(t *testing.T) {
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")
	enroll, viewer := srv.token(auth.RoleIngest), srv.token(auth.RoleViewer)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "auth.log")
	appendLines(t, logFile, sshdLine(1), sshdLine(2), sshdLine(3))
	md := fakeMetadata(t)
	state := filepath.Join(dir, "state")
	cfg := testConfig(t, srv.url, state, logFile)
	cfg.EnrollToken = enroll
	cfg.CloudMetadata = CloudMetadata{Enabled: true, AWS: md.URL, Timeout: time.Second}
	stop := runAgent(t, cfg)
	appendLines(t, logFile, sshdLine(4), sshdLine(5), sshdLine(6))

	var me agentView
	eventually(t, 20*time.Second, "a heartbeat reporting all events sent", func() bool {
		list := srv.agents(viewer)
		if len(list) != 1 {
			return false
		}
		me = list[0]
		return me.Status.Sender.Sent >= 6 && me.Status.Spool.Bytes == 0
	})
	host, _ := os.Hostname()
	inv := me.Inventory
	if me.Hostname != host || inv.Hostname != host || !strings.HasPrefix(me.MachineID, "machine-") || inv.Arch == "" || inv.Kernel == "" || inv.BootTime.IsZero() {
		t.Errorf("agent %+v", me)
	}
	if c := inv.Cloud; c == nil || !reflect.DeepEqual(*c, Cloud{Provider: "aws", InstanceID: "i-0abc123", Region: "ap-east-1", Zone: "ap-east-1a", PublicIPs: []string{"203.0.113.10"}}) {
		t.Errorf("cloud = %+v", c)
	}
	src := me.Status.Sources["file:"+logFile]
	if src == nil || src.Lines != 6 || src.Events != 6 || src.State != "reading" {
		t.Errorf("source status %+v", src)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for path, want := range map[string]os.FileMode{state: 0o700, filepath.Join(state, identityFile): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", path, fi.Mode(), err, want)
		}
	}

	// The second run needs no enrolment token, resumes at the checkpoint and sends only
	// what is new.
	appendLines(t, logFile, sshdLine(7), sshdLine(8))
	cfg.EnrollToken = ""
	restarted := time.Now()
	stop = runAgent(t, cfg)
	eventually(t, 20*time.Second, "the restarted agent's heartbeat", func() bool {
		list := srv.agents(viewer)
		return len(list) == 1 && list[0].Status.StartedAt.After(restarted) &&
			list[0].Status.Sender.Sent >= 2 && list[0].Status.Spool.Bytes == 0
	})
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	srv.stop()
	events := storedEvents(t, srv.data)
	wantExactlyOnce(t, countByPort(t, events), 1, 9)
	for _, ev := range events {
		agent, _ := ev["agent"].(map[string]any)
		logf, _ := ev["log"].(map[string]any)
		evt, _ := ev["event"].(map[string]any)
		if agent["id"] != strconv.FormatInt(me.ID, 10) || evt["module"] != "sshd" || logf["file"].(map[string]any)["path"] != logFile {
			t.Errorf("stored event %v", ev)
			break
		}
	}
}

// TestServerOutageAndFullSpool stops the server while a file grows: the spool fills to
// its bound, the collector stops reading (the file keeps the rest), and once the server
// is back everything arrives exactly once.
func TestServerOutageAndFullSpool(t *testing.T) {
	srv := startServer(t, t.TempDir(), freePort(t))
	enroll, viewer := srv.token(auth.RoleIngest), srv.token(auth.RoleViewer)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "auth.log")
	state := filepath.Join(dir, "state")
	cfg := testConfig(t, srv.url, state, logFile)
	cfg.EnrollToken = enroll
	cfg.Spool.MaxBytes = 1 << 20
	stop := runAgent(t, cfg)
	eventually(t, 10*time.Second, "enrolment", func() bool {
		_, err := os.Stat(filepath.Join(state, identityFile))
		return err == nil
	})
	srv.stop()

	const n = 6000
	var lines []string
	for i := range n {
		lines = append(lines, sshdLine(i))
	}
	appendLines(t, logFile, lines...)
	fi, _ := os.Stat(logFile)
	checkpoint := func() int64 {
		var cp struct{ Offset int64 }
		b, _ := os.ReadFile(filepath.Join(state, checkpointsDir, fileCheckpointName(logFile)))
		json.Unmarshal(b, &cp)
		return cp.Offset
	}
	eventually(t, 20*time.Second, "a full spool", func() bool { return spoolBytes(t, state) >= 1<<20 })
	// The checkpoint is written just after the spool; then the collector stops.
	prev := int64(-1)
	eventually(t, 5*time.Second, "the checkpoint to settle", func() bool {
		cur := checkpoint()
		settled := cur == prev
		prev = cur
		time.Sleep(100 * time.Millisecond)
		return settled
	})
	before := checkpoint()
	time.Sleep(300 * time.Millisecond)
	if after := checkpoint(); after != before || after >= fi.Size() {
		t.Errorf("checkpoint moved from %d to %d (file size %d) while the spool was full", before, after, fi.Size())
	}
	if b := spoolBytes(t, state); b > 3<<20 {
		t.Errorf("spool holds %d bytes, bound 1 MiB plus one commit", b)
	}

	srv.start()
	var st Status
	eventually(t, 40*time.Second, "the spool to drain", func() bool {
		list := srv.agents(viewer)
		if len(list) != 1 {
			return false
		}
		st = list[0].Status
		return st.Sources["file:"+logFile] != nil && st.Sources["file:"+logFile].Lines == n && st.Spool.Bytes == 0
	})
	if st.Spool.FullPeriods < 1 {
		t.Errorf("spool status %+v: want at least one full period", st.Spool)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	wantExactlyOnce(t, countByPort(t, storedEvents(t, srv.data)), 0, n)
}

// spoolBytes is the size of the spool's segments on disk.
func spoolBytes(t *testing.T, state string) int64 {
	segs, _ := filepath.Glob(filepath.Join(state, spoolDir, "*.seg"))
	var n int64
	for _, s := range segs {
		if fi, err := os.Stat(s); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestRedoCommitAfterCrash checks that the checkpoint of the spool's last commit is
// written at start, as after a crash between the spool write and the checkpoint file.
func TestRedoCommitAfterCrash(t *testing.T) {
	state := t.TempDir()
	cfg := testConfig(t, "http://127.0.0.1:1", state)
	a, err := newAgent(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.openState(); err != nil {
		t.Fatal(err)
	}
	a.commit([][]byte{[]byte(`{"event":{"id":"x"}}`)}, "file-test.json", map[string]int{"offset": 10})
	// The crash: the event is spooled, the checkpoint file was not written.
	a.spool.Append(nil, []byte(`{"name":"file-test.json","checkpoint":{"offset":20}}`), nil)
	a.spool.Close()
	a.spool = nil
	if err := a.openState(); err != nil {
		t.Fatal(err)
	}
	defer a.spool.Close()
	var cp struct{ Offset int }
	if ok, err := a.ckpts.load("file-test.json", &cp); !ok || err != nil || cp.Offset != 20 {
		t.Errorf("checkpoint after restart = %+v %v %v, want offset 20", cp, ok, err)
	}
}
