package event

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var cloudTrailKeys = []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "additionalEventData", "requestID",
	"eventID", "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory", "tlsDetails", "sessionCredentialFromConsole"}

func TestSortEntries(t *testing.T) {
	for n := range 70 {
		for range 20 {
			s := make([]entry, n)
			for i := range s {
				s[i].key = strings.Repeat("ab", rand.IntN(6)) + string(rune('a'+rand.IntN(3)))
			}
			want := slices.Clone(s)
			slices.SortStableFunc(want, func(a, b entry) int { return strings.Compare(a.key, b.key) })
			sortEntries(s)
			for i := range s {
				if s[i].key != want[i].key {
					t.Fatalf("n=%d: %v", n, s)
				}
			}
		}
	}
}

func BenchmarkSortEntries(b *testing.B) {
	src := make([]entry, len(cloudTrailKeys))
	for i, k := range cloudTrailKeys {
		src[i] = entry{key: k}
	}
	s := make([]entry, len(src))
	for b.Loop() {
		copy(s, src)
		sortEntries(s)
	}
}
