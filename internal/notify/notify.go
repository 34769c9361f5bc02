// Package notify delivers notifications about incidents to people and systems: signed
// JSON webhooks, email over SMTP, and the chat robots of Slack, DingTalk, WeCom and
// Feishu/Lark. It knows nothing of how incidents are stored; its caller turns an incident
// event into a Message and hands it to a Dispatcher.
//
// A Dispatcher routes each Message to channels by the routes of its Config, queues one
// delivery per channel in a bounded queue, and delivers them in the background with a
// per-channel rate limit and retries. Every attempt's outcome is reported through
// Options.OnResult so the caller can keep failures and show them. Notify never blocks:
// when a channel's queue is full the delivery is dropped and reported as such.
//
// Secrets never leave the package in text: webhook URLs of chat robots carry tokens,
// so URLs in errors are reduced to their scheme and host (see RedactURL), and channel
// secrets and passwords are scrubbed from every error message.
package notify

import (
	"errors"
	"time"
)

// Kinds of messages that the incident stage sends. Kind is free text; these are the
// ones known today.
const (
	KindIncidentCreated = "incident.created"
	KindIncidentUpdated = "incident.updated"
	KindSLABreach       = "incident.sla_breach"
	KindTest            = "notify.test"
)

// Message is what is notified: one incident event. It is also, as JSON, the body of a
// generic webhook delivery.
type Message struct {
	Kind       string `json:"kind"` // such as KindIncidentCreated
	IncidentID int64  `json:"incident_id"`
	Title      string `json:"title"`
	// Severity is informational, low, medium, high or critical; routes compare it by
	// that order, and an unknown severity never meets a route's minimum.
	Severity   string   `json:"severity"`
	Status     string   `json:"status"`
	Tactics    []string `json:"tactics"`    // matrix tactic ids, such as "cs.ia"
	Techniques []string `json:"techniques"` // matrix technique ids, such as "CS-IA-01"
	Hosts      []string `json:"hosts"`
	HostGroups []string `json:"host_groups"`
	Summary    string   `json:"summary"` // a few lines of plain text
	URL        string   `json:"url"`     // the incident in the web UI; may be empty
	// Time is when the event happened; a zero Time is set to the dispatcher's clock
	// when the message is accepted.
	Time time.Time `json:"time"`
}

// Delivery is the outcome of one attempt to deliver a message to one channel, or of a
// delivery that was never attempted (Attempt 0: dropped because the queue was full, the
// dispatcher had stopped, or the channel was removed by Reload).
type Delivery struct {
	Channel    string
	Kind       string
	IncidentID int64
	// Attempt counts from 1; it is 0 for a delivery that was never attempted.
	Attempt int
	// Time is when the attempt ended, by the dispatcher's clock.
	Time time.Time
	// Err is the failure, free of secrets; empty when OK.
	Err string
	OK  bool
	// Final is true when no further attempt will be made for this message on this
	// channel: it succeeded, failed for good, ran out of attempts, or was dropped.
	Final bool
}

// Errors reported, as the text of Delivery.Err, for deliveries given up without a new
// attempt. Such a report is final; its Attempt is the number of attempts made, 0 when
// the delivery was dropped before any.
var (
	ErrQueueFull      = errors.New("notify: queue full, delivery dropped")
	ErrStopped        = errors.New("notify: dispatcher stopped, delivery abandoned")
	ErrChannelRemoved = errors.New("notify: channel removed before delivery")
)

// ErrUnknownChannel is returned by Send for a channel name that is not configured.
var ErrUnknownChannel = errors.New("notify: unknown channel")
