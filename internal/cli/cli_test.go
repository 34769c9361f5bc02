package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/cli"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/version"
)

// TestMain clears the environment the commands read, so a developer's own settings cannot
// change what the tests see; tests that want them set them with t.Setenv.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "VIGIL_") {
			os.Unsetenv(name)
		}
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.DiscardHandler)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
}

// lastLine returns the last non-empty line of stdout.
func (r result) lastLine() string {
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	return lines[len(lines)-1]
}

// vigil runs the command line in-process with stdin as its standard input.
func vigil(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// mustVigil runs the command line and fails the test unless it exits 0.
func mustVigil(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := vigil(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("vigil %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// wantFailure checks that r exited 1 with stderr containing want.
func wantFailure(t *testing.T, r result, want string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("want exit 1 and stderr containing %q, got %v", want, r)
	}
}

// newDataDir creates a data directory with a database and the first admin, as the first
// start of the server does, and returns it with the admin's one-time password.
func newDataDir(t *testing.T) (dir, adminPassword string) {
	t.Helper()
	dir = t.TempDir()
	st, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	name, pw, created, err := auth.NewService(st, time.Now, auth.DefaultPolicy, quiet).Bootstrap(t.Context())
	if err != nil || !created || name != "admin" {
		t.Fatalf("Bootstrap = %q, %v, %v", name, created, err)
	}
	return dir, pw
}

// service opens the data directory beside the commands under test, as a running server
// would.
func service(t *testing.T, dir string) *auth.Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return auth.NewService(st, time.Now, auth.DefaultPolicy, quiet)
}

func login(svc *auth.Service, user, password string) (*auth.LoginResult, error) {
	return svc.Login(context.Background(), user, password, auth.Client{RemoteAddr: "127.0.0.1", UserAgent: "cli-test"})
}

func TestVersion(t *testing.T) {
	r := mustVigil(t, "", "version")
	want := "vigil " + version.String() + " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version() + "\n"
	if r.stdout != want {
		t.Errorf("version printed %q, want %q", r.stdout, want)
	}
	wantFailure(t, vigil(t, "", "version", "extra"), `unknown command "extra"`)
}

func TestUnknownCommand(t *testing.T) {
	wantFailure(t, vigil(t, "", "frobnicate"), `unknown command "frobnicate"`)
}

// TestAdminCommandsNeedExistingData checks that admin commands refuse a data directory
// without a database, instead of creating an empty platform there.
func TestAdminCommandsNeedExistingData(t *testing.T) {
	commands := [][]string{
		{"user", "list"},
		{"user", "add", "bob"},
		{"user", "add", "bob", "--role", "analyst"},
		{"user", "reset-password", "admin"},
		{"user", "disable", "admin"},
		{"user", "enable", "admin"},
		{"token", "list"},
		{"token", "create", "--name", "ci", "--role", "admin"},
		{"token", "revoke", "1"},
		{"audit", "verify"},
	}
	dirs := []struct {
		kind  string
		mkdir func(t *testing.T) string
	}{
		{"empty directory", func(t *testing.T) string { return t.TempDir() }},
		{"missing directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "typo") }},
	}
	for _, d := range dirs {
		for _, args := range commands {
			t.Run(d.kind+"/"+strings.Join(args, " "), func(t *testing.T) {
				dir := d.mkdir(t)
				r := vigil(t, "", append(args, "--data", dir)...)
				wantFailure(t, r, "no Vigil data in "+dir)
				if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the command left a database behind in %s (stat: %v)", dir, err)
				}
			})
		}
	}
}

// TestConfigSources checks that admin commands find the data directory through each
// configuration source, and that the flag beats the environment.
func TestConfigSources(t *testing.T) {
	dir, _ := newDataDir(t)
	elsewhere := t.TempDir() // no database: choosing it makes the command fail
	configFile := func(data string) string {
		p := filepath.Join(t.TempDir(), "vigil.yml")
		if err := os.WriteFile(p, []byte("data: "+data+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"--data", dir}},
		{"VIGIL_DATA", map[string]string{"VIGIL_DATA": dir}, nil},
		{"flag beats VIGIL_DATA", map[string]string{"VIGIL_DATA": elsewhere}, []string{"--data", dir}},
		{"--config", nil, []string{"--config", configFile(dir)}},
		{"VIGIL_CONFIG", map[string]string{"VIGIL_CONFIG": configFile(dir)}, nil},
		{"VIGIL_DATA beats the file", map[string]string{"VIGIL_DATA": dir}, []string{"--config", configFile(elsewhere)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := mustVigil(t, "", append([]string{"user", "list"}, tt.args...)...)
			if !regexp.MustCompile(`(?m)^1\s+admin\s+admin\s`).MatchString(r.stdout) {
				t.Errorf("user list does not show the admin of %s:\n%s", dir, r.stdout)
			}
		})
	}
	t.Run("bad environment", func(t *testing.T) {
		t.Setenv("VIGIL_DATA", dir)
		t.Setenv("VIGIL_LOG_LEVEL", "loud")
		wantFailure(t, vigil(t, "", "user", "list"), `log level "loud"`)
	})
}
