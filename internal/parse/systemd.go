package parse

import (
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() { programParsers["systemd"] = parseSystemd }

// parseSystemd understands unit state changes logged by systemd:
// "Started nginx.service - A high performance web server.", "Stopped auditd.service.",
// "Stopping rsyslog.service - System Logging Service...",
// "nginx.service: Failed with result 'exit-code'.", "Failed to start x.service - X.",
// "nginx.service: Main process exited, code=exited, status=1/FAILURE",
// and logind's "New session 5 of user alice." / "Removed session 5.".
func parseSystemd(p *Parser, msg string, ev *event.Event) bool {
	ev.Set("event.dataset", "systemd")
	// action is an interface so that the constants need no box of their own.
	unitEvent := func(unit string, action any, typ string, ok bool) bool {
		unit = strings.TrimSuffix(strings.TrimSpace(unit), ".")
		if unit == "" {
			return false
		}
		if name, desc, found := strings.Cut(unit, " - "); found {
			unit = name
			ev.Set("systemd.unit.description", p.str(strings.TrimSuffix(strings.TrimSuffix(desc, "..."), ".")))
		}
		ev.Set("event.category", listProcess)
		ev.Set("event.type", shared(typ))
		ev.Set("event.action", action)
		if ok {
			ev.Set("event.outcome", "success")
		} else {
			ev.Set("event.outcome", "failure")
		}
		ev.Set("service.name", p.str(strings.TrimSuffix(unit, ".service")))
		ev.Set("systemd.unit", p.str(unit))
		return true
	}
	switch {
	case strings.HasPrefix(msg, "Started "):
		return unitEvent(msg[len("Started "):], "service_started", "start", true)
	case strings.HasPrefix(msg, "Starting "):
		return unitEvent(strings.TrimSuffix(msg[len("Starting "):], "..."), "service_starting", "start", true)
	case strings.HasPrefix(msg, "Stopped "):
		return unitEvent(msg[len("Stopped "):], "service_stopped", "end", true)
	case strings.HasPrefix(msg, "Stopping "):
		return unitEvent(strings.TrimSuffix(msg[len("Stopping "):], "..."), "service_stopping", "end", true)
	case strings.HasPrefix(msg, "Failed to start "):
		return unitEvent(msg[len("Failed to start "):], "service_failed", "start", false)
	case strings.HasPrefix(msg, "Reloaded "):
		return unitEvent(msg[len("Reloaded "):], "service_reloaded", "change", true)
	case strings.HasPrefix(msg, "New session "):
		// logind: "New session 5 of user alice."
		rest := strings.TrimSuffix(msg[len("New session "):], ".")
		id, user, found := strings.Cut(rest, " of user ")
		if !found {
			return false
		}
		ev.Set("event.category", listSession)
		ev.Set("event.type", listStart)
		ev.Set("event.action", "session_opened")
		ev.Set("event.outcome", "success")
		ev.Set("user.name", p.str(user))
		p.add(ev, "related.user", user)
		ev.Set("systemd.session.id", p.str(id))
		return true
	}
	// "<unit>: Failed with result 'exit-code'." and "<unit>: Main process exited, code=…"
	if unit, detail, found := strings.Cut(msg, ": "); found && strings.Contains(unit, ".") && !strings.Contains(unit, " ") {
		switch {
		case strings.HasPrefix(detail, "Failed with result "):
			ev.Set("event.reason", p.str(quoted(detail)))
			return unitEvent(unit, "service_failed", "end", false)
		case strings.HasPrefix(detail, "Main process exited"):
			ev.Set("event.reason", p.str(detail))
			return unitEvent(unit, "service_exited", "end", !strings.Contains(detail, "FAILURE"))
		case strings.HasPrefix(detail, "Deactivated successfully"):
			return unitEvent(unit, "service_stopped", "end", true)
		}
	}
	return false
}
