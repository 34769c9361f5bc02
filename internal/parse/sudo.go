package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() {
	programParsers["sudo"] = parseSudo
	programParsers["su"] = parseSu
}

// parseSudo understands sudo's log lines:
// "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
// "alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
// "bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh",
// and its PAM messages.
func parseSudo(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "sudo")
	if strings.HasPrefix(msg, "pam_unix(sudo") {
		return parsePAM(p, msg, ev)
	}
	user, rest, found := strings.Cut(strings.TrimLeft(msg, " "), " : ")
	if !found || strings.ContainsAny(user, " \t") {
		return false
	}
	// The fields are "KEY=value" separated by " ; ", the first possibly a problem.
	var problem, cmd, target, tty, pwd string
	ok := false
	for i := 0; ; i++ {
		f, next, more := strings.Cut(rest, " ; ")
		if k, v, isKV := strings.Cut(f, "="); isKV && isUpperWord(k) {
			if k == "COMMAND" {
				// COMMAND may itself contain " ; ": it is the last field, so take the rest.
				cmd, ok = rest[len("COMMAND="):], true
				break
			}
			switch k {
			case "USER":
				target = v
			case "TTY":
				tty = v
			case "PWD":
				pwd = v
			}
		} else if i == 0 {
			problem = f
		}
		if !more {
			break
		}
		rest = next
	}
	if !ok {
		return false
	}
	ev.Set("event.category", listProcess)
	ev.Set("event.type", listStart)
	ev.Set("event.action", "sudo_command")
	ev.Set("event.outcome", "success")
	if problem != "" {
		ev.Set("event.outcome", "failure")
		ev.Set("event.reason", p.str(problem))
		ev.Set("event.type", listStartDenied)
	}
	ev.Set("user.name", p.str(user))
	p.add(ev, "related.user", user)
	if target != "" {
		ev.Set("user.effective.name", p.str(target))
		ev.Set("user.target.name", p.str(target))
		p.add(ev, "related.user", target)
	}
	if tty != "" && tty != "unknown" {
		ev.Set("process.tty.name", p.str(tty))
	}
	setCommand(p, ev, cmd, pwd, target)
	return true
}

// setCommand sets the process fields of a command line, in ECS and in Sigma's
// process_creation taxonomy (Image, CommandLine, CurrentDirectory, User).
func setCommand(p *Parser, ev *event.Event, cmd, cwd, runAs string) {
	cmd = strings.TrimSpace(cmd)
	exe, _, _ := strings.Cut(cmd, " ")
	ev.Set("process.command_line", p.str(cmd))
	ev.Set("process.executable", p.str(exe))
	ev.Set("process.name", p.str(exe[strings.LastIndexByte(exe, '/')+1:]))
	ev.Set("process.args", p.fields(cmd))
	ev.Set("CommandLine", p.str(cmd))
	ev.Set("Image", p.str(exe))
	if cwd != "" {
		ev.Set("process.working_directory", p.str(cwd))
		ev.Set("CurrentDirectory", p.str(cwd))
	}
	if runAs != "" {
		ev.Set("User", p.str(runAs))
	}
}

func isUpperWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// parseSu understands su's messages on Debian/Ubuntu ("(to root) alice on pts/0",
// "FAILED SU (to root) alice on pts/0") and RHEL ("FAILED SU (to root) alice on pts/0"),
// and its PAM messages.
func parseSu(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "su")
	if strings.HasPrefix(msg, "pam_unix(su") {
		return parsePAM(p, msg, ev)
	}
	// shadow-utils su: "Successful su for root by alice", "FAILED su for root by bob",
	// "+ /dev/pts/0 alice:root" (success) and "- /dev/pts/0 bob:root" (failure).
	if r, ok := strings.CutPrefix(msg, "Successful su for "); ok {
		target, user, _ := strings.Cut(r, " by ")
		return suEvent(p, ev, user, target, "", true)
	}
	if r, ok := strings.CutPrefix(msg, "FAILED su for "); ok {
		target, user, _ := strings.Cut(r, " by ")
		return suEvent(p, ev, user, target, "", false)
	}
	if len(msg) > 2 && (msg[0] == '+' || msg[0] == '-') && msg[1] == ' ' {
		tty, pair, found := strings.Cut(msg[2:], " ")
		user, target, found2 := strings.Cut(pair, ":")
		if !found || !found2 {
			return false
		}
		return suEvent(p, ev, user, target, tty, msg[0] == '+')
	}
	failed := false
	rest := msg
	if r, ok := strings.CutPrefix(rest, "FAILED SU "); ok {
		rest, failed = r, true
	} else if r, ok := strings.CutPrefix(rest, "Successful su "); ok {
		rest = r
	}
	r, ok := strings.CutPrefix(rest, "(to ")
	if !ok {
		return false
	}
	target, rest, found := strings.Cut(r, ") ")
	if !found {
		return false
	}
	user, tty, _ := strings.Cut(rest, " on ")
	return suEvent(p, ev, user, target, tty, !failed)
}

func suEvent(p *Parser, ev *event.Event, user, target, tty string, ok bool) bool {
	if user == "" || target == "" {
		return false
	}
	ev.Set("event.category", listAuthenticationSession)
	ev.Set("event.type", listStart)
	ev.Set("event.action", "su")
	ev.Set("event.outcome", "success")
	if !ok {
		ev.Set("event.outcome", "failure")
	}
	ev.Set("user.name", p.str(user))
	p.add(ev, "related.user", user)
	ev.Set("user.target.name", p.str(target))
	p.add(ev, "related.user", target)
	if tty != "" {
		ev.Set("process.tty.name", p.str(tty))
	}
	return true
}
