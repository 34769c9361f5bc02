// Package parse turns log lines and records into normalized events: one parser per log
// type, chosen automatically per line or record, or forced by configuration. Syslog-framed
// lines are split into header and message first, and the message goes to the parser of
// its program (sshd, sudo, CRON, …). Unknown lines still become events (message, host,
// time) so keyword rules can see them.
package parse

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"time"
	"unsafe"

	"github.com/vigilsec/vigil/internal/event"
)

// Options configure a Parser.
type Options struct {
	// Type forces every input to one type (see Types); "" detects it per line/record.
	Type string
	// Now is the reference time for timestamps without a year (RFC 3164) and for records
	// without any time; default time.Now.
	Now func() time.Time
	// Location is the zone of timestamps that carry none; default UTC.
	Location *time.Location
	// Host names the host when a record names none.
	Host string
	// Source identifies where the input comes from; it is part of every event id.
	Source string
	// Reject receives input that could not become an event (it is counted either way).
	Reject func(Rejection)
	// Reuse lets the parser reuse the memory of the events it emits for later input:
	// an event, its fields and its original record are then valid only until Emit
	// returns, and a receiver that keeps anything of them must copy it. For callers
	// that write or evaluate each event at once and keep nothing (vigil parse), it
	// saves allocating every event, field list and decoded record. Without it (the
	// default), events are the receiver's to keep.
	Reuse bool
	// Encode, with Reuse, has the decoder also write each record's JSON encoding, which
	// writing the event (Event.AppendJSON) then copies instead of encoding the record
	// from its maps anew. For callers that write every event (vigil parse); one that
	// only evaluates them (vigil hunt) leaves it off and saves the writing.
	Encode bool
}

// Emit receives each finished event. The event is the receiver's to keep.
type Emit func(*event.Event)

// Parser parses one stream of input. It holds state across lines (auditd records of one
// event arrive on several lines), so it is not safe for concurrent use: use one per
// stream.
type Parser struct {
	opts   Options
	header *headerParser
	audit  *auditAssembler
	// Counts holds the number of events per type, and "unparsed" for lines that became
	// generic events because no parser recognised them.
	Counts map[string]int
	seq    int64
	pos    int64 // the caller's position of the current input, or -1 to count inputs
	ids    event.IDBuilder
	spare  *event.Event // see textLine
	// scratch holds a record's JSON encoding while its content id is computed.
	scratch []byte
	// With Options.Reuse: the memory of decoded records, and the events and field
	// rooms that every record or line reuses.
	arena  *jsonArena
	recEv  *event.Event
	room   *cloudRoom
	textEv *textEvent
	// vals is the room for the values of the text line being parsed (textRoom), or
	// nil: with Options.Reuse, while the syslog parsers fill the parser's text event.
	vals     *fieldRoom
	textRoom fieldRoom
	// lineFns are the parsers of lineParserOrder, in order.
	lineFns []lineParser
	// programs are programParsers with their names.
	programs map[string]program
	idText   []byte // with Options.Reuse, the id of the current event (a text line's, a cloud record's)
}

type program struct {
	name  string
	parse programParser
}

