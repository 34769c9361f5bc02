package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// Channel types.
const (
	TypeWebhook  = "webhook"
	TypeEmail    = "email"
	TypeSlack    = "slack"
	TypeDingTalk = "dingtalk"
	TypeWeCom    = "wecom"
	TypeFeishu   = "feishu"
)

// Email TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is required
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS, usually port 465)
	TLSNone     = "none"     // no encryption; only for a relay on a trusted network
)

// Feishu message types.
const (
	FeishuText        = "text"
	FeishuInteractive = "interactive"
)

// Default rate limit of a channel whose RatePerMinute or Burst is zero. DingTalk
// robots accept 20 messages a minute and throttle the robot for minutes beyond that.
const (
	DefaultRatePerMinute = 20
	DefaultBurst         = 5
)

// Config is the notification configuration: where messages can go and which go where.
// It can sit in the server's YAML configuration and be stored as JSON.
type Config struct {
	Channels []Channel `yaml:"channels" json:"channels"`
	Routes   []Route   `yaml:"routes" json:"routes"`
}

// Channel is one destination. Which fields apply depends on Type: URL and Secret for
// the webhook and chat types, the SMTP fields for email; Validate refuses fields that
// do not apply, so a misplaced setting is not silently ignored.
type Channel struct {
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type" json:"type"`

	// URL is the endpoint of a webhook or the robot's webhook address, which for chat
	// robots carries its access token.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Secret signs requests: the HMAC key of a generic webhook, the signing secret
	// ("SEC…") of a DingTalk robot, the signature key of a Feishu bot. Slack and WeCom
	// robots have no signing.
	Secret string `yaml:"secret,omitempty" json:"secret,omitempty"`
	// MsgType is the Feishu message type, "interactive" (a card, the default) or "text".
	MsgType string `yaml:"msg_type,omitempty" json:"msg_type,omitempty"`

	// The SMTP settings of an email channel. Port defaults by TLS mode: 587 for
	// starttls (the default mode), 465 for tls, 25 for none. Username and Password are
	// optional; with them the strongest mechanism the server offers is used, and a
	// password is never sent in the clear.
	Host     string   `yaml:"host,omitempty" json:"host,omitempty"`
	Port     int      `yaml:"port,omitempty" json:"port,omitempty"`
	Username string   `yaml:"username,omitempty" json:"username,omitempty"`
	Password string   `yaml:"password,omitempty" json:"password,omitempty"`
	From     string   `yaml:"from,omitempty" json:"from,omitempty"`
	To       []string `yaml:"to,omitempty" json:"to,omitempty"`
	TLS      string   `yaml:"tls,omitempty" json:"tls,omitempty"`

	// RatePerMinute and Burst limit the deliveries to this channel (attempts and
	// retries alike); zero means DefaultRatePerMinute and DefaultBurst. Deliveries
	// over the limit wait in the channel's queue.
	RatePerMinute float64 `yaml:"rate_per_minute,omitempty" json:"rate_per_minute,omitempty"`
	Burst         int     `yaml:"burst,omitempty" json:"burst,omitempty"`
}

// Route sends the messages that meet all of its non-empty criteria to its channels.
// Within one list any entry may match. A route without criteria matches every message.
type Route struct {
	Name     string   `yaml:"name,omitempty" json:"name,omitempty"`
	Channels []string `yaml:"channels" json:"channels"`
	// MinSeverity is the lowest severity that matches (informational < low < medium <
	// high < critical).
	MinSeverity string `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
	// Kinds match Message.Kind exactly, or by prefix when they end in ".*"
	// ("incident.*").
	Kinds []string `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Tactics and Techniques match matrix ids ignoring case; HostGroups match exactly.
	Tactics    []string `yaml:"tactics,omitempty" json:"tactics,omitempty"`
	Techniques []string `yaml:"techniques,omitempty" json:"techniques,omitempty"`
	HostGroups []string `yaml:"host_groups,omitempty" json:"host_groups,omitempty"`
}

// FieldError is one invalid setting: which channel or route, which field, and why.
type FieldError struct {
	Section string // "channel" or "route"
	Name    string // the channel or route name, or "#N" (1-based) when it has none
	Field   string // the YAML key, such as "url"
	Reason  string
}

func (e *FieldError) Error() string {
	name := e.Name
	if !strings.HasPrefix(name, "#") {
		name = fmt.Sprintf("%q", name)
	}
	if e.Field == "" {
		return fmt.Sprintf("notify: %s %s: %s", e.Section, name, e.Reason)
	}
	return fmt.Sprintf("notify: %s %s: %s: %s", e.Section, name, e.Field, e.Reason)
}

// Validate reports every invalid setting of the configuration, each as a *FieldError,
// joined into one error.
func (c Config) Validate() error {
	var errs []error
	names := make(map[string]bool, len(c.Channels))
	for i, ch := range c.Channels {
		if err := ch.validate(i); err != nil {
			errs = append(errs, err)
		}
		if ch.Name != "" {
			if names[ch.Name] {
				errs = append(errs, &FieldError{"channel", ch.Name, "name", "used by more than one channel"})
			}
			names[ch.Name] = true
		}
	}
	for i, r := range c.Routes {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		bad := func(field, format string, args ...any) {
			errs = append(errs, &FieldError{"route", name, field, fmt.Sprintf(format, args...)})
		}
		if len(r.Channels) == 0 {
			bad("channels", "is empty: a route needs at least one channel")
		}
		for _, n := range r.Channels {
			if !names[n] {
				bad("channels", "no channel is named %q", n)
			}
		}
		if r.MinSeverity != "" && severityRank(r.MinSeverity) < 0 {
			bad("min_severity", "%q is not one of %s", r.MinSeverity, strings.Join(severities, ", "))
		}
		for _, l := range []struct {
			field string
			list  []string
		}{{"kinds", r.Kinds}, {"tactics", r.Tactics}, {"techniques", r.Techniques}, {"host_groups", r.HostGroups}} {
			if slices.Contains(l.list, "") {
				bad(l.field, "has an empty entry")
			}
		}
	}
	return errors.Join(errs...)
}

