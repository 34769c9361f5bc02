package parse

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Linux audit records, as auditd writes them to /var/log/audit/audit.log:
//
//	type=SYSCALL msg=audit(1732788001.123:4567): arch=c000003e syscall=59 success=yes … comm="bash" exe="/usr/bin/bash" key="exec"
//
// optionally behind "node=HOST " (name_format), behind a syslog header when forwarded by
// audisp-syslog or rsyslog, and in the kernel's own format when no auditd runs
// ("kernel: audit: type=1300 audit(1732788001.123:4567): …", numeric types). With
// log_format=ENRICHED auditd appends resolved names after a 0x1D byte (AUID="alice"
// UID="root" SYSCALL=execve), which rsyslog may have escaped as "#035". ausearch output
// ("----" separators, "time->" lines, records of an event in reverse order) works too.
//
// One kernel event is several records sharing the serial after the ':' in audit(…):
// SYSCALL, EXECVE, CWD, PATH…, PROCTITLE, then EOE. They are assembled into ONE event.
// An event is complete on its EOE record; user-space records (logins, sudo commands,
// account changes, audit daemon messages) are single records and complete at once; an
// event without a SYSCALL record (an AppArmor denial at boot) is complete when a record
// of another event arrives; any event is complete when records 2 s (audit time) younger
// arrive, at Flush, or when more than auditMaxPending events are open (then the oldest
// goes out as it is). So a log that lost its EOE records still yields every event.
//
// Fields:
//   - auditd.<record type in lower case>.<key>: every key=value of every record, decoded
//     (hex-encoded values such as proctitle, EXECVE arguments, comm, exe, name, cwd and
//     acct become text; user-space records' msg='…' contents are keys of their record).
//     PATH and OBJ_PID records repeat within one event, so their keys are lists in record
//     order (auditd.path.name: ["/usr/bin/ls", "/lib64/ld-linux-x86-64.so.2"]); for other
//     record types that repeat, the first record's value is kept. Long EXECVE arguments
//     split into a1[0], a1[1]… are stored whole as a1.
//   - auditd.types: the record types of the event in order; auditd.syscall_name: the
//     system call's name; event.sequence: the serial; tags: the audit rule keys.
//   - event.category/type/action/outcome by the main record type (the first record that
//     is not SYSCALL/EXECVE/PATH/… context, else SYSCALL) and for SYSCALL by the syscall.
//   - process.*, user.* (uid), user.audit.* (auid), user.effective.* (euid), file.path,
//     source.ip (addr= of user-space records), host.name (node=), and for execve events
//     the Sigma process_creation names Image, CommandLine, User, CurrentDirectory,
//     ProcessId and ParentProcessId. ParentImage stays unset: the audit log does not say.

// auditMaxPending bounds the events held open at once, auditMaxRecords the records of
// one event and auditMaxBytes the text held open in all: a corrupt or hostile log must
// not grow memory without end. An event over a bound goes out as it is.
const (
	auditMaxPending = 64
	auditMaxRecords = 512
	auditMaxBytes   = 8 << 20
	// auditMaxAge is how much younger (in audit time) a record may be before an open
	// event is taken as complete: the records of one event carry the same time.
	auditMaxAge = 2 * time.Second
)

// auditRecord is one record line, kept until its event is complete.
type auditRecord struct {
	line   string // the whole input line
	typ    string // record type name ("SYSCALL"); numeric types are mapped to names
	body   string // the key=value text after "): "
	node   string // node= name, if any
	syslog bool   // the line has a header before "node="/"type=" (syslog forwarding)
}

// auditPending is an event whose records are still arriving.
type auditPending struct {
	key        string // node, NUL, "seconds.millis:serial"
	time       time.Time
	serial     int64
	records    []auditRecord
	bytes      int // length of the records' lines
	hasSyscall bool
}

// auditAssembler groups records into events; see the comment at the top of this file.
type auditAssembler struct {
	pending []*auditPending
	bytes   int // length of the lines held in pending
}

func newAuditAssembler() *auditAssembler { return &auditAssembler{} }

var auditOpen = []byte("audit(")

