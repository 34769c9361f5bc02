package auth

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters (RFC 6238 defaults, what every authenticator app supports).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1 // accept the previous and next step for clock drift
)

// Enrollment is what a user needs to add Vigil to an authenticator app.
type Enrollment struct {
	Secret      string `json:"secret"`
	URL         string `json:"otpauth_url"`
	QRPNGBase64 string `json:"qr_png_base64"`
}

func newTOTPKey(issuer, account string) (*Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits})
	if err != nil {
		return nil, fmt.Errorf("totp generate: %w", err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp qr code: %w", err)
	}
	return &Enrollment{Secret: key.Secret(), URL: key.URL(), QRPNGBase64: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// matchTOTP returns the time step whose code equals code, if any step within the skew
// window after lastStep matches. Steps at or before lastStep are refused: a code that was
// accepted once cannot be replayed, and neither can an older one.
func matchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != int(totpDigits) {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns n single-use codes in the form xxxxx-xxxxx and their hashes.
func newRecoveryCodes(n int) (codes, hashes []string) {
	for range n {
		s := randomString("abcdefghjkmnpqrstuvwxyz23456789", 10)
		c := s[:5] + "-" + s[5:]
		codes = append(codes, c)
		hashes = append(hashes, HashSecret(c))
	}
	return codes, hashes
}

// normalizeRecoveryCode accepts codes typed with spaces, upper case or without the dash.
func normalizeRecoveryCode(c string) string {
	c = strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(c))
	if len(c) != 10 {
		return ""
	}
	return c[:5] + "-" + c[5:]
}
