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
func parseSudo(_ *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "sudo")
	if strings.HasPrefix(msg, "pam_unix(sudo") {
		return parsePAM(msg, ev)
	}
	user, rest, found := strings.Cut(strings.TrimLeft(msg, " "), " : ")
	if !found || strings.ContainsAny(user, " \t") {
		return false
	}
	fields := strings.Split(rest, " ; ")
	kv := map[string]string{}
	var problem string
	for i, f := range fields {
		if k, v, ok := strings.Cut(f, "="); ok && isUpperWord(k) {
			// COMMAND may itself contain " ; ": it is the last field, so take the rest.
			if k == "COMMAND" {
				v = strings.Join(append([]string{v}, fields[i+1:]...), " ; ")
				kv[k] = v
				break
			}
			kv[k] = v
			continue
		}
		if i == 0 {
			problem = f
		}
	}
	cmd, ok := kv["COMMAND"]
	if !ok {
		return false
	}
	target := kv["USER"]
	ev.Set("event.category", listProcess)
	ev.Set("event.type", listStart)
	ev.Set("event.action", "sudo_command")
	ev.Set("event.outcome", "success")
	if problem != "" {
		ev.Set("event.outcome", "failure")
		ev.Set("event.reason", problem)
		ev.Set("event.type", listStartDenied)
	}
	ev.Set("user.name", user)
	ev.Append("related.user", user)
	if target != "" {
		ev.Set("user.effective.name", target)
		ev.Set("user.target.name", target)
		ev.Append("related.user", target)
	}
	if tty := kv["TTY"]; tty != "" && tty != "unknown" {
		ev.Set("process.tty.name", tty)
	}
	setCommand(ev, cmd, kv["PWD"], target)
	return true
}

// setCommand sets the process fields of a command line, in ECS and in Sigma's
// process_creation taxonomy (Image, CommandLine, CurrentDirectory, User).
func setCommand(ev *event.Event, cmd, cwd, runAs string) {
	cmd = strings.TrimSpace(cmd)
	exe, _, _ := strings.Cut(cmd, " ")
	ev.Set("process.command_line", cmd)
	ev.Set("process.executable", exe)
	ev.Set("process.name", exe[strings.LastIndexByte(exe, '/')+1:])
	ev.Set("process.args", strings.Fields(cmd))
	ev.Set("CommandLine", cmd)
	ev.Set("Image", exe)
	if cwd != "" {
		ev.Set("process.working_directory", cwd)
		ev.Set("CurrentDirectory", cwd)
	}
	if runAs != "" {
		ev.Set("User", runAs)
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
func parseSu(_ *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "su")
	if strings.HasPrefix(msg, "pam_unix(su") {
		return parsePAM(msg, ev)
	}
	// shadow-utils su: "Successful su for root by alice", "FAILED su for root by bob",
	// "+ /dev/pts/0 alice:root" (success) and "- /dev/pts/0 bob:root" (failure).
	if r, ok := strings.CutPrefix(msg, "Successful su for "); ok {
		target, user, _ := strings.Cut(r, " by ")
		return suEvent(ev, user, target, "", true)
	}
	if r, ok := strings.CutPrefix(msg, "FAILED su for "); ok {
		target, user, _ := strings.Cut(r, " by ")
		return suEvent(ev, user, target, "", false)
	}
	if len(msg) > 2 && (msg[0] == '+' || msg[0] == '-') && msg[1] == ' ' {
		tty, pair, found := strings.Cut(msg[2:], " ")
		user, target, found2 := strings.Cut(pair, ":")
		if !found || !found2 {
			return false
		}
		return suEvent(ev, user, target, tty, msg[0] == '+')
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
	return suEvent(ev, user, target, tty, !failed)
}

func suEvent(ev *event.Event, user, target, tty string, ok bool) bool {
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
	ev.Set("user.name", user)
	ev.Append("related.user", user)
	ev.Set("user.target.name", target)
	ev.Append("related.user", target)
	if tty != "" {
		ev.Set("process.tty.name", tty)
	}
	return true
}