// isAuditLine reports whether a line is an audit record (or an ausearch separator). It
// runs on every line that is not JSON, so it does one substring search and checks the
// time stamp around it without allocating.
func isAuditLine(line []byte) bool {
	if auditMarker(line) {
		return true
	}
	off := 0
	for range 4 {
		i := bytes.Index(line[off:], auditOpen)
		if i < 0 {
			return false
		}
		i += off
		if auditHeaderAt(line, i) && bytes.Contains(line[:i], []byte("type=")) {
			return true
		}
		off = i + len(auditOpen)
	}
	return false
}

// auditMarker recognises ausearch's event separator "----" and its "time->…" lines.
func auditMarker[T ~string | ~[]byte](line T) bool {
	if len(line) >= 6 && string(line[:6]) == "time->" {
		return true
	}
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	return string(line) == "----"
}

// auditHeaderAt reports whether s[i:] starts "audit(STAMP)" preceded by "msg=" or a
// space (the kernel's format).
func auditHeaderAt[T ~string | ~[]byte](s T, i int) bool {
	if i < 1 || !(s[i-1] == ' ' || i >= 4 && string(s[i-4:i]) == "msg=") {
		return false
	}
	return auditStampEnd(s, i+len("audit(")) > 0
}

// auditStampEnd checks that s[i:] is "SECONDS.FRACTION:SERIAL)" (or ausearch -i's
// "MM/DD/YYYY HH:MM:SS.mmm:SERIAL)") and returns the index of ')', or -1.
func auditStampEnd[T ~string | ~[]byte](s T, i int) int {
	j := i
	for j < len(s) && j-i < 40 {
		c := s[j]
		switch {
		case c >= '0' && c <= '9', c == '.', c == ':', c == '/', c == ' ':
			j++
			continue
		case c == ')':
		default:
			return -1
		}
		break
	}
	if j >= len(s) || s[j] != ')' || j == i {
		return -1
	}
	// The serial: digits after the last ':'.
	k := j
	for k > i && s[k-1] >= '0' && s[k-1] <= '9' {
		k--
	}
	if k == j || k == i || s[k-1] != ':' || s[i] < '0' || s[i] > '9' {
		return -1
	}
	return j
}

// parseAuditLine splits a record line into its parts and time stamp.
func parseAuditLine(p *Parser, line string) (rec auditRecord, stamp string, t time.Time, serial int64, ok bool) {
	i := -1
	for off := 0; off < len(line); {
		k := strings.Index(line[off:], "audit(")
		if k < 0 {
			break
		}
		k += off
		if auditHeaderAt(line, k) {
			i = k
			break
		}
		off = k + 6
	}
	if i < 0 {
		return rec, "", t, 0, false
	}
	end := auditStampEnd(line, i+6)
	stamp = line[i+6 : end]
	rest := strings.TrimLeft(line[end+1:], " ")
	rest, found := strings.CutPrefix(rest, ":")
	if !found {
		return rec, "", t, 0, false
	}
	rec.body = strings.TrimLeft(rest, " ")
	head := line[:i]
	ti := strings.LastIndex(head, "type=")
	if ti < 0 {
		return rec, "", t, 0, false
	}
	typ, _, _ := strings.Cut(head[ti+5:], " ")
	if typ == "" {
		return rec, "", t, 0, false
	}
	if typ[0] >= '0' && typ[0] <= '9' {
		typ = auditTypeName(typ)
	}
	rec.typ = typ
	pre := head[:ti]
	if ni := strings.LastIndex(pre, "node="); ni >= 0 && (ni == 0 || pre[ni-1] == ' ') {
		rec.node, _, _ = strings.Cut(pre[ni+5:], " ")
		pre = pre[:ni]
	}
	rec.syslog = strings.TrimSpace(pre) != ""
	rec.line = line
	t, serial, ok = parseAuditStamp(p, stamp)
	return rec, stamp, t, serial, ok
}

