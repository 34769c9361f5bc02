package event_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// encodedOf builds the EncodedObject of a record the way a decoder would.
func encodedOf(t *testing.T, rec map[string]any) *event.EncodedObject {
	t.Helper()
	eo := &event.EncodedObject{}
	for k := range rec {
		eo.Keys = append(eo.Keys, k)
	}
	slices.Sort(eo.Keys)
	for _, k := range eo.Keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(rec[k])
		if err != nil {
			t.Fatal(err)
		}
		eo.Text = append(append(append(eo.Text, kb...), ':'), vb...)
		eo.Ends = append(eo.Ends, len(eo.Text))
	}
	return eo
}

// TestEncodedOriginal checks that an event whose record comes encoded is written as the
// same bytes, and that the encoding stops being used once Original is replaced or its
// number of members changes.
func TestEncodedOriginal(t *testing.T) {
	rec := map[string]any{"eventName": "CreateUser", "awsRegion": "us-east-1", "a<b": "x&y",
		"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"}, "n": int64(7), "z": []any{true, nil, 1.5}}
	e := &event.Event{ID: "cloudtrail:1", Type: "cloudtrail", Original: rec}
	e.Set("event.action", "CreateUser")
	e.Set("user.name", "alice")
	e.Set("cloud.region", "us-east-1")
	want := treeJSON(t, e)
	e.SetEncodedOriginal(encodedOf(t, rec))
	checkSameAsTree(t, e)

	// A stale encoding (it does not mention "extra") must not be used once the record
	// has more members, nor for another record.
	stale := encodedOf(t, rec)
	e.SetEncodedOriginal(stale)
	rec["extra"] = "added"
	checkSameAsTree(t, e)
	delete(rec, "extra")
	e.Original = map[string]any{"other": "record", "a": "b", "c": "d", "e": "f", "g": "h", "i": "j"}
	checkSameAsTree(t, e)
	e.Original = rec
	got, _ := e.AppendJSON(nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("the same record again:\n got %s\nwant %s", got, want)
	}

	// A record member that the event's own fields open goes the long way.
	rec["user"] = map[string]any{"id": "u1"}
	e.SetEncodedOriginal(encodedOf(t, rec))
	checkSameAsTree(t, e)
	e.SetEncodedOriginal(nil)
	checkSameAsTree(t, e)
}
