package notify

import (
	"context"
	"crypto/tls"
	"net/http"
	"time"
)

// sender delivers one message to one channel, once. A failure that another attempt
// may cure is marked with temporary (or is a *retryError); any other is final. id
// identifies the delivery, the same across its attempts.
type sender interface {
	send(ctx context.Context, id string, m Message) error
}

// env is what the senders take from the dispatcher's options.
type env struct {
	client    *http.Client
	tlsConfig *tls.Config
	timeout   time.Duration
	now       func() time.Time
}

// newSender returns the sender of a valid channel.
func newSender(ch Channel, e env) sender {
	switch ch.Type {
	case TypeEmail:
		return &emailSender{ch, e}
	case TypeSlack:
		return &slackSender{ch, e}
	case TypeDingTalk:
		return &dingtalkSender{ch, e}
	case TypeWeCom:
		return &wecomSender{ch, e}
	case TypeFeishu:
		return &feishuSender{ch, e}
	}
	return &webhookSender{ch, e}
}
