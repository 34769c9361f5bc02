package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
)

// BenchmarkHTTPIngest posts batches of 1000 auth.log lines through the real handler stack
// (authentication, parsing, the durable store) and reports events/s end to end.
func BenchmarkHTTPIngest(b *testing.B) {
	e := newEnv(b)
	tok := e.token(auth.RoleIngest)
	n := 0
	var body bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		body.Reset()
		for i := range 1000 {
			fmt.Fprintf(&body, "Nov 28 10:%02d:%02d web-1 sshd[%d]: Failed password for root from 203.0.113.%d port %d ssh2\n",
				(n/60)%60, n%60, 1000+i, i%250, 40000+n%20000)
			n++
		}
		b.SetBytes(int64(body.Len()))
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/ingest", bytes.NewReader(body.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/plain")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
