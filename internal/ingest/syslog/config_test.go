package syslog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/server"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// The syslog section of the configuration: file, environment, and validation.
func TestConfigSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.yml")
	const file = `
syslog:
  udp: ":514"
  tcp: 0.0.0.0:514
  tls: ":6514"
  tls_cert: syslog.crt
  tls_key: syslog.key
  timezone: Europe/Berlin
  max_connections: 64
  idle_timeout: 90s
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(k string) (string, bool) {
		v, ok := map[string]string{"VIGIL_SYSLOG_TCP": "127.0.0.1:1514", "VIGIL_SYSLOG_IDLE_TIMEOUT": "2m"}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Syslog{UDP: ":514", TCP: "127.0.0.1:1514", TLS: ":6514", TLSCert: "syslog.crt", TLSKey: "syslog.key",
		Timezone: "Europe/Berlin", MaxConnections: 64, IdleTimeout: 2 * time.Minute}
	if cfg.Syslog != want {
		t.Errorf("syslog section\n got  %+v\n want %+v", cfg.Syslog, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if d := config.Default(); d.Syslog != (config.Syslog{}) {
		t.Errorf("syslog is on by default: %+v", d.Syslog)
	}

	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"VIGIL_SYSLOG_UDP": "514"}, `syslog udp address "514"`},
		{map[string]string{"VIGIL_SYSLOG_TCP": "host:syslog"}, "port must be a number"},
		{map[string]string{"VIGIL_SYSLOG_TLS": ":6514"}, "syslog over tls needs tls_cert and tls_key"},
		{map[string]string{"VIGIL_SYSLOG_TLS_CERT": "c.pem"}, "tls_cert and tls_key must be given together"},
		{map[string]string{"VIGIL_SYSLOG_TIMEZONE": "Mars/Olympus"}, `syslog timezone "Mars/Olympus"`},
		{map[string]string{"VIGIL_SYSLOG_MAX_CONNECTIONS": "-1"}, "max_connections must not be negative"},
		{map[string]string{"VIGIL_SYSLOG_MAX_CONNECTIONS": "many"}, "VIGIL_SYSLOG_MAX_CONNECTIONS: want a whole number"},
		{map[string]string{"VIGIL_SYSLOG_IDLE_TIMEOUT": "10"}, "VIGIL_SYSLOG_IDLE_TIMEOUT: want a duration"},
	}
	for _, tt := range bad {
		cfg, err := config.Load("", func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.env, err, tt.want)
		}
	}
}

// server.Run starts the receivers from the configuration, logs where they listen (and
// prints nothing about them on its output), and stores what they read before it returns.
func TestServerRunsSyslog(t *testing.T) {
	cfg := config.Default()
	cfg.Data, cfg.Listen = t.TempDir(), "127.0.0.1:0"
	cfg.Syslog.TCP, cfg.Syslog.UDP = "127.0.0.1:0", "127.0.0.1:0"
	logs := &logBuffer{}
	out := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, out, slog.New(slog.NewTextHandler(logs, nil))) }()
	defer func() { cancel(); <-done }()

	listening := regexp.MustCompile(`msg="syslog listening" proto=(\w+) addr=(\S+)`)
	addrs := map[string]string{}
	waitFor(t, "the receivers to listen", func() bool {
		for _, m := range listening.FindAllStringSubmatch(logs.String(), -1) {
			addrs[m[1]] = m[2]
		}
		return len(addrs) == 2
	})
	c, err := net.Dial("tcp", addrs["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		fmt.Fprintf(c, "<13>Nov 28 10:00:01 web-1 app[1]: through serve %d\n", i)
	}
	events, err := sqlite.OpenEvents(context.Background(), cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	waitFor(t, "the messages to be stored", func() bool { got, _ := events.Count(context.Background()); return got == n })
	// Run is stopped with the connection still open: it must end it and return.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	done <- nil // for the deferred receive
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after Run returned = %v, want EOF", err)
	}
	c.Close()
	if strings.Contains(out.String(), "syslog") {
		t.Errorf("Run printed about syslog on its output:\n%s", out)
	}
	// The ports are closed again.
	if l, err := net.Listen("tcp", addrs["tcp"]); err != nil {
		t.Errorf("syslog tcp port still in use after Run: %v", err)
	} else {
		l.Close()
	}
}
