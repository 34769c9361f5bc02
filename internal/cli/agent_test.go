package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAgentRefusesToStartUnconfigured checks the agent's configuration errors: the
// layers (file, environment, flags) are applied and the result is validated before
// anything is created.
func TestAgentRefusesToStartUnconfigured(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	wantFailure(t, vigil(t, "", "agent", "--state", state), "the server URL is required")
	wantFailure(t, vigil(t, "", "agent", "--server", "ftp://x", "--state", state), "want http(s)")
	wantFailure(t, vigil(t, "", "agent", "--server", "http://127.0.0.1:1", "--state", state, "--log-format", "xml"), `log format "xml"`)
	if _, err := os.Stat(state); err == nil {
		t.Error("the state directory was created despite the bad configuration")
	}

	cfg := filepath.Join(t.TempDir(), "agent.yml")
	os.WriteFile(cfg, []byte("server: http://127.0.0.1:1\nunknown_key: 1\n"), 0o600)
	wantFailure(t, vigil(t, "", "agent", "--config", cfg), "field unknown_key not found")

	// Not enrolled and no token: a clear message instead of waiting for a server.
	t.Setenv("VIGIL_AGENT_SERVER", "http://127.0.0.1:1")
	wantFailure(t, vigil(t, "", "agent", "--state", state), "not enrolled yet")
}