// Types lists the names that Options.Type accepts.
func Types() []string {
	names := []string{"syslog", "auditd", "json"}
	for name := range programParsers {
		names = append(names, name)
	}
	for name := range lineParsers {
		names = append(names, name)
	}
	for name := range recordParsers {
		names = append(names, name)
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// New returns a Parser; it fails on an unknown forced type.
func New(opts Options) (*Parser, error) {
	if opts.Type != "" && !slices.Contains(Types(), opts.Type) {
		return nil, fmt.Errorf("unknown log type %q (known: %v)", opts.Type, Types())
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	p := &Parser{opts: opts, header: newHeaderParser(opts), audit: newAuditAssembler(), Counts: map[string]int{}, pos: -1}
	if opts.Reuse {
		p.arena = &jsonArena{reuse: true, encode: opts.Encode}
	}
	for _, name := range lineParserOrder {
		p.lineFns = append(p.lineFns, lineParsers[name])
	}
	p.programs = make(map[string]program, len(programParsers))
	for name, fn := range programParsers {
		p.programs[name] = program{name, fn}
	}
	return p, nil
}

// mem is the arena that records are decoded into: the parser's with Options.Reuse,
// else none (each record's own memory).
func (p *Parser) mem() *jsonArena { return p.arena }

// release takes back the memory of the records decoded since the last release, once
// their events are emitted (Options.Reuse).
func (p *Parser) release() {
	if p.arena != nil {
		p.arena.reset()
	}
}

// Line parses one text line (without its newline). A line holding a JSON object is parsed
// as a record.
func (p *Parser) Line(line []byte, emit Emit) {
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	if t := p.opts.Type; t == "json" || lineLooksJSON(line) && (t == "" || recordParsers[t] != nil) {
		if rec, err := decodeObjectIn(line, p.mem()); err == nil {
			p.Record(rec, line, emit)
			p.release()
			return
		}
	}
	if p.opts.Type == "auditd" || p.opts.Type == "" && isAuditLine(line) {
		p.audit.add(p, line, emit)
		return
	}
	if p.opts.Reuse {
		// The line's event is done with before the caller's next line: its text can be
		// a view of the caller's bytes rather than a copy (see textLine).
		p.textLine(unsafe.String(unsafe.SliceData(line), len(line)), emit)
		return
	}
	p.textLine(string(line), emit)
}

func lineLooksJSON(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) > 1 && t[0] == '{' && t[len(t)-1] == '}'
}

// textEvent is an event allocated together with room for the fields most syslog lines
// get (11 to 16): one allocation per line instead of the event and five growths of its
// field list, at hundreds of thousands of lines a second. Events with more fields grow
// the list as usual.
type textEvent struct {
	ev     event.Event
	fields [16]event.Field
}

// newTextEvent returns the event of a text line: a new one, or with Options.Reuse the
// parser's one event for text lines.
func (p *Parser) newTextEvent(line string) *event.Event {
	te := p.textEv
	if te == nil {
		te = &textEvent{}
		if p.opts.Reuse {
			p.textEv = te
		}
	}
	fields := te.fields[:0]
	if cap(te.ev.Fields) > len(te.fields) {
		// With Reuse: a line with more fields (sudo's, cron's) grew the list; keep it.
		fields = te.ev.Fields[:0]
	}
	te.ev = event.Event{Message: line, Fields: fields}
	return &te.ev
}

// textLine handles a line that is not JSON and not auditd.
func (p *Parser) textLine(line string, emit Emit) {
	forced := p.opts.Type
	if lp, ok := lineParsers[forced]; ok {
		ev := &event.Event{Message: line}
		p.finishText(ev, lp(p, line, ev), forced, emit)
		return
	}
	if forced == "" {
		// Web server lines are tried first, on a spare event that is kept for the next
		// line while none of them matches: most lines are not theirs, and a web event
		// sizes its own field list.
		ev := p.spare
		if ev == nil {
			ev = &event.Event{}
		}
		for i, name := range lineParserOrder {
			clear(ev.Fields) // what a parser that gave up had set
			*ev = event.Event{Message: line, Fields: ev.Fields[:0]}
			if p.lineFns[i](p, line, ev) {
				if !p.opts.Reuse {
					p.spare = nil // the receiver keeps it
				}
				p.finishText(ev, true, name, emit)
				return
			}
		}
		clear(ev.Fields)
		*ev = event.Event{Fields: ev.Fields[:0]}
		p.spare = ev
	}
	ev := p.newTextEvent(line)
	if p.opts.Reuse {
		p.textRoom.reset()
		p.vals = &p.textRoom
		defer func() { p.vals = nil }()
	}
	// Syslog framing, then the program's parser.
	if msg, app, ok := p.header.parse(p, line, ev); ok {
		name := forced
		if name == "" || name == "syslog" {
			name = programName(app)
		}
		if pp, ok := p.programs[name]; ok {
			n := len(ev.Fields)
			if pp.parse(p, msg, ev) {
				// The registered name, not name: with Reuse that is a view of the line,
				// and the event type is kept (as a key of Counts).
				p.finishText(ev, true, pp.name, emit)
				return
			}
			ev.Fields = ev.Fields[:n] // drop what the parser set before it gave up
		}
		p.finishText(ev, forced == "syslog" || forced == "", "syslog", emit)
		return
	}
	p.finishText(ev, false, "", emit)
}

// finishText completes an event from a text line: type, defaults, id, count.
func (p *Parser) finishText(ev *event.Event, parsed bool, typ string, emit Emit) {
	if !parsed {
		typ = "unknown"
		p.Counts["unparsed"]++
	}
	ev.Type = typ
	p.complete(ev)
	// The line itself is the content of the id; the id builder reads it where it is.
	pos := p.nextPos()
	if p.opts.Reuse && ev.ID == "" {
		// The id's text goes to the parser's buffer, which the next line's event reuses.
		p.idText = p.ids.AppendID(p.idText[:0], ev.Type, p.opts.Source, pos, ev.Message)
		ev.ID = unsafe.String(unsafe.SliceData(p.idText), len(p.idText))
	} else {
		p.ids.Finish(ev, p.opts.Source, pos, ev.Message)
	}
	emit(ev)
}

func (p *Parser) finish(ev *event.Event, original []byte, emit Emit) {
	p.complete(ev)
	pos := p.nextPos()
	if ev.ID == "" && original == nil && ev.Original != nil {
		// Records parsed from a stream come without their bytes; only an id derived
		// from the content needs them: the record as encoding/json writes it.
		var err error
		p.scratch, err = event.AppendValueJSON(p.scratch[:0], ev.Original)
		if err == nil {
			original = p.scratch
		}
	}
	p.ids.FinishBytes(ev, p.opts.Source, pos, original)
	if cap(p.scratch) > 64<<10 {
		p.scratch = nil // one huge record should not pin its size for the rest of the stream
	}
	emit(ev)
}

// complete sets the defaults of a finished event (time, host name) and counts it.
func (p *Parser) complete(ev *event.Event) {
	p.Counts[ev.Type]++
	if ev.Time.IsZero() {
		ev.Time = p.opts.Now().UTC()
	}
	var v any
	if name, hostname, ok := hostFields(ev); ok {
		// No field holds an object: the fields answer Get in one pass, and the
		// record (if any) answers the rest.
		if name >= 0 {
			return
		}
		if ev.Original != nil {
			if _, ok := ev.GetBeyondFields("host.name"); ok {
				return
			}
		}
		if hostname >= 0 {
			v = ev.Fields[hostname].Value
		} else if ev.Original != nil {
			v, _ = ev.GetBeyondFields("host.hostname")
		}
	} else if _, ok := ev.Get("host.name"); ok {
		return
	} else {
		v, _ = ev.Get("host.hostname")
	}
	// host.name is not among the fields here: it is added without Set's search.
	if h := event.String(v); h != "" {
		if _, isString := v.(string); isString {
			ev.Fields = append(ev.Fields, event.Field{Key: "host.name", Value: v}) // the same box
		} else {
			ev.Fields = append(ev.Fields, event.Field{Key: "host.name", Value: h})
		}
	} else if p.opts.Host != "" {
		ev.Fields = append(ev.Fields, event.Field{Key: "host.name", Value: p.opts.Host})
	}
}

// hostFields finds host.name and host.hostname among the event's fields in one pass,
// for an event whose fields answer Event.Get for them before its record does: one
// without fields that hold objects (Get looks inside those). It reports false for any
// other event.
func hostFields(ev *event.Event) (name, hostname int, ok bool) {
	name, hostname = -1, -1
	for i := range ev.Fields {
		switch ev.Fields[i].Key {
		case "host.name":
			if name < 0 {
				name = i
			}
		case "host.hostname":
			if hostname < 0 {
				hostname = i
			}
		}
		if _, isObject := ev.Fields[i].Value.(map[string]any); isObject {
			return 0, 0, false
		}
	}
	return name, hostname, true
}

// nextPos returns the position of the current input for its event id. The position in
// the stream is part of the id: two equal lines in one second are two events, while
// re-reading the same stream from its start gives the same ids.
func (p *Parser) nextPos() int64 {
	if p.pos >= 0 {
		return p.pos
	}
	p.seq++
	return p.seq
}

// Flush emits events still held (an auditd event whose last record has not arrived).
func (p *Parser) Flush(emit Emit) {
	p.audit.flush(p, emit)
}

// Record parses one structured record (a JSON object).
func (p *Parser) Record(rec map[string]any, raw []byte, emit Emit) {
	forced := p.opts.Type
	// Containers: a CloudTrail file, an EventBridge envelope, a lookup API response.
	// They are opened for a forced record type too, which they never are themselves.
	if forced == "" || recordParsers[forced] != nil {
		if recs, ok := unwrapRecords(rec); ok {
			for _, r := range recs {
				p.Record(r, nil, emit)
			}
			return
		}
	}
	if rp, ok := recordParsers[forced]; ok {
		ev := p.newRecordEvent(rec)
		if !rp(p, rec, ev) {
			ev.Type = "json"
			p.Counts["unparsed"]++
			p.finish(ev, raw, emit)
			return
		}
		ev.Type = forced
		p.finish(ev, raw, emit)
		return
	}
	var ev *event.Event
	if forced == "" {
		for _, name := range recordParserOrder {
			// Each parser starts from an empty event: one that gave up may have set
			// something.
			ev = p.newRecordEvent(rec)
			if recordParsers[name](p, rec, ev) {
				ev.Type = name
				p.finish(ev, raw, emit)
				return
			}
		}
	}
	// A JSON object of no known kind is an event with exactly its fields.
	ev = p.newRecordEvent(rec)
	ev.Type = "json"
	ev.Time = jsonTime(rec)
	p.finish(ev, raw, emit)
}

// newRecordEvent returns an empty event of a record: a new one, or with Options.Reuse
// the parser's one event for records.
func (p *Parser) newRecordEvent(rec map[string]any) *event.Event {
	if !p.opts.Reuse {
		return &event.Event{Original: rec}
	}
	if p.recEv == nil {
		p.recEv = &event.Event{}
	}
	ev := p.recEv
	*ev = event.Event{Original: rec, Fields: ev.Fields[:0]}
	if enc := p.arena.encodingOf(rec); enc != nil {
		ev.SetEncodedOriginal(enc)
	}
	return ev
}

// cloudRoom returns the memory of a cloud event's fields: new, or with Options.Reuse the
// parser's one room. p may be nil (a parser called on its own).
func (p *Parser) cloudRoom() *cloudRoom {
	if p == nil || !p.opts.Reuse {
		return new(cloudRoom)
	}
	if p.room == nil {
		p.room = new(cloudRoom)
	}
	return p.room
}

// jsonTime finds the time of a generic JSON event in its usual fields.
func jsonTime(rec map[string]any) time.Time {
	for _, k := range []string{"@timestamp", "timestamp", "time", "eventTime"} {
		if s, ok := rec[k].(string); ok {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05"} {
				if t, err := time.Parse(layout, s); err == nil {
					return t.UTC()
				}
			}
		}
	}
	return time.Time{}
}

// Parser tables. Each returns false when the input is not of its kind; it may have set
// fields on ev by then, which the caller discards.
type (
	programParser func(p *Parser, msg string, ev *event.Event) bool
	lineParser    func(p *Parser, line string, ev *event.Event) bool
	recordParser  func(p *Parser, rec map[string]any, ev *event.Event) bool
)

var (
	// programParsers parse the message of a syslog line by program name.
	programParsers = map[string]programParser{}
	// lineParsers parse whole lines that are not syslog-framed (web server logs).
	lineParsers     = map[string]lineParser{}
	lineParserOrder []string
	// recordParsers parse JSON records.
	recordParsers     = map[string]recordParser{}
	recordParserOrder []string
)
