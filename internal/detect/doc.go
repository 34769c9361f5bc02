// Package detect is Vigil's detection engine: it evaluates Sigma rules, as the sigma
// package loads them, against normalized events.
//
// Compile turns a sigma.Collection into an Engine once: every rule field is resolved
// through the field pipeline of the rule's logsource to the event paths it reads,
// string patterns are folded and reduced to the cheapest test that decides them
// (equality, prefix, suffix, substring, or a general wildcard match), regular
// expressions are the ones the sigma package compiled, and an Aho-Corasick automaton
// is built over the literals the rules require. Rules the engine cannot run are left
// out, each with an error naming its file, line and reason: a logsource that no entry
// of the mapping provides, a field the pipeline marks as unavailable, a correlation or
// filter over such a rule.
//
// Eval then evaluates one event:
//
//  1. Routing: the event is offered only to the rules whose logsource it satisfies,
//     according to the Mapping (see logsources.yaml for the default one). The tests
//     that depend only on the parser (event.module) are decided once per parser.
//  2. Prefilter: the automaton scans the text of the fields the offered rules read
//     (every string of the event when keyword rules are offered) once, and only the
//     rules one of whose required literals it finds are evaluated; rules without a
//     literal requirement always are. The prefilter never changes a result (see
//     prefilter.go for why); Stats reports the share of evaluations it spared.
//  3. Evaluation: the compiled condition is evaluated against a per-event cache of the
//     fields' values and of their folded text, shared by every rule that reads the
//     same paths. Filters that apply to the rule must hold too, and so must the
//     exceptions, filters that SetExceptions replaces while the engine runs.
//  4. Correlation: matches of rules that correlation rules reference are put into the
//     correlation's groups, keyed by the group-by values, and windows are decided as
//     the event's time moves the clock, or as Advance moves it when no event comes.
//
// Matching follows the Sigma specification and pySigma where it is silent: strings
// match case-insensitively (ASCII and Unicode simple case folding) unless cased, with *
// and ? wildcards; a list field matches when any element does; a number matches a text
// field that holds its written form or the same number; null and the empty string
// match an absent, null or empty field (Vigil's events do not tell absent from empty);
// exists tells presence; neq holds when the field matches none of the values (an
// absent field included); keywords are searched as substrings of every string of the
// event (normalized fields, message, original record).
package detect
