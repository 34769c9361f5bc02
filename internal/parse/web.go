package parse

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Web server logs.
//
//   - "nginx" and "apache": access logs in the common, combined and vhost_combined
//     formats ("IP - user [28/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 123 "ref"
//     "UA""). nginx and Apache write the same text, so detection cannot tell them apart:
//     such lines are detected as "nginx", and Options.Type "apache" reads them as Apache's
//     (type "apache", event.dataset "apache.access"). Fields after the user agent (nginx's
//     "$http_x_forwarded_for", timings) are ignored.
//   - "nginx-error": "2026/11/28 10:00:00 [error] 123#123: *4 message, client: IP,
//     server: _, request: "GET /x HTTP/1.1", host: "example.com"".
//   - "apache-error": "[Sat Nov 28 10:00:00.123456 2026] [core:error] [pid 123:tid 456]
//     [client IP:port] AH00126: message" (and Apache 2.2's "[error] [client IP]").
//   - programParsers["nginx"]: nginx logging to syslog; the message is an access or an
//     error line.
//
// Every non-JSON line is offered to the line parsers before the syslog parser, so each
// rejects other lines from its first bytes, without allocating.
//
// Access fields: source.ip (source.domain when the server logged a host name),
// user.name, http.request.method, url.original (the request target as sent), url.path,
// url.query, url.scheme/domain/port (absolute-form targets, vhost_combined's vhost),
// http.version, http.response.status_code, http.response.body.bytes,
// http.request.referrer, user_agent.original, event.category ["web"], event.type
// ["access"], event.action "http_request", event.outcome by status (< 400 success). A
// request line that is not "METHOD TARGET HTTP/x" (TLS handshakes sent to a plain-text
// port, "-") is kept whole in url.original. Only the log format's \" and \\ escapes are
// undone; \xHH escapes stay as the server wrote them.
//
// Sigma webserver names are set too: c-ip, cs-username, cs-host, cs-method, cs-uri-stem
// (the path), cs-uri-query, cs-version ("HTTP/1.1"), sc-status, cs-referer,
// cs-user-agent. cs-uri-query holds the whole request target, path and query: that is
// what the SigmaHQ webserver rules match it against (path traversal such as
// "/cgi-bin/.%2e/%2e%2e/" lives in the path). url.query holds the query alone.

func init() {
	lineParsers["nginx"] = func(p *Parser, line string, ev *event.Event) bool {
		return parseAccess(line, ev, "nginx.access")
	}
	lineParsers["apache"] = func(p *Parser, line string, ev *event.Event) bool {
		return parseAccess(line, ev, "apache.access")
	}
	lineParsers["nginx-error"] = parseNginxError
	lineParsers["apache-error"] = parseApacheError
	// "apache" is not detected: its lines are the same as nginx's.
	lineParserOrder = append(lineParserOrder, "nginx", "nginx-error", "apache-error")
	programParsers["nginx"] = func(p *Parser, msg string, ev *event.Event) bool {
		return parseAccess(msg, ev, "nginx.access") || parseNginxError(p, msg, ev)
	}
}

