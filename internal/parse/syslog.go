package parse

import (
	"strconv"
	"strings"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/vigilsec/vigil/internal/event"
)

// headerParser splits syslog framing from the message: RFC 5424 ("<PRI>1 TIMESTAMP …"),
// RFC 3164 with or without PRI ("Nov 28 10:00:01 host prog[pid]: msg", as in
// /var/log/auth.log), and rsyslog's high-precision variant with an RFC 3339 timestamp.
type headerParser struct {
	opts    Options
	bsd     syslog.Machine
	bsdYear int
	ietf    syslog.Machine
	// The host and program names of the previous line, boxed for Event.Set: a file's
	// lines mostly repeat them, and reusing the box saves an allocation per field.
	lastHost, lastApp any
}

// boxed returns s in an interface, reusing last when it holds the same text.
func boxed(last *any, s string) any {
	if v, ok := (*last).(string); !ok || v != s {
		*last = s
	}
	return *last
}

func newHeaderParser(opts Options) *headerParser {
	return &headerParser{opts: opts, ietf: rfc5424.NewParser(rfc5424.WithBestEffort())}
}

// machine3164 returns the RFC 3164 parser for the reference year. Year-less timestamps are
// parsed in the reference year first and moved a year back if that puts them more than
// a month in the future (a December line read in January).
func (h *headerParser) machine3164(year int) syslog.Machine {
	if h.bsd == nil || h.bsdYear != year {
		h.bsd = rfc3164.NewParser(rfc3164.WithOptionalPriority(), rfc3164.WithRFC3339(), rfc3164.WithSecondFractions(),
			rfc3164.WithYear(rfc3164.Year{YYYY: year}), rfc3164.WithLocaleTimezone(h.opts.Location))
		h.bsdYear = year
	}
	return h.bsd
}

// syslogHeader is what a header parser found; empty strings stand for absent parts.
type syslogHeader struct {
	time   time.Time
	host   string
	app    string
	procID string
	pri    int // -1 when the line has no PRI
	msg    string
}

// parse fills the header fields of ev and returns the message and the program's name
// (process.name, "" when the line names none). p boxes the values (it may be nil).
func (h *headerParser) parse(p *Parser, line string, ev *event.Event) (msg, app string, ok bool) {
	if len(line) < 16 {
		return "", "", false
	}
	var hd syslogHeader
	if is5424(line) {
		if !h.parse5424(line, ev, &hd) {
			return "", "", false
		}
	} else {
		if !startsLikeBSD(line) {
			return "", "", false
		}
		now := h.opts.Now()
		if !h.scan3164(line, now, &hd) {
			hd = syslogHeader{}
			if !h.parse3164(line, now, &hd) {
				return "", "", false
			}
		}
	}
	if hd.host == "" {
		return "", "", false
	}
	ev.Time = hd.time.UTC()
	ev.Set("host.hostname", boxed(&h.lastHost, hd.host))
	if hd.app != "" {
		ev.Set("process.name", boxed(&h.lastApp, hd.app))
	}
	if hd.procID != "" {
		if pid, err := strconv.ParseInt(hd.procID, 10, 64); err == nil {
			ev.Set("process.pid", p.num(pid))
		}
	}
	if hd.pri >= 0 {
		ev.Set("log.syslog.priority", p.num(int64(hd.pri)))
		ev.Set("log.syslog.facility.code", p.num(int64(hd.pri/8)))
		ev.Set("log.syslog.severity.code", p.num(int64(hd.pri%8)))
	}
	return hd.msg, hd.app, true
}

func (h *headerParser) parse5424(line string, ev *event.Event, hd *syslogHeader) bool {
	m, err := h.ietf.Parse([]byte(line))
	if err != nil || m == nil {
		return false
	}
	msg := m.(*rfc5424.SyslogMessage)
	if msg.StructuredData != nil {
		for id, params := range *msg.StructuredData {
			for k, v := range params {
				ev.Set("log.syslog.structured_data."+id+"."+k, v)
			}
		}
	}
	if msg.MsgID != nil {
		ev.Set("log.syslog.msgid", *msg.MsgID)
	}
	ev.Set("log.syslog.version", "1")
	return fromBase(&msg.Base, hd)
}

// parse3164 parses an RFC 3164 line with the library parser, which knows every variant
// the fast scanner (scan3164) leaves to it.
func (h *headerParser) parse3164(line string, now time.Time, hd *syslogHeader) bool {
	m, err := h.machine3164(now.In(h.opts.Location).Year()).Parse([]byte(line))
	if err != nil || m == nil {
		return false
	}
	base := &m.(*rfc3164.SyslogMessage).Base
	if base.Timestamp != nil {
		hd.time = h.pastYear(*base.Timestamp, now)
	}
	return fromBase(base, hd)
}

// pastYear moves a timestamp that lies more than a month ahead back by a year: year-less
// timestamps are read in the reference year, so a December line read in January would
// otherwise be eleven months in the future.
func (h *headerParser) pastYear(t, now time.Time) time.Time {
	if t.After(now.Add(31 * 24 * time.Hour)) {
		return t.AddDate(-1, 0, 0)
	}
	return t
}

