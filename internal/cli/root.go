// Package cli implements the `vigil` command line: one file per noun.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		fmt.Fprintln(stderr, "vigil:", err)
		return 1
	}
	return 0
}

// exitCode ends the command with a status and no further message (the command printed it).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Security incident management for cloud servers",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newAgentCmd(), newVersion(), newUser(), newToken(), newAudit(), newParse(), newRules(), newHunt(), newMatrix(), newDemo())
	return root
}

// configAnnotation marks the flags that are configuration settings (they override the
// file and the environment); a command's own flags, such as --role, are not.
const configAnnotation = "vigil-config"

func markConfig(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, configAnnotation, []string{"true"}); err != nil {
			panic(err) // a programming error: the flag was not defined
		}
	}
}

// configFlags are the flags every command that reads the configuration takes.
func configFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (env VIGIL_CONFIG)")
	fs.String("data", config.Default().Data, "data directory (env VIGIL_DATA)")
	markConfig(fs, "data")
}

// loadConfig resolves the configuration: defaults < file < environment < changed flags.
func loadConfig(cmd *cobra.Command) (config.Config, error) {
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path = os.Getenv("VIGIL_CONFIG")
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return cfg, err
	}
	var set []config.Flag
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if _, ok := f.Annotations[configAnnotation]; ok {
			set = append(set, config.Flag{Name: f.Name, Value: f.Value.String()})
		}
	})
	return cfg, cfg.ApplyFlags(set)
}

// openAdmin opens an existing data directory for an admin command. It refuses to create
// one, so a mistyped --data does not silently act on an empty new platform.
func openAdmin(cmd *cobra.Command) (*sqlite.DB, *auth.Service, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, sqlite.FileName)); err != nil {
		return nil, nil, fmt.Errorf("no Vigil data in %s (start `vigil serve --data %s` once, or pass --data): %w", cfg.Data, cfg.Data, err)
	}
	st, err := sqlite.Open(cmd.Context(), cfg.Data)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return st, auth.NewService(st, timeNow, auth.DefaultPolicy, log), nil
}

// cliActor names the person running an admin command in the audit log.
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return "cli:" + name + "@" + host
}
