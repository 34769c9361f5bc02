package parse

import (
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzActionTrail(f *testing.F) { fuzzParser(f, "actiontrail", parseActionTrail) }

// TestActionTrailAssumedRole checks how an assumed role's "role:session" user name is
// split, and that a plain user name with a colon-free value stays whole.
func TestActionTrailAssumedRole(t *testing.T) {
	for _, c := range []struct {
		identity   string
		name, role string
	}{
		{`{"type":"assumed-role","principalId":"3435:u1","userName":"custom-role-for-actiontrail:u1"}`, "u1", "custom-role-for-actiontrail"},
		{`{"type":"assumed-role","principalId":"3435","userName":"custom-role-for-actiontrail"}`, "custom-role-for-actiontrail", ""},
		{`{"type":"ram-user","principalId":"2389","userName":"Alice"}`, "Alice", ""},
	} {
		raw := `{"eventId":"1","acsRegion":"cn-hangzhou","eventSource":"ecs.aliyuncs.com","eventName":"DescribeInstances","userIdentity":` + c.identity + `}`
		rec, err := decodeObject([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		ev := &event.Event{Original: rec}
		if !parseActionTrail(nil, rec, ev) {
			t.Fatalf("not detected: %s", raw)
		}
		roles, _ := fieldValue(ev, "user.roles").([]string)
		role := ""
		if len(roles) == 1 {
			role = roles[0]
		}
		if got := ev.GetString("user.name"); got != c.name || role != c.role {
			t.Errorf("%s: user.name %q roles %v, want %q and %q", c.identity, got, roles, c.name, c.role)
		}
	}
}
