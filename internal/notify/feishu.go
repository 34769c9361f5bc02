package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// feishuSender posts to a Feishu (Lark) custom bot: an interactive card or a text
// message, with the timestamp and sign fields when the bot has signature verification.
type feishuSender struct {
	ch  Channel
	env env
}

var _ sender = (*feishuSender)(nil)

// feishuMessage is the body of a bot request. Timestamp is in Unix seconds, as a
// string, the way Feishu's documentation sends it.
type feishuMessage struct {
	Timestamp string         `json:"timestamp,omitempty"`
	Sign      string         `json:"sign,omitempty"`
	MsgType   string         `json:"msg_type"`
	Content   *feishuContent `json:"content,omitempty"`
	Card      *feishuCard    `json:"card,omitempty"`
}

type feishuContent struct {
	Text string `json:"text"`
}

type feishuCard struct {
	Config struct {
		WideScreenMode bool `json:"wide_screen_mode"`
	} `json:"config"`
	Header struct {
		Title    feishuText `json:"title"`
		Template string     `json:"template"`
	} `json:"header"`
	Elements []feishuElement `json:"elements"`
}

type feishuText struct {
	Tag     string `json:"tag"` // plain_text: event data is shown as typed, never as markup
	Content string `json:"content"`
}

type feishuElement struct {
	Tag     string         `json:"tag"` // div or action
	Text    *feishuText    `json:"text,omitempty"`
	Actions []feishuButton `json:"actions,omitempty"`
}

type feishuButton struct {
	Tag  string     `json:"tag"` // button
	Text feishuText `json:"text"`
	Type string     `json:"type"`
	URL  string     `json:"url"`
}

// feishuRateLimited is the code of a bot over its rate (100 a minute, 5 a second).
const feishuRateLimited = 11232

func (s *feishuSender) send(ctx context.Context, _ string, m Message) error {
	msg := feishuPayload(m, s.ch.MsgType)
	if s.ch.Secret != "" {
		msg.Timestamp = strconv.FormatInt(s.env.now().Unix(), 10)
		msg.Sign = FeishuSign(s.ch.Secret, msg.Timestamp)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding the message: %w", err)
	}
	resp, err := postJSON(ctx, s.env.client, s.ch.URL, body, nil)
	if err != nil {
		return err
	}
	// Feishu answers some failures (a rate limit among them) with a 4xx and its code in
	// the body, so the body's code decides whenever there is one.
	code, text, ok := feishuCode(resp.body)
	switch {
	case !ok:
		if err := statusError(resp); err != nil {
			return err
		}
		return fmt.Errorf("unexpected response: %s", snippet(resp.body))
	case code == 0:
		return statusError(resp)
	}
	err = fmt.Errorf("feishu error %d: %s", code, oneLine(text))
	if code == feishuRateLimited || resp.status == 429 || resp.status >= 500 {
		return temporary(err)
	}
	return err
}

// feishuCode reads the code and message of an answer: "code" and "msg" in the current
// shape, "StatusCode" and "StatusMessage" in the older one. ok is false for a body
// with neither.
func feishuCode(body []byte) (code int, msg string, ok bool) {
	var r struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal(body, &r) != nil {
		return 0, "", false
	}
	switch {
	case r.Code != nil:
		return *r.Code, r.Msg, true
	case r.StatusCode != nil:
		return *r.StatusCode, r.StatusMessage, true
	}
	return 0, "", false
}

// FeishuSign returns the signature of a Feishu bot request: the HMAC-SHA256 of an empty
// message keyed with timestamp + "\n" + secret, in base64.
func FeishuSign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuPayload builds a text message or a card. The card's header colour follows the
// severity.
func feishuPayload(m Message, msgType string) feishuMessage {
	if msgType == FeishuText {
		return feishuMessage{MsgType: FeishuText,
			Content: &feishuContent{Text: plainText(m, maxListItems, maxSummaryBytes)}}
	}
	card := &feishuCard{}
	card.Config.WideScreenMode = true
	card.Header.Title = feishuText{"plain_text", headline(m)}
	card.Header.Template = feishuTemplate(m.Severity)
	var lines []string
	for _, f := range facts(m, maxListItems) {
		lines = append(lines, f.label+": "+f.value)
	}
	if len(lines) > 0 {
		card.Elements = append(card.Elements, feishuElement{Tag: "div",
			Text: &feishuText{"plain_text", strings.Join(lines, "\n")}})
	}
	if sum := summaryText(m, maxSummaryBytes); sum != "" {
		card.Elements = append(card.Elements, feishuElement{Tag: "div", Text: &feishuText{"plain_text", sum}})
	}
	if m.URL != "" {
		card.Elements = append(card.Elements, feishuElement{Tag: "action", Actions: []feishuButton{{
			Tag: "button", Text: feishuText{"plain_text", "Open in Vigil"}, Type: "primary", URL: m.URL}}})
	}
	return feishuMessage{MsgType: FeishuInteractive, Card: card}
}

// feishuTemplate is the card header colour of a severity.
func feishuTemplate(severity string) string {
	switch strings.ToLower(severity) {
	case "critical":
		return "red"
	case "high":
		return "orange"
	case "medium":
		return "yellow"
	case "low":
		return "blue"
	}
	return "grey"
}
