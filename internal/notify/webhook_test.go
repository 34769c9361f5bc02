package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestWebhookSignsTimestampAndBody(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusNoContent, ""))
	clock := newFakeClock()
	const secret = "s3cr3t-hmac-key"
	d := mustNew(t, single(Channel{Name: "siem", Type: TypeWebhook, URL: rc.URL + "/hooks/vigil", Secret: secret}),
		testOptions(clock, newRecorder()))

	msg := sample()
	if err := d.Send(context.Background(), "siem", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	if req.Method != http.MethodPost || req.Path != "/hooks/vigil" {
		t.Errorf("got %s %s, want POST /hooks/vigil", req.Method, req.Path)
	}
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	ts := req.Header.Get("X-Vigil-Timestamp")
	if want := strconv.FormatInt(t0.Unix(), 10); ts != want {
		t.Errorf("X-Vigil-Timestamp = %q, want %q", ts, want)
	}
	// The signature is recomputed here from its definition, not with SignWebhook.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(req.Body)))
	if got, want := req.Header.Get("X-Vigil-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("X-Vigil-Signature = %q, want %q", got, want)
	}
	if got := req.Header.Get("X-Vigil-Event"); got != KindIncidentCreated {
		t.Errorf("X-Vigil-Event = %q", got)
	}
	if req.Header.Get("X-Vigil-Delivery") == "" {
		t.Error("no X-Vigil-Delivery header")
	}

	var got Message
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body is not a Message: %v\n%s", err, req.Body)
	}
	if !reflect.DeepEqual(got, msg) {
		t.Errorf("body decodes to\n%+v\nwant\n%+v", got, msg)
	}
	// The field names are the documented wire format.
	var fields map[string]any
	json.Unmarshal(req.Body, &fields)
	for _, k := range []string{"kind", "incident_id", "title", "severity", "status", "tactics", "techniques",
		"hosts", "host_groups", "summary", "url", "time"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("body has no %q field: %s", k, req.Body)
		}
	}
	if len(fields) != 12 {
		t.Errorf("body has %d fields, want 12: %s", len(fields), req.Body)
	}
}

func TestWebhookWithoutSecretIsUnsignedAndListsAreEmptyArrays(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, "thanks"))
	d := mustNew(t, single(Channel{Name: "plain", Type: TypeWebhook, URL: rc.URL}), testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "plain", Message{Kind: KindTest, Title: "test"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	if sig := req.Header.Get("X-Vigil-Signature"); sig != "" {
		t.Errorf("unsigned channel sent X-Vigil-Signature %q", sig)
	}
	if !strings.Contains(string(req.Body), `"tactics":[]`) || !strings.Contains(string(req.Body), `"hosts":[]`) {
		t.Errorf("empty lists not sent as []: %s", req.Body)
	}
}

func TestSignWebhookMatchesDocumentedExample(t *testing.T) {
	// The example of docs/NOTIFY.md, so the documentation cannot drift from the code.
	got := SignWebhook("s3cr3t", "1773131400", []byte(`{"kind":"notify.test"}`))
	const want = "d5b5a6dd51d2980c86404f2105ce64e61ae6e32cabbbdcb765ea68c340949802"
	if got != want {
		t.Fatalf("SignWebhook = %s, want %s", got, want)
	}
}
