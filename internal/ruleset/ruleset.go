// Package ruleset is the live detection of `serve`: the rules built into the binary, the
// rules people upload, and the threat-intelligence lists, evaluated together. It keeps
// people's choices — uploaded rule files, disabled rules, exceptions — across changes:
// replacing the uploaded rules recompiles only them, so the built-in correlations keep
// their state.
package ruleset

import (
	"errors"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/intel"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/rules"
)

// Origins of rules.
const (
	OriginBuiltin = "builtin"
	OriginCustom  = "custom"
	OriginIntel   = "intel"
)

// Set evaluates the built-in and the uploaded rules and the intel lists. It is safe
// for concurrent use.
type Set struct {
	builtin *detect.Engine
	intel   *intel.Matcher
	ph      sigma.Placeholders
	eopts   detect.Options

	mu         sync.RWMutex
	custom     *detect.Engine // nil without uploaded rules
	files      []sigma.Source
	disabled   []string
	exceptions []detect.Exception

	// saveMu serialises SaveState and LoadState, which write and rename the state files.
	saveMu sync.Mutex
}

// Options configure a Set.
type Options struct {
	// Placeholders are the site's values of the %name% placeholders rules use with the
	// expand modifier (the account's regions, say); rules whose placeholders have no
	// values are left out.
	Placeholders map[string][]string
	// Intel are the threat-intelligence lists matched against every event.
	Intel []*intel.List
	// Engine are the options of the engines of both the built-in and the uploaded
	// rules (the serve config sets the hold of late senders).
	Engine detect.Options
}

// New compiles the built-in rules. loaded is the number of rule documents read and
// rejected says why each left-out rule was.
func New(opts Options) (s *Set, loaded int, rejected []error) {
	ph := sigma.Placeholders(opts.Placeholders)
	c, errs := (&sigma.Loader{Placeholders: ph}).LoadDir(rules.FS, ".")
	for _, err := range errs {
		rejected = append(rejected, err)
	}
	e, cerrs := detect.Compile(c, opts.Engine)
	rejected = append(rejected, cerrs...)
	s = &Set{builtin: e, ph: ph, eopts: opts.Engine}
	if len(opts.Intel) > 0 {
		s.intel = intel.NewMatcher(opts.Intel...)
	}
	return s, c.Documents, rejected
}

// Builtin is the engine of the built-in rules.
func (s *Set) Builtin() *detect.Engine { return s.builtin }

// Eval evaluates one event with every rule and the intel lists.
func (s *Set) Eval(ev *event.Event, now time.Time) []detect.Alert {
	return s.EvalFrom("", ev, now)
}

// EvalFrom is Eval for an event received from source (see detect.Engine.EvalFrom).
func (s *Set) EvalFrom(source string, ev *event.Event, now time.Time) []detect.Alert {
	out := s.builtin.EvalFrom(source, ev, now)
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom != nil {
		out = append(out, custom.EvalFrom(source, ev, now)...)
	}
	if s.intel != nil {
		if hits := s.intel.Match(ev); len(hits) > 0 {
			out = append(out, intel.Alerts(ev, hits)...)
		}
	}
	return out
}

// Advance moves the engines' clocks (see detect.Engine.Advance).
func (s *Set) Advance(now time.Time) []detect.Alert {
	out := s.builtin.Advance(now)
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom != nil {
		out = append(out, custom.Advance(now)...)
	}
	return out
}

// SetCustom replaces the uploaded rule files. It compiles them on their own (they may
// reference each other, not the built-in rules); when any document is rejected nothing
// changes and the reasons are returned. An empty list removes the uploaded rules.
func (s *Set) SetCustom(files []sigma.Source) (loaded int, rejected []error) {
	var e *detect.Engine
	if len(files) > 0 {
		c, errs := (&sigma.Loader{Placeholders: s.ph}).LoadSources(files)
		for _, err := range errs {
			rejected = append(rejected, err)
		}
		var cerrs []error
		e, cerrs = detect.Compile(c, s.eopts)
		rejected = append(rejected, cerrs...)
		if len(rejected) > 0 {
			return c.Documents, rejected
		}
		loaded = c.Documents
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.custom, s.files = e, files
	if e != nil {
		// The new engine gets the choices already made; what names none of its rules is
		// the built-in engine's business.
		e.SetDisabled(s.disabled)
		e.SetExceptions(s.exceptions)
	}
	return loaded, nil
}

// UploadedRules describes the uploaded rules that raise alerts of their own.
func (s *Set) UploadedRules() []detect.RuleRef {
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom == nil {
		return nil
	}
	var out []detect.RuleRef
	for _, ri := range custom.Rules() {
		if ri.Generates {
			out = append(out, ri.RuleRef)
		}
	}
	return out
}

// CustomFiles returns the uploaded rule files in use.
func (s *Set) CustomFiles() []sigma.Source {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]sigma.Source(nil), s.files...)
}

