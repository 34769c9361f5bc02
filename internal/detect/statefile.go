package detect

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// The state file is JSON lines, one object per line with one key that says what the
// line is:
//
//	{"header":{"format":"vigil-detect-state","version":1,"clock":1795860000000000000,"floor":1795859700000000000}}
//	{"correlation":{"rule":"…id…","title":"…","type":"event_count","mode":"sliding","group_by":["source.ip"],"fingerprint":"sha256:…","groups":1}}
//	{"group":{"values":["203.0.113.5"],"start":1795859990000000000,"entries":[{"t":1795859990000000000,"id":"ev-1"},…]}}
//	{"end":{"correlations":1,"groups":1,"sha256":"…"}}
//
// Times are Unix nanoseconds; floor, the time last given to Advance, is absent when there
// was none. Each correlation line is followed by its groups, in the order their windows
// end. An entry is one match: t places it in windows; first and
// last (when not t) are the times of the events behind a referenced correlation's
// alert; rule is the position of the matching rule in the correlation's rules; id is
// the event's id, or ids the events of a referenced correlation's alert; value is the
// condition fields' values joined with U+001F; num the number it read. A string that is
// not valid UTF-8 is written {"base64":"…"}, a number that is not finite "NaN", "+Inf" or
// "-Inf". The end line counts what came before and holds the SHA-256 of every line
// before it, so that a truncated or damaged file is an error, not half a state.

// Format and version of the state file.
const (
	stateFormat  = "vigil-detect-state"
	stateVersion = 1
)

// stateLine is one line of a state file: exactly one of its fields is set.
type stateLine struct {
	Header      *stateHeader `json:"header,omitempty"`
	Correlation *corrRecord  `json:"correlation,omitempty"`
	Group       *groupRecord `json:"group,omitempty"`
	End         *stateEnd    `json:"end,omitempty"`
}

type stateHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Clock   int64  `json:"clock"`
	Floor   *int64 `json:"floor,omitempty"`
}

type corrRecord struct {
	Rule        string   `json:"rule"`
	Title       string   `json:"title,omitempty"`
	Type        string   `json:"type"`
	Mode        string   `json:"mode"`
	GroupBy     []string `json:"group_by,omitempty"`
	Fingerprint string   `json:"fingerprint"`
	Groups      int      `json:"groups"`
}

type groupRecord struct {
	Values  []stateText   `json:"values"`
	Start   int64         `json:"start"`
	Entries []entryRecord `json:"entries"`
}

type entryRecord struct {
	T     int64        `json:"t"`
	First *int64       `json:"first,omitempty"`
	Last  *int64       `json:"last,omitempty"`
	Rule  int          `json:"rule,omitempty"`
	ID    stateText    `json:"id,omitempty"`
	IDs   []stateText  `json:"ids,omitempty"`
	Value stateText    `json:"value,omitempty"`
	Num   *stateNumber `json:"num,omitempty"`
}

type stateEnd struct {
	Correlations int    `json:"correlations"`
	Groups       int    `json:"groups"`
	SHA256       string `json:"sha256"`
}

// writeState writes a snapshot of the correlation state.
func writeState(w io.Writer, clock int64, floor *int64, snaps []corrSnapshot) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	h := sha256.New()
	enc := json.NewEncoder(io.MultiWriter(bw, h))
	enc.SetEscapeHTML(false)
	if err := enc.Encode(stateLine{Header: &stateHeader{Format: stateFormat, Version: stateVersion, Clock: clock, Floor: floor}}); err != nil {
		return err
	}
	groups := 0
	for _, s := range snaps {
		co := s.co
		rec := &corrRecord{Rule: co.stateKey(), Title: co.cr.ref.Title, Type: string(co.typ), Mode: co.mode.String(),
			GroupBy: co.groupBy, Fingerprint: co.fp, Groups: len(s.groups)}
		if err := enc.Encode(stateLine{Correlation: rec}); err != nil {
			return err
		}
		for _, g := range s.groups {
			if err := enc.Encode(stateLine{Group: groupRecordOf(g)}); err != nil {
				return err
			}
			groups++
		}
	}
	end := &stateEnd{Correlations: len(snaps), Groups: groups, SHA256: hex.EncodeToString(h.Sum(nil))}
	if err := json.NewEncoder(bw).Encode(stateLine{End: end}); err != nil {
		return err
	}
	return bw.Flush()
}

