package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/durable"
)

// The state directory:
//
//	agent.json              the agent's identity and credential (0600)
//	checkpoints/NAME.json   one per source: where reading resumes
//	spool/                  events not yet acknowledged by the server (see package spool)
const (
	identityFile   = "agent.json"
	checkpointsDir = "checkpoints"
	spoolDir       = "spool"
)

// identity is what enrolment gave the agent.
type identity struct {
	Server     string    `json:"server"`
	AgentID    int64     `json:"agent_id"`
	Token      string    `json:"token"`
	Hostname   string    `json:"hostname"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

func loadIdentity(dir string) (*identity, error) {
	b, err := os.ReadFile(filepath.Join(dir, identityFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var id identity
	if err := json.Unmarshal(b, &id); err != nil || id.Token == "" {
		return nil, fmt.Errorf("%s is damaged (enrol again with --enroll --reenroll): %v", filepath.Join(dir, identityFile), err)
	}
	return &id, nil
}

func saveIdentity(dir string, id *identity) error {
	b, _ := json.MarshalIndent(id, "", "  ")
	return durable.WriteFile(filepath.Join(dir, identityFile), append(b, '\n'), 0o600)
}

// checkpoints keeps one file per source. A checkpoint is written only through commit,
// right after the source's events were appended to the spool.
type checkpoints struct {
	dir string
}

// fileCheckpointName names the checkpoint of a followed path.
func fileCheckpointName(path string) string {
	sum := sha256.Sum256([]byte(path))
	return "file-" + hex.EncodeToString(sum[:8]) + ".json"
}

const journaldCheckpointName = "journald.json"

// load reads checkpoint name into v; it reports false when there is none.
func (c *checkpoints) load(name string, v any) (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("checkpoint %s is damaged: %w", name, err)
	}
	return true, nil
}

func (c *checkpoints) write(name string, raw []byte) error {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("bad checkpoint name %q", name)
	}
	return durable.WriteFile(filepath.Join(c.dir, name), raw, 0o600)
}

// commitValue is the commit line a source writes into the spool with its events: the
// checkpoint file and its content.
type commitValue struct {
	Name       string          `json:"name"`
	Checkpoint json.RawMessage `json:"checkpoint"`
}

// commit appends a source's events to the spool and then writes its checkpoint.
func (a *Agent) commit(records [][]byte, name string, cp any) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	val, _ := json.Marshal(commitValue{Name: name, Checkpoint: raw})
	return a.spool.Append(records, val, func() error { return a.ckpts.write(name, raw) })
}

// redoCommit writes the checkpoint of the spool's last commit line again: a crash may
// have come after the events were spooled and before their checkpoint was written.
func (a *Agent) redoCommit(last []byte) error {
	if last == nil {
		return nil
	}
	var v commitValue
	if err := json.Unmarshal(last, &v); err != nil {
		return fmt.Errorf("spool: last commit is damaged: %w", err)
	}
	return a.ckpts.write(v.Name, v.Checkpoint)
}
