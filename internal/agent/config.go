// Package agent is `vigil agent`, the host agent: it enrols with a Vigil server once,
// follows the machine's logs (files, journald, the audit log), parses them into events,
// keeps them in an on-disk spool until the server has made them durable, and reports a
// heartbeat with the host's inventory and per-source counters.
//
// The guarantee: an event is removed from the spool only after the server acknowledged
// it, and a source's checkpoint moves only after its events are in the spool (fsynced).
// Event ids derive from the source and the position of the input, so input read twice
// (after a crash) gives the same ids and the server keeps each event once.
package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/parse"
)

// Config is the agent's configuration: defaults, then the YAML file (unknown keys are
// an error), then VIGIL_AGENT_* environment variables, then command-line flags.
type Config struct {
	// Server is the Vigil server's base URL (env VIGIL_AGENT_SERVER).
	Server string `yaml:"server"`
	// CAFile is a PEM file of CA certificates to trust in addition to the system's, for a
	// server with a self-signed or private certificate (env VIGIL_AGENT_CA_FILE).
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify turns certificate checks off (env
	// VIGIL_AGENT_INSECURE_SKIP_VERIFY); prefer CAFile.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// EnrollToken is the enrolment token, used once when there is no agent.json yet (env
	// VIGIL_AGENT_ENROLL, which keeps it out of the process list).
	EnrollToken string `yaml:"enroll_token"`
	// StateDir holds the credential, checkpoints and spool (env VIGIL_AGENT_STATE).
	StateDir string `yaml:"state_dir"`
	// StartAt is where files without a checkpoint start on the agent's first run:
	// "beginning" (their whole content) or "end". Files appearing later are read whole.
	StartAt string `yaml:"start_at"`
	// Files lists the files to follow. Absent: the defaults (DefaultFiles); an empty list
	// follows no files.
	Files             *[]FileSource `yaml:"files"`
	Journald          Journald      `yaml:"journald"`
	Auditd            Auditd        `yaml:"auditd"`
	Spool             SpoolConfig   `yaml:"spool"`
	Batch             Batch         `yaml:"batch"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// PollInterval is how often files are checked for new lines.
	PollInterval  time.Duration `yaml:"poll_interval"`
	CloudMetadata CloudMetadata `yaml:"cloud_metadata"`
	Log           Log           `yaml:"log"`

	// Hooks for tests of this package.
	journalctl    string        // the journalctl command; default found in PATH
	machineIDFile string        // default /etc/machine-id
	rotateGrace   time.Duration // default 1 s
	auditIdle     time.Duration // default auditFlushIdle
}

// FileSource is a file to follow: a path or a glob (rotated copies such as *.1 or *.gz
// should not match), and optionally the log type to force (see `vigil parse --help`).
type FileSource struct {
	Path string `yaml:"path"`
	Type string `yaml:"type"`
}

// Journald configures reading the systemd journal through journalctl.
type Journald struct {
	// Enabled is "auto" (when journalctl exists and none of the classic syslog files
	// does, so the same messages are not read twice), "true" or "false".
	Enabled string `yaml:"enabled"`
	// Units limits the journal to these systemd units; empty reads everything.
	Units []string `yaml:"units"`
}

// Auditd configures the Linux audit log, a file read with the type forced to "auditd".
type Auditd struct {
	Enabled bool   `yaml:"enabled"`
	Path    string `yaml:"path"`
}

// SpoolConfig bounds the on-disk spool.
type SpoolConfig struct {
	MaxBytes int64 `yaml:"max_bytes"`
}

// Batch bounds what one request to the server carries.
type Batch struct {
	MaxEvents int `yaml:"max_events"`
	MaxBytes  int `yaml:"max_bytes"`
	// Interval is how long the sender waits for a batch to fill before sending it anyway.
	Interval time.Duration `yaml:"interval"`
}

// CloudMetadata configures the instance metadata lookup for the inventory. The URLs are
// the services' base addresses; an empty one skips that provider.
type CloudMetadata struct {
	Enabled bool          `yaml:"enabled"`
	AWS     string        `yaml:"aws"`
	Tencent string        `yaml:"tencent"`
	Alibaba string        `yaml:"alibaba"`
	Timeout time.Duration `yaml:"timeout"`
}

// Log configures the agent's own log on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error (env VIGIL_AGENT_LOG_LEVEL)
	Format string `yaml:"format"` // text or json (env VIGIL_AGENT_LOG_FORMAT)
}

// DefaultStateDir is where the agent keeps its state unless told otherwise.
const DefaultStateDir = "/var/lib/vigil-agent"

// DefaultFiles are the logs followed when the configuration names none: the system's
// authentication, syslog and cron logs (Debian and Red Hat names) and the web servers'.
// Missing files are waited for.
func DefaultFiles() []FileSource {
	return []FileSource{
		{Path: "/var/log/auth.log"}, {Path: "/var/log/secure"},
		{Path: "/var/log/syslog"}, {Path: "/var/log/messages"}, {Path: "/var/log/cron"},
		{Path: "/var/log/nginx/access.log", Type: "nginx"}, {Path: "/var/log/nginx/error.log", Type: "nginx-error"},
		{Path: "/var/log/apache2/access.log", Type: "apache"}, {Path: "/var/log/apache2/error.log", Type: "apache-error"},
		{Path: "/var/log/httpd/access_log", Type: "apache"}, {Path: "/var/log/httpd/error_log", Type: "apache-error"},
	}
}

// syslogFiles are the classic files whose presence means a syslog daemon already writes
// what journald has.
var syslogFiles = []string{"/var/log/auth.log", "/var/log/secure", "/var/log/syslog", "/var/log/messages"}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		StateDir:          DefaultStateDir,
		StartAt:           "beginning",
		Journald:          Journald{Enabled: "auto"},
		Auditd:            Auditd{Enabled: true, Path: "/var/log/audit/audit.log"},
		Spool:             SpoolConfig{MaxBytes: 256 << 20},
		Batch:             Batch{MaxEvents: 1000, MaxBytes: 4 << 20, Interval: time.Second},
		HeartbeatInterval: 30 * time.Second,
		PollInterval:      250 * time.Millisecond,
		CloudMetadata: CloudMetadata{Enabled: true, Timeout: time.Second,
			AWS: "http://169.254.169.254", Tencent: "http://metadata.tencentyun.com", Alibaba: "http://100.100.100.200"},
		Log: Log{Level: "info", Format: "text"},
	}
}

// LoadConfig reads the YAML file at path (none when empty) over the defaults and applies
// the environment (lookup is os.LookupEnv in production).
func LoadConfig(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("agent config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("agent config %s: %w", path, err)
		}
	}
	for name, dst := range map[string]*string{
		"VIGIL_AGENT_SERVER": &cfg.Server, "VIGIL_AGENT_CA_FILE": &cfg.CAFile, "VIGIL_AGENT_ENROLL": &cfg.EnrollToken,
		"VIGIL_AGENT_STATE": &cfg.StateDir, "VIGIL_AGENT_LOG_LEVEL": &cfg.Log.Level, "VIGIL_AGENT_LOG_FORMAT": &cfg.Log.Format,
	} {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	if v, ok := lookup("VIGIL_AGENT_INSECURE_SKIP_VERIFY"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("agent config: environment VIGIL_AGENT_INSECURE_SKIP_VERIFY: %w", err)
		}
		cfg.InsecureSkipVerify = b
	}
	return cfg, nil
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Server)
	switch {
	case c.Server == "":
		return errors.New("agent config: the server URL is required (--server, server:, or VIGIL_AGENT_SERVER)")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("agent config: server %q: want http(s)://HOST[:PORT]", c.Server)
	case c.StateDir == "":
		return errors.New("agent config: state_dir must not be empty")
	case c.StartAt != "beginning" && c.StartAt != "end":
		return fmt.Errorf("agent config: start_at %q: want beginning or end", c.StartAt)
	case !slices.Contains([]string{"auto", "true", "false"}, c.Journald.Enabled):
		return fmt.Errorf("agent config: journald enabled %q: want auto, true or false", c.Journald.Enabled)
	case c.Auditd.Enabled && c.Auditd.Path == "":
		return errors.New("agent config: auditd path must not be empty")
	case c.Spool.MaxBytes < 1<<20:
		return errors.New("agent config: spool max_bytes must be at least 1 MiB")
	case c.Batch.MaxEvents < 1 || c.Batch.MaxEvents > 10000:
		return errors.New("agent config: batch max_events must be 1 to 10000")
	case c.Batch.MaxBytes < 64<<10 || c.Batch.MaxBytes > 8<<20:
		return errors.New("agent config: batch max_bytes must be 64 KiB to 8 MiB")
	case c.Batch.Interval < 0 || c.HeartbeatInterval < 100*time.Millisecond || c.PollInterval < 10*time.Millisecond:
		return errors.New("agent config: batch interval must not be negative, heartbeat_interval at least 100ms, poll_interval at least 10ms")
	case c.CloudMetadata.Timeout <= 0:
		return errors.New("agent config: cloud_metadata timeout must be positive")
	}
	if c.Files != nil {
		for _, f := range *c.Files {
			if f.Path == "" || !strings.HasPrefix(f.Path, "/") {
				return fmt.Errorf("agent config: file path %q must be absolute", f.Path)
			}
			if f.Type != "" && !slices.Contains(parse.Types(), f.Type) {
				return fmt.Errorf("agent config: file %s: unknown type %q (known: %s)", f.Path, f.Type, strings.Join(parse.Types(), ", "))
			}
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("agent config: log level %q: want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("agent config: log format %q: want text or json", c.Log.Format)
	}
	return nil
}

// fileSources returns the files to follow, the audit log included.
func (c *Config) fileSources() []FileSource {
	files := DefaultFiles()
	if c.Files != nil {
		files = *c.Files
	}
	if c.Auditd.Enabled {
		files = append(slices.Clone(files), FileSource{Path: c.Auditd.Path, Type: "auditd"})
	}
	return files
}
