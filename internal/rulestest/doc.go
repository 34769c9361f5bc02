// Package rulestest reads the test events of Vigil's own Sigma rules and checks the
// rule tree against the matrix catalog.
//
// # Layout
//
// The rules live under rules/, one directory per tactic of the matrix
// (rules/initial-access, rules/persistence, ...). Each rule file NAME.yml holds one
// rule that raises alerts (its main rule), possibly with the helper documents a
// correlation refers to, and beside it NAME.tests.yml holds the events that must
// (positive) and must not (negative) fire that main rule. Files ending in .tests.yml
// are never rules: whatever loads rules/ must leave them out (RuleFiles does).
//
// # The test file
//
//	# NAME.tests.yml
//	placeholders:              # optional: test values of the rule's %name% placeholders
//	  aws_used_regions: [us-east-1]
//	instances:                 # optional: cloud instances known from agents; every event
//	  - host: web-01           # is enriched with them as the server does (internal/enrich)
//	    provider: aws
//	    instance_id: i-0a1b2c3d4e5f67890
//	    public_ips: [198.51.100.10]
//	positive:
//	  - name: brute force then success from one address
//	    log: |                 # text lines, parsed as `vigil parse` parses them
//	      Nov 28 10:00:01 web-1 sshd[1234]: Failed password for root from 203.0.113.5 port 52144 ssh2
//	  - name: access key created for another user
//	    records:               # JSON records (cloud audit records, JSON events)
//	      - {"eventVersion": "1.10", "eventSource": "iam.amazonaws.com", ...}
//	negative:
//	  - name: a user creating their own key
//	    records: [...]
//
// A case has a name, unique in its file, and at least one input: log (text, with the
// type detected per line unless type forces one; JSON lines are records too) and
// records (a list of JSON objects, written as YAML or JSON flow mappings). repeat: N
// feeds the whole input N times, for floods. The events of a case are those of its
// log followed by those of its records, ordered by time (stable), which is what an
// evaluator gets. Year-less syslog timestamps resolve against Now (2026-11-28 12:00
// UTC), so tests give the same events on any day.
//
// A case passes when the main rule fires at least once on its events (positive) or
// never (negative). This package does not evaluate rules; it loads the cases and
// parses their events, and its test checks the rule tree (see docs/RULES.md).
package rulestest
