package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// hostile is a message whose event data tries to add markup, links and mentions.
func hostile() Message {
	m := sample()
	m.Title = "<!channel> [click](https://evil.example) *bold* <font color=\"red\">x</font>"
	m.Hosts = []string{"web_1", "<https://evil.example|web-2>"}
	m.Summary = "first line\n![img](https://evil.example/p.png)"
	return m
}

func TestSlackBlocks(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, "ok"))
	d := mustNew(t, single(Channel{Name: "slack", Type: TypeSlack, URL: rc.URL + "/services/T000/B000/XXXXXXXX"}),
		testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "slack", hostile()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	if req.Path != "/services/T000/B000/XXXXXXXX" {
		t.Errorf("path = %q", req.Path)
	}
	var got struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type   string `json:"type"`
			Text   *struct{ Type, Text string }
			Fields []struct{ Type, Text string }
		} `json:"blocks"`
	}
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body: %v\n%s", err, req.Body)
	}
	if strings.ContainsAny(got.Text, "<>") || !strings.Contains(got.Text, "&lt;!channel&gt;") {
		t.Errorf("fallback text not escaped: %q", got.Text)
	}
	var types []string
	for _, b := range got.Blocks {
		types = append(types, b.Type)
	}
	if want := "header section section section"; strings.Join(types, " ") != want {
		t.Fatalf("block types %v, want %s", types, want)
	}
	if h := got.Blocks[0].Text; h.Type != "plain_text" || !strings.HasPrefix(h.Text, "[HIGH] Incident #42: <!channel>") {
		t.Errorf("header = %+v (plain text is shown as typed)", h)
	}
	fields := map[string]string{}
	for _, f := range got.Blocks[1].Fields {
		if f.Type != "mrkdwn" {
			t.Errorf("field type %q", f.Type)
		}
		label, value, _ := strings.Cut(f.Text, "\n")
		fields[label] = value
	}
	for label, want := range map[string]string{"*Severity*": "high", "*Tactics*": "cs.ia",
		"*Techniques*": "CS-IA-01, CS-CA-02", "*Hosts*": "web_1, &lt;https://evil.example|web-2&gt;",
		"*Host groups*": "prod", "*Time*": "2026-03-10T08:29:00Z"} {
		if fields[label] != want {
			t.Errorf("field %s = %q, want %q", label, fields[label], want)
		}
	}
	if s := got.Blocks[2].Text.Text; !strings.Contains(s, "first line\n![img](https://evil.example/p.png)") {
		t.Errorf("summary section = %q", s)
	}
	if s := got.Blocks[3].Text.Text; s != "<https://vigil.example.com/incidents/42|Open in Vigil>" {
		t.Errorf("link section = %q", s)
	}
}

func TestDingTalkSignedMarkdown(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, `{"errcode":0,"errmsg":"ok"}`))
	const secret = "SEC0123456789abcdef"
	d := mustNew(t, single(Channel{Name: "ding", Type: TypeDingTalk, URL: rc.URL + "/robot/send?access_token=tok123456", Secret: secret}),
		testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "ding", hostile()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	if req.Path != "/robot/send" || req.Query.Get("access_token") != "tok123456" {
		t.Errorf("request %s?%s lost the access token", req.Path, req.Query.Encode())
	}
	ts := req.Query.Get("timestamp")
	if want := strconv.FormatInt(t0.UnixMilli(), 10); ts != want {
		t.Errorf("timestamp = %q, want %q (Unix milliseconds)", ts, want)
	}
	// DingTalk's algorithm, recomputed: HMAC-SHA256 keyed with the secret over
	// timestamp + "\n" + secret, base64; Query() has already undone the URL encoding.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	if got, want := req.Query.Get("sign"), base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("sign = %q, want %q", got, want)
	}

	var got struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body: %v\n%s", err, req.Body)
	}
	if got.MsgType != "markdown" || !strings.HasPrefix(got.Markdown.Title, "[HIGH] Incident #42: ") {
		t.Errorf("msgtype %q, title %q", got.MsgType, got.Markdown.Title)
	}
	text := got.Markdown.Text
	for _, want := range []string{
		`### \[HIGH\] Incident #42: \<\!channel\> \[click\](https://evil.example) \*bold\*`,
		"- **Severity:** high\n",
		`- **Hosts:** web\_1, \<https://evil.example|web-2\>`,
		"> first line\n> \\!\\[img\\](https://evil.example/p.png)\n",
		"[Open in Vigil](https://vigil.example.com/incidents/42)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("markdown lacks %q:\n%s", want, text)
		}
	}
}

