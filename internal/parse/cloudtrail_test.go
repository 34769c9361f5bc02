package parse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzCloudTrail(f *testing.F) { fuzzParser(f, "cloudtrail", parseCloudTrail) }

// TestCloudTrailGzip reads a trail's log file gzip-compressed, as S3 delivers it: the
// events must be those of the plain file.
func TestCloudTrailGzip(t *testing.T) {
	plain := readFile(t, "testdata/cloudtrail/records.json")
	// Through a file, as the CLI reads a downloaded object.
	path := filepath.Join(t.TempDir(), "111122223333_CloudTrail_us-east-1_20261128T1005Z_example.json.gz")
	if err := os.WriteFile(path, gzipped(t, plain), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := readEvents(t, plain, "")
	got, counts := readEvents(t, readFile(t, path), "")
	if len(got) != len(want) || counts["cloudtrail"] != len(want) {
		t.Fatalf("%d events, counts %v; want %d cloudtrail events", len(got), counts, len(want))
	}
	for i := range want {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Errorf("event %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// TestCloudTrailIdentities checks the user fields of the identity types the golden
// files do not show.
func TestCloudTrailIdentities(t *testing.T) {
	for _, c := range []struct {
		identity string
		want     map[string]any
	}{
		{`{"type":"FederatedUser","principalId":"111122223333:Bob","arn":"arn:aws:sts::111122223333:federated-user/Bob","accountId":"111122223333",` +
			`"sessionContext":{"sessionIssuer":{"type":"IAMUser","userName":"broker"}}}`,
			map[string]any{"user.name": "Bob", "user.id": "111122223333:Bob", "user.identity.type": "FederatedUser"}},
		// An assumed role without an ARN still names its session in principalId.
		{`{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc","accountId":"111122223333"}`,
			map[string]any{"user.name": "i-0abc", "user.roles": nil}},
		{`{"type":"AWSService","invokedBy":"cloudformation.amazonaws.com"}`,
			map[string]any{"user.name": nil, "user.identity.type": "AWSService"}},
		{`{"type":"IAMUser","accountId":"111122223333","accessKeyId":"","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`,
			map[string]any{"user.name": nil, "related.user": nil}},
	} {
		raw := `{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventID":"e1","userIdentity":` + c.identity + `}`
		rec, err := decodeObject([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		ev := &event.Event{Original: rec}
		if !parseCloudTrail(nil, rec, ev) {
			t.Fatalf("not detected: %s", raw)
		}
		for k, want := range c.want {
			got := fieldValue(ev, k)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %#v, want %#v", c.identity, k, got, want)
			}
		}
	}
}

// fieldValue returns a normalized field, nil when it is not set.
func fieldValue(ev *event.Event, key string) any {
	for _, f := range ev.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}
