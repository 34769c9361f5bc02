package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Headers of a generic webhook delivery.
const (
	HeaderSignature = "X-Vigil-Signature" // "sha256=" + hex HMAC, when the channel has a secret
	HeaderTimestamp = "X-Vigil-Timestamp" // Unix seconds, decimal
	HeaderEvent     = "X-Vigil-Event"     // Message.Kind
	HeaderDelivery  = "X-Vigil-Delivery"  // one id per message and channel, the same on retries
)

// webhookSender posts the Message as JSON.
type webhookSender struct {
	ch  Channel
	env env
}

var _ sender = (*webhookSender)(nil)

func (s *webhookSender) send(ctx context.Context, id string, m Message) error {
	body, err := json.Marshal(wireMessage(m))
	if err != nil {
		return fmt.Errorf("encoding the message: %w", err)
	}
	ts := strconv.FormatInt(s.env.now().Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderEvent, m.Kind)
	h.Set(HeaderDelivery, id)
	if s.ch.Secret != "" {
		h.Set(HeaderSignature, "sha256="+SignWebhook(s.ch.Secret, ts, body))
	}
	resp, err := postJSON(ctx, s.env.client, s.ch.URL, body, h)
	if err != nil {
		return err
	}
	return statusError(resp)
}

// SignWebhook returns the signature of a webhook delivery, without its "sha256="
// prefix: the lowercase hex HMAC-SHA256, keyed with the channel's secret, of the
// timestamp header's value, a full stop, and the request body exactly as sent.
// Signing the timestamp lets a receiver refuse replays of old deliveries.
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// wireMessage is m as a webhook sends it: times in UTC, and empty lists as [] rather
// than null so receivers need no special case.
func wireMessage(m Message) Message {
	m.Time = m.Time.UTC()
	for _, l := range []*[]string{&m.Tactics, &m.Techniques, &m.Hosts, &m.HostGroups} {
		if *l == nil {
			*l = []string{}
		}
	}
	return m
}