func TestDingTalkUnsignedHasNoSignParameters(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, `{"errcode":0,"errmsg":"ok"}`))
	d := mustNew(t, single(Channel{Name: "ding", Type: TypeDingTalk, URL: rc.URL + "/robot/send?access_token=tok"}),
		testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "ding", sample()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if q := rc.one(t).Query; q.Has("sign") || q.Has("timestamp") {
		t.Errorf("unsigned robot got %v", q)
	}
}

func TestWeComMarkdown(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, `{"errcode":0,"errmsg":"ok"}`))
	d := mustNew(t, single(Channel{Name: "wecom", Type: TypeWeCom, URL: rc.URL + "/cgi-bin/webhook/send?key=693a91f6-7xxx"}),
		testOptions(newFakeClock(), newRecorder()))
	m := hostile()
	m.Summary = strings.Repeat("long summary line\n", 400)
	if err := d.Send(context.Background(), "wecom", m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	if req.Query.Get("key") != "693a91f6-7xxx" {
		t.Errorf("key lost: %v", req.Query)
	}
	var got struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Content string }
	}
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body: %v\n%s", err, req.Body)
	}
	c := got.Markdown.Content
	if got.MsgType != "markdown" {
		t.Errorf("msgtype = %q", got.MsgType)
	}
	if len(c) > 4096 {
		t.Errorf("content is %d bytes, over WeCom's 4096", len(c))
	}
	for _, want := range []string{`**Severity:** <font color="warning">high</font>`, `\<font color="red"\>x\</font\>`} {
		if !strings.Contains(c, want) {
			t.Errorf("content lacks %q:\n%s", want, c)
		}
	}
}

func TestFeishuSignedCard(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, `{"code":0,"data":{},"msg":"success"}`))
	const secret = "feishu-signing-key"
	d := mustNew(t, single(Channel{Name: "lark", Type: TypeFeishu, URL: rc.URL + "/open-apis/bot/v2/hook/0c0a5e8e-hook", Secret: secret}),
		testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "lark", hostile()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := rc.one(t)
	var got struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Card      struct {
			Header struct {
				Title    struct{ Tag, Content string }
				Template string
			}
			Elements []struct {
				Tag     string
				Text    *struct{ Tag, Content string }
				Actions []struct{ Tag, Type, URL string }
			}
		}
	}
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("body: %v\n%s", err, req.Body)
	}
	if want := strconv.FormatInt(t0.Unix(), 10); got.Timestamp != want {
		t.Errorf("timestamp = %q, want %q (Unix seconds)", got.Timestamp, want)
	}
	// Feishu's algorithm, recomputed: the key is timestamp + "\n" + secret and the
	// message is empty.
	mac := hmac.New(sha256.New, []byte(got.Timestamp+"\n"+secret))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got.Sign != want {
		t.Errorf("sign = %q, want %q", got.Sign, want)
	}
	if got.MsgType != "interactive" {
		t.Errorf("msg_type = %q", got.MsgType)
	}
	h := got.Card.Header
	if h.Template != "orange" || h.Title.Tag != "plain_text" || !strings.HasPrefix(h.Title.Content, "[HIGH] Incident #42: <!channel>") {
		t.Errorf("header = %+v", h)
	}
	if n := len(got.Card.Elements); n != 3 {
		t.Fatalf("%d card elements, want 3 (facts, summary, button): %s", n, req.Body)
	}
	for _, e := range got.Card.Elements[:2] {
		if e.Tag != "div" || e.Text.Tag != "plain_text" {
			t.Errorf("element %+v: event data must be plain_text", e)
		}
	}
	if !strings.Contains(got.Card.Elements[0].Text.Content, "Techniques: CS-IA-01, CS-CA-02\n") {
		t.Errorf("facts = %q", got.Card.Elements[0].Text.Content)
	}
	if a := got.Card.Elements[2].Actions; len(a) != 1 || a[0].URL != "https://vigil.example.com/incidents/42" || a[0].Tag != "button" {
		t.Errorf("actions = %+v", a)
	}
}

