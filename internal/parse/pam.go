package parse

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// parsePAM handles pam_unix messages of any service:
// "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
// "pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)",
// "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
// "pam_unix(passwd:chauthtok): password changed for bob".
func parsePAM(msg string, ev *event.Event) bool {
	head, body, found := strings.Cut(msg, "): ")
	if !found {
		return false
	}
	service, _, _ := strings.Cut(strings.TrimPrefix(head, "pam_unix("), ":")
	ev.Set("pam.service", service)
	switch {
	case strings.HasPrefix(body, "session opened for user "), strings.HasPrefix(body, "session closed for user "):
		opened := strings.HasPrefix(body, "session opened")
		rest := body[len("session opened for user "):]
		target, by, _ := strings.Cut(rest, " by ")
		name, uid := nameUID(target)
		ev.Set("event.category", listSession)
		if opened {
			ev.Set("event.type", listStart)
			ev.Set("event.action", "session_opened")
		} else {
			ev.Set("event.type", listEnd)
			ev.Set("event.action", "session_closed")
		}
		ev.Set("event.outcome", "success")
		byName, byUID := nameUID(by)
		if byName != "" && byName != name {
			// su/sudo: the invoking user acts as the target user.
			ev.Set("user.name", byName)
			ev.Append("related.user", byName)
			if byUID != "" {
				ev.Set("user.id", byUID)
			}
			ev.Set("user.target.name", name)
			if uid != "" {
				ev.Set("user.target.id", uid)
			}
		} else {
			ev.Set("user.name", name)
			if uid != "" {
				ev.Set("user.id", uid)
			}
		}
		ev.Append("related.user", name)
		return true
	case strings.HasPrefix(body, "authentication failure;"):
		kv := pamKV(strings.TrimPrefix(body, "authentication failure;"))
		ev.Set("event.category", listAuthentication)
		ev.Set("event.type", listStart)
		ev.Set("event.outcome", "failure")
		ev.Set("event.action", service+"_auth_failure")
		u, r := kv["user"], kv["ruser"]
		if (service == "su" || service == "sudo") && r != "" && r != u {
			// su/sudo: the requesting user (ruser) tried to become user.
			ev.Set("user.name", r)
			ev.Set("user.target.name", u)
			ev.Append("related.user", r)
			ev.Append("related.user", u)
		} else if u != "" {
			ev.Set("user.name", u)
			ev.Append("related.user", u)
		}
		if h := kv["rhost"]; h != "" {
			if looksIP(h) {
				setSource(ev, h, 0)
			} else {
				ev.Set("source.domain", h)
			}
		}
		if t := kv["tty"]; t != "" {
			ev.Set("process.tty.name", t)
		}
		return true
	case strings.HasPrefix(body, "password changed for "):
		user := strings.TrimSpace(strings.TrimPrefix(body, "password changed for "))
		ev.Set("event.category", listIAM)
		ev.Set("event.type", listUserChange)
		ev.Set("event.action", "password_changed")
		ev.Set("event.outcome", "success")
		ev.Set("user.target.name", user)
		ev.Append("related.user", user)
		return true
	}
	return false
}

// nameUID splits "root(uid=0)" into "root" and "0"; "(uid=0)" gives "" and "0".
func nameUID(s string) (name, uid string) {
	s = strings.TrimSpace(s)
	name, rest, found := strings.Cut(s, "(uid=")
	if found {
		uid = strings.TrimSuffix(rest, ")")
		if _, err := strconv.Atoi(uid); err != nil {
			uid = ""
		}
	}
	return name, uid
}

// pamKV parses "logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser= rhost=1.2.3.4  user=alice".
func pamKV(s string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			out[k] = v
		}
	}
	return out
}
