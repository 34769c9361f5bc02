package parse

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// The records of an audit event: their key=value pairs, decoding and the raw keys kept
// under auditd.<type>.<key> (see auditd.go for the format).

// auditKV is one decoded key=value of a record.
type auditKV struct{ key, val string }

// auditRec is a record split into its values.
type auditRec struct {
	typ string
	kvs []auditKV
}

func (r *auditRec) get(key string) string {
	for _, kv := range r.kvs {
		if kv.key == key {
			return kv.val
		}
	}
	return ""
}

// auditEvent holds the parsed records of one event while its fields are set.
type auditEvent struct {
	recs    []auditRec
	main    *auditRec // the record that says what happened
	syscall *auditRec
}

func (e *auditEvent) rec(typ string) *auditRec {
	for i := range e.recs {
		if e.recs[i].typ == typ {
			return &e.recs[i]
		}
	}
	return nil
}

// get returns a value of the main record, else of the SYSCALL record; "?" and "(null)"
// (the audit system's "no value") read as "".
func (e *auditEvent) get(key string) string {
	v := ""
	if e.main != nil {
		v = e.main.get(key)
	}
	if v == "" && e.syscall != nil && e.syscall != e.main {
		v = e.syscall.get(key)
	}
	return auditValue(v)
}

func auditValue(v string) string {
	switch v {
	case "?", "(null)", "(none)", "unset", "4294967295", "-1":
		return ""
	}
	return v
}

func buildAuditEvent(p *Parser, pe *auditPending) *event.Event {
	ev := &event.Event{Type: "auditd", Time: pe.time}
	var msg strings.Builder
	for i, r := range pe.records {
		if i > 0 {
			msg.WriteByte('\n')
		}
		msg.WriteString(r.line)
	}
	ev.Message = msg.String()

	ae := &auditEvent{recs: make([]auditRec, 0, len(pe.records))}
	raw := newAuditRaw(len(pe.records) * 16)
	var types []string
	for _, r := range pe.records {
		rec := auditRec{typ: r.typ, kvs: parseAuditKVs(r.typ, r.body)}
		ae.recs = append(ae.recs, rec)
		if !slices.Contains(types, r.typ) {
			types = append(types, r.typ)
		}
	}
	// ausearch prints the records of an event in reverse order; put them back in the
	// kernel's (SYSCALL before its EXECVE, CWD, PATH… records) so PATH lists run by item.
	for i := range ae.recs {
		if ae.recs[i].typ == "SYSCALL" {
			break
		}
		switch ae.recs[i].typ {
		case "EXECVE", "CWD", "PATH", "PROCTITLE", "SOCKADDR":
			slices.Reverse(ae.recs)
			types = slices.Clone(types)
			slices.Reverse(types)
		default:
			continue
		}
		break
	}
	for i := range ae.recs {
		raw.add(&ae.recs[i])
	}
	ae.syscall = ae.rec("SYSCALL")
	for i := range ae.recs {
		if !auditContext[ae.recs[i].typ] {
			ae.main = &ae.recs[i]
			break
		}
	}
	if ae.main == nil {
		ae.main = ae.syscall
	}
	if ae.main == nil && len(ae.recs) > 0 {
		ae.main = &ae.recs[0]
	}

	// The normalized fields (up to about 45) and then the raw ones, in one allocation.
	ev.Fields = make([]event.Field, 0, 48+len(raw.fields))
	ev.Set("event.dataset", "auditd")
	ev.Set("event.sequence", pe.serial)
	ev.Set("auditd.types", types)
	first := pe.records[0]
	if first.node != "" {
		ev.Set("host.name", first.node)
	}
	if first.syslog {
		// Forwarded through syslog: the header names the host when node= does not.
		var hdr event.Event
		if _, _, ok := p.header.parse(nil, first.line, &hdr); ok {
			ev.Set("host.hostname", hdr.GetString("host.hostname"))
		}
	}
	auditNormalize(ev, ae)
	// The raw keys go last and straight into Fields: they are unique already, and Set
	// would compare every one with every field before it.
	raw.finish()
	ev.Fields = append(ev.Fields, raw.fields...)
	return ev
}

