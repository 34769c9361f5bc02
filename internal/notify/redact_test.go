package notify

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/REDACTED"},
		{"https://oapi.dingtalk.com/robot/send?access_token=abc", "https://oapi.dingtalk.com/REDACTED"},
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://qyapi.weixin.qq.com/REDACTED"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/uuid", "https://open.feishu.cn/REDACTED"},
		{"https://user:pass@siem.example.com:8443/", "https://siem.example.com:8443"},
		{"https://siem.example.com", "https://siem.example.com"},
		{"http://[::1]:8080/x#frag", "http://[::1]:8080/REDACTED"},
		{"not a url with %zz", "REDACTED"},
		{"", "REDACTED"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubKeepsTheChainAndHidesSecrets(t *testing.T) {
	ch := Channel{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok-123456", Secret: "SECabcdef", Password: "hunter22"}
	inner := temporary(errors.New("echo tok-123456 SECabcdef hunter22 /robot/send"))
	err := scrub(inner, ch)
	for _, s := range []string{"tok-123456", "SECabcdef", "hunter22", "/robot/send"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%q survives in %q", s, err)
		}
	}
	if retry, _ := retryable(err); !retry {
		t.Error("scrub lost the retry mark")
	}
	if scrub(nil, ch) != nil {
		t.Error("scrub(nil) != nil")
	}
}

// FuzzRedactURL checks that no part of a URL past its host survives redaction.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXXXXXX",
		"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x%2By",
		"https://user:pass@siem.example.com:8443/p?q#f",
		"http://[::1]:8080",
		"mailto:soc@example.com",
		"//host/path",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := RedactURL(raw)
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			if got != "REDACTED" {
				t.Fatalf("RedactURL(%q) = %q for a URL without host", raw, got)
			}
			return
		}
		rest, ok := strings.CutPrefix(got, u.Scheme+"://"+u.Host)
		if !ok || (rest != "" && rest != "/REDACTED") {
			t.Fatalf("RedactURL(%q) = %q", raw, got)
		}
	})
}