// Validate reports every invalid setting of the channel, each as a *FieldError, joined
// into one error. It does not know the other channels, so Config.Validate is the one
// that also refuses duplicate names.
func (c Channel) Validate() error { return c.validate(0) }

func (c Channel) validate(index int) error {
	name := c.Name
	if strings.TrimSpace(name) == "" {
		name = fmt.Sprintf("#%d", index+1)
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{"channel", name, field, fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.Name) == "" {
		bad("name", "is empty")
	} else if strings.TrimSpace(c.Name) != c.Name {
		bad("name", "has leading or trailing spaces")
	}
	if c.RatePerMinute < 0 {
		bad("rate_per_minute", "is negative")
	}
	if c.Burst < 0 {
		bad("burst", "is negative")
	}

	// unused refuses the settings that the channel's type does not read.
	unused := func(fields map[string]bool) {
		for _, f := range []string{"url", "secret", "msg_type", "host", "port", "username", "password", "from", "to", "tls"} {
			if fields[f] {
				bad(f, "is not used by %s channels", c.Type)
			}
		}
	}
	smtpSet := map[string]bool{"host": c.Host != "", "port": c.Port != 0, "username": c.Username != "",
		"password": c.Password != "", "from": c.From != "", "to": len(c.To) > 0, "tls": c.TLS != ""}

	switch c.Type {
	case TypeWebhook, TypeSlack, TypeDingTalk, TypeWeCom, TypeFeishu:
		if c.URL == "" {
			bad("url", "is empty")
		} else if u, err := url.Parse(c.URL); err != nil {
			// The parse error quotes the URL, which may hold a token.
			bad("url", "is not a valid URL")
		} else if u.Scheme != "https" && u.Scheme != "http" {
			bad("url", "scheme must be https or http, not %q", u.Scheme)
		} else if u.Host == "" {
			bad("url", "has no host")
		}
		smtpSet["secret"] = c.Secret != "" && (c.Type == TypeSlack || c.Type == TypeWeCom)
		if c.Type == TypeFeishu {
			if c.MsgType != "" && c.MsgType != FeishuText && c.MsgType != FeishuInteractive {
				bad("msg_type", "%q is not %q or %q", c.MsgType, FeishuInteractive, FeishuText)
			}
		} else {
			smtpSet["msg_type"] = c.MsgType != ""
		}
		unused(smtpSet)
	case TypeEmail:
		if c.Host == "" {
			bad("host", "is empty")
		}
		if c.Port < 0 || c.Port > 65535 {
			bad("port", "%d is out of range", c.Port)
		}
		if c.From == "" {
			bad("from", "is empty")
		} else if _, err := mail.ParseAddress(c.From); err != nil {
			bad("from", "%q is not an email address", c.From)
		}
		if len(c.To) == 0 {
			bad("to", "is empty: an email channel needs at least one recipient")
		}
		for _, to := range c.To {
			if _, err := mail.ParseAddress(to); err != nil {
				bad("to", "%q is not an email address", to)
			}
		}
		switch c.TLS {
		case "", TLSStartTLS, TLSImplicit, TLSNone:
		default:
			bad("tls", "%q is not one of %s, %s, %s", c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
		}
		if c.Password != "" && c.Username == "" {
			bad("username", "is empty while a password is set")
		}
		if c.Username != "" && c.Password == "" {
			bad("password", "is empty while a username is set")
		}
		unused(map[string]bool{"url": c.URL != "", "secret": c.Secret != "", "msg_type": c.MsgType != ""})
	case "":
		bad("type", "is empty: one of %s", strings.Join(channelTypes, ", "))
	default:
		bad("type", "%q is not one of %s", c.Type, strings.Join(channelTypes, ", "))
	}
	return errors.Join(errs...)
}

var channelTypes = []string{TypeWebhook, TypeEmail, TypeSlack, TypeDingTalk, TypeWeCom, TypeFeishu}

// Redacted returns the channel with its secrets removed, for showing a configuration:
// Secret and Password are emptied and URL is reduced by RedactURL.
func (c Channel) Redacted() Channel {
	c.Secret, c.Password = "", ""
	if c.URL != "" {
		c.URL = RedactURL(c.URL)
	}
	c.To = slices.Clone(c.To)
	return c
}

// rate returns the channel's limit with defaults applied.
func (c Channel) rate() (perMinute float64, burst int) {
	perMinute, burst = c.RatePerMinute, c.Burst
	if perMinute == 0 {
		perMinute = DefaultRatePerMinute
	}
	if burst == 0 {
		burst = DefaultBurst
	}
	return perMinute, burst
}

// smtpPort returns the channel's port with the default of its TLS mode.
func (c Channel) smtpPort() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.TLS {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}
