package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/spool"
)

// TestStatusSize checks that a host following very many files still sends a status the
// server accepts (at most 64 KiB).
func TestStatusSize(t *testing.T) {
	s := newStatus()
	for i := range 500 {
		st := s.source(fmt.Sprintf("file:/var/log/containers/%s-%d.log", strings.Repeat("x", 60), i), "file")
		s.fail(st, errors.New(strings.Repeat("permission denied ", 50)))
	}
	b := s.snapshot(spool.Stats{}).json()
	var back Status
	if err := json.Unmarshal(b, &back); err != nil || len(b) > 64<<10 || back.SourcesOmitted != 400 {
		t.Errorf("status of %d bytes, omitted %d, err %v", len(b), back.SourcesOmitted, err)
	}
}