func fromBase(base *syslog.Base, hd *syslogHeader) bool {
	if base.Timestamp == nil || base.Hostname == nil {
		return false
	}
	if hd.time.IsZero() {
		hd.time = *base.Timestamp
	}
	hd.host = *base.Hostname
	hd.pri = -1
	if base.Appname != nil {
		hd.app = *base.Appname
	}
	if base.ProcID != nil {
		hd.procID = *base.ProcID
	}
	if base.Priority != nil {
		hd.pri = int(*base.Priority)
	}
	if base.Message != nil {
		hd.msg = *base.Message
	}
	return true
}

// scan3164 reads the common form of an RFC 3164 line, as rsyslog and syslog-ng write
// /var/log/auth.log and its kin, without the library parser, its copies and its
// allocations; that parser costs more than the rest of a line's parsing:
//
//	[<PRI>]Mmm dd hh:mm:ss[.frac] HOST TAG[PID]: MESSAGE
//	[<PRI>]YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm) HOST TAG[PID]: MESSAGE
//
// with the host, tag and pid made of printable ASCII without brackets or colons. It
// reports false for anything else, and the library decides; where it reports true, the
// result is the library's (FuzzScan3164 compares the two).
func (h *headerParser) scan3164(line string, now time.Time, hd *syslogHeader) bool {
	i := 0
	hd.pri = -1
	if line[0] == '<' {
		end := strings.IndexByte(line[:min(len(line), 5)], '>')
		if end < 2 {
			return false
		}
		digits := line[1:end]
		if len(digits) > 1 && digits[0] == '0' {
			return false
		}
		pri := 0
		for j := 0; j < len(digits); j++ {
			if !isDigit(digits[j]) {
				return false
			}
			pri = pri*10 + int(digits[j]-'0')
		}
		if pri > 191 {
			return false
		}
		hd.pri = pri
		i = end + 1
		for i < len(line) && line[i] == ' ' {
			i++
		}
	}
	rest := line[i:]
	var n int
	var ok bool
	if len(rest) > 0 && isDigit(rest[0]) {
		hd.time, n, ok = scanRFC3339(rest)
	} else {
		hd.time, n, ok = scanStamp(rest, now.In(h.opts.Location).Year(), h.opts.Location)
	}
	if !ok {
		return false
	}
	hd.time = h.pastYear(hd.time, now)
	rest = rest[n:]
	var host, tag, pid string
	if host, rest, ok = cutToken(rest, 255); !ok || host == "-" {
		return false
	}
	tag, rest = takeToken(rest, 48)
	if tag == "" || rest == "" {
		return false
	}
	if rest[0] == '[' {
		if pid, rest = takeToken(rest[1:], len(rest)); pid == "" || rest == "" || rest[0] != ']' {
			return false
		}
		rest = rest[1:]
	}
	if len(rest) < 3 || rest[0] != ':' || rest[1] != ' ' {
		return false
	}
	msg := rest[2:]
	if hasControl(msg) {
		return false
	}
	hd.host, hd.msg = host, msg
	if tag != "-" {
		hd.app = tag
	}
	if pid != "-" {
		hd.procID = pid
	}
	return true
}

