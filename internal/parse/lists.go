package parse

// Shared lists for event.category and event.type. Nearly every event gets one of each,
// and a fresh []string per event costs two allocations (the array and the interface
// that holds it); these are made and boxed once. They are never written to: a parser
// replaces a field's value with Set, and Event.Append copies a list before it adds to it.
var (
	listAccess                = sharedList("access")
	listAuthentication        = sharedList("authentication")
	listAuthenticationNetwork = sharedList("authentication", "network")
	listAuthenticationSession = sharedList("authentication", "session")
	listChange                = sharedList("change")
	listConfiguration         = sharedList("configuration")
	listConnection            = sharedList("connection")
	listEnd                   = sharedList("end")
	listGroupCreation         = sharedList("group", "creation")
	listGroupDeletion         = sharedList("group", "deletion")
	listIAM                   = sharedList("iam")
	listNetwork               = sharedList("network")
	listProcess               = sharedList("process")
	listSession               = sharedList("session")
	listStart                 = sharedList("start")
	listStartDenied           = sharedList("start", "denied")
	listUserChange            = sharedList("user", "change")
	listUserCreation          = sharedList("user", "creation")
	listUserDeletion          = sharedList("user", "deletion")
)

func sharedList(values ...string) any { return values }

// shared returns the shared list of the given values, or a new list where none is shared.
func shared(values ...string) any {
	for _, l := range []any{listStart, listEnd, listChange, listUserChange, listUserCreation, listUserDeletion,
		listGroupCreation, listGroupDeletion} {
		if equalLists(l.([]string), values) {
			return l
		}
	}
	return append([]string(nil), values...)
}

func equalLists(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
