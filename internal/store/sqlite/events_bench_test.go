package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// BenchmarkEventsAppend stores batches of 500 events of about 700 bytes, the shape of a
// busy syslog or agent source, and reports events/s.
func BenchmarkEventsAppend(b *testing.B) {
	es, err := sqlite.OpenEvents(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer es.Close()
	doc := []byte(`{"@timestamp":"2026-11-28T10:00:01Z","event":{"action":"ssh_login","category":["authentication"],"module":"sshd","outcome":"failure"},"host":{"name":"web-1"},"message":"` + strings.Repeat("x", 500) + `"}`)
	batch := make([]store.StoredEvent, 500)
	n := 0
	t0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc) * len(batch)))
	for b.Loop() {
		for i := range batch {
			n++
			sum := sha256.Sum256([]byte(strconv.Itoa(n)))
			batch[i] = store.StoredEvent{ID: hex.EncodeToString(sum[:16]), Time: t0.Add(time.Duration(n) * time.Millisecond),
				Received: t0, Type: "sshd", Host: "web-1", Source: "bench", Doc: doc}
		}
		if _, err := es.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
