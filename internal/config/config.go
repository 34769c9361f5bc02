// Package config loads the platform's configuration: defaults, then a YAML file, then
// VIGIL_* environment variables, then command-line flags, each overriding the one before.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/notify"
)

// Config is the whole configuration. The yaml tag is the key in the file; the env tag the
// environment variable; the flag tag the command-line flag of `vigil serve`.
type Config struct {
	Data   string `yaml:"data" env:"VIGIL_DATA" flag:"data"`
	Listen string `yaml:"listen" env:"VIGIL_LISTEN" flag:"listen"`
	TLS    TLS    `yaml:"tls"`
	Log    Log    `yaml:"log"`
	Syslog Syslog `yaml:"syslog"`
	// Incidents tunes alert deduplication, grouping and SLAs; zero values take the
	// defaults (docs/INCIDENTS.md).
	Incidents Incidents `yaml:"incidents"`
	// Detection gives the live rules the site's placeholder values and threat-intel
	// lists (docs/DETECTION.md).
	Detection Detection `yaml:"detection"`
	// Notify configures notification channels and routes (docs/NOTIFY.md).
	Notify notify.Config `yaml:"notify"`
}

// Detection configures the live detection of serve.
type Detection struct {
	// Placeholders are the values of the %name% placeholders of rules using the expand
	// modifier, e.g. aws_used_regions: [us-east-1, eu-west-1].
	Placeholders map[string][]string `yaml:"placeholders"`
	// Intel lists threat-intelligence files (CSV or STIX 2.1 bundles) matched against
	// every event.
	Intel []string `yaml:"intel"`
	// Lateness is how long after their time events may still arrive and count in
	// correlation windows: the clock that closes windows when no event comes runs this
	// far behind the wall clock. Zero takes DefaultLateness.
	Lateness time.Duration `yaml:"lateness" env:"VIGIL_DETECTION_LATENESS"`
	// Backlog bounds how a sender whose events come late (an agent's backlog) holds the
	// correlation windows open; zero values take the engine's defaults.
	Backlog Backlog `yaml:"backlog"`
}

// Backlog configures the hold of a late sender (see detect.Options).
type Backlog struct {
	// Idle: a sender lets go this long after its last event (default 1 minute).
	Idle time.Duration `yaml:"idle" env:"VIGIL_DETECTION_BACKLOG_IDLE"`
	// MaxHold: a sender holds the windows this long at most (default 10 minutes).
	MaxHold time.Duration `yaml:"max_hold" env:"VIGIL_DETECTION_BACKLOG_MAX_HOLD"`
	// MaxLag: events further behind the newest event hold nothing (default 24 hours).
	MaxLag time.Duration `yaml:"max_lag" env:"VIGIL_DETECTION_BACKLOG_MAX_LAG"`
}

// DefaultLateness is the default of Detection.Lateness: cloud audit logs reach their
// buckets within about five minutes.
const DefaultLateness = 5 * time.Minute

// EffectiveLateness is Lateness, or DefaultLateness when unset.
func (d Detection) EffectiveLateness() time.Duration {
	if d.Lateness <= 0 {
		return DefaultLateness
	}
	return d.Lateness
}

// Incidents configures the incident stage.
type Incidents struct {
	DedupWindow time.Duration  `yaml:"dedup_window" env:"VIGIL_INCIDENTS_DEDUP_WINDOW"`
	GroupWindow time.Duration  `yaml:"group_window" env:"VIGIL_INCIDENTS_GROUP_WINDOW"`
	OpenLevel   string         `yaml:"open_level" env:"VIGIL_INCIDENTS_OPEN_LEVEL"`
	SLA         map[string]SLA `yaml:"sla"`
}

// SLA is the time allowed to acknowledge and to contain an incident of one severity.
type SLA struct {
	Acknowledge time.Duration `yaml:"acknowledge"`
	Contain     time.Duration `yaml:"contain"`
}

// TLS configures HTTPS. With neither a certificate nor SelfSigned the server speaks plain
// HTTP, which is only sensible on loopback.
type TLS struct {
	Cert       string `yaml:"cert" env:"VIGIL_TLS_CERT" flag:"tls-cert"`
	Key        string `yaml:"key" env:"VIGIL_TLS_KEY" flag:"tls-key"`
	SelfSigned bool   `yaml:"self_signed" env:"VIGIL_TLS_SELF_SIGNED" flag:"tls-self-signed"`
}

// Log configures the structured log on stderr.
type Log struct {
	Level  string `yaml:"level" env:"VIGIL_LOG_LEVEL" flag:"log-level"`    // debug, info, warn, error
	Format string `yaml:"format" env:"VIGIL_LOG_FORMAT" flag:"log-format"` // text or json
}