// parseAccess reads an access log line in the common/combined/vhost_combined format.
func parseAccess(line string, ev *event.Event, dataset string) bool {
	// Cheap rejection: the line starts with an address or host name and has
	// "[DD/Mon/" after it.
	if len(line) < 28 {
		return false
	}
	if c := line[0]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':') {
		return false
	}
	lb := strings.IndexByte(line, '[')
	if lb < 6 || len(line) < lb+28 || line[lb-1] != ' ' || !webDigit(line[lb+1]) || !webDigit(line[lb+2]) || line[lb+3] != '/' {
		return false
	}
	// "[vhost:port ]client ident user ".
	var tok [4]string
	n := 0
	for s := line[:lb]; ; {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if n == len(tok) {
			return false
		}
		tok[n], s, _ = strings.Cut(s, " ")
		n++
	}
	if n != 3 && n != 4 {
		return false
	}
	rb := strings.IndexByte(line[lb:], ']')
	if rb < 0 {
		return false
	}
	t, ok := parseCLFTime(line[lb+1 : lb+rb])
	if !ok {
		return false
	}
	ev.Time = t
	// About 30 fields follow: one allocation instead of the slice growing step by step.
	ev.Fields = slices.Grow(ev.Fields, 32)
	ev.Set("event.dataset", dataset)
	ev.Set("event.category", []string{"web"})
	ev.Set("event.type", []string{"access"})
	ev.Set("event.action", "http_request")
	client, user := tok[n-3], tok[n-1]
	if n == 4 {
		host, port := webHostPort(tok[0])
		ev.Set("url.domain", host)
		if port > 0 {
			ev.Set("url.port", port)
		}
		ev.Set("cs-host", host)
	}
	if _, err := netip.ParseAddr(client); err == nil {
		setSource(ev, client, 0)
	} else if client != "-" {
		ev.Set("source.domain", client)
	}
	ev.Set("c-ip", client)
	if user != "-" && user != "" {
		ev.Set("user.name", user)
		ev.Append("related.user", user)
		ev.Set("cs-username", user)
	}

	rest := strings.TrimLeft(line[lb+rb+1:], " ")
	if rest == "" || rest[0] != '"' {
		return true // cut after the time: keep what is there
	}
	req, rest := cutLogQuoted(rest)
	webRequest(ev, req)
	// Status and size.
	rest = strings.TrimLeft(rest, " ")
	status, rest, _ := strings.Cut(rest, " ")
	if code, err := strconv.ParseInt(status, 10, 64); err == nil && code >= 0 {
		ev.Set("http.response.status_code", code)
		ev.Set("sc-status", code)
		if code >= 400 {
			ev.Set("event.outcome", "failure")
		} else if code > 0 {
			ev.Set("event.outcome", "success")
		}
	}
	rest = strings.TrimLeft(rest, " ")
	size, rest, _ := strings.Cut(rest, " ")
	if b, err := strconv.ParseInt(size, 10, 64); err == nil && b >= 0 {
		ev.Set("http.response.body.bytes", b)
	}
	// Referrer and user agent (combined).
	rest = strings.TrimLeft(rest, " ")
	if rest == "" || rest[0] != '"' {
		return true
	}
	ref, rest := cutLogQuoted(rest)
	if ref != "-" {
		ev.Set("http.request.referrer", ref)
		ev.Set("cs-referer", ref)
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" || rest[0] != '"' {
		return true
	}
	if ua, _ := cutLogQuoted(rest); ua != "-" {
		ev.Set("user_agent.original", ua)
		ev.Set("cs-user-agent", ua)
	}
	return true
}

// webRequest splits "METHOD TARGET HTTP/x.y" into its fields; anything else (a TLS
// handshake sent to a plain-text port) is kept whole as url.original.
func webRequest(ev *event.Event, req string) {
	if req == "" || req == "-" {
		return
	}
	method, rest, found := strings.Cut(req, " ")
	if !found || !webMethod(method) {
		ev.Set("url.original", req)
		ev.Set("cs-uri-query", req)
		return
	}
	target, proto := rest, ""
	if i := strings.LastIndexByte(rest, ' '); i >= 0 && strings.HasPrefix(rest[i+1:], "HTTP/") {
		target, proto = rest[:i], rest[i+1:]
	}
	ev.Set("http.request.method", method)
	ev.Set("cs-method", method)
	ev.Set("url.original", target)
	ev.Set("cs-uri-query", target)
	if proto != "" {
		ev.Set("http.version", strings.TrimPrefix(proto, "HTTP/"))
		ev.Set("cs-version", proto)
	}
	path := ""
	switch {
	case strings.HasPrefix(target, "/"):
		path = target
	case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
		// Absolute form, sent to proxies (and by scanners probing for open ones).
		scheme, after, _ := strings.Cut(target, "://")
		ev.Set("url.scheme", scheme)
		hostport, p, found := strings.Cut(after, "/")
		host, port := webHostPort(hostport)
		ev.Set("url.domain", host)
		if port > 0 {
			ev.Set("url.port", port)
		}
		path = "/"
		if found {
			path += p
		}
	case method == "CONNECT":
		host, port := webHostPort(target)
		ev.Set("url.domain", host)
		if port > 0 {
			ev.Set("url.port", port)
		}
		return
	default:
		return
	}
	path, query, _ := strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	ev.Set("url.path", path)
	ev.Set("cs-uri-stem", path)
	ev.Set("url.query", query)
}