// SetDisabled replaces the disabled rules (ids or names) in both engines and returns the
// references that name no rule of either.
func (s *Set) SetDisabled(refs []string) (unknown []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled = append([]string(nil), refs...)
	notBuiltin := s.builtin.SetDisabled(refs)
	if s.custom == nil {
		return notBuiltin
	}
	notCustom := map[string]bool{}
	for _, r := range s.custom.SetDisabled(refs) {
		notCustom[r] = true
	}
	for _, r := range notBuiltin {
		if notCustom[r] {
			unknown = append(unknown, r)
		}
	}
	return unknown
}

// SetExceptions gives the exceptions to both engines. An exception fails only when
// neither engine can apply it; the error is the built-in engine's.
func (s *Set) SetExceptions(list []detect.Exception) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exceptions = append([]detect.Exception(nil), list...)
	errs := s.builtin.SetExceptions(list)
	if s.custom == nil {
		return errs
	}
	customFailed := map[string]bool{}
	for _, err := range s.custom.SetExceptions(list) {
		var ee *detect.ExceptionError
		if errors.As(err, &ee) {
			customFailed[ee.ID] = true
		}
	}
	var out []error
	for _, err := range errs {
		var ee *detect.ExceptionError
		if errors.As(err, &ee) && !customFailed[ee.ID] {
			continue // the uploaded rules have it
		}
		out = append(out, err)
	}
	return out
}

// ExceptionStats adds up the events each exception suppressed in both engines.
func (s *Set) ExceptionStats() map[string]uint64 {
	out := s.builtin.ExceptionStats()
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom != nil {
		for k, v := range custom.ExceptionStats() {
			out[k] += v
		}
	}
	return out
}

// Rule is a rule as the API lists it: what it is, where it comes from, whether it is
// enabled, and its counters since the engine compiled it.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Level       string   `json:"level"`
	Kind        string   `json:"kind"`
	Tags        []string `json:"tags"`
	File        string   `json:"file"`
	Origin      string   `json:"origin"`
	Enabled     bool     `json:"enabled"`
	Generates   bool     `json:"generates"`
	Evaluations uint64   `json:"evaluations"`
	Skipped     uint64   `json:"skipped"`
	Hits        uint64   `json:"hits"`
	Suppressed  uint64   `json:"suppressed"`
	Alerts      uint64   `json:"alerts"`
	Muted       uint64   `json:"muted"`
	// CostMillis estimates the time spent evaluating the rule.
	CostMillis float64 `json:"cost_ms"`
}

// Summary is the engines' overall counters.
type Summary struct {
	Events          uint64  `json:"events"`
	Offered         uint64  `json:"offered"`
	Skipped         uint64  `json:"skipped"`
	SkippedFraction float64 `json:"skipped_fraction"`
	Alerts          uint64  `json:"alerts"`
	IntelIndicators int     `json:"intel_indicators"`
}

// Rules lists every compiled rule of both engines with its counters.
func (s *Set) Rules() ([]Rule, Summary) {
	var out []Rule
	var sum Summary
	add := func(e *detect.Engine, origin string) {
		st := e.Stats()
		gen := map[string]bool{}
		for _, ri := range e.Rules() {
			gen[ri.ID] = ri.Generates
		}
		sum.Events = max(sum.Events, st.Events)
		sum.Offered += st.Offered
		sum.Skipped += st.Skipped
		sum.Alerts += st.Alerts
		for _, r := range st.Rules {
			tags := r.Tags
			if tags == nil {
				tags = []string{}
			}
			out = append(out, Rule{ID: r.ID, Title: r.Title, Level: r.Level, Kind: r.Kind, Tags: tags, File: r.File,
				Origin: origin, Enabled: !r.Disabled, Generates: gen[r.ID], Evaluations: r.Evaluations, Skipped: r.Skipped,
				Hits: r.Hits, Suppressed: r.Suppressed, Alerts: r.Alerts, Muted: r.Muted,
				CostMillis: float64(r.Cost) / float64(time.Millisecond)})
		}
	}
	add(s.builtin, OriginBuiltin)
	s.mu.RLock()
	custom := s.custom
	s.mu.RUnlock()
	if custom != nil {
		add(custom, OriginCustom)
	}
	if sum.Offered > 0 {
		sum.SkippedFraction = float64(sum.Skipped) / float64(sum.Offered)
	}
	if s.intel != nil {
		sum.IntelIndicators = s.intel.Len()
	}
	return out, sum
}