// Syslog configures the syslog receivers. A receiver whose address is empty is off, and
// all are off by default: opening a port to the network must be a deliberate choice.
// Timezone names the zone of timestamps that carry none (RFC 3164); empty means UTC.
// Zero limits take the receiver's defaults (1024 connections, 10 minutes idle).
type Syslog struct {
	UDP            string        `yaml:"udp" env:"VIGIL_SYSLOG_UDP" flag:"syslog-udp"`
	TCP            string        `yaml:"tcp" env:"VIGIL_SYSLOG_TCP" flag:"syslog-tcp"`
	TLS            string        `yaml:"tls" env:"VIGIL_SYSLOG_TLS" flag:"syslog-tls"`
	TLSCert        string        `yaml:"tls_cert" env:"VIGIL_SYSLOG_TLS_CERT"`
	TLSKey         string        `yaml:"tls_key" env:"VIGIL_SYSLOG_TLS_KEY"`
	Timezone       string        `yaml:"timezone" env:"VIGIL_SYSLOG_TIMEZONE"`
	MaxConnections int           `yaml:"max_connections" env:"VIGIL_SYSLOG_MAX_CONNECTIONS"`
	IdleTimeout    time.Duration `yaml:"idle_timeout" env:"VIGIL_SYSLOG_IDLE_TIMEOUT"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{Data: "./vigil-data", Listen: "127.0.0.1:8080", Log: Log{Level: "info", Format: "text"}}
}

// Load reads the YAML file at path (none when empty) over the defaults, then applies the
// environment (lookup is os.LookupEnv in production). It does not validate: flags may
// still complete the settings (a key given by flag to a certificate given by file), so
// call Validate — or ApplyFlags, which validates — on the final result.
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	err := walk(&cfg, func(f reflect.Value, tag reflect.StructTag) error {
		name := tag.Get("env")
		if name == "" {
			return nil
		}
		v, ok := lookup(name)
		if !ok {
			return nil
		}
		if err := set(f, v); err != nil {
			return fmt.Errorf("config: environment %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Flag is a command-line flag that was set, by name, with its value as text.
type Flag struct{ Name, Value string }

// ApplyFlags sets the fields whose flag tag names one of the given flags.
func (c *Config) ApplyFlags(flags []Flag) error {
	for _, fl := range flags {
		found := false
		err := walk(c, func(f reflect.Value, tag reflect.StructTag) error {
			if tag.Get("flag") != fl.Name {
				return nil
			}
			found = true
			if err := set(f, fl.Value); err != nil {
				return fmt.Errorf("flag --%s: %w", fl.Name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("flag --%s is not a configuration setting", fl.Name)
		}
	}
	return c.Validate()
}

// Validate reports the first inconsistent setting.
func (c *Config) Validate() error {
	if c.Data == "" {
		return errors.New("config: data directory must not be empty")
	}
	if c.Detection.Lateness < 0 {
		return errors.New("config: detection lateness must not be negative")
	}
	if b := c.Detection.Backlog; b.Idle < 0 || b.MaxHold < 0 || b.MaxLag < 0 {
		return errors.New("config: detection backlog durations must not be negative")
	}
	if err := c.Notify.Validate(); err != nil {
		return fmt.Errorf("config: notify: %w", err)
	}
	if c.Listen == "" {
		return errors.New("config: listen address must not be empty")
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("config: tls cert and key must be given together")
	}
	if c.TLS.Cert != "" && c.TLS.SelfSigned {
		return errors.New("config: give either a tls certificate or tls self_signed, not both")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: log level %q: want debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("config: log format %q: want text or json", c.Log.Format)
	}
	return c.Syslog.validate()
}

// validate checks the syslog settings with the rest, so a mistake is reported before
// anything starts rather than when the receiver binds its ports.
func (s *Syslog) validate() error {
	for _, a := range []struct{ name, addr string }{{"udp", s.UDP}, {"tcp", s.TCP}, {"tls", s.TLS}} {
		if a.addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return fmt.Errorf("config: syslog %s address %q: want host:port or :port", a.name, a.addr)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("config: syslog %s address %q: port must be a number up to 65535", a.name, a.addr)
		}
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return errors.New("config: syslog tls_cert and tls_key must be given together")
	}
	if s.TLS != "" && s.TLSCert == "" {
		return errors.New("config: syslog over tls needs tls_cert and tls_key")
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			return fmt.Errorf("config: syslog timezone %q: %w", s.Timezone, err)
		}
	}
	if s.MaxConnections < 0 {
		return errors.New("config: syslog max_connections must not be negative")
	}
	if s.IdleTimeout < 0 {
		return errors.New("config: syslog idle_timeout must not be negative")
	}
	return nil
}

func walk(v any, fn func(f reflect.Value, tag reflect.StructTag) error) error {
	var rec func(rv reflect.Value) error
	rec = func(rv reflect.Value) error {
		t := rv.Type()
		for i := range t.NumField() {
			f := rv.Field(i)
			if f.Kind() == reflect.Struct {
				if err := rec(f); err != nil {
					return err
				}
				continue
			}
			if err := fn(f, t.Field(i).Tag); err != nil {
				return err
			}
		}
		return nil
	}
	return rec(reflect.ValueOf(v).Elem())
}

func set(f reflect.Value, v string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(strings.TrimSpace(v))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		f.SetBool(b)
	case reflect.Int64:
		if f.Type() != reflect.TypeFor[time.Duration]() {
			return fmt.Errorf("unsupported setting type %s", f.Type())
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a duration such as 10m, got %q", v)
		}
		f.SetInt(int64(d))
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		f.SetInt(int64(n))
	default:
		return fmt.Errorf("unsupported setting type %s", f.Kind())
	}
	return nil
}
