package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() { programParsers["accounts"] = parseAccounts }

// parseAccounts understands the shadow-utils tools (useradd, userdel, usermod, groupadd,
// groupdel, groupmod, passwd, chpasswd, gpasswd):
// "new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
// "new group: name=bob, GID=1001", "delete user 'bob'", "add 'bob' to group 'sudo'",
// "change user 'bob' shell from '/bin/sh' to '/bin/bash'", "password changed for bob".
func parseAccounts(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "accounts")
	if strings.HasPrefix(msg, "pam_unix(") {
		return parsePAM(p, msg, ev)
	}
	// action is an interface so that the constants need no box of their own.
	iam := func(action, types any) {
		ev.Set("event.category", listIAM)
		ev.Set("event.type", types)
		ev.Set("event.action", action)
		ev.Set("event.outcome", "success")
	}
	switch {
	case strings.HasPrefix(msg, "new user: "):
		kv := commaKV(strings.TrimPrefix(msg, "new user: "))
		iam("user_created", listUserCreation)
		targetUser(p, ev, kv.name)
		ev.Set("user.target.id", p.str(kv.uid))
		ev.Set("user.target.group.id", p.str(kv.gid))
		ev.Set("accounts.home", p.str(kv.home))
		ev.Set("accounts.shell", p.str(kv.shell))
		if kv.uid == "0" {
			ev.Set("accounts.uid0", true)
		}
		return kv.name != ""
	case strings.HasPrefix(msg, "new group: "), strings.HasPrefix(msg, "group added to "):
		_, body, _ := strings.Cut(msg, ": ")
		kv := commaKV(body)
		iam("group_created", listGroupCreation)
		ev.Set("group.name", p.str(kv.name))
		ev.Set("group.id", p.str(kv.gid))
		return kv.name != ""
	case strings.HasPrefix(msg, "delete user "):
		iam("user_deleted", listUserDeletion)
		targetUser(p, ev, quoted(msg))
		return true
	case strings.HasPrefix(msg, "removed group "), strings.HasPrefix(msg, "group '") && strings.Contains(msg, "removed"):
		iam("group_deleted", listGroupDeletion)
		ev.Set("group.name", p.str(quoted(msg)))
		return true
	case strings.HasPrefix(msg, "add '") && strings.Contains(msg, "' to group '"),
		strings.HasPrefix(msg, "add '") && strings.Contains(msg, "' to shadow group '"):
		// usermod -aG: "add 'bob' to group 'sudo'"
		iam("user_added_to_group", listUserChange)
		parts := strings.Split(msg, "'")
		if len(parts) < 4 {
			return false
		}
		targetUser(p, ev, parts[1])
		ev.Set("group.name", p.str(parts[3]))
		if g := parts[3]; g == "sudo" || g == "wheel" || g == "admin" || g == "root" {
			ev.Set("accounts.privileged_group", true)
		}
		return true
	case strings.HasPrefix(msg, "change user '"):
		// usermod: "change user 'bob' shell from '/bin/sh' to '/bin/bash'", "… UID from '1001' to '0'"
		parts := strings.Split(msg, "'")
		if len(parts) < 6 {
			return false
		}
		iam("user_changed", listUserChange)
		targetUser(p, ev, parts[1])
		what := strings.TrimSuffix(strings.TrimSpace(parts[2]), " from")
		ev.Set("accounts.changed", p.str(what))
		ev.Set("accounts.old_value", p.str(parts[3]))
		ev.Set("accounts.new_value", p.str(parts[5]))
		if strings.EqualFold(what, "UID") && parts[5] == "0" {
			ev.Set("accounts.uid0", true)
		}
		return true
	case strings.HasPrefix(msg, "password changed for "), strings.HasPrefix(msg, "password for '"):
		iam("password_changed", listUserChange)
		name := strings.TrimSpace(strings.TrimPrefix(msg, "password changed for "))
		if strings.HasPrefix(msg, "password for '") {
			name = quoted(msg)
		}
		targetUser(p, ev, name)
		return true
	case strings.HasPrefix(msg, "lock user "), strings.HasPrefix(msg, "unlock user "):
		iam(p.str(strings.Fields(msg)[0]+"_user"), listUserChange)
		targetUser(p, ev, quoted(msg))
		return true
	}
	return false
}

func targetUser(p *Parser, ev *event.Event, name string) {
	ev.Set("user.target.name", p.str(name))
	p.add(ev, "related.user", name)
}

// accountValues are the values of "name=bob, UID=1001, GID=1001, home=…, shell=…"
// that the parser reads.
type accountValues struct{ name, uid, gid, home, shell string }

// commaKV parses "name=bob, UID=1001, GID=1001": comma-separated key=value pairs, the
// last of a repeated key winning.
func commaKV(s string) accountValues {
	var kv accountValues
	for more := true; more; {
		var f string
		f, s, more = strings.Cut(s, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			continue
		}
		switch k {
		case "name":
			kv.name = v
		case "UID":
			kv.uid = v
		case "GID":
			kv.gid = v
		case "home":
			kv.home = v
		case "shell":
			kv.shell = v
		}
	}
	return kv
}

// quoted returns the first '…'-quoted part of s.
func quoted(s string) string {
	_, rest, ok := strings.Cut(s, "'")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "'")
	return v
}
