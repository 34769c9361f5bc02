package notify

import (
	"context"
	"encoding/json"
	"fmt"
)

// wecomSender posts a markdown message to a WeCom (WeChat Work) group robot.
type wecomSender struct {
	ch  Channel
	env env
}

var _ sender = (*wecomSender)(nil)

type wecomMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// WeCom limits: the markdown content in bytes, and the error code of a robot over its
// rate (20 messages a minute).
const (
	wecomContentBytes = 4096
	wecomRateLimited  = 45009
)

func (s *wecomSender) send(ctx context.Context, _ string, m Message) error {
	var msg wecomMessage
	msg.MsgType = "markdown"
	msg.Markdown.Content = truncate(markdownText(m, "", wecomValue), wecomContentBytes)
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding the message: %w", err)
	}
	resp, err := postJSON(ctx, s.env.client, s.ch.URL, body, nil)
	if err != nil {
		return err
	}
	if err := statusError(resp); err != nil {
		return err
	}
	return codeError("wecom", resp.body, "errcode", "errmsg", wecomRateLimited)
}

// wecomValue colours high and critical severities with WeCom's "warning" colour.
func wecomValue(f fact, escaped string) string {
	if f.label == "Severity" && severityRank(f.value) >= severityRank("high") {
		return `<font color="warning">` + escaped + `</font>`
	}
	return escaped
}