// webMethod reports whether s looks like an HTTP method: upper-case letters, '-' or '_'.
func webMethod(s string) bool {
	if len(s) == 0 || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cutLogQuoted reads a "…" field that starts s, undoing \" and \\; an unterminated field
// (a cut line) runs to the end.
func cutLogQuoted(s string) (val, rest string) {
	s = s[1:]
	i, escaped := 0, false
	for i < len(s) {
		switch s[i] {
		case '\\':
			escaped = true
			i += 2
			continue
		case '"':
		default:
			i++
			continue
		}
		break
	}
	if i >= len(s) {
		val, rest = s, ""
	} else {
		val, rest = s[:i], s[i+1:]
	}
	if escaped && (strings.Contains(val, `\"`) || strings.Contains(val, `\\`)) {
		val = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(val)
	}
	return val, rest
}

// webHostPort splits "host:port", "[v6]:port" and bare hosts.
func webHostPort(s string) (string, int64) {
	if strings.HasPrefix(s, "[") {
		host, rest, _ := strings.Cut(s[1:], "]")
		port, _ := strconv.ParseInt(strings.TrimPrefix(rest, ":"), 10, 64)
		return host, port
	}
	if strings.Count(s, ":") != 1 {
		return s, 0
	}
	host, p, _ := strings.Cut(s, ":")
	port, err := strconv.ParseInt(p, 10, 64)
	if err != nil || port <= 0 || port > 65535 {
		return s, 0
	}
	return host, port
}

// parseCLFTime reads "28/Nov/2026:10:00:00 +0000" (optionally with a fraction after the
// seconds) without the cost of time.Parse.
func parseCLFTime(s string) (time.Time, bool) {
	if len(s) < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' {
		return time.Time{}, false
	}
	day, ok1 := webAtoi(s[0:2])
	year, ok2 := webAtoi(s[7:11])
	hh, ok3 := webAtoi(s[12:14])
	mm, ok4 := webAtoi(s[15:17])
	ss, ok5 := webAtoi(s[18:20])
	mon := webMonth(s[3:6])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || mon == 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, false
	}
	rest := s[20:]
	nsec := 0
	if rest[0] == '.' {
		i := 1
		for scale := 100_000_000; i < len(rest) && webDigit(rest[i]); i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		rest = rest[i:]
	}
	if len(rest) != 6 || rest[0] != ' ' || rest[1] != '+' && rest[1] != '-' {
		return time.Time{}, false
	}
	zh, ok1 := webAtoi(rest[2:4])
	zm, ok2 := webAtoi(rest[4:6])
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	offset := time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
	if rest[1] == '-' {
		offset = -offset
	}
	return time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, time.UTC).Add(-offset), true
}

func webAtoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !webDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

func webDigit(c byte) bool { return c >= '0' && c <= '9' }

