package auth

import (
	"slices"
	"sort"
)

// Permission names one thing a caller may do. Routes declare the permission they need;
// roles grant sets of permissions. docs/PERMISSIONS.md is generated from this table
// (TestPermissionDocIsCurrent keeps it in step).
type Permission string

// The permissions of the platform. Later stages add theirs here so the matrix stays in
// one place.
const (
	PermUsersRead     Permission = "users:read"
	PermUsersWrite    Permission = "users:write"
	PermTokensRead    Permission = "tokens:read"
	PermTokensWrite   Permission = "tokens:write"
	PermAuditRead     Permission = "audit:read"
	PermSettingsRead  Permission = "settings:read"
	PermSettingsWrite Permission = "settings:write"
	PermMetricsRead   Permission = "metrics:read"
	PermIngestWrite   Permission = "ingest:write"
	PermIngestRead    Permission = "ingest:read"
	PermAgentsEnroll  Permission = "agents:enroll"
	PermAgentsReport  Permission = "agents:report"
	PermHostsRead     Permission = "hosts:read"
	PermMatrixRead    Permission = "matrix:read"
	PermAlertsRead    Permission = "alerts:read"
	// PermAlertsWrite acknowledges, assigns, attaches and marks alerts.
	PermAlertsWrite     Permission = "alerts:write"
	PermIncidentsRead   Permission = "incidents:read"
	PermIncidentsWrite  Permission = "incidents:write"
	PermExceptionsWrite Permission = "exceptions:write"
	PermAssetsWrite     Permission = "assets:write"
	// PermRulesWrite enables and disables rules and uploads rule files.
	PermRulesWrite Permission = "rules:write"
)

// Role names.
const (
	RoleAdmin             = "admin"
	RoleIncidentCommander = "incident_commander"
	RoleAnalyst           = "analyst"
	RoleResponder         = "responder"
	RoleViewer            = "viewer"
	RoleIngest            = "ingest"
)

// roleDefs is the permission matrix. A role's description says what the person holding
// it does in an incident, after NIST SP 800-61's response team.
var roleDefs = []struct {
	name        string
	description string
	perms       []Permission
}{
	{RoleAdmin, "Runs the platform: users, tokens, settings; can do everything.", []Permission{
		PermUsersRead, PermUsersWrite, PermTokensRead, PermTokensWrite, PermAuditRead,
		PermSettingsRead, PermSettingsWrite, PermMetricsRead, PermIngestWrite, PermIngestRead,
		PermAgentsEnroll, PermAgentsReport, PermHostsRead, PermMatrixRead, PermAlertsRead, PermAlertsWrite,
		PermIncidentsRead, PermIncidentsWrite, PermExceptionsWrite, PermAssetsWrite, PermRulesWrite}},
	{RoleIncidentCommander, "Leads the response: owns incidents, approves containment, reads the audit log.", []Permission{
		PermUsersRead, PermAuditRead, PermSettingsRead, PermMetricsRead, PermIngestRead, PermHostsRead, PermMatrixRead, PermAlertsRead,
		PermAlertsWrite, PermIncidentsRead, PermIncidentsWrite, PermExceptionsWrite, PermAssetsWrite, PermRulesWrite}},
	{RoleAnalyst, "Triages alerts and investigates incidents.", []Permission{
		PermMetricsRead, PermIngestRead, PermHostsRead, PermMatrixRead, PermAlertsRead, PermAlertsWrite,
		PermIncidentsRead, PermIncidentsWrite, PermExceptionsWrite, PermRulesWrite}},
	{RoleResponder, "Carries out containment and remediation actions.", []Permission{
		PermMetricsRead, PermHostsRead, PermMatrixRead, PermAlertsRead, PermIncidentsRead, PermIncidentsWrite}},
	{RoleViewer, "Reads dashboards and incidents; changes nothing.", []Permission{
		PermMetricsRead, PermHostsRead, PermMatrixRead, PermAlertsRead, PermIncidentsRead}},
	{RoleIngest, "A machine that sends logs (agents, scripts, forwarders): submits events, enrols agents, reports heartbeats.", []Permission{
		PermIngestWrite, PermAgentsEnroll, PermAgentsReport}},
}

// Roles lists the role names, most privileged first.
func Roles() []string {
	out := make([]string, len(roleDefs))
	for i, r := range roleDefs {
		out[i] = r.name
	}
	return out
}

// ValidRole reports whether name is a role.
func ValidRole(name string) bool {
	return slices.Contains(Roles(), name)
}

// RoleDescription returns the one-line description of a role.
func RoleDescription(role string) string {
	for _, r := range roleDefs {
		if r.name == role {
			return r.description
		}
	}
	return ""
}

// Can reports whether role grants p.
func Can(role string, p Permission) bool {
	for _, r := range roleDefs {
		if r.name == role {
			return slices.Contains(r.perms, p)
		}
	}
	return false
}

// PermissionsOf returns the sorted permissions of role.
func PermissionsOf(role string) []Permission {
	for _, r := range roleDefs {
		if r.name == role {
			out := slices.Clone(r.perms)
			sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
			return out
		}
	}
	return nil
}

// AllPermissions returns every permission granted by some role, sorted.
func AllPermissions() []Permission {
	var out []Permission
	for _, r := range roleDefs {
		for _, p := range r.perms {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
