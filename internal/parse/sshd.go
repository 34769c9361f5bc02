package parse

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() { programParsers["sshd"] = parseSSHD }

// parseSSHD understands OpenSSH's sshd (and sshd-session) messages about logins,
// failures, invalid users, pre-authentication disconnects and PAM sessions.
func parseSSHD(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "sshd")
	switch {
	case strings.HasPrefix(msg, "Accepted "), strings.HasPrefix(msg, "Failed "):
		// Accepted password for alice from 203.0.113.5 port 52144 ssh2
		// Accepted publickey for alice from 203.0.113.5 port 52144 ssh2: ED25519 SHA256:abc
		// Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2
		ok := msg[0] == 'A'
		rest := msg[strings.IndexByte(msg, ' ')+1:]
		method, rest, _ := strings.Cut(rest, " for ")
		invalid := false
		if r, found := strings.CutPrefix(rest, "invalid user "); found {
			rest, invalid = r, true
		}
		user, addr, found := cutLast(rest, " from ")
		if !found {
			return false
		}
		ip, port, tail := ipPort(addr)
		if ip == "" {
			return false
		}
		login(p, ev, "ssh_login", ok, user, ip, port)
		ev.Set("ssh.method", p.str(method))
		if invalid {
			ev.Set("ssh.invalid_user", true)
		}
		if _, key, found := strings.Cut(tail, ": "); found && ok {
			if alg, fp, found := strings.Cut(key, " "); found {
				ev.Set("ssh.key.algorithm", p.str(alg))
				ev.Set("ssh.key.fingerprint", p.str(fp))
			}
		}
		return true
	case strings.HasPrefix(msg, "Invalid user "):
		// Invalid user admin from 203.0.113.5 port 52144
		user, addr, found := cutLast(strings.TrimPrefix(msg, "Invalid user "), " from ")
		if !found {
			return false
		}
		ip, port, _ := ipPort(addr)
		login(p, ev, "ssh_invalid_user", false, user, ip, port)
		ev.Set("ssh.invalid_user", true)
		return true
	case strings.HasPrefix(msg, "error: maximum authentication attempts exceeded for "):
		rest := strings.TrimPrefix(msg, "error: maximum authentication attempts exceeded for ")
		invalid := false
		if r, found := strings.CutPrefix(rest, "invalid user "); found {
			rest, invalid = r, true
		}
		user, addr, found := cutLast(rest, " from ")
		if !found {
			return false
		}
		ip, port, _ := ipPort(addr)
		login(p, ev, "ssh_max_auth_attempts", false, user, ip, port)
		if invalid {
			ev.Set("ssh.invalid_user", true)
		}
		return true
	case strings.HasPrefix(msg, "Connection closed by "), strings.HasPrefix(msg, "Disconnected from "),
		strings.HasPrefix(msg, "Disconnecting "), strings.HasPrefix(msg, "Received disconnect from "),
		strings.HasPrefix(msg, "Connection reset by "):
		return parseSSHDisconnect(p, msg, ev)
	case strings.HasPrefix(msg, "Did not receive identification string from "),
		strings.HasPrefix(msg, "banner exchange: Connection from "),
		strings.HasPrefix(msg, "kex_exchange_identification: "):
		// Port scanners and banner grabbers connect without speaking SSH.
		rest := msg
		if i := strings.Index(rest, " from "); i >= 0 {
			rest = rest[i+6:]
		} else if i := strings.Index(rest, "Connection from "); i >= 0 {
			rest = rest[i+16:]
		}
		ip, port, _ := ipPort(rest)
		ev.Set("event.category", listNetwork)
		ev.Set("event.type", listConnection)
		ev.Set("event.action", "ssh_no_identification")
		ev.Set("event.outcome", "failure")
		sourceIn(p, ev, ip, port)
		return true
	case strings.HasPrefix(msg, "pam_unix(sshd:"):
		return parsePAM(p, msg, ev)
	case strings.HasPrefix(msg, "Server listening on "):
		ev.Set("event.category", listProcess)
		ev.Set("event.type", listStart)
		ev.Set("event.action", "ssh_server_listening")
		return true
	}
	return false
}