func webMonth(s string) int {
	switch s {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// parseNginxError reads nginx's error log: "2026/11/28 10:00:00 [error] 123#123: *4
// open() "/x" failed (2: No such file or directory), client: 1.2.3.4, server: _,
// request: "GET /x HTTP/1.1", host: "example.com"". Fields: log.level, process.pid,
// process.thread.id, nginx.error.connection_id, error.message (the text before ",
// client:"), source.ip, http.request.method, url.*, url.domain (host:),
// nginx.error.server, nginx.error.upstream, http.request.referrer; basic-auth failures
// ("user "x" was not found in …", "user "x": password mismatch") add user.name and the
// authentication category; ModSecurity denials add rule.id and rule.description.
func parseNginxError(p *Parser, line string, ev *event.Event) bool {
	if len(line) < 24 || line[4] != '/' || line[7] != '/' || line[10] != ' ' || line[13] != ':' ||
		line[16] != ':' || line[19] != ' ' || line[20] != '[' || !webDigit(line[0]) {
		return false
	}
	level, rest, found := strings.Cut(line[21:], "] ")
	if !found || !webNginxLevel(level) {
		return false
	}
	t, err := time.ParseInLocation("2006/01/02 15:04:05", line[:19], p.opts.Location)
	if err != nil {
		return false
	}
	// The stamp has no zone: a syslog header's time, when the line came that way, is
	// the better one.
	if ev.Time.IsZero() {
		ev.Time = t.UTC()
	}
	ev.Fields = slices.Grow(ev.Fields, 24)
	ev.Set("event.dataset", "nginx.error")
	ev.Set("event.category", []string{"web"})
	ev.Set("event.type", []string{webErrorType(level)})
	ev.Set("log.level", level)
	// "PID#TID: [*CID ]message"
	if ids, after, found := strings.Cut(rest, ": "); found && strings.IndexByte(ids, '#') > 0 && strings.IndexByte(ids, ' ') < 0 {
		pid, tid, _ := strings.Cut(ids, "#")
		if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
			ev.Set("process.pid", n)
		}
		if n, err := strconv.ParseInt(tid, 10, 64); err == nil {
			ev.Set("process.thread.id", n)
		}
		rest = after
	}
	if strings.HasPrefix(rest, "*") {
		cid, after, _ := strings.Cut(rest[1:], " ")
		if n, err := strconv.ParseInt(cid, 10, 64); err == nil {
			ev.Set("nginx.error.connection_id", n)
			rest = after
		}
	}
	msg, tail, _ := strings.Cut(rest, ", client: ")
	ev.Set("error.message", msg)
	if tail != "" {
		client, kvs, _ := strings.Cut(tail, ", ")
		if _, err := netip.ParseAddr(client); err == nil {
			setSource(ev, client, 0)
		}
		for kvs != "" {
			var key, val string
			key, val, kvs = nextNginxKV(kvs)
			switch key {
			case "server":
				ev.Set("nginx.error.server", val)
			case "request":
				webRequest(ev, val)
			case "host":
				ev.Set("url.domain", val)
			case "upstream":
				ev.Set("nginx.error.upstream", val)
			case "referrer":
				ev.Set("http.request.referrer", val)
			}
		}
	}
	// Basic authentication failures: user "admin" was not found in "/etc/nginx/.htpasswd";
	// user "admin": password mismatch.
	if r, ok := strings.CutPrefix(msg, `user "`); ok {
		if user, after, found := strings.Cut(r, `"`); found &&
			(strings.HasPrefix(after, " was not found") || strings.HasPrefix(after, ": password mismatch")) {
			webAuthFailure(ev, user)
		}
	}
	webModSecurity(ev, msg)
	return true
}

// nextNginxKV reads "key: value" or "key: "value"" from nginx's error-log tail and
// returns what follows the ", " after it. A quoted value ends at the quote followed by
// ", word: " or the end of the line, so quotes inside a request line do not cut it.
func nextNginxKV(s string) (key, val, rest string) {
	key, s, found := strings.Cut(s, ": ")
	if !found {
		return "", "", ""
	}
	if !strings.HasPrefix(s, `"`) {
		val, rest, _ = strings.Cut(s, ", ")
		return key, val, rest
	}
	s = s[1:]
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		if i == len(s)-1 {
			return key, s[:i], ""
		}
		if strings.HasPrefix(s[i+1:], ", ") && nginxKeyFollows(s[i+3:]) {
			return key, s[:i], s[i+3:]
		}
	}
	return key, s, ""
}

