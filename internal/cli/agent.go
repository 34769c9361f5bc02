package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/agent"
	"github.com/vigilsec/vigil/internal/config"
)

func newAgentCmd() *cobra.Command {
	var reenroll bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the host agent: follow this machine's logs and send them to a Vigil server",
		Long: "Enrols once with an enrolment token (a token of role ingest: `vigil token create --role ingest --name fleet`),\n" +
			"stores the agent's own credential in the state directory, and from then on runs without --enroll.\n" +
			"It follows log files (auth, syslog, cron, web servers, the audit log), and the systemd journal when no\n" +
			"syslog files exist, keeps parsed events in an on-disk spool until the server has stored them, and\n" +
			"sends a heartbeat with the host's inventory and counters. Stop it with SIGINT or SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadAgentConfig(cmd)
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			log := newLogger(cmd, config.Log{Level: cfg.Log.Level, Format: cfg.Log.Format})
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return agent.Run(ctx, cfg, agent.Options{Reenroll: reenroll}, log)
		},
	}
	fs := cmd.Flags()
	d := agent.DefaultConfig()
	fs.String("config", "", "YAML configuration file (env VIGIL_AGENT_CONFIG)")
	fs.String("server", "", "the Vigil server's URL, e.g. https://vigil.example.com:8443 (env VIGIL_AGENT_SERVER)")
	fs.String("enroll", "", "enrolment token, needed once (env VIGIL_AGENT_ENROLL keeps it out of the process list)")
	fs.BoolVar(&reenroll, "reenroll", false, "enrol again with --enroll even though the state directory holds a credential")
	fs.String("state", d.StateDir, "state directory: credential, checkpoints, spool (env VIGIL_AGENT_STATE)")
	fs.String("ca-file", "", "PEM file of CA certificates to trust for the server (env VIGIL_AGENT_CA_FILE)")
	fs.Bool("insecure-skip-verify", false, "do not verify the server's certificate (prefer --ca-file)")
	fs.String("log-level", d.Log.Level, "debug, info, warn or error (env VIGIL_AGENT_LOG_LEVEL)")
	fs.String("log-format", d.Log.Format, "text or json (env VIGIL_AGENT_LOG_FORMAT)")
	return cmd
}

// loadAgentConfig resolves the agent's configuration: defaults < file < environment <
// flags that were given.
func loadAgentConfig(cmd *cobra.Command) (agent.Config, error) {
	fs := cmd.Flags()
	path, _ := fs.GetString("config")
	if path == "" {
		path = os.Getenv("VIGIL_AGENT_CONFIG")
	}
	cfg, err := agent.LoadConfig(path, os.LookupEnv)
	if err != nil {
		return cfg, err
	}
	for flag, dst := range map[string]*string{"server": &cfg.Server, "enroll": &cfg.EnrollToken, "state": &cfg.StateDir,
		"ca-file": &cfg.CAFile, "log-level": &cfg.Log.Level, "log-format": &cfg.Log.Format} {
		if fs.Changed(flag) {
			*dst, _ = fs.GetString(flag)
		}
	}
	if fs.Changed("insecure-skip-verify") {
		cfg.InsecureSkipVerify, _ = fs.GetBool("insecure-skip-verify")
	}
	return cfg, nil
}