// auditContext lists the record types that describe the context of a system call
// rather than what happened; the first record of another type is the main record.
var auditContext = map[string]bool{
	"SYSCALL": true, "EXECVE": true, "CWD": true, "PATH": true, "PROCTITLE": true, "SOCKADDR": true,
	"EOE": true, "OBJ_PID": true, "BPRM_FCAPS": true, "MMAP": true, "FD_PAIR": true, "IPC": true,
	"IPC_SET_PERM": true, "SOCKETCALL": true, "KERN_MODULE": true, "MQ_OPEN": true, "MQ_SENDRECV": true,
	"MQ_NOTIFY": true, "MQ_GETSETATTR": true, "CAPSET": true, "AVC_PATH": true, "OPENAT2": true,
	"URINGOP": true, "TIME_INJOFFSET": true, "TIME_ADJNTPVAL": true, "NETFILTER_PKT": true,
}

// auditListTypes repeat within one event; their keys are stored as lists.
var auditListTypes = map[string]bool{"PATH": true, "OBJ_PID": true}

// auditRaw collects the auditd.<type>.<key> fields of an event. Fields are found again
// by comparing the short type and key: an event has a few dozen of them, and a map per
// event cost more than it saved. Past auditRawIndexed fields (a corrupt record with
// thousands of keys) a map takes over, so the work stays linear.
type auditRaw struct {
	fields []event.Field
	typs   []string          // the record type of each field
	keys   []string          // the key of each field
	index  map[[2]string]int // type and key to field index, once there are many fields
	chunks map[int][]string  // further chunks of long EXECVE arguments, by field index
	seen   []string          // the record types added so far
}

const auditRawIndexed = 128

func newAuditRaw(n int) *auditRaw {
	return &auditRaw{fields: make([]event.Field, 0, n), typs: make([]string, 0, n), keys: make([]string, 0, n)}
}

// find returns the index of the field of typ and key at or after from, or -1.
func (r *auditRaw) find(typ, key string, from int) int {
	if r.index != nil {
		if i, ok := r.index[[2]string{typ, key}]; ok && i >= from {
			return i
		}
		return -1
	}
	for i := from; i < len(r.keys); i++ {
		if r.keys[i] == key && r.typs[i] == typ {
			return i
		}
	}
	return -1
}

// finish joins the chunks of long arguments to their first chunk.
func (r *auditRaw) finish() {
	for i, more := range r.chunks {
		r.fields[i].Value = r.fields[i].Value.(string) + strings.Join(more, "")
	}
}

func (r *auditRaw) add(rec *auditRec) {
	prefix := "auditd." + auditLower(rec.typ) + "."
	list := auditListTypes[rec.typ]
	// The first record of a type can only repeat its own keys.
	from := len(r.fields)
	if slices.Contains(r.seen, rec.typ) {
		from = 0
	} else {
		r.seen = append(r.seen, rec.typ)
	}
	for _, kv := range rec.kvs {
		if kv.val == "" || kv.key == "" {
			continue
		}
		key, chunk := kv.key, false
		if rec.typ == "EXECVE" {
			// A chunk of a long argument (a1[0], a1[1]…): the whole argument is a1.
			if k, _, found := strings.Cut(key, "["); found && len(k) > 1 {
				key, chunk = k, true
			}
		}
		i := r.find(rec.typ, key, from)
		switch {
		case i >= 0 && chunk:
			// Joined once in finish: appending to the string would be quadratic.
			if r.chunks == nil {
				r.chunks = map[int][]string{}
			}
			r.chunks[i] = append(r.chunks[i], kv.val)
			continue
		case i >= 0 && list:
			r.fields[i].Value = append(r.fields[i].Value.([]string), kv.val)
			continue
		case i >= 0:
			continue
		}
		var v any = kv.val
		if list {
			v = []string{kv.val}
		}
		r.fields = append(r.fields, event.Field{Key: prefix + key, Value: v})
		r.typs = append(r.typs, rec.typ)
		r.keys = append(r.keys, key)
		switch n := len(r.fields); {
		case n == auditRawIndexed:
			r.index = make(map[[2]string]int, 2*n)
			for j := range r.keys {
				if _, dup := r.index[[2]string{r.typs[j], r.keys[j]}]; !dup {
					r.index[[2]string{r.typs[j], r.keys[j]}] = j
				}
			}
		case n > auditRawIndexed:
			r.index[[2]string{rec.typ, key}] = n - 1
		}
	}
}

