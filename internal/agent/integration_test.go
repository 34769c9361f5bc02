package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// TestIntegrationKillAndRestart runs the real binary: `vigil serve` and `vigil agent` as
// processes, a file growing by a sustained stream of numbered lines, the server killed
// with SIGKILL and restarted midway, later the agent killed and restarted (twice), and
// the file rotated by rename. Every line written must be stored exactly once.
func TestIntegrationKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the vigil binary")
	}
	bin := buildVigil(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	listen := freePort(t)
	server := startProc(t, bin, dir, "server", "serve", "--data", data, "--listen", listen)
	server.waitOutput(t, "Vigil is running at")
	tok := exec.Command(bin, "token", "create", "--data", data, "--role", "ingest", "--name", "fleet")
	out, err := tok.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	enroll := lines[len(lines)-1]

	logFile := filepath.Join(dir, "app.log")
	cfgFile := filepath.Join(dir, "agent.yml")
	os.WriteFile(cfgFile, fmt.Appendf(nil, `server: http://%s
state_dir: %s
files:
  - path: %s
journald:
  enabled: false
auditd:
  enabled: false
heartbeat_interval: 500ms
poll_interval: 50ms
batch:
  interval: 100ms
cloud_metadata:
  enabled: false
`, listen, filepath.Join(dir, "state"), logFile), 0o600)
	agentArgs := []string{"agent", "--config", cfgFile}
	agent := startProc(t, bin, dir, "agent", append(agentArgs, "--enroll", enroll)...)

	// The writer: 20000 numbered lines over about four seconds, the file rotated by
	// rename at line 14000 (the writer then opens a new file, as a daemon does on SIGHUP).
	const total, rotateAt = 20000, 14000
	var written atomic.Int64
	writerDone := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			writerDone <- err
			return
		}
		for i := 0; i < total; {
			var b bytes.Buffer
			for range 25 {
				if i == rotateAt {
					f.Write(b.Bytes())
					b.Reset()
					f.Close()
					os.Rename(logFile, logFile+".1")
					if f, err = os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
						writerDone <- err
						return
					}
				}
				fmt.Fprintf(&b, "Nov 28 10:%02d:%02d itest app[42]: vigil-it line %06d\n", i/3600%60, i/60%60, i)
				i++
			}
			if _, err := f.Write(b.Bytes()); err != nil {
				writerDone <- err
				return
			}
			written.Store(int64(i))
			time.Sleep(5 * time.Millisecond)
		}
		writerDone <- f.Close()
	}()
	waitWritten := func(n int64) {
		for written.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitWritten(5000)
	server.kill(t)
	time.Sleep(time.Second)
	server = startProc(t, bin, dir, "server2", "serve", "--data", data, "--listen", listen)
	server.waitOutput(t, "Vigil is running at")

	// The agent is killed twice: in the middle of the stream, and just after the rotation,
	// when its checkpoint still names the old file (found again by inode as app.log.1).
	for i, at := range []int64{10000, rotateAt + 100} {
		waitWritten(at)
		agent.kill(t)
		time.Sleep(300 * time.Millisecond)
		agent = startProc(t, bin, dir, fmt.Sprintf("agent%d", i+2), agentArgs...) // enrolled already: no token
	}

	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var n int64
	for {
		if n = countEvents(t, data); n >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	agent.stop(t)
	server.stop(t)
	if n < total {
		t.Errorf("%d events stored after 60 s, want %d\nagent log:\n%s", n, total, agent.tail())
	}

	counts := map[int]int{}
	re := regexp.MustCompile(`vigil-it line (\d{6})`)
	for _, ev := range storedEvents(t, data) {
		msg, _ := ev["message"].(string)
		if m := re.FindStringSubmatch(msg); m != nil {
			k, _ := strconv.Atoi(m[1])
			counts[k]++
		}
	}
	wantExactlyOnce(t, counts, 0, total)
}

// buildVigil builds the command into the test's temporary directory.
func buildVigil(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "vigil")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/vigilsec/vigil/cmd/vigil")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a process of the binary with its output in a file.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  string
	done chan error
}

func startProc(t *testing.T, bin, dir, name string, args ...string) *proc {
	t.Helper()
	out := filepath.Join(dir, name+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "VIGIL_AGENT_CONFIG=", "VIGIL_CONFIG=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.tail())
		}
	})
	return p
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.out)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (p *proc) waitOutput(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(p.out)
		if bytes.Contains(b, []byte(s)) {
			return
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("%s exited (%v) before printing %q:\n%s", p.name, err, s, b)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q:\n%s", p.name, s, b)
		}
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would.
func (p *proc) kill(t *testing.T) {
	p.cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// stop ends the process with SIGTERM and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Errorf("%s after SIGTERM: %v\n%s", p.name, err, p.tail())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
	}
}

func countEvents(t *testing.T, data string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, err := sqlite.OpenEvents(ctx, data)
	if err != nil {
		t.Logf("open events: %v", err)
		return 0
	}
	defer ev.Close()
	n, err := ev.Count(ctx)
	if err != nil {
		t.Logf("count events: %v", err)
	}
	return n
}
