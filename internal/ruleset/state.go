package ruleset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigilsec/vigil/internal/detect"
)

// The engines' correlation state is kept in the data directory, one file per engine, so
// that a restart continues the windows open before it (see detect.Engine.SaveState).

// StateFile is the name of the file that keeps the correlation state of the engine of an
// origin (OriginBuiltin, OriginCustom) in the data directory.
func StateFile(origin string) string { return "detect-state-" + origin + ".json" }

// StateLoad is what LoadState did with one engine's file.
type StateLoad struct {
	Origin string
	Path   string
	// Restored is the number of correlations whose state was put back; Dropped the
	// number whose state was left out, their rule gone or changed.
	Restored, Dropped int
	// Err is why the file was not used; the engine then starts without state, and the
	// file was renamed to MovedTo (empty when that failed too) for a person to look at.
	Err     error
	MovedTo string
}

// LoadState restores the engines' correlation state from dir, where SaveState wrote
// it. It is meant for a Set just built, with the uploaded rules and the stored choices
// applied, before it evaluates events. A missing file is no error (a first start); a
// file that does not load is renamed aside with the suffix ".bad" and reported. It
// returns one StateLoad per file found.
func (s *Set) LoadState(dir string) []StateLoad {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	removeTemps(dir)
	var out []StateLoad
	for _, en := range s.engines() {
		path := filepath.Join(dir, StateFile(en.origin))
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		l := StateLoad{Origin: en.origin, Path: path}
		if err == nil {
			l.Restored, l.Dropped, err = en.e.LoadState(bufio.NewReaderSize(f, 64<<10))
			f.Close()
		}
		if err != nil {
			l.Err = err
			if rerr := os.Rename(path, path+".bad"); rerr != nil {
				l.Err = errors.Join(err, fmt.Errorf("move it aside: %w", rerr))
			} else {
				l.MovedTo = path + ".bad"
			}
		}
		out = append(out, l)
	}
	return out
}

// SaveState writes the engines' correlation state into dir, each file replaced
// atomically: a crash while saving leaves the previous file. Without uploaded rules the
// file of their engine is removed. Saves are serialised.
func (s *Set) SaveState(dir string) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	var errs []error
	engines := s.engines()
	for _, en := range engines {
		if err := writeFileAtomic(filepath.Join(dir, StateFile(en.origin)), en.e.SaveState); err != nil {
			errs = append(errs, fmt.Errorf("save the %s rules' correlation state: %w", en.origin, err))
		}
	}
	if len(engines) == 1 {
		if err := os.Remove(filepath.Join(dir, StateFile(OriginCustom))); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

type originEngine struct {
	origin string
	e      *detect.Engine
}

// engines returns the built-in engine and the uploaded rules' engine, if any.
func (s *Set) engines() []originEngine {
	out := []originEngine{{OriginBuiltin, s.builtin}}
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom != nil {
		out = append(out, originEngine{OriginCustom, custom})
	}
	return out
}

// tempPrefix starts the names of the files writeFileAtomic writes before renaming them.
const tempPrefix = ".tmp-"

// writeFileAtomic replaces path with what write writes: into a new file of the same
// directory, synced, renamed over path, and the directory synced, so that path holds
// either the old contents or the new, whole, even if the machine stops.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeTemps removes the temporary state files a crash during SaveState left.
func removeTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, en := range ents {
		if n := en.Name(); strings.HasPrefix(n, tempPrefix+"detect-state-") && en.Type().IsRegular() {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