// nginxKeyFollows reports whether s starts with "word: ".
func nginxKeyFollows(s string) bool {
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	return i > 0 && strings.HasPrefix(s[i:], ": ")
}

// webErrorType is the event.type of an error-log line: "info" for the levels that
// report normal operation, else "error".
func webErrorType(level string) string {
	switch {
	case level == "debug", level == "info", level == "notice", strings.HasPrefix(level, "trace"):
		return "info"
	}
	return "error"
}

func webNginxLevel(s string) bool {
	switch s {
	case "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg":
		return true
	}
	return false
}

// webAuthFailure marks a failed HTTP basic authentication.
func webAuthFailure(ev *event.Event, user string) {
	ev.Set("event.category", []string{"web", "authentication"})
	ev.Set("event.type", []string{"error", "start"})
	ev.Set("event.action", "http_auth_failure")
	ev.Set("event.outcome", "failure")
	if user != "" {
		ev.Set("user.name", user)
		ev.Append("related.user", user)
	}
}

// webModSecurity reads a ModSecurity message's [id "942100"] and [msg "…"]; a denial
// becomes event.action "waf_denied".
func webModSecurity(ev *event.Event, msg string) {
	i := strings.Index(msg, "ModSecurity: ")
	if i < 0 {
		return
	}
	m := msg[i:]
	if id := webBracketTag(m, "id"); id != "" {
		ev.Set("rule.id", id)
	}
	if d := webBracketTag(m, "msg"); d != "" {
		ev.Set("rule.description", d)
	}
	if strings.HasPrefix(m, "ModSecurity: Access denied") {
		ev.Set("event.action", "waf_denied")
		ev.Set("event.type", []string{"error", "denied"})
		ev.Set("event.outcome", "failure")
	}
}

// webBracketTag returns the value of [name "value"] in a ModSecurity message.
func webBracketTag(s, name string) string {
	_, v, found := strings.Cut(s, "["+name+` "`)
	if !found {
		return ""
	}
	v, _, _ = strings.Cut(v, `"]`)
	return v
}