func groupRecordOf(g groupSnapshot) *groupRecord {
	rec := &groupRecord{Values: make([]stateText, len(g.values)), Start: g.start, Entries: make([]entryRecord, len(g.entries))}
	for i, v := range g.values {
		rec.Values[i] = stateText(v)
	}
	for i, en := range g.entries {
		er := entryRecord{T: en.t, Rule: en.target, ID: stateText(en.id), Value: stateText(en.val)}
		if en.first != en.t {
			er.First = &en.first
		}
		if en.last != en.t {
			er.Last = &en.last
		}
		if en.ids != nil {
			er.IDs = make([]stateText, len(en.ids))
			for k, id := range en.ids {
				er.IDs[k] = stateText(id)
			}
		}
		if en.hasNum {
			n := stateNumber(en.num)
			er.Num = &n
		}
		rec.Entries[i] = er
	}
	return rec
}

// snapshot turns a group read from a file back into engine values.
func (g *groupRecord) snapshot() (groupSnapshot, error) {
	if len(g.Entries) == 0 {
		return groupSnapshot{}, fmt.Errorf("%w: a group without matches", errState)
	}
	gs := groupSnapshot{values: make([]string, len(g.Values)), start: g.Start, entries: make([]entry, len(g.Entries))}
	for i, v := range g.Values {
		gs.values[i] = string(v)
	}
	for i, er := range g.Entries {
		if er.Rule < 0 {
			return groupSnapshot{}, fmt.Errorf("%w: a match of rule %d", errState, er.Rule)
		}
		en := entry{t: er.T, first: er.T, last: er.T, target: er.Rule, id: string(er.ID), val: string(er.Value)}
		if er.First != nil {
			en.first = *er.First
		}
		if er.Last != nil {
			en.last = *er.Last
		}
		if er.IDs != nil {
			en.ids = make([]string, len(er.IDs))
			for k, id := range er.IDs {
				en.ids[k] = string(id)
			}
		}
		if er.Num != nil {
			en.num, en.hasNum = float64(*er.Num), true
		}
		gs.entries[i] = en
	}
	return gs, nil
}

// stateReader reads a state file line by line, checking it against the engine's
// correlations (byKey; nil for a key two of them share) as it goes.
type stateReader struct {
	br    *bufio.Reader
	h     hash.Hash
	line  int
	byKey map[string]*corr
	st    stagedState
}

// readState reads a whole state file; nothing is applied.
func readState(r io.Reader, byKey map[string]*corr) (*stagedState, error) {
	sr := &stateReader{br: bufio.NewReaderSize(r, 64<<10), h: sha256.New(), byKey: byKey, st: stagedState{floor: math.MinInt64}}
	if err := sr.read(); err != nil {
		return nil, err
	}
	return &sr.st, nil
}

func (sr *stateReader) next() (stateLine, []byte, error) {
	var l stateLine
	raw, err := sr.br.ReadBytes('\n')
	if err == io.EOF {
		return l, nil, fmt.Errorf("%w: truncated after line %d", errState, sr.line)
	}
	if err != nil {
		return l, nil, err
	}
	sr.line++
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, nil, fmt.Errorf("%w: line %d: %v", errState, sr.line, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return l, nil, fmt.Errorf("%w: line %d: more than one value", errState, sr.line)
	}
	n := 0
	for _, set := range []bool{l.Header != nil, l.Correlation != nil, l.Group != nil, l.End != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return l, nil, fmt.Errorf("%w: line %d is not one header, correlation, group or end", errState, sr.line)
	}
	return l, raw, nil
}