// auditLower lower-cases a record type name; the common ones are precomputed.
func auditLower(typ string) string {
	if l, ok := auditLowerNames[typ]; ok {
		return l
	}
	return strings.ToLower(typ)
}

var auditLowerNames = func() map[string]string {
	m := make(map[string]string, len(auditTypeNumbers))
	for name := range auditTypeNumbers {
		m[name] = strings.ToLower(name)
	}
	return m
}()

// parseAuditKVs splits a record body into keys and decoded values. Values are quoted
// "…", hex-encoded (untrusted strings such as file names and arguments), a user-space
// message msg='…' whose contents are keys of the record itself, or braced { … } (the
// enriched SADDR). Words without '=' (SELinux's "avc:  denied  { read } for") are
// skipped, except the SELinux verdict and permissions, kept as seresult and seperms.
func parseAuditKVs(typ, body string) []auditKV {
	if strings.Contains(body, "#035") {
		body = strings.ReplaceAll(body, "#035", "\x1d")
	}
	kvs := make([]auditKV, 0, 24)
	return appendAuditKVs(kvs, typ, body, false)
}

func appendAuditKVs(kvs []auditKV, typ, s string, inner bool) []auditKV {
	if rest, ok := strings.CutPrefix(strings.TrimLeft(s, " "), "avc:"); ok {
		kvs = appendAVC(kvs, rest)
		if i := strings.Index(rest, "} for "); i >= 0 {
			s = rest[i+6:]
		} else {
			s = rest
		}
	}
	// lastUnquoted is the index in kvs of the previous value if it was unquoted and not
	// decoded, lastStart where it starts in base: bare words extend it as a substring of
	// base rather than by concatenation, which would be quadratic.
	lastUnquoted, lastStart := -1, 0
	base := s
	for len(s) > 0 {
		c := s[0]
		if c == ' ' || c == '\t' || c == '\x1d' || c == ',' {
			s = s[1:]
			continue
		}
		end := 0
		for end < len(s) && s[end] != '=' && s[end] != ' ' && s[end] != '\x1d' {
			end++
		}
		if end == len(s) || s[end] != '=' {
			// A word without '=': in user-space messages it continues the previous
			// unquoted value ("op=adding user"); elsewhere it is noise.
			if inner && lastUnquoted >= 0 && lastUnquoted == len(kvs)-1 {
				kvs[lastUnquoted].val = base[lastStart : len(base)-len(s)+end]
			}
			s = s[end:]
			continue
		}
		key := s[:end]
		s = s[end+1:]
		var val string
		switch {
		case len(s) > 0 && s[0] == '"':
			val, s = auditCutQuoted(s[1:], '"')
		case len(s) > 0 && s[0] == '\'':
			var innerMsg string
			innerMsg, s = auditCutQuoted(s[1:], '\'')
			if key == "msg" {
				kvs = appendAuditKVs(kvs, typ, innerMsg, true)
				lastUnquoted = -1
				continue
			}
			val = innerMsg
		case len(s) > 0 && s[0] == '{':
			i := strings.IndexByte(s, '}')
			if i < 0 {
				i = len(s) - 1
			}
			val, s = s[:i+1], s[i+1:]
		default:
			i := 0
			for i < len(s) && s[i] != ' ' && s[i] != '\x1d' && s[i] != '\t' {
				i++
			}
			start := len(base) - len(s)
			raw := s[:i]
			val, s = auditDecode(typ, key, raw), s[i:]
			kvs = append(kvs, auditKV{key: key, val: val})
			lastUnquoted, lastStart = -1, start
			if val == raw {
				lastUnquoted = len(kvs) - 1
			}
			continue
		}
		kvs = append(kvs, auditKV{key: key, val: val})
		lastUnquoted = -1
	}
	return kvs
}

