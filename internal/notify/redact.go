package notify

import (
	"errors"
	"net/url"
	"strings"
)

// redacted replaces what was removed.
const redacted = "REDACTED"

// RedactURL returns rawURL reduced to its scheme and host, with "/REDACTED" in place of
// any path, query or fragment. Chat robots carry their token in the query (DingTalk's
// access_token, WeCom's key) or in the path (Slack, Feishu), and a generic webhook may
// do either, so nothing past the host is kept. User information is dropped too.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return redacted
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		out += "/" + redacted
	}
	return out
}

// scrubbedError is an error whose text has had secrets replaced. Its chain is made of
// errors built without secrets (see redactURLError), so unwrapping reveals none either.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub replaces every non-empty secret in err's text with REDACTED. The channel's
// URL is passed too: besides its own redaction, its query values and path are secrets.
func scrub(err error, ch Channel) error {
	if err == nil {
		return nil
	}
	secrets := []string{ch.Secret, ch.Password}
	if ch.URL != "" {
		secrets = append(secrets, ch.URL)
		if u, perr := url.Parse(ch.URL); perr == nil {
			if u.Path != "" && u.Path != "/" {
				secrets = append(secrets, u.Path, u.EscapedPath())
			}
			if u.RawQuery != "" {
				secrets = append(secrets, u.RawQuery)
			}
			for _, vs := range u.Query() {
				secrets = append(secrets, vs...)
			}
			if p, ok := u.User.Password(); ok {
				secrets = append(secrets, p)
			}
		}
	}
	msg := err.Error()
	for _, s := range secrets {
		// Very short values ("1", "/") would mangle the message without hiding
		// anything worth hiding.
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	return &scrubbedError{msg: msg, err: err}
}

// redactURLError rebuilds the *url.Error that net/http returns, which quotes the whole
// request URL, with the URL redacted. Errors of other types are returned as they are.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
}
