package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so secret scanners and people recognise one.
const TokenPrefix = "vgl_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newSecret returns n random bytes as lower-case base32 text.
func newSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(b32.EncodeToString(b))
}

// HashSecret returns the SHA-256 of a high-entropy secret (token, session id, recovery
// code) as hex. A fast hash is right here: the secrets have 160+ random bits, so no
// dictionary attack applies and verification stays cheap on every request.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
