package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/server"
)

var timeNow = time.Now

func newServe() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform (embedded SQLite store in the data directory by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			log := newLogger(cmd, cfg.Log)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return server.Run(ctx, cfg, cmd.OutOrStdout(), log)
		},
	}
	fs := cmd.Flags()
	configFlags(fs)
	d := config.Default()
	fs.String("listen", d.Listen, "address to listen on (env VIGIL_LISTEN)")
	fs.String("tls-cert", "", "TLS certificate file (PEM; env VIGIL_TLS_CERT)")
	fs.String("tls-key", "", "TLS private key file (PEM; env VIGIL_TLS_KEY)")
	fs.Bool("tls-self-signed", false, "serve HTTPS with a self-signed certificate kept in the data directory")
	fs.String("log-level", d.Log.Level, "debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	fs.String("log-format", d.Log.Format, "text or json (env VIGIL_LOG_FORMAT)")
	fs.String("syslog-udp", "", "receive syslog over UDP on this address, e.g. :514 (env VIGIL_SYSLOG_UDP)")
	fs.String("syslog-tcp", "", "receive syslog over TCP (newline or octet-counted framing) on this address (env VIGIL_SYSLOG_TCP)")
	fs.String("syslog-tls", "", "receive syslog over TLS on this address, e.g. :6514; needs syslog.tls_cert/tls_key (env VIGIL_SYSLOG_TLS)")
	markConfig(fs, "listen", "tls-cert", "tls-key", "tls-self-signed", "log-level", "log-format", "syslog-udp", "syslog-tcp", "syslog-tls")
	return cmd
}

func newLogger(cmd *cobra.Command, c config.Log) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), opts))
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), opts))
}
