package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// slackSender posts to a Slack incoming webhook: a fallback text (shown in
// notifications) and Block Kit blocks (shown in the channel).
type slackSender struct {
	ch  Channel
	env env
}

var _ sender = (*slackSender)(nil)

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

type slackBlock struct {
	Type   string      `json:"type"`
	Text   *slackText  `json:"text,omitempty"`
	Fields []slackText `json:"fields,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// Block Kit bounds: a header's text, a section's text and a field's text.
const (
	slackHeaderChars  = 150
	slackSectionBytes = 3000
	slackFieldBytes   = 2000
)

func (s *slackSender) send(ctx context.Context, _ string, m Message) error {
	body, err := json.Marshal(slackPayload(m))
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
	// An incoming webhook answers "ok"; a Slack-compatible receiver may answer in the
	// Web API's JSON shape instead.
	if strings.TrimSpace(string(resp.body)) == "ok" {
		return nil
	}
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(resp.body, &r) == nil {
		if r.OK {
			return nil
		}
		if r.Error != "" {
			return fmt.Errorf("slack error %q", r.Error)
		}
	}
	return fmt.Errorf("unexpected response: %s", snippet(resp.body))
}

// slackPayload builds the message. Slack's mrkdwn needs &, < and > escaped, which
// also keeps event data from adding links or mentions (<!channel>).
func slackPayload(m Message) slackMessage {
	head := headline(m)
	out := slackMessage{Text: escapeSlack(head)}
	hr := []rune(head)
	if len(hr) > slackHeaderChars {
		hr = append(hr[:slackHeaderChars-1], '…')
	}
	out.Blocks = append(out.Blocks, slackBlock{Type: "header", Text: &slackText{"plain_text", string(hr)}})
	var fields []slackText
	for _, f := range facts(m, maxListItems) {
		fields = append(fields, slackText{"mrkdwn", truncate("*"+f.label+"*\n"+escapeSlack(f.value), slackFieldBytes)})
	}
	if len(fields) > 0 {
		out.Blocks = append(out.Blocks, slackBlock{Type: "section", Fields: fields})
	}
	if sum := summaryText(m, maxSummaryBytes); sum != "" {
		out.Blocks = append(out.Blocks, slackBlock{Type: "section",
			Text: &slackText{"mrkdwn", truncate(escapeSlack(sum), slackSectionBytes)}})
	}
	if m.URL != "" {
		out.Blocks = append(out.Blocks, slackBlock{Type: "section",
			Text: &slackText{"mrkdwn", "<" + escapeSlack(strings.ReplaceAll(m.URL, "|", "%7C")) + "|Open in Vigil>"}})
	}
	return out
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeSlack(s string) string { return slackEscaper.Replace(s) }
