// Package intel holds threat-intelligence indicator lists (IP addresses and networks,
// domains, URLs and file hashes) and matches them against the normalized fields of events.
//
// Lists are read from CSV files with a header row or from STIX 2.1 bundles (see Load). A
// Matcher built from lists checks an event's address, domain, URL and hash fields and
// reports which indicator matched which field; Alerts turns the hits into alerts of the
// detection engine's form, one per list, with the rule id "intel:<list name>".
package intel

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Indicator types.
const (
	IPv4   = "ipv4"
	IPv6   = "ipv6"
	CIDR   = "cidr"
	Domain = "domain"
	URL    = "url"
	MD5    = "md5"
	SHA1   = "sha1"
	SHA256 = "sha256"
)

// DefaultLevel is the alert level of an indicator that names none.
const DefaultLevel = "high"

// Indicator is one value to look for.
type Indicator struct {
	// List is the name of the list the indicator belongs to.
	List string
	// ID is the STIX id of the indicator object, empty for CSV rows.
	ID string
	// Type is one of the indicator types (IPv4, CIDR, Domain, ...).
	Type string
	// Value is the normalized value: addresses and networks in canonical form, domains,
	// URLs and hashes in lower case.
	Value       string
	Level       string // informational, low, medium, high or critical; empty for DefaultLevel
	Description string
	Source      string
	Tags        []string
	// ValidUntil is when the indicator expires (zero: never).
	ValidUntil time.Time
}

// Rejection is an entry of a list that was not loaded.
type Rejection struct {
	// Pos is where the entry is: "line 7" for CSV, "objects[3] indicator--…" for STIX.
	Pos    string
	Reason string
}

func (r Rejection) String() string { return r.Pos + ": " + r.Reason }

// List is one loaded indicator list.
type List struct {
	Name string
	// Format is "csv" or "stix".
	Format     string
	Indicators []Indicator
	// Rejected are the entries that could not be read, in input order.
	Rejected []Rejection
	// Expired counts indicators skipped because their valid_until had passed.
	Expired int
	// Ignored counts STIX objects that are not indicators (identities, relationships, …).
	Ignored int
}

// Load reads a list from r: a STIX 2.1 bundle when the content starts with '{', else CSV
// with a header row. Expired indicators are skipped as of now; see LoadAt.
func Load(name string, r io.Reader) (*List, error) {
	return LoadAt(name, r, time.Now())
}

// LoadAt is Load with now as the clock that decides which indicators have expired.
//
// CSV: a header row names the columns, in any order and case: type and value (required),
// and optionally severity (or level), description, source and tags (separated by ';',
// '|' or spaces); other columns are ignored, lines starting with '#' are comments. The
// types are ipv4, ipv6, cidr, domain, url, md5, sha1 and sha256 ("ip" for either
// address family). A row with a bad type, value or level is rejected with its line number
// and the others are loaded.
//
// STIX 2.1: a bundle {"type":"bundle","objects":[…]} whose indicator objects have
// pattern_type "stix" and a pattern that is one comparison or an OR of comparisons:
// ipv4-addr:value and ipv6-addr:value (= an address or a network, ISSUBSET a network),
// domain-name:value, url:value, and file:hashes.MD5, 'SHA-1' and 'SHA-256'. An indicator's
// description (or name), labels and indicator_types (as tags) and valid_until are kept.
// Other patterns (AND, qualifiers, other object types or operators), other pattern types
// and revoked indicators are rejected with a reason; other objects are ignored.
//
// The error is for input that is not a list at all (no header, no bundle, unreadable).
func LoadAt(name string, r io.Reader, now time.Time) (*List, error) {
	br := bufio.NewReader(r)
	// The first character past a byte-order mark and white space tells the format.
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte(bom)), " \t\r\n")
	l := &List{Name: name}
	if len(head) > 0 && head[0] == '{' {
		l.Format = "stix"
		err = l.readSTIX(br, now)
	} else {
		l.Format = "csv"
		err = l.readCSV(br, now)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// add keeps ind unless it has expired.
func (l *List) add(ind Indicator, now time.Time) {
	if !ind.ValidUntil.IsZero() && !now.Before(ind.ValidUntil) {
		l.Expired++
		return
	}
	ind.List = l.Name
	l.Indicators = append(l.Indicators, ind)
}

func (l *List) reject(pos, format string, args ...any) {
	l.Rejected = append(l.Rejected, Rejection{Pos: pos, Reason: fmt.Sprintf(format, args...)})
}

const bom = "\xef\xbb\xbf"

// levels are the accepted levels, in rising order, as Sigma names them.
var levels = []string{"informational", "low", "medium", "high", "critical"}

// normLevel returns the level s names, or false.
func normLevel(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "info":
		return "informational", true
	case "moderate":
		return "medium", true
	}
	for _, l := range levels {
		if s == l {
			return s, true
		}
	}
	return "", false
}

// rank orders levels; an empty level is DefaultLevel.
func rank(level string) int {
	if level == "" {
		level = DefaultLevel
	}
	for i, l := range levels {
		if l == level {
			return i
		}
	}
	return -1
}

// splitTags splits a tags cell on ';', '|', ',' and white space.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == '|' || r == ',' || r == ' ' || r == '\t'
	})
}
