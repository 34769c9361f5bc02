package parse

import (
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzCloudAudit(f *testing.F) { fuzzParser(f, "cloudaudit", parseCloudAudit) }

func TestCloudAuditTime(t *testing.T) {
	want := time.Date(2026, 11, 28, 10, 20, 0, 0, time.UTC)
	for _, c := range []struct {
		in   any
		want time.Time
	}{
		{int64(1795861200), want},
		{"1795861200", want},
		{float64(1795861200), want},
		{int64(1795861200000), want},
		// The first record version's local time, China Standard Time.
		{"2026-11-28 18:20:00", want},
		{"2026-11-28T10:20:00Z", want},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{int64(0), time.Time{}},
		{int64(-5), time.Time{}},
		{true, time.Time{}},
		{nil, time.Time{}},
	} {
		if got := cloudAuditTime(c.in); !got.Equal(c.want) {
			t.Errorf("cloudAuditTime(%#v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestCloudAuditOutcome checks both error codes: errorCode is the authorization
// result, apiErrorCode the API's; either makes the call a failure.
func TestCloudAuditOutcome(t *testing.T) {
	for _, c := range []struct {
		fields        string
		outcome, code string
	}{
		{`"errorCode":0,"errorMessage":"permission verify","apiErrorCode":0,"apiErrorMessage":""`, "success", ""},
		{`"errorCode":"0","errorMessage":"permission verify","apiErrorCode":"","apiErrorMessage":""`, "success", ""},
		{`"errorCode":"0"`, "success", ""},
		{`"errorCode":4102,"errorMessage":"permission denied"`, "failure", "4102"},
		{`"errorCode":0,"errorMessage":"permission verify","apiErrorCode":"ResourceNotFound","apiErrorMessage":"no such instance"`, "failure", "ResourceNotFound"},
	} {
		raw := `{"eventRegion":"ap-guangzhou","eventSource":"cvm.tencentcloudapi.com","eventName":"StopInstances",` + c.fields + `}`
		rec, err := decodeObject([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		ev := &event.Event{Original: rec}
		if !parseCloudAudit(nil, rec, ev) {
			t.Fatalf("not detected: %s", raw)
		}
		if got := ev.GetString("event.outcome"); got != c.outcome {
			t.Errorf("%s: outcome %q, want %q", c.fields, got, c.outcome)
		}
		if got, _ := fieldValue(ev, "error.code").(string); got != c.code {
			t.Errorf("%s: error.code %q, want %q", c.fields, got, c.code)
		}
	}
}