func TestFeishuText(t *testing.T) {
	rc := newReceiver(t, reply(http.StatusOK, `{"StatusCode":0,"StatusMessage":"success"}`))
	d := mustNew(t, single(Channel{Name: "lark", Type: TypeFeishu, URL: rc.URL + "/open-apis/bot/v2/hook/x", MsgType: FeishuText}),
		testOptions(newFakeClock(), newRecorder()))
	if err := d.Send(context.Background(), "lark", sample()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(rc.one(t).Body, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["sign"]; ok {
		t.Errorf("unsigned bot got a sign: %v", got)
	}
	text, _ := got["content"].(map[string]any)["text"].(string)
	if got["msg_type"] != "text" || !strings.HasPrefix(text, "[HIGH] Incident #42: SSH brute force") ||
		!strings.Contains(text, "\nOpen in Vigil: https://vigil.example.com/incidents/42\n") {
		t.Errorf("body = %v", got)
	}
}

// TestProviderAnswers checks how each provider's answers are judged: a 200 whose body
// reports an error is a failed delivery, rate limits are retryable, other refusals
// are not, and no error text holds the URL's token or the secret.
func TestProviderAnswers(t *testing.T) {
	const token, secret = "tok-9f8e7d6c5b4a", "sec-0a1b2c3d4e5f"
	tests := []struct {
		name    string
		typ     string
		status  int
		body    string
		header  string // a Retry-After value
		wantErr string // "" for success
		retry   bool
	}{
		{"slack ok", TypeSlack, 200, "ok", "", "", false},
		{"slack json ok", TypeSlack, 200, `{"ok":true}`, "", "", false},
		{"slack 200 other text", TypeSlack, 200, "queued", "", "unexpected response: queued", false},
		{"slack 200 json error", TypeSlack, 200, `{"ok":false,"error":"invalid_blocks"}`, "", `slack error "invalid_blocks"`, false},
		{"slack invalid payload", TypeSlack, 400, "invalid_payload", "", "HTTP status 400: invalid_payload", false},
		{"slack archived", TypeSlack, 410, "channel_is_archived", "", "HTTP status 410", false},
		{"slack rate limited", TypeSlack, 429, "rate_limited", "7", "HTTP status 429", true},
		{"slack server error", TypeSlack, 500, "rollup_error", "", "HTTP status 500", true},
		{"dingtalk ok", TypeDingTalk, 200, `{"errcode":0,"errmsg":"ok"}`, "", "", false},
		{"dingtalk sign mismatch", TypeDingTalk, 200, `{"errcode":310000,"errmsg":"sign not match"}`, "", "dingtalk error 310000: sign not match", false},
		{"dingtalk too fast", TypeDingTalk, 200, `{"errcode":130101,"errmsg":"send too fast"}`, "", "dingtalk error 130101", true},
		{"dingtalk not json", TypeDingTalk, 200, `<html>busy</html>`, "", "unexpected response", false},
		{"dingtalk throttle redirect", TypeDingTalk, 302, "", "", "HTTP status 302", false},
		{"wecom ok", TypeWeCom, 200, `{"errcode":0,"errmsg":"ok"}`, "", "", false},
		{"wecom bad key", TypeWeCom, 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, "", "wecom error 93000: invalid webhook url", false},
		{"wecom rate", TypeWeCom, 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, "", "wecom error 45009", true},
		{"wecom gateway", TypeWeCom, 502, "bad gateway", "", "HTTP status 502", true},
		{"feishu ok", TypeFeishu, 200, `{"code":0,"data":{},"msg":"success"}`, "", "", false},
		{"feishu old ok", TypeFeishu, 200, `{"StatusCode":0,"StatusMessage":"success"}`, "", "", false},
		{"feishu sign", TypeFeishu, 200, `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`, "", "feishu error 19021: sign match fail", false},
		{"feishu rate 400", TypeFeishu, 400, `{"code":11232,"msg":"frequency limited"}`, "", "feishu error 11232", true},
		{"feishu 400 code", TypeFeishu, 400, `{"code":9499,"msg":"Bad Request"}`, "", "feishu error 9499: Bad Request", false},
		{"feishu 503 no code", TypeFeishu, 503, `upstream down`, "", "HTTP status 503", true},
		{"feishu 200 no code", TypeFeishu, 200, `{}`, "", "unexpected response", false},
		{"webhook created", TypeWebhook, 201, "", "", "", false},
		{"webhook bad request", TypeWebhook, 400, `{"error":"bad signature"}`, "", `HTTP status 400: {"error":"bad signature"}`, false},
		{"webhook unavailable", TypeWebhook, 503, "", "", "HTTP status 503: (empty body)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, _ int) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			ch := Channel{Name: "c", Type: tt.typ, URL: rc.URL + "/hook/" + token + "?access_token=" + token}
			if tt.typ != TypeSlack && tt.typ != TypeWeCom {
				ch.Secret = secret
			}
			d := mustNew(t, single(ch), testOptions(newFakeClock(), newRecorder()))
			err := d.Send(context.Background(), "c", sample())
			if len(rc.Requests()) != 1 {
				t.Errorf("%d requests; a redirect must not be followed", len(rc.Requests()))
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Send = %v, want an error containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.typ+` channel "c": `) {
				t.Errorf("error %q does not name the channel", err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks a secret: %v", err)
			}
			retry, after := retryable(err)
			if retry != tt.retry {
				t.Errorf("retryable = %v, want %v", retry, tt.retry)
			}
			if tt.header == "7" && after.Seconds() != 7 {
				t.Errorf("Retry-After read as %v", after)
			}
		})
	}
}
