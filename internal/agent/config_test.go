package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "agent.yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestLoadConfig(t *testing.T) {
	path := writeConfig(t, `
server: https://vigil.example.com:8443
ca_file: /etc/vigil/ca.pem
state_dir: /srv/agent
start_at: end
files:
  - path: /var/log/app/*.log
  - path: /var/log/nginx/access.log
    type: nginx
journald:
  enabled: true
  units: [ssh.service]
auditd:
  enabled: false
spool:
  max_bytes: 67108864
batch:
  max_events: 500
  max_bytes: 1048576
  interval: 2s
heartbeat_interval: 1m
poll_interval: 500ms
cloud_metadata:
  enabled: false
log:
  level: debug
`)
	cfg, err := LoadConfig(path, env(map[string]string{"VIGIL_AGENT_STATE": "/from/env", "VIGIL_AGENT_INSECURE_SKIP_VERIFY": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Server != "https://vigil.example.com:8443" || cfg.StateDir != "/from/env" || !cfg.InsecureSkipVerify ||
		cfg.StartAt != "end" || len(*cfg.Files) != 2 || (*cfg.Files)[1].Type != "nginx" ||
		cfg.Journald.Enabled != "true" || cfg.Journald.Units[0] != "ssh.service" || cfg.Auditd.Enabled ||
		cfg.Auditd.Path != "/var/log/audit/audit.log" || cfg.Spool.MaxBytes != 64<<20 || cfg.Batch.Interval != 2*time.Second ||
		cfg.HeartbeatInterval != time.Minute || cfg.CloudMetadata.Enabled || cfg.Log.Level != "debug" || cfg.Log.Format != "text" {
		t.Errorf("config %+v", cfg)
	}
	if got := cfg.fileSources(); len(got) != 2 {
		t.Errorf("sources %v (auditd disabled)", got)
	}

	// Defaults: the standard logs and the audit log.
	d, err := LoadConfig("", env(map[string]string{"VIGIL_AGENT_SERVER": "http://127.0.0.1:8080"}))
	if err != nil || d.Validate() != nil {
		t.Fatalf("defaults: %v %v", err, d.Validate())
	}
	src := d.fileSources()
	if len(src) != len(DefaultFiles())+1 || src[len(src)-1] != (FileSource{Path: "/var/log/audit/audit.log", Type: "auditd"}) ||
		d.HeartbeatInterval != 30*time.Second || d.Spool.MaxBytes != 256<<20 || d.StateDir != DefaultStateDir {
		t.Errorf("default sources %v, config %+v", src, d)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"server: x\nbogus: 1\n", "field bogus not found"},
		{"server: http://h\nfiles:\n  - path: /x\n    kind: y\n", "field kind not found"},
		{"state_dir: /x\n", "server URL is required"},
		{"server: ftp://h\n", "want http(s)"},
		{"server: http://h\nstart_at: middle\n", "start_at"},
		{"server: http://h\njournald:\n  enabled: maybe\n", "journald enabled"},
		{"server: http://h\nfiles:\n  - path: relative.log\n", "must be absolute"},
		{"server: http://h\nfiles:\n  - path: /x\n    type: klingon\n", `unknown type "klingon"`},
		{"server: http://h\nspool:\n  max_bytes: 1000\n", "at least 1 MiB"},
		{"server: http://h\nbatch:\n  max_events: 0\n", "max_events"},
		{"server: http://h\nheartbeat_interval: 1ms\n", "heartbeat_interval"},
		{"server: http://h\nlog:\n  format: xml\n", "log format"},
	}
	for _, tt := range tests {
		cfg, err := LoadConfig(writeConfig(t, tt.yaml), env(nil))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
	if _, err := LoadConfig("", env(map[string]string{"VIGIL_AGENT_INSECURE_SKIP_VERIFY": "perhaps"})); err == nil {
		t.Error("a bad boolean in the environment was accepted")
	}
}
