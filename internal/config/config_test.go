package config_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/config"
)

// env returns a lookup function over a fixed map, standing in for os.LookupEnv.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var noEnv = env(nil)

// firstLineDirective returns what follows "# key:" on the first line of the file.
func firstLineDirective(t *testing.T, path, key string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	v, ok := strings.CutPrefix(first, "# "+key+":")
	if !ok {
		t.Fatalf("%s: first line must be %q, got %q", path, "# "+key+": ...", first)
	}
	return strings.TrimSpace(v)
}

// TestGoodFiles loads every testdata/*.good.yml. The first line holds the expected
// configuration as JSON ("# want: {...}"), laid over the defaults.
func TestGoodFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.good.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yml files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := config.Default()
			if err := json.Unmarshal([]byte(firstLineDirective(t, path, "want")), &want); err != nil {
				t.Fatalf("want line: %v", err)
			}
			got, err := config.Load(path, noEnv)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

// TestBadFiles loads every testdata/*.bad.yml and expects an error containing the text of
// its first line ("# error: ...") and naming the file.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.bad.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yml files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := firstLineDirective(t, path, "error")
			if want == "" {
				t.Fatal("empty expected error")
			}
			err := loadValid(path, noEnv)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Load error:\n %v\nwant it to contain %q", err, want)
			}
			if !strings.HasPrefix(err.Error(), "config") {
				t.Errorf("Load error %q does not say it is about the configuration", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yml")
	_, err := config.Load(path, noEnv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(absent file) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadNoFileGivesDefaults(t *testing.T) {
	got, err := config.Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, config.Default()) {
		t.Errorf("Load(\"\") = %+v, want the defaults %+v", got, config.Default())
	}
	d := config.Default()
	if err := d.Validate(); err != nil {
		t.Errorf("the defaults do not validate: %v", err)
	}
}

// TestPrecedence checks defaults < file < environment < flags, one layer at a time and
// all together.
func TestPrecedence(t *testing.T) {
	const file = `
data: from-file
listen: 127.0.0.1:1001
log:
  level: warn
  format: json
`
	path := filepath.Join(t.TempDir(), "vigil.yml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile := config.Default()
	fromFile.Data, fromFile.Listen, fromFile.Log = "from-file", "127.0.0.1:1001", config.Log{Level: "warn", Format: "json"}

	tests := []struct {
		name  string
		path  string
		env   map[string]string
		flags []config.Flag
		base  config.Config          // the configuration before the changes of want
		want  func(c *config.Config) // what the layers under test change
	}{
		{name: "defaults", base: config.Default(), want: func(*config.Config) {}},
		{name: "file over defaults", path: path, base: fromFile, want: func(*config.Config) {}},
		{
			name: "environment over defaults",
			env:  map[string]string{"VIGIL_LISTEN": "127.0.0.1:2002", "VIGIL_TLS_SELF_SIGNED": "true"},
			base: config.Default(),
			want: func(c *config.Config) { c.Listen, c.TLS.SelfSigned = "127.0.0.1:2002", true },
		},
		{
			name: "environment over file",
			path: path,
			env:  map[string]string{"VIGIL_DATA": "from-env", "VIGIL_LOG_LEVEL": "error"},
			base: fromFile,
			want: func(c *config.Config) { c.Data, c.Log.Level = "from-env", "error" },
		},
		{
			name: "environment values are trimmed",
			env:  map[string]string{"VIGIL_LISTEN": "  127.0.0.1:2003\n", "VIGIL_TLS_SELF_SIGNED": " 1 "},
			base: config.Default(),
			want: func(c *config.Config) { c.Listen, c.TLS.SelfSigned = "127.0.0.1:2003", true },
		},
		{
			name:  "flags over file and environment",
			path:  path,
			env:   map[string]string{"VIGIL_DATA": "from-env", "VIGIL_LISTEN": "127.0.0.1:2002"},
			flags: []config.Flag{{Name: "listen", Value: "127.0.0.1:3003"}, {Name: "log-level", Value: "debug"}},
			base:  fromFile,
			// data: env beats file; listen: flag beats env; level: flag beats file; format: file.
			want: func(c *config.Config) { c.Data, c.Listen, c.Log.Level = "from-env", "127.0.0.1:3003", "debug" },
		},
		{
			name: "every flag",
			flags: []config.Flag{
				{Name: "data", Value: "d"}, {Name: "listen", Value: "l:1"}, {Name: "tls-cert", Value: "c.pem"},
				{Name: "tls-key", Value: "k.pem"}, {Name: "log-level", Value: "error"}, {Name: "log-format", Value: "json"},
			},
			base: config.Default(),
			want: func(c *config.Config) {
				*c = config.Config{Data: "d", Listen: "l:1", TLS: config.TLS{Cert: "c.pem", Key: "k.pem"}, Log: config.Log{Level: "error", Format: "json"}}
			},
		},
		{
			name:  "bool flag can turn a setting off again",
			env:   map[string]string{"VIGIL_TLS_SELF_SIGNED": "true"},
			flags: []config.Flag{{Name: "tls-self-signed", Value: "false"}},
			base:  config.Default(),
			want:  func(*config.Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.base
			tt.want(&want)
			got, err := config.Load(tt.path, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := got.ApplyFlags(tt.flags); err != nil {
				t.Fatalf("ApplyFlags: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

func TestEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bool not a bool", map[string]string{"VIGIL_TLS_SELF_SIGNED": "yes please"}, `environment VIGIL_TLS_SELF_SIGNED: want true or false, got "yes please"`},
		{"bool empty", map[string]string{"VIGIL_TLS_SELF_SIGNED": ""}, "environment VIGIL_TLS_SELF_SIGNED: want true or false"},
		{"set but empty data", map[string]string{"VIGIL_DATA": " "}, "data directory must not be empty"},
		{"bad level", map[string]string{"VIGIL_LOG_LEVEL": "loud"}, `log level "loud"`},
		{"cert without key", map[string]string{"VIGIL_TLS_CERT": "c.pem"}, "tls cert and key must be given together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadValid("", env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestApplyFlagsErrors(t *testing.T) {
	tests := []struct {
		name  string
		flags []config.Flag
		want  string
	}{
		{"unknown flag", []config.Flag{{Name: "colour", Value: "blue"}}, "flag --colour is not a configuration setting"},
		{"yaml key is not a flag name", []config.Flag{{Name: "self_signed", Value: "true"}}, "flag --self_signed is not a configuration setting"},
		{"unknown after a known one", []config.Flag{{Name: "listen", Value: "127.0.0.1:1"}, {Name: "role", Value: "admin"}}, "flag --role is not a configuration setting"},
		{"bool parse", []config.Flag{{Name: "tls-self-signed", Value: "maybe"}}, `flag --tls-self-signed: want true or false, got "maybe"`},
		{"validated afterwards", []config.Flag{{Name: "tls-key", Value: "k.pem"}}, "tls cert and key must be given together"},
		{"bad format", []config.Flag{{Name: "log-format", Value: "xml"}}, `log format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			err := c.ApplyFlags(tt.flags)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ApplyFlags = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   string // "" = valid
	}{
		{"defaults", func(*config.Config) {}, ""},
		{"cert and key", func(c *config.Config) { c.TLS.Cert, c.TLS.Key = "c.pem", "k.pem" }, ""},
		{"self-signed", func(c *config.Config) { c.TLS.SelfSigned = true }, ""},
		{"error level", func(c *config.Config) { c.Log.Level = "error" }, ""},
		{"json format", func(c *config.Config) { c.Log.Format = "json" }, ""},
		{"cert without key", func(c *config.Config) { c.TLS.Cert = "c.pem" }, "tls cert and key must be given together"},
		{"key without cert", func(c *config.Config) { c.TLS.Key = "k.pem" }, "tls cert and key must be given together"},
		{"cert and self-signed", func(c *config.Config) { c.TLS.Cert, c.TLS.Key, c.TLS.SelfSigned = "c.pem", "k.pem", true }, "not both"},
		{"bad level", func(c *config.Config) { c.Log.Level = "INFO" }, `log level "INFO": want debug, info, warn or error`},
		{"empty level", func(c *config.Config) { c.Log.Level = "" }, `log level ""`},
		{"bad format", func(c *config.Config) { c.Log.Format = "logfmt" }, `log format "logfmt": want text or json`},
		{"empty data", func(c *config.Config) { c.Data = "" }, "data directory must not be empty"},
		{"empty listen", func(c *config.Config) { c.Listen = "" }, "listen address must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// loadValid loads and validates, as the command line does once the flags are applied.
func loadValid(path string, lookup func(string) (string, bool)) error {
	cfg, err := config.Load(path, lookup)
	if err != nil {
		return err
	}
	return cfg.Validate()
}

// A setting split across layers is validated only once complete: a certificate from the
// environment and its key from a flag.
func TestValidationAfterAllLayers(t *testing.T) {
	cfg, err := config.Load("", env(map[string]string{"VIGIL_TLS_CERT": "c.pem"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := cfg.ApplyFlags([]config.Flag{{Name: "tls-key", Value: "k.pem"}}); err != nil {
		t.Fatalf("ApplyFlags: %v", err)
	}
	if cfg.TLS.Cert != "c.pem" || cfg.TLS.Key != "k.pem" {
		t.Errorf("TLS = %+v", cfg.TLS)
	}
	if err := cfg.ApplyFlags([]config.Flag{{Name: "tls-key", Value: ""}}); err == nil {
		t.Error("a certificate without key passed validation")
	}
}