// parseSSHDisconnect handles the pre-authentication and session-end messages:
// "Connection closed by [invalid|authenticating] user U IP port P [preauth]",
// "Disconnected from user U IP port P", "Received disconnect from IP port P:11: bye".
func parseSSHDisconnect(p *Parser, msg string, ev *event.Event) bool {
	preauth := strings.HasSuffix(msg, " [preauth]")
	msg = strings.TrimSuffix(msg, " [preauth]")
	var rest string
	for _, prefix := range []string{"Connection closed by ", "Disconnected from ", "Disconnecting ", "Received disconnect from ", "Connection reset by "} {
		if r, ok := strings.CutPrefix(msg, prefix); ok {
			rest = r
			break
		}
	}
	reason := ""
	if head, tail, found := strings.Cut(rest, ": "); found {
		rest, reason = head, tail
	}
	invalid := false
	for _, prefix := range []string{"invalid user ", "authenticating user ", "user "} {
		if r, ok := strings.CutPrefix(rest, prefix); ok {
			invalid = prefix == "invalid user "
			user, addr, found := cutLast(r, " ")
			if i := strings.LastIndex(r, " port "); i >= 0 {
				user, addr, found = cutLast(r[:i], " ")
				addr += r[i:]
			}
			if !found {
				return false
			}
			ev.Set("user.name", p.str(user))
			p.add(ev, "related.user", user)
			rest = addr
			break
		}
	}
	ip, port, _ := ipPort(rest)
	if ip == "" {
		return false
	}
	// "Received disconnect from IP port P:11: bye" puts the code after the port.
	if _, after, found := strings.Cut(rest, ":"); found && reason == "" {
		reason = after
	}
	ev.Set("event.category", listAuthenticationNetwork)
	ev.Set("event.type", listEnd)
	ev.Set("event.action", "ssh_disconnect")
	sourceIn(p, ev, ip, port)
	if preauth {
		ev.Set("ssh.preauth", true)
	}
	if invalid {
		ev.Set("ssh.invalid_user", true)
	}
	if reason != "" {
		ev.Set("event.reason", p.str(reason))
	}
	if strings.Contains(reason, "Too many authentication failures") {
		ev.Set("event.action", "ssh_max_auth_attempts")
		ev.Set("event.outcome", "failure")
	}
	return true
}

// login sets the fields of an authentication attempt. action is an interface so that
// the constants need no box of their own.
func login(p *Parser, ev *event.Event, action any, ok bool, user, ip string, port int64) {
	ev.Set("event.category", listAuthentication)
	if ok {
		ev.Set("event.type", listStart)
		ev.Set("event.outcome", "success")
	} else {
		ev.Set("event.type", listStart)
		ev.Set("event.outcome", "failure")
	}
	ev.Set("event.action", action)
	if user != "" {
		ev.Set("user.name", p.str(user))
		p.add(ev, "related.user", user)
	}
	sourceIn(p, ev, ip, port)
}

func setSource(ev *event.Event, ip string, port int64) { sourceIn(nil, ev, ip, port) }

// sourceIn is setSource with the values boxed by p (which may be nil).
func sourceIn(p *Parser, ev *event.Event, ip string, port int64) {
	if ip == "" {
		return
	}
	ev.Set("source.ip", p.str(ip))
	p.add(ev, "related.ip", ip)
	if port > 0 {
		ev.Set("source.port", p.num(port))
	}
}

// ipPort reads "IP port N…" and returns the address, the port and what follows.
func ipPort(s string) (ip string, port int64, rest string) {
	s = strings.TrimSpace(s)
	ip, rest, _ = strings.Cut(s, " ")
	if !looksIP(ip) {
		return "", 0, s
	}
	if r, ok := strings.CutPrefix(rest, "port "); ok {
		end := 0
		for end < len(r) && r[end] >= '0' && r[end] <= '9' {
			end++
		}
		port, _ = strconv.ParseInt(r[:end], 10, 64)
		rest = r[end:]
	}
	return ip, port, rest
}

// looksIP is a cheap check for an IPv4 or IPv6 literal (no allocation, unlike
// netip.ParseAddr's error path).
func looksIP(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '%':
		default:
			return false
		}
	}
	return dots == 3 || colons >= 2
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
