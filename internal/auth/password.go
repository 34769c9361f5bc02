package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password policy.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
	// MinPasswordScore is the lowest zxcvbn score (0..4) accepted: 3 means "safely
	// unguessable" (about 10^10 guesses).
	MinPasswordScore = 3
)

// HashPassword returns the PHC-format argon2id hash of pw with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC-format hash. The parameters are read
// from the hash, so raising them later keeps old hashes working.
func CheckPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unsupported password hash format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("argon2 salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("argon2 key: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a login names no existing user, so that the answer
// takes as long as for a real user and does not reveal which names exist.
// It is computed on first use, not at start-up: every vigil command imports this
// package, and an argon2 hash costs tens of milliseconds.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("vigil-dummy-password-for-timing")
	return h
})

// CheckStrength returns an ErrInvalid error explaining why pw is too weak, or nil.
// context holds words the password must not be built from (user name, product name).
func CheckStrength(pw string, context ...string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		return weakf("password must have at least %d characters", MinPasswordLength)
	}
	if n > MaxPasswordLength {
		return weakf("password must have at most %d characters", MaxPasswordLength)
	}
	for _, c := range context {
		if c != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(c)) && len(c) >= 3 && float64(len(c)) > float64(len(pw))/2 {
			return weakf("password must not be mostly the user name")
		}
	}
	res := zxcvbn.PasswordStrength(pw, append(context, "vigil"))
	if res.Score < MinPasswordScore {
		return weakf("password is too easy to guess (strength %d of 4, need %d): use more unrelated words or characters",
			res.Score, MinPasswordScore)
	}
	return nil
}

// GeneratePassword returns a random one-time password of 24 characters from an alphabet
// without look-alike characters.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomString(alphabet, 24)
}

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		// Rejection sampling keeps the distribution uniform.
		if int(buf[0]) >= 256-256%len(alphabet) {
			continue
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b)
}
