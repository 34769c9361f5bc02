package parse

import (
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// SetPosition tells the parser where the next input starts in its stream (a file offset,
// a journal sequence number). Event ids then derive from that position instead of from
// a count of inputs, so a reader that resumes in the middle of a file after a restart
// gives each line the same id as before, and the store keeps it once. A negative
// position returns to counting.
func (p *Parser) SetPosition(pos int64) { p.pos = pos }

// Message parses a message whose syslog header fields arrive separately, as journald
// gives them: the program's parser is chosen by app name as for a syslog line. raw is
// the original entry, for the event id.
func (p *Parser) Message(app string, pid int64, host string, t time.Time, msg string, raw []byte, emit Emit) {
	ev := &event.Event{Message: msg, Time: t.UTC()}
	ev.Set("host.hostname", host)
	ev.Set("process.name", app)
	if pid > 0 {
		ev.Set("process.pid", pid)
	}
	name := p.opts.Type
	if name == "" || name == "syslog" {
		name = programName(app)
	}
	typ := "syslog"
	if pp, ok := programParsers[name]; ok {
		n := len(ev.Fields)
		if pp(p, msg, ev) {
			typ = name
		} else {
			ev.Fields = ev.Fields[:n]
		}
	}
	ev.Type = typ
	p.finish(ev, raw, emit)
}
