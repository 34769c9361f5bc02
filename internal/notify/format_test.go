package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeadline(t *testing.T) {
	tests := []struct {
		msg  Message
		want string
	}{
		{sample(), "[HIGH] Incident #42: SSH brute force followed by a login"},
		{Message{Kind: KindTest, Title: "Test from Vigil"}, "Test from Vigil"},
		{Message{Kind: KindTest}, "notify.test"},
		{Message{Severity: "low", IncidentID: 7, Title: "two\nlines\r\n\there"}, "[LOW] Incident #7: two lines here"},
	}
	for _, tt := range tests {
		if got := headline(tt.msg); got != tt.want {
			t.Errorf("headline = %q, want %q", got, tt.want)
		}
	}
	long := headline(Message{Title: strings.Repeat("é", 500)})
	if n := utf8.RuneCountInString(long); n != maxTitleRunes {
		t.Errorf("long title has %d runes, want %d", n, maxTitleRunes)
	}
}

func TestListsAreBounded(t *testing.T) {
	hosts := make([]string, 25)
	for i := range hosts {
		hosts[i] = "h"
	}
	if got := listText(hosts, maxListItems); got != "h, h, h, h, h, h, h, h, h, h (+15 more)" {
		t.Errorf("listText = %q", got)
	}
	if got := listText(hosts[:3], 0); got != "h, h, h" {
		t.Errorf("listText without bound = %q", got)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	for n := 4; n < 40; n++ {
		got := truncate(strings.Repeat("登录", 20), n)
		if !utf8.ValidString(got) || len(got) > n {
			t.Fatalf("truncate(_, %d) = %q (%d bytes)", n, got, len(got))
		}
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate changed a short string: %q", got)
	}
}

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text 1.2.3", "plain text 1.2.3"},
		{"[x](https://evil)", `\[x\](https://evil)`},
		{"![i](u)", `\!\[i\](u)`},
		{"*b* _i_ `c` ~s~", "\\*b\\* \\_i\\_ \\`c\\` \\~s\\~"},
		{`<font color="red">`, `\<font color="red"\>`},
		{`a\b`, `a\\b`},
	}
	for _, tt := range tests {
		if got := escapeMarkdown(tt.in); got != tt.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := markdownURL("https://x/a (b)"); got != "https://x/a%20%28b%29" {
		t.Errorf("markdownURL = %q", got)
	}
}

// FuzzProviderAnswers feeds arbitrary bodies to the parsers of the robots' answers:
// they must not panic, and only an explicit code 0 is a success.
func FuzzProviderAnswers(f *testing.F) {
	for _, s := range []string{
		`{"errcode":0,"errmsg":"ok"}`, `{"errcode":310000,"errmsg":"sign not match"}`,
		`{"code":0,"msg":"success","data":{}}`, `{"StatusCode":0,"StatusMessage":"success"}`,
		`{"code":"0"}`, `{"errcode":0.5}`, `{"errcode":null}`, `ok`, `{}`, `[]`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var generic map[string]any
		isObject := json.Unmarshal(body, &generic) == nil && generic != nil
		if err := codeError("dingtalk", body, "errcode", "errmsg", dingtalkSendTooFast); err == nil {
			if !isObject || generic["errcode"] != float64(0) {
				t.Fatalf("codeError accepted %q", body)
			}
		}
		if code, _, ok := feishuCode(body); ok && code == 0 {
			c, has := generic["code"]
			if !has {
				c = generic["StatusCode"]
			}
			if !isObject || c != float64(0) {
				t.Fatalf("feishuCode read 0 from %q", body)
			}
		}
		_ = snippet(body)
	})
}