// parseApacheError reads Apache's error log: "[Sat Nov 28 10:00:00.123456 2026]
// [module:level] [pid N:tid M] [client IP:port] AHnnnnn: message, referer: URL" (2.4)
// and "[Sat Nov 28 10:00:00 2026] [level] [client IP] message" (2.2). Fields: log.level,
// apache.error.module, process.pid, process.thread.id, source.ip/port, error.code
// (AH00126), error.message, http.request.referrer, file.path for "File does not exist:"
// and "client denied by server configuration:"; basic-auth failures add user.name and the
// authentication category; ModSecurity denials add rule.id and rule.description.
func parseApacheError(p *Parser, line string, ev *event.Event) bool {
	if len(line) < 30 || line[0] != '[' || line[4] != ' ' || !webWeekday(line[1:4]) {
		return false
	}
	stamp, rest, found := strings.Cut(line[1:], "] ")
	if !found {
		return false
	}
	t, err := time.ParseInLocation("Mon Jan _2 15:04:05 2006", stamp, p.opts.Location)
	if err != nil {
		return false
	}
	ev.Time = t.UTC()
	ev.Fields = slices.Grow(ev.Fields, 20)
	ev.Set("event.dataset", "apache.error")
	ev.Set("event.category", []string{"web"})
groups:
	for first := true; strings.HasPrefix(rest, "["); first = false {
		end := strings.IndexByte(rest, ']')
		if strings.HasPrefix(rest, "[client [") && end > 0 {
			// "[client [2001:db8::2]:52030]": the address has brackets of its own.
			if e := strings.IndexByte(rest[end+1:], ']'); e >= 0 {
				end += 1 + e
			}
		}
		if end < 0 {
			break
		}
		group, after := rest[1:end], rest[end+1:]
		switch {
		case first:
			module, level, found := strings.Cut(group, ":")
			if !found {
				module, level = "", group
			}
			ev.Set("log.level", level)
			ev.Set("event.type", []string{webErrorType(level)})
			ev.Set("apache.error.module", module)
		case strings.HasPrefix(group, "pid "):
			pid, tid, _ := strings.Cut(group[4:], ":tid ")
			if n, err := strconv.ParseInt(pid, 10, 64); err == nil {
				ev.Set("process.pid", n)
			}
			if n, err := strconv.ParseInt(tid, 10, 64); err == nil {
				ev.Set("process.thread.id", n)
			}
		case strings.HasPrefix(group, "client "):
			ip, port := webClientAddr(group[7:])
			if _, ok := ev.Get("source.ip"); !ok {
				setSource(ev, ip, port)
			}
		case strings.HasPrefix(group, "remote "):
		default:
			break groups // the message itself starts with a bracket (ModSecurity)
		}
		rest = strings.TrimLeft(after, " ")
	}
	msg := rest
	if m, ref, found := cutLast(msg, ", referer: "); found {
		msg = m
		ev.Set("http.request.referrer", ref)
	}
	if webAHCode(msg) {
		ev.Set("error.code", msg[:7])
		msg = msg[9:]
	} else if i := strings.Index(msg, ": AH"); i >= 0 && strings.HasPrefix(msg, "(") && webAHCode(msg[i+2:]) {
		// "(111)Connection refused: AH00957: …": the OS error comes first.
		ev.Set("error.code", msg[i+2:i+9])
	}
	ev.Set("error.message", msg)
	for _, prefix := range []string{"File does not exist: ", "client denied by server configuration: "} {
		if f, ok := strings.CutPrefix(msg, prefix); ok {
			ev.Set("file.path", f)
		}
	}
	// user admin not found: /admin; user admin: authentication failure for "/admin": Password Mismatch
	if r, ok := strings.CutPrefix(msg, "user "); ok {
		if user, _, found := strings.Cut(r, " not found"); found && !strings.Contains(user, " ") {
			webAuthFailure(ev, user)
		} else if user, after, found := strings.Cut(r, ": "); found && strings.HasPrefix(after, "authentication failure") {
			webAuthFailure(ev, user)
		}
	}
	webModSecurity(ev, msg)
	return true
}

// webAHCode reports whether s starts with an Apache message code and ": " ("AH00126: ").
func webAHCode(s string) bool {
	if len(s) < 9 || s[0] != 'A' || s[1] != 'H' || s[7] != ':' || s[8] != ' ' {
		return false
	}
	_, ok := webAtoi(s[2:7])
	return ok
}

// webClientAddr reads Apache's "IP:port", "IP" and "[v6]:port"; an IPv6 address is
// followed by ":port" too, so the part after the last colon is a port when what is
// before it is an address.
func webClientAddr(s string) (string, int64) {
	if strings.HasPrefix(s, "[") {
		host, port := webHostPort(s)
		return host, port
	}
	if _, err := netip.ParseAddr(s); err == nil && strings.Count(s, ":") != 1 {
		if ip, p, found := cutLast(s, ":"); found && strings.Contains(ip, ":") {
			if _, err := netip.ParseAddr(ip); err == nil {
				if port, err := strconv.ParseInt(p, 10, 64); err == nil && len(p) <= 5 && port <= 65535 {
					return ip, port
				}
			}
		}
		return s, 0
	}
	ip, p, found := cutLast(s, ":")
	if !found {
		return "", 0
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		return "", 0
	}
	port, _ := strconv.ParseInt(p, 10, 64)
	return ip, port
}

func webWeekday(s string) bool {
	switch s {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}
