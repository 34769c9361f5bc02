package ruleset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// ruleSpraying is the built-in correlation of failed SSH logins for five accounts from
// one address within ten minutes.
const ruleSpraying = "791bfd3c-0fdb-4e5b-858f-e7caa561e552"

// customBurst is an uploaded correlation: three failed SSH logins from one address.
const customBurst = `title: Failed SSH login
id: 0d6a4b7e-5c1f-4f0e-9a3b-2e8d7c6b5a40
name: custom_failed
logsource: {product: linux, service: sshd}
detection:
  selection: {event.outcome: failure}
  condition: selection
---
title: SSH failure burst
id: 0d6a4b7e-5c1f-4f0e-9a3b-2e8d7c6b5a41
level: medium
correlation:
  type: event_count
  rules: [custom_failed]
  group-by: [source.ip]
  timespan: 10m
  condition: {gte: 3}
`

const ruleBurst = "0d6a4b7e-5c1f-4f0e-9a3b-2e8d7c6b5a41"

// spray is a failed SSH login for the i-th account from one address, a minute apart.
func spray(i int) *event.Event {
	ev := sshFailed(fmt.Sprintf("s%d", i))
	ev.Time = ev.Time.Add(time.Duration(i) * time.Minute)
	ev.Set("user.name", fmt.Sprintf("user%d", i))
	return ev
}

func newSetWithCustom(t *testing.T) *Set {
	t.Helper()
	s := mustSet(t)
	if _, rejected := s.SetCustom([]sigma.Source{{Name: "burst.yml", Data: []byte(customBurst)}}); len(rejected) > 0 {
		t.Fatal(rejected)
	}
	return s
}

func evalAll(s *Set, evs ...*event.Event) map[string]int {
	out := map[string]int{}
	for _, ev := range evs {
		for _, a := range s.Eval(ev, ev.Time) {
			out[a.Rule.ID]++
		}
	}
	return out
}

// TestStateAcrossRestart saves both engines' state part way through a password spray,
// and a new Set that loads it raises the built-in and the uploaded correlations on the
// rest, as the first would have.
func TestStateAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := newSetWithCustom(t)
	if got := evalAll(s, spray(0), spray(1), spray(2), spray(3)); got[ruleSpraying] != 0 {
		t.Fatalf("alerts before the fifth account: %v", got)
	}
	if err := s.SaveState(dir); err != nil {
		t.Fatal(err)
	}
	for _, origin := range []string{OriginBuiltin, OriginCustom} {
		fi, err := os.Stat(filepath.Join(dir, StateFile(origin)))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s state file: %v, %v", origin, fi, err)
		}
	}

	s2 := newSetWithCustom(t)
	loads := s2.LoadState(dir)
	if len(loads) != 2 {
		t.Fatalf("loads %+v; want both files", loads)
	}
	for _, l := range loads {
		if l.Err != nil || l.Restored == 0 || l.Dropped != 0 {
			t.Errorf("%+v", l)
		}
	}
	// The burst fired at the third login; the fourth started a new count.
	got := evalAll(s2, spray(4), spray(5))
	if got[ruleSpraying] != 1 {
		t.Errorf("after the restart the fifth account raised %v; want the spraying correlation", got)
	}
	if got[ruleBurst] != 1 {
		t.Errorf("after the restart the uploaded correlation raised %v; want one burst", got)
	}
	if got := evalAll(newSetWithCustom(t), spray(4), spray(5)); got[ruleSpraying] != 0 || got[ruleBurst] != 0 {
		t.Errorf("a Set without the state alerted: %v", got)
	}

	// Without uploaded rules their file goes.
	if err := mustSet(t).SaveState(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile(OriginCustom))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the uploaded rules' state file stayed: %v", err)
	}
}

// TestStateBadFile checks that a file that does not load is reported and moved aside,
// and the Set works without its state.
func TestStateBadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile(OriginBuiltin))
	if err := os.WriteFile(path, []byte(`{"header":{"format":"vigil-detect-state","version":1,"clock":0}}`+"\n{\"gro"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustSet(t)
	loads := s.LoadState(dir)
	if len(loads) != 1 || loads[0].Err == nil || loads[0].MovedTo != path+".bad" || loads[0].Restored != 0 {
		t.Fatalf("loads %+v", loads)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the bad file is still in place: %v", err)
	}
	if _, err := os.Stat(path + ".bad"); err != nil {
		t.Error(err)
	}
	if !rulesOf(s.Eval(cronEvent(t, 1), time.Now()))[ruleCron] {
		t.Error("the Set does not work after a bad state file")
	}
	if loads := s.LoadState(dir); len(loads) != 0 {
		t.Errorf("second load %+v; want no file", loads)
	}
}

// TestWriteFileAtomic checks that a write that fails leaves the previous file whole and
// no temporary file, that a write that succeeds replaces it, and that LoadState removes
// what a crash left.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile(OriginBuiltin))
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	failing := func(w io.Writer) error {
		w.Write([]byte(strings.Repeat("partial ", 20000)))
		return errors.New("disk on fire")
	}
	if err := writeFileAtomic(path, failing); err == nil {
		t.Fatal("a failing write succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write the file holds %d bytes", len(b))
	}
	if n := dirNames(t, dir); n != StateFile(OriginBuiltin) {
		t.Errorf("files after a failed write: %s", n)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("after a write the file holds %q", b)
	}
	// A crash between creating the temporary file and renaming it leaves it behind.
	if err := os.WriteFile(filepath.Join(dir, tempPrefix+StateFile(OriginBuiltin)+"-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSet(t).LoadState(dir)
	if n := dirNames(t, dir); n != "" {
		t.Errorf("files after LoadState: %s", n)
	}
	if err := mustSet(t).SaveState(filepath.Join(dir, "missing")); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}
