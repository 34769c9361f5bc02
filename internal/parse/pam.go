package parse

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
)

// parsePAM handles pam_unix messages of any service:
// "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
// "pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)",
// "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
// "pam_unix(passwd:chauthtok): password changed for bob".
func parsePAM(p *Parser, msg string, ev *event.Event) bool {
	head, body, found := strings.Cut(msg, "): ")
	if !found {
		return false
	}
	service, _, _ := strings.Cut(strings.TrimPrefix(head, "pam_unix("), ":")
	ev.Set("pam.service", p.str(service))
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
			ev.Set("user.name", p.str(byName))
			p.add(ev, "related.user", byName)
			if byUID != "" {
				ev.Set("user.id", p.str(byUID))
			}
			ev.Set("user.target.name", p.str(name))
			if uid != "" {
				ev.Set("user.target.id", p.str(uid))
			}
		} else {
			ev.Set("user.name", p.str(name))
			if uid != "" {
				ev.Set("user.id", p.str(uid))
			}
		}
		p.add(ev, "related.user", name)
		return true
	case strings.HasPrefix(body, "authentication failure;"):
		kv := pamFields(strings.TrimPrefix(body, "authentication failure;"))
		ev.Set("event.category", listAuthentication)
		ev.Set("event.type", listStart)
		ev.Set("event.outcome", "failure")
		ev.Set("event.action", p.str(service+"_auth_failure"))
		u, r := kv.user, kv.ruser
		if (service == "su" || service == "sudo") && r != "" && r != u {
			// su/sudo: the requesting user (ruser) tried to become user.
			ev.Set("user.name", p.str(r))
			ev.Set("user.target.name", p.str(u))
			p.add(ev, "related.user", r)
			p.add(ev, "related.user", u)
		} else if u != "" {
			ev.Set("user.name", p.str(u))
			p.add(ev, "related.user", u)
		}
		if h := kv.rhost; h != "" {
			if looksIP(h) {
				sourceIn(p, ev, h, 0)
			} else {
				ev.Set("source.domain", p.str(h))
			}
		}
		if t := kv.tty; t != "" {
			ev.Set("process.tty.name", p.str(t))
		}
		return true
	case strings.HasPrefix(body, "password changed for "):
		user := strings.TrimSpace(strings.TrimPrefix(body, "password changed for "))
		ev.Set("event.category", listIAM)
		ev.Set("event.type", listUserChange)
		ev.Set("event.action", "password_changed")
		ev.Set("event.outcome", "success")
		ev.Set("user.target.name", p.str(user))
		p.add(ev, "related.user", user)
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

// pamValues are the values of an authentication failure that the parser reads.
type pamValues struct{ user, ruser, rhost, tty string }

// pamFields reads the pamValues of pamKV's text, without making the map where the text
// is ASCII (the words are then split where strings.Fields splits them).
func pamFields(s string) pamValues {
	var pv pamValues
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			kv := pamKV(s)
			return pamValues{user: kv["user"], ruser: kv["ruser"], rhost: kv["rhost"], tty: kv["tty"]}
		}
	}
	for s != "" {
		i := 0
		for i < len(s) && !asciiSpace(s[i]) {
			i++
		}
		if k, v, ok := strings.Cut(s[:i], "="); ok {
			switch k {
			case "user":
				pv.user = v
			case "ruser":
				pv.ruser = v
			case "rhost":
				pv.rhost = v
			case "tty":
				pv.tty = v
			}
		}
		for i < len(s) && asciiSpace(s[i]) {
			i++
		}
		s = s[i:]
	}
	return pv
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