// appendAVC reads SELinux's "  denied  { read write } for" into seresult and seperms.
func appendAVC(kvs []auditKV, s string) []auditKV {
	s = strings.TrimLeft(s, " ")
	result, rest, _ := strings.Cut(s, " ")
	if result != "denied" && result != "granted" {
		return kvs
	}
	kvs = append(kvs, auditKV{key: "seresult", val: result})
	if _, perms, ok := strings.Cut(rest, "{"); ok {
		perms, _, _ = strings.Cut(perms, "}")
		kvs = append(kvs, auditKV{key: "seperms", val: strings.Join(strings.Fields(perms), ",")})
	}
	return kvs
}

// auditCutQuoted returns the text up to the closing quote and what follows it; an
// unterminated value runs to the end.
func auditCutQuoted(s string, q byte) (string, string) {
	i := strings.IndexByte(s, q)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}

// auditEncoded lists the keys whose values the audit system hex-encodes when they hold
// spaces, quotes or control characters (otherwise it quotes them).
var auditEncoded = map[string]bool{
	"acct": true, "cmd": true, "comm": true, "cwd": true, "data": true, "dir": true, "exe": true,
	"file": true, "grp": true, "key": true, "name": true, "new-disk": true, "old-disk": true,
	"new-fs": true, "old-fs": true, "new-chardev": true, "old-chardev": true, "ocomm": true,
	"path": true, "proctitle": true, "root_dir": true, "vm": true, "watch": true, "cgroup": true,
	"new_group": true, "old_group": true,
}

// auditDecode decodes an unquoted hex value of an encoded key. The audit system quotes
// every such value it does not encode, so an unquoted one that is upper-case hex is
// encoded. proctitle separates the arguments with NULs, which become spaces; several
// rule keys are joined by 0x01, which becomes a comma.
func auditDecode(typ, key, val string) string {
	if !auditEncodedKey(typ, key) || !auditIsHex(val) {
		return val
	}
	b, err := hex.DecodeString(val)
	if err != nil {
		return val
	}
	switch key {
	case "proctitle":
		b = bytes.TrimRight(b, "\x00")
		for i := range b {
			if b[i] == 0 {
				b[i] = ' '
			}
		}
	case "key":
		for i := range b {
			if b[i] == 1 {
				b[i] = ','
			}
		}
	}
	return string(b)
}

func auditEncodedKey(typ, key string) bool {
	if auditEncoded[key] {
		return true
	}
	// EXECVE arguments: a0, a1, … and the chunks a1[0], a1[1] of a long one.
	if typ != "EXECVE" || len(key) < 2 || key[0] != 'a' || key[1] < '0' || key[1] > '9' {
		return false
	}
	num, _, _ := strings.Cut(key[1:], "[")
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return false
		}
	}
	return true
}

func auditIsHex(s string) bool {
	if len(s) < 2 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// auditArgs assembles the EXECVE arguments (over several records when the kernel split
// them) and argc.
func auditArgs(ae *auditEvent) (args []string, argc int64) {
	type part struct {
		n   int
		val string
	}
	var parts []part
	maxN := -1
	for i := range ae.recs {
		r := &ae.recs[i]
		if r.typ != "EXECVE" {
			continue
		}
		for _, kv := range r.kvs {
			if kv.key == "argc" {
				argc, _ = strconv.ParseInt(kv.val, 10, 64)
				continue
			}
			if len(kv.key) < 2 || kv.key[0] != 'a' || kv.key[1] < '0' || kv.key[1] > '9' {
				continue
			}
			num, _, _ := strings.Cut(kv.key[1:], "[")
			n, err := strconv.Atoi(num)
			// Bound the index: a corrupt record must not make a huge slice.
			if err != nil || n > 1<<16 || strings.HasSuffix(kv.key, "_len") {
				continue
			}
			parts = append(parts, part{n, kv.val})
			maxN = max(maxN, n)
		}
	}
	if maxN < 0 {
		return nil, argc
	}
	pieces := make([][]string, maxN+1)
	for _, pt := range parts {
		pieces[pt.n] = append(pieces[pt.n], pt.val)
	}
	args = make([]string, maxN+1)
	for i, p := range pieces {
		args[i] = strings.Join(p, "")
	}
	return args, argc
}
