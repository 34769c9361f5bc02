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

// parse fills the header fields of ev and returns the message.
func (h *headerParser) parse(line string, ev *event.Event) (string, bool) {
	if len(line) < 16 {
		return "", false
	}
	var base *syslog.Base
	if is5424(line) {
		m, err := h.ietf.Parse([]byte(line))
		if err != nil || m == nil {
			return "", false
		}
		msg := m.(*rfc5424.SyslogMessage)
		base = &msg.Base
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
	} else {
		if !startsLikeBSD(line) {
			return "", false
		}
		now := h.opts.Now()
		m, err := h.machine3164(now.In(h.opts.Location).Year()).Parse([]byte(line))
		if err != nil || m == nil {
			return "", false
		}
		base = &m.(*rfc3164.SyslogMessage).Base
		if base.Timestamp != nil && base.Timestamp.After(now.Add(31*24*time.Hour)) {
			t := base.Timestamp.AddDate(-1, 0, 0)
			base.Timestamp = &t
		}
	}
	if base.Timestamp == nil || base.Hostname == nil {
		return "", false
	}
	ev.Time = base.Timestamp.UTC()
	ev.Set("host.hostname", *base.Hostname)
	if base.Appname != nil {
		ev.Set("process.name", *base.Appname)
	}
	if base.ProcID != nil {
		if pid, err := strconv.ParseInt(*base.ProcID, 10, 64); err == nil {
			ev.Set("process.pid", pid)
		}
	}
	if base.Priority != nil {
		ev.Set("log.syslog.priority", int64(*base.Priority))
		ev.Set("log.syslog.facility.code", int64(*base.Facility))
		ev.Set("log.syslog.severity.code", int64(*base.Severity))
	}
	msg := ""
	if base.Message != nil {
		msg = *base.Message
	}
	return msg, true
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