// hasControl reports whether s holds a control character other than the tab, or DEL:
// eight bytes at a time while none is below 0x20 or is 0x7f, then byte by byte.
func hasControl(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load8(s, i)
		// Below 0x20 (tab included), or 0x7f; the tab then gets a closer look.
		if ((x-ones*0x20)&^x|((x^ones*0x7f)-ones)&^(x^ones*0x7f))&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// cutToken skips the spaces before a token (at least one), takes the token as
// takeToken does, and requires spaces after it.
func cutToken(s string, maxLen int) (tok, rest string, ok bool) {
	if s == "" || s[0] != ' ' {
		return "", s, false
	}
	s = strings.TrimLeft(s, " ")
	tok, rest = takeToken(s, maxLen)
	if tok == "" || rest == "" || rest[0] != ' ' {
		return "", s, false
	}
	return tok, strings.TrimLeft(rest, " "), true
}

// takeToken takes the leading run of printable ASCII other than space, colon and square
// brackets, of at most maxLen bytes. rest is empty only at the end of s.
func takeToken(s string, maxLen int) (tok, rest string) {
	j := 0
	for j < len(s) && s[j] > ' ' && s[j] < 0x7f && s[j] != ':' && s[j] != '[' && s[j] != ']' {
		j++
	}
	if j > maxLen {
		return "", s
	}
	return s[:j], s[j:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits2 reads two digits at s[i:] and checks that they lie in [lo, hi].
func digits2(s string, i, lo, hi int) (int, bool) {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	v := int(s[i]-'0')*10 + int(s[i+1]-'0')
	return v, v >= lo && v <= hi
}

// scanClock reads hh:mm:ss at s[i:] and an optional fraction of one to six digits.
func scanClock(s string, i int) (hh, mm, ss, nsec, end int, ok bool) {
	var ok1, ok2, ok3 bool
	hh, ok1 = digits2(s, i, 0, 23)
	mm, ok2 = digits2(s, i+3, 0, 59)
	ss, ok3 = digits2(s, i+6, 0, 59)
	if !ok1 || !ok2 || !ok3 || s[i+2] != ':' || s[i+5] != ':' {
		return 0, 0, 0, 0, 0, false
	}
	end = i + 8
	if end < len(s) && s[end] == '.' {
		j := end + 1
		scale := 100_000_000
		for j < len(s) && isDigit(s[j]) && j-end <= 6 {
			nsec += int(s[j]-'0') * scale
			scale /= 10
			j++
		}
		if j == end+1 || j < len(s) && isDigit(s[j]) {
			return 0, 0, 0, 0, 0, false
		}
		end = j
	}
	return hh, mm, ss, nsec, end, true
}

var stampMonths = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// scanStamp reads an RFC 3164 timestamp ("Nov 28 10:00:01", "Nov  8 10:00:01.123") in
// the given year and zone, as the library does: the day is checked against its month in
// a leap year (time.Parse reads a year-less date in year 0), and a 29 February in a
// common year becomes 1 March.
func scanStamp(s string, year int, loc *time.Location) (time.Time, int, bool) {
	if len(s) < 15 || s[3] != ' ' || s[6] != ' ' {
		return time.Time{}, 0, false
	}
	month, ok := stampMonths[s[:3]]
	if !ok {
		return time.Time{}, 0, false
	}
	var day int
	if s[4] == ' ' {
		if s[5] < '1' || s[5] > '9' {
			return time.Time{}, 0, false
		}
		day = int(s[5] - '0')
	} else if day, ok = digits2(s, 4, 10, 31); !ok {
		return time.Time{}, 0, false
	}
	if day > daysIn(month) {
		return time.Time{}, 0, false
	}
	hh, mm, ss, nsec, end, ok := scanClock(s, 7)
	if !ok {
		return time.Time{}, 0, false
	}
	return time.Date(year, month, day, hh, mm, ss, nsec, loc), end, true
}

// daysIn is the length of a month in a leap year.
func daysIn(m time.Month) int {
	switch m {
	case time.February:
		return 29
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// scanRFC3339 reads the timestamp of rsyslog's high-precision format,
// "2026-11-28T10:00:01.123456+01:00", as the library's grammar admits it, and parses it
// as the library does.
func scanRFC3339(s string) (time.Time, int, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' {
		return time.Time{}, 0, false
	}
	for i := 0; i < 4; i++ {
		if !isDigit(s[i]) {
			return time.Time{}, 0, false
		}
	}
	_, ok1 := digits2(s, 5, 1, 12)
	_, ok2 := digits2(s, 8, 1, 31)
	_, _, _, _, end, ok3 := scanClock(s, 11)
	if !ok1 || !ok2 || !ok3 || end >= len(s) {
		return time.Time{}, 0, false
	}
	switch s[end] {
	case 'Z':
		end++
	case '+', '-':
		_, ok1 = digits2(s, end+1, 0, 23)
		_, ok2 = digits2(s, end+4, 0, 59)
		if !ok1 || !ok2 || s[end+3] != ':' {
			return time.Time{}, 0, false
		}
		end += 6
	default:
		return time.Time{}, 0, false
	}
	t, err := time.Parse(time.RFC3339, s[:end])
	return t, end, err == nil
}

// is5424 reports whether line starts "<PRI>1 ".
func is5424(line string) bool {
	if line[0] != '<' {
		return false
	}
	end := strings.IndexByte(line[:min(len(line), 6)], '>')
	return end > 1 && len(line) > end+2 && line[end+1] == '1' && line[end+2] == ' '
}

// startsLikeBSD cheaply rejects lines that cannot be RFC 3164, before the full parser runs.
func startsLikeBSD(line string) bool {
	s := line
	if s[0] == '<' {
		end := strings.IndexByte(s[:min(len(s), 6)], '>')
		if end < 0 {
			return false
		}
		s = s[end+1:]
	}
	if len(s) < 15 {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' { // RFC 3339: 2026-11-28T…
		return len(s) > 19 && s[4] == '-' && s[10] == 'T'
	}
	switch s[:3] {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return s[3] == ' '
	}
	return false
}

// programName maps a syslog app name to its parser: "CRON" and "cron" are one parser,
// "sshd-session" (OpenSSH 9.8+) is sshd.
func programName(app string) string {
	switch app {
	case "CRON", "crond", "cron", "crontab":
		return "cron"
	case "sshd-session", "sshd-auth":
		return "sshd"
	case "systemd", "systemd-logind":
		return "systemd"
	case "useradd", "userdel", "usermod", "groupadd", "groupdel", "groupmod", "passwd", "chpasswd", "gpasswd", "chage":
		return "accounts"
	}
	return app
}
