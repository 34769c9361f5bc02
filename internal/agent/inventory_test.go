package agent

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeCloud answers metadata paths from a table; tokens are handed out on PUT.
func fakeCloud(t *testing.T, values map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := values[r.Method+" "+r.URL.Path]; ok {
			io.WriteString(w, v)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCloudProbe(t *testing.T) {
	tencent := fakeCloud(t, map[string]string{
		"GET /latest/meta-data/instance-id":      "ins-abcd1234",
		"GET /latest/meta-data/placement/region": "ap-guangzhou",
		"GET /latest/meta-data/placement/zone":   "ap-guangzhou-3",
		"GET /latest/meta-data/public-ipv4":      "203.0.113.20",
	})
	alibaba := fakeCloud(t, map[string]string{
		"GET /latest/meta-data/instance-id": "i-bp1abc",
		"GET /latest/meta-data/region-id":   "cn-hangzhou",
		"GET /latest/meta-data/zone-id":     "cn-hangzhou-h",
		"GET /latest/meta-data/eipv4":       "203.0.113.30",
	})
	aws := fakeMetadata(t).URL
	// A portal that answers everything with a web page is not a cloud.
	portal := fakeCloud(t, map[string]string{"GET /latest/meta-data/instance-id": "<html>sign in</html>"})
	closed := "http://" + freePort(t)

	tests := []struct {
		name                  string
		aws, tencent, alibaba string
		want                  *Cloud
	}{
		{"aws", aws, closed, closed, &Cloud{"aws", "i-0abc123", "ap-east-1", "ap-east-1a", []string{"203.0.113.10"}}},
		{"tencent", closed, tencent, "", &Cloud{"tencent", "ins-abcd1234", "ap-guangzhou", "ap-guangzhou-3", []string{"203.0.113.20"}}},
		{"alibaba", "", closed, alibaba, &Cloud{"alibaba", "i-bp1abc", "cn-hangzhou", "cn-hangzhou-h", []string{"203.0.113.30"}}},
		{"aws first", aws, tencent, alibaba, &Cloud{"aws", "i-0abc123", "ap-east-1", "ap-east-1a", []string{"203.0.113.10"}}},
		{"portal", portal, portal, portal, nil},
		{"none", closed, closed, closed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newCloudProbe(CloudMetadata{Enabled: true, AWS: tt.aws, Tencent: tt.tencent, Alibaba: tt.alibaba, Timeout: time.Second})
			start := time.Now()
			got := p.detect(t.Context())
			if (got == nil) != (tt.want == nil) || got != nil && !reflect.DeepEqual(*got, *tt.want) {
				t.Errorf("detect = %+v, want %+v", got, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("detect took %v", d)
			}
		})
	}
	if got := newCloudProbe(CloudMetadata{Enabled: false, AWS: aws}).detect(t.Context()); got != nil {
		t.Errorf("disabled probe found %+v", got)
	}
}

func TestOSRelease(t *testing.T) {
	kv := osRelease([]byte("# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n"))
	if kv["PRETTY_NAME"] != "Debian GNU/Linux 12 (bookworm)" || kv["ID"] != "debian" || kv["VERSION_ID"] != "12" {
		t.Errorf("os-release = %v", kv)
	}
	inv := (&inventory{}).collect(t.Context())
	if inv.Hostname == "" || inv.Arch == "" || inv.Cloud != nil {
		t.Errorf("inventory %+v", inv)
	}
	for _, ip := range inv.IPs {
		if strings.HasPrefix(ip, "127.") || ip == "::1" {
			t.Errorf("loopback address %s in the inventory", ip)
		}
	}
}
