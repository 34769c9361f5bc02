package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// dingtalkSender posts a markdown message to a DingTalk custom robot, signing the
// request when the channel has the robot's signing secret.
type dingtalkSender struct {
	ch  Channel
	env env
}

var _ sender = (*dingtalkSender)(nil)

type dingtalkMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
}

// dingtalkSendTooFast is the robot's answer beyond 20 messages a minute.
const dingtalkSendTooFast = 130101

func (s *dingtalkSender) send(ctx context.Context, _ string, m Message) error {
	var msg dingtalkMessage
	msg.MsgType = "markdown"
	msg.Markdown.Title = headline(m)
	msg.Markdown.Text = markdownText(m, "- ", func(_ fact, v string) string { return v })
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding the message: %w", err)
	}
	target := s.ch.URL
	if s.ch.Secret != "" {
		if target, err = dingtalkSignedURL(s.ch.URL, s.ch.Secret, s.env.now().UnixMilli()); err != nil {
			return err
		}
	}
	resp, err := postJSON(ctx, s.env.client, target, body, nil)
	if err != nil {
		return err
	}
	if err := statusError(resp); err != nil {
		return err
	}
	return codeError("dingtalk", resp.body, "errcode", "errmsg", dingtalkSendTooFast)
}

// dingtalkSignedURL adds the timestamp (Unix milliseconds) and sign parameters that a
// robot with signing enabled requires. The sign is the base64 HMAC-SHA256, keyed with
// the secret, of the timestamp, a newline and the secret; as a query value it is
// URL-encoded.
func dingtalkSignedURL(rawURL, secret string, millis int64) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("invalid URL")
	}
	ts := strconv.FormatInt(millis, 10)
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", DingTalkSign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DingTalkSign returns the signature of a DingTalk robot request before URL encoding:
// base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)).
func DingTalkSign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// codeError judges the JSON answer of a robot that reports failures in the body of a
// 200: the code field must be 0. Codes in retry are rate limits, worth another try.
func codeError(provider string, body []byte, codeField, msgField string, retry ...int) error {
	var r map[string]json.RawMessage
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("unexpected response: %s", snippet(body))
	}
	raw, ok := r[codeField]
	if !ok {
		return fmt.Errorf("unexpected response: %s", snippet(body))
	}
	var c *int // a null code is no code
	if err := json.Unmarshal(raw, &c); err != nil || c == nil {
		return fmt.Errorf("unexpected response: %s", snippet(body))
	}
	code := *c
	if code == 0 {
		return nil
	}
	var msg string
	_ = json.Unmarshal(r[msgField], &msg)
	err := fmt.Errorf("%s error %d: %s", provider, code, oneLine(msg))
	for _, c := range retry {
		if code == c {
			return temporary(err)
		}
	}
	return err
}
