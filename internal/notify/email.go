package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"

	mail "github.com/wneessen/go-mail"

	"github.com/vigilsec/vigil/internal/version"
)

// emailSender sends a plain-text email over SMTP, one connection per message: alerts
// are rare enough that a pooled connection would mostly sit idle and time out.
type emailSender struct {
	ch  Channel
	env env
}

var _ sender = (*emailSender)(nil)

func (s *emailSender) send(ctx context.Context, id string, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.ch.From); err != nil {
		return fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(s.ch.To...); err != nil {
		return fmt.Errorf("to address: %w", err)
	}
	msg.Subject("[Vigil] " + headline(m))
	msg.SetDateWithValue(s.env.now())
	msg.SetMessageID()
	msg.SetUserAgent("Vigil/" + version.Version)
	msg.SetGenHeader(mail.Header(HeaderEvent), oneLine(m.Kind))
	msg.SetGenHeader(mail.Header(HeaderDelivery), id)
	msg.SetBodyString(mail.TypeTextPlain, plainText(m, 0, 0))

	opts := []mail.Option{mail.WithPort(s.ch.smtpPort()), mail.WithTimeout(s.env.timeout)}
	switch s.ch.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.env.tlsConfig != nil {
		cfg := s.env.tlsConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = s.ch.Host
		}
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
		opts = append(opts, mail.WithTLSConfig(cfg))
	}
	if s.ch.Username != "" {
		// Auto-discovery picks the strongest mechanism offered and refuses PLAIN and
		// LOGIN on a connection without TLS, so the password never goes in the clear.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.ch.Username), mail.WithPassword(s.ch.Password))
	}
	client, err := mail.NewClient(s.ch.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return smtpError(err)
	}
	return nil
}

// smtpError marks a failure retryable unless it is one that waiting cannot cure: a
// 5xx reply, a delivery error that the server did not call temporary, a certificate
// that does not verify, or no authentication mechanism safe to use. Other connection
// failures are retryable.
func smtpError(err error) error {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return err
	}
	if errors.Is(err, mail.ErrNoSupportedAuthDiscovered) {
		return err
	}
	if se, ok := errors.AsType[*mail.SendError](err); ok {
		// A SendError without an SMTP reply code is a broken connection.
		if se.IsTemp() || se.ErrorCode() == 0 {
			return temporary(err)
		}
		return err
	}
	if te, ok := errors.AsType[*textproto.Error](err); ok {
		if te.Code >= 400 && te.Code < 500 {
			return temporary(err)
		}
		return err
	}
	return temporary(err)
}