func (sr *stateReader) read() error {
	l, raw, err := sr.next()
	if err != nil {
		return err
	}
	switch hd := l.Header; {
	case hd == nil || hd.Format != stateFormat:
		return fmt.Errorf("%w: no %s header", errState, stateFormat)
	case hd.Version != stateVersion:
		return fmt.Errorf("%w: version %d, this Vigil reads version %d", errState, hd.Version, stateVersion)
	default:
		sr.st.clock = hd.Clock
		if hd.Floor != nil {
			sr.st.floor = *hd.Floor
		}
	}
	sr.h.Write(raw)
	seenCorr := map[string]bool{}
	corrs, groups := 0, 0
	var co *corr // the correlation whose groups follow; nil when they are dropped
	var seenGroups map[string]bool
	left := 0 // the groups still to come of the current correlation
	for {
		l, raw, err := sr.next()
		if err != nil {
			return err
		}
		switch {
		case l.Header != nil:
			return fmt.Errorf("%w: line %d: a second header", errState, sr.line)
		case l.Correlation != nil:
			rec := l.Correlation
			if left > 0 {
				return fmt.Errorf("%w: line %d: %d groups missing before it", errState, sr.line, left)
			}
			if rec.Groups < 0 || seenCorr[rec.Rule] {
				return fmt.Errorf("%w: line %d: a repeated correlation or a negative count", errState, sr.line)
			}
			seenCorr[rec.Rule] = true
			corrs++
			left, seenGroups = rec.Groups, map[string]bool{}
			co = sr.byKey[rec.Rule]
			if co == nil || co.fp != rec.Fingerprint {
				co = nil
				sr.st.dropped++
			} else {
				sr.st.corrs = append(sr.st.corrs, corrSnapshot{co: co})
			}
		case l.Group != nil:
			if left == 0 {
				return fmt.Errorf("%w: line %d: a group no correlation announced", errState, sr.line)
			}
			left--
			groups++
			gs, err := l.Group.snapshot()
			if err != nil {
				return fmt.Errorf("line %d: %w", sr.line, err)
			}
			if co != nil {
				if err := co.checkGroup(gs, seenGroups); err != nil {
					return fmt.Errorf("line %d: %w", sr.line, err)
				}
				s := &sr.st.corrs[len(sr.st.corrs)-1]
				s.groups = append(s.groups, gs)
			}
		default:
			end := l.End
			switch {
			case left > 0:
				return fmt.Errorf("%w: line %d: %d groups missing before the end", errState, sr.line, left)
			case end.Correlations != corrs || end.Groups != groups:
				return fmt.Errorf("%w: the end counts %d correlations and %d groups, the file has %d and %d",
					errState, end.Correlations, end.Groups, corrs, groups)
			case end.SHA256 != hex.EncodeToString(sr.h.Sum(nil)):
				return fmt.Errorf("%w: the checksum does not match", errState)
			}
			if _, err := sr.br.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: data after the end", errState)
			}
			return nil
		}
		sr.h.Write(raw)
	}
}

// stateText is a string of the state that may not be valid UTF-8 (event fields keep the
// bytes of the log); JSON strings cannot hold such bytes, so it is then written as
// {"base64":"…"}.
type stateText string

func (t stateText) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return appendString(nil, string(t)), nil
	}
	b := append([]byte(`{"base64":"`), base64.StdEncoding.EncodeToString([]byte(t))...)
	return append(b, `"}`...), nil
}

func (t *stateText) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var v struct {
			Base64 *string `json:"base64"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if v.Base64 == nil {
			return errors.New("a text object without base64")
		}
		raw, err := base64.StdEncoding.DecodeString(*v.Base64)
		*t = stateText(raw)
		return err
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = stateText(s)
	return nil
}

// stateNumber is a float64 of the state, exactly as the engine had it: finite numbers in
// their shortest exact form, the others as "NaN", "+Inf", "-Inf".
type stateNumber float64

func (n stateNumber) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n *stateNumber) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*n = stateNumber(math.NaN())
		case "+Inf":
			*n = stateNumber(math.Inf(1))
		case "-Inf":
			*n = stateNumber(math.Inf(-1))
		default:
			return fmt.Errorf("the number %q", s)
		}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*n = stateNumber(f)
	return nil
}
