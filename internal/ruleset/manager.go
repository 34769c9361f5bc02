package ruleset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/store"
)

// Settings keys of what the Manager keeps.
const (
	keyCustom   = "rules.custom"
	keyDisabled = "rules.disabled"
)

// Limits of uploaded rules.
const (
	MaxCustomFiles = 200
	MaxCustomBytes = 1 << 20
)

// CustomFile is an uploaded rule file as kept.
type CustomFile struct {
	Name       string    `json:"name"`
	Data       string    `json:"data"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// RejectedError says why uploaded rules were refused: one reason per document, with
// file and line.
type RejectedError struct {
	Loaded  int
	Reasons []string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("loaded %d, rejected %d: %s", e.Loaded, len(e.Reasons), strings.Join(e.Reasons, "; "))
}

// InvalidError is a request the Manager refuses (bad name, too big, unknown rule).
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Manager keeps the uploaded rules and the disabled rules in the store, audits their
// changes and applies them to the Set.
type Manager struct {
	set *Set
	db  store.Store
	now func() time.Time
	// mu serialises changes, so that the engines take them in the store's order.
	mu sync.Mutex
}

// NewManager returns a Manager of set keeping its state in db.
func NewManager(set *Set, db store.Store, now func() time.Time) *Manager {
	return &Manager{set: set, db: db, now: now}
}

// Set is the rule set managed.
func (m *Manager) Set() *Set { return m.set }

// Load applies what the store keeps: the uploaded rules and the disabled rules. Rules
// that no longer load (a newer version refusing them) are reported, the others apply.
func (m *Manager) Load(ctx context.Context) error {
	var files []CustomFile
	var disabled []string
	err := m.db.View(ctx, func(tx store.Tx) error {
		var err error
		if files, err = readCustom(tx); err != nil {
			return err
		}
		disabled, err = readDisabled(tx)
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	if len(files) > 0 {
		if _, rejected := m.set.SetCustom(sources(files)); len(rejected) > 0 {
			errs = append(errs, fmt.Errorf("uploaded rules not loaded: %w", errors.Join(rejected...)))
		}
	}
	if unknown := m.set.SetDisabled(disabled); len(unknown) > 0 {
		errs = append(errs, fmt.Errorf("disabled rules that no longer exist: %s", strings.Join(unknown, ", ")))
	}
	return errors.Join(errs...)
}

func readCustom(tx store.Tx) ([]CustomFile, error) {
	var files []CustomFile
	v, err := tx.GetSetting(keyCustom)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(v), &files); err != nil {
		return nil, fmt.Errorf("setting %s: %w", keyCustom, err)
	}
	return files, nil
}

func readDisabled(tx store.Tx) ([]string, error) {
	var refs []string
	v, err := tx.GetSetting(keyDisabled)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(v), &refs); err != nil {
		return nil, fmt.Errorf("setting %s: %w", keyDisabled, err)
	}
	return refs, nil
}

func put(tx store.Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutSetting(key, string(b))
}

func sources(files []CustomFile) []sigma.Source {
	out := make([]sigma.Source, len(files))
	for i, f := range files {
		out[i] = sigma.Source{Name: f.Name, Data: []byte(f.Data)}
	}
	return out
}

// SetEnabled enables or disables a rule by id.
func (m *Manager) SetEnabled(ctx context.Context, actor, id string, enabled bool) error {
	known := false
	rules, _ := m.set.Rules()
	for _, r := range rules {
		known = known || strings.EqualFold(r.ID, id)
	}
	if !known {
		return store.ErrNotFound
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var refs []string
	err := m.db.Update(ctx, func(tx store.Tx) error {
		var err error
		refs, err = readDisabled(tx)
		if err != nil {
			return err
		}
		before := slices.Clone(refs)
		refs = slices.DeleteFunc(refs, func(r string) bool { return strings.EqualFold(r, id) })
		if !enabled {
			refs = append(refs, id)
		}
		if err := put(tx, keyDisabled, refs); err != nil {
			return err
		}
		action := "rule.enable"
		if !enabled {
			action = "rule.disable"
		}
		if _, err := audit.Append(tx, m.now(), audit.Record{Actor: actor, Action: action, Target: "rule:" + id,
			Before: map[string]any{"disabled": before}, After: map[string]any{"disabled": refs}}); err != nil {
			return err
		}
		return nil
	})
	if err == nil {
		m.set.SetDisabled(refs)
	}
	return err
}

// checkName refuses names that are not a plain rule file name.
func checkName(name string) error {
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "/\\\x00") || name != path.Base(name) ||
		!(strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) || strings.HasPrefix(name, ".") {
		return &InvalidError{"a rule file name is a plain file name ending in .yml or .yaml, at most 100 characters"}
	}
	return nil
}

// PutCustom adds or replaces an uploaded rule file. All uploaded files are compiled
// together first; when any document is rejected nothing changes and the error is a
// *RejectedError with every reason.
func (m *Manager) PutCustom(ctx context.Context, actor, name string, data []byte) (loaded int, err error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	if len(data) == 0 || len(data) > MaxCustomBytes {
		return 0, &InvalidError{fmt.Sprintf("a rule file must have 1 to %d bytes", MaxCustomBytes)}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	err = m.db.Update(ctx, func(tx store.Tx) error {
		files, err := readCustom(tx)
		if err != nil {
			return err
		}
		now := m.now().UTC()
		f := CustomFile{Name: name, Data: string(data), UploadedBy: actor, UploadedAt: now}
		var before any
		if i := slices.IndexFunc(files, func(x CustomFile) bool { return x.Name == name }); i >= 0 {
			before = map[string]any{"name": name, "bytes": len(files[i].Data)}
			files[i] = f
		} else {
			if len(files) >= MaxCustomFiles {
				return &InvalidError{fmt.Sprintf("at most %d uploaded rule files", MaxCustomFiles)}
			}
			files = append(files, f)
		}
		n, rejected := m.set.SetCustom(sources(files))
		if len(rejected) > 0 {
			re := &RejectedError{Loaded: n - len(rejected)}
			for _, r := range rejected {
				re.Reasons = append(re.Reasons, r.Error())
			}
			return re
		}
		loaded = n
		if err := put(tx, keyCustom, files); err != nil {
			return err
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: actor, Action: "rule.upload", Target: "rulefile:" + name,
			Before: before, After: map[string]any{"name": name, "bytes": len(data), "documents": n}})
		return err
	})
	var re *RejectedError
	var ie *InvalidError
	if err != nil && !errors.As(err, &re) && !errors.As(err, &ie) {
		// The engines took files that the store did not: go back to the store's.
		m.resync(ctx)
	}
	return loaded, err
}

// DeleteCustom removes an uploaded rule file.
func (m *Manager) DeleteCustom(ctx context.Context, actor, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.db.Update(ctx, func(tx store.Tx) error {
		files, err := readCustom(tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(files, func(x CustomFile) bool { return x.Name == name })
		if i < 0 {
			return store.ErrNotFound
		}
		files = slices.Delete(files, i, i+1)
		if _, rejected := m.set.SetCustom(sources(files)); len(rejected) > 0 {
			return fmt.Errorf("the remaining uploaded rules do not load: %w", errors.Join(rejected...))
		}
		if err := put(tx, keyCustom, files); err != nil {
			return err
		}
		_, err = audit.Append(tx, m.now().UTC(), audit.Record{Actor: actor, Action: "rule.delete", Target: "rulefile:" + name,
			Before: map[string]any{"name": name}})
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		m.resync(ctx)
	}
	return err
}

// CustomFiles lists the uploaded rule files.
func (m *Manager) CustomFiles(ctx context.Context) ([]CustomFile, error) {
	var files []CustomFile
	err := m.db.View(ctx, func(tx store.Tx) error {
		var err error
		files, err = readCustom(tx)
		return err
	})
	if files == nil {
		files = []CustomFile{}
	}
	return files, err
}

// resync applies the stored uploaded rules again after a refused or failed change.
func (m *Manager) resync(ctx context.Context) {
	var files []CustomFile
	if m.db.View(ctx, func(tx store.Tx) error {
		var err error
		files, err = readCustom(tx)
		return err
	}) == nil {
		m.set.SetCustom(sources(files))
	}
}
