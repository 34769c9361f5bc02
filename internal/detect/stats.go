package detect

import "time"

// Stats are the engine's counters since it was compiled.
type Stats struct {
	// Events is the number of events evaluated.
	Events uint64
	// Offered is the number of (event, rule) pairs the logsource routing offered;
	// Skipped of those the prefilter skipped, and Evaluated those evaluated.
	Offered, Skipped, Evaluated uint64
	// Alerts is the number of alerts raised.
	Alerts       uint64
	Rules        []RuleStats
	Filters      []FilterStats
	Correlations []CorrelationStats
}

// SkippedFraction is the share of offered (event, rule) pairs that the prefilter
// skipped.
func (s Stats) SkippedFraction() float64 {
	if s.Offered == 0 {
		return 0
	}
	return float64(s.Skipped) / float64(s.Offered)
}

// RuleStats are one rule's counters.
type RuleStats struct {
	RuleRef
	// Evaluations counts the events the rule was evaluated for; Skipped the events the
	// prefilter spared it; Hits its matches (whether or not it raised alerts of its
	// own); Suppressed the matches that filters and exceptions suppressed (for a
	// correlation, the matches of its rules that exceptions kept from it); Alerts the
	// alerts raised.
	Evaluations, Skipped, Hits, Suppressed, Alerts uint64
	// Muted counts the alerts a disabled rule did not raise.
	Muted uint64
	// Disabled tells that the rule is disabled (SetDisabled).
	Disabled bool
	// Cost estimates the time spent evaluating the rule, from a sample of one
	// evaluation in 64.
	Cost time.Duration
}

// FilterStats are one filter's counters.
type FilterStats struct {
	RuleRef
	// Rules is the number of rules the filter applies to; Suppressed the matches it
	// suppressed.
	Rules      int
	Suppressed uint64
}

// CorrelationStats are one correlation's state and counters.
type CorrelationStats struct {
	RuleRef
	// Mode is when the condition is decided: sliding, closing or share.
	Mode string
	// Groups is the number of groups held now; Fired the alerts (or matches for
	// referencing correlations) raised; Evicted the groups dropped at the cap; Expired
	// the groups whose window passed without the condition holding; Dropped the
	// matches a full group let go.
	Groups                           int
	Fired, Evicted, Expired, Dropped uint64
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Events: e.st.events, Offered: e.st.offered, Skipped: e.st.skipped, Evaluated: e.st.evaluated, Alerts: e.st.alerts}
	for _, cr := range e.rules {
		rs := RuleStats{RuleRef: cr.ref, Evaluations: cr.st.evals, Skipped: cr.st.skipped, Hits: cr.st.hits,
			Suppressed: cr.st.suppressed, Alerts: cr.st.alerts, Muted: cr.st.muted, Disabled: cr.muted}
		if cr.st.samples > 0 {
			rs.Cost = time.Duration(float64(cr.st.sampledNs) / float64(cr.st.samples) * float64(cr.st.evals))
		}
		s.Rules = append(s.Rules, rs)
	}
	for _, f := range e.filters {
		s.Filters = append(s.Filters, FilterStats{RuleRef: f.ref, Rules: f.rules, Suppressed: f.suppressed})
	}
	for _, co := range e.corrs {
		s.Correlations = append(s.Correlations, CorrelationStats{RuleRef: co.cr.ref, Mode: co.mode.String(),
			Groups: len(co.groups), Fired: co.fired, Evicted: co.evicted, Expired: co.expired, Dropped: co.dropped})
	}
	return s
}