// parseAuditStamp reads "1732788001.123:4567" (epoch seconds, fraction, serial) or
// ausearch -i's "11/28/2026 10:00:01.123:4567" (local time).
func parseAuditStamp(p *Parser, stamp string) (time.Time, int64, bool) {
	ts, ser, _ := cutLast(stamp, ":")
	serial, err := strconv.ParseInt(ser, 10, 64)
	if err != nil {
		return time.Time{}, 0, false
	}
	if strings.IndexByte(ts, '/') >= 0 {
		t, err := time.ParseInLocation("01/02/2006 15:04:05.999999999", ts, p.opts.Location)
		if err != nil {
			return time.Time{}, 0, false
		}
		return t.UTC(), serial, true
	}
	secs, frac, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 || sec > 1<<40 {
		return time.Time{}, 0, false
	}
	var nsec int64
	for k := 0; k < 9; k++ {
		nsec *= 10
		if k < len(frac) {
			if frac[k] < '0' || frac[k] > '9' {
				return time.Time{}, 0, false
			}
			nsec += int64(frac[k] - '0')
		}
	}
	return time.Unix(sec, nsec).UTC(), serial, true
}

// add takes one line of an audit log.
func (a *auditAssembler) add(p *Parser, line []byte, emit Emit) {
	if auditMarker(bytes.TrimSpace(line)) {
		// ausearch separates events with "----": whatever is open is complete.
		if line[0] == '-' {
			a.flush(p, emit)
		}
		return
	}
	s := string(line)
	rec, stamp, t, serial, ok := parseAuditLine(p, s)
	if !ok {
		p.textLine(s, emit)
		return
	}
	key := rec.node + "\x00" + stamp
	a.expire(p, key, t, emit)
	if rec.typ == "EOE" {
		if i := a.find(key); i >= 0 {
			pe := a.take(i)
			pe.records = append(pe.records, rec)
			a.emit(p, pe, emit)
			return
		}
		// An EOE whose records were lost (a rotated log) still becomes an event, so that
		// no line disappears.
		a.emit(p, &auditPending{time: t, serial: serial, records: []auditRecord{rec}}, emit)
		return
	}
	if auditStandalone(rec.typ) {
		a.emit(p, &auditPending{time: t, serial: serial, records: []auditRecord{rec}}, emit)
		return
	}
	i := a.find(key)
	if i < 0 {
		if len(a.pending) >= auditMaxPending {
			a.emit(p, a.take(0), emit)
		}
		a.pending = append(a.pending, &auditPending{key: key, time: t, serial: serial})
		i = len(a.pending) - 1
	}
	pe := a.pending[i]
	pe.records = append(pe.records, rec)
	pe.bytes += len(rec.line)
	a.bytes += len(rec.line)
	if rec.typ == "SYSCALL" {
		pe.hasSyscall = true
	}
	if len(pe.records) >= auditMaxRecords {
		a.take(i)
		a.emit(p, pe, emit)
	}
	for a.bytes > auditMaxBytes && len(a.pending) > 0 {
		old := a.take(0)
		a.emit(p, old, emit)
	}
}

// take removes the open event at index i and returns it.
func (a *auditAssembler) take(i int) *auditPending {
	pe := a.pending[i]
	a.pending = slices.Delete(a.pending, i, i+1)
	a.bytes -= pe.bytes
	return pe
}

// expire emits the open events that the arrival of a record of event key at time t
// completes: those without a SYSCALL record (they get no EOE) and those much older.
func (a *auditAssembler) expire(p *Parser, key string, t time.Time, emit Emit) {
	kept := a.pending[:0]
	var done []*auditPending
	for _, pe := range a.pending {
		if pe.key != key && (!pe.hasSyscall || t.Sub(pe.time) > auditMaxAge || pe.time.Sub(t) > auditMaxAge) {
			done = append(done, pe)
			a.bytes -= pe.bytes
			continue
		}
		kept = append(kept, pe)
	}
	clear(a.pending[len(kept):])
	a.pending = kept
	for _, pe := range done {
		a.emit(p, pe, emit)
	}
}

func (a *auditAssembler) find(key string) int {
	for i, pe := range a.pending {
		if pe.key == key {
			return i
		}
	}
	return -1
}

// flush emits every open event, oldest first.
func (a *auditAssembler) flush(p *Parser, emit Emit) {
	pending := a.pending
	a.pending, a.bytes = nil, 0
	for _, pe := range pending {
		a.emit(p, pe, emit)
	}
}

func (a *auditAssembler) emit(p *Parser, pe *auditPending, emit Emit) {
	ev := buildAuditEvent(p, pe)
	p.finish(ev, []byte(ev.Message), emit)
}
