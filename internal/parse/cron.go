package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() { programParsers["cron"] = parseCron }

// parseCron understands cron and crontab messages:
// "(root) CMD (/usr/local/bin/backup.sh)" (a job ran), "(alice) REPLACE (alice)",
// "(root) BEGIN EDIT (root)", "(root) END EDIT (root)", "(alice) LIST (alice)",
// "(root) RELOAD (crontabs/root)", and PAM session messages.
func parseCron(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "cron")
	if strings.HasPrefix(msg, "pam_unix(") {
		return parsePAM(p, msg, ev)
	}
	if !strings.HasPrefix(msg, "(") {
		return false
	}
	user, rest, found := strings.Cut(msg[1:], ") ")
	if !found {
		return false
	}
	verb, arg, _ := strings.Cut(rest, " (")
	arg = strings.TrimSuffix(arg, ")")
	ev.Set("user.name", p.str(user))
	p.add(ev, "related.user", user)
	switch verb {
	case "CMD":
		ev.Set("event.category", listProcess)
		ev.Set("event.type", listStart)
		ev.Set("event.action", "cron_job")
		setCommand(p, ev, arg, "", user)
		return true
	case "REPLACE", "BEGIN EDIT", "END EDIT", "DELETE":
		ev.Set("event.category", listConfiguration)
		ev.Set("event.type", listChange)
		ev.Set("event.action", p.str("crontab_"+strings.ToLower(strings.ReplaceAll(verb, " ", "_"))))
		if arg != "" && arg != user {
			ev.Set("user.target.name", p.str(arg))
		} else {
			ev.Set("user.target.name", p.str(user))
		}
		ev.Set("file.path", p.str("/var/spool/cron/crontabs/"+user))
		return true
	case "LIST":
		ev.Set("event.category", listConfiguration)
		ev.Set("event.type", listAccess)
		ev.Set("event.action", "crontab_list")
		return true
	case "RELOAD":
		ev.Set("event.category", listConfiguration)
		ev.Set("event.type", listChange)
		ev.Set("event.action", "cron_reload")
		ev.Set("file.path", p.str(arg))
		return true
	}
	return false
}
