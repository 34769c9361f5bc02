package cli_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

var (
	tokenSecret  = regexp.MustCompile(`^vgl_[a-z2-7]{52}$`)
	createdToken = regexp.MustCompile(`^created token (\d+) "([^"]*)" with role (\S+) \(expires: (\S+)\)`)
)

// createToken runs `token create` and returns the token's id and secret.
func createToken(t *testing.T, dir string, args ...string) (int64, string) {
	t.Helper()
	r := mustVigil(t, "", append([]string{"token", "create", "--data", dir}, args...)...)
	secret := r.lastLine()
	if !tokenSecret.MatchString(secret) {
		t.Fatalf("the last line of stdout is %q, want the secret vgl_…:\n%v", secret, r)
	}
	m := createdToken.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr does not describe the token:\n%s", r.stderr)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id, secret
}

func TestTokenCreate(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)

	r := mustVigil(t, "", "token", "create", "--data", dir, "--role", "admin", "--name", "ci")
	secret := r.lastLine()
	if !tokenSecret.MatchString(secret) || !strings.HasSuffix(r.stdout, secret+"\n") {
		t.Fatalf("stdout %q does not end with a secret line", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, `created token 1 "ci" with role admin (expires: never)`) {
		t.Errorf("stderr %q", r.stderr)
	}
	k, err := svc.AuthenticateToken(t.Context(), secret)
	if err != nil {
		t.Fatalf("the printed secret does not authenticate: %v", err)
	}
	if k.ID != 1 || k.Name != "ci" || k.Role != auth.RoleAdmin || !k.ExpiresAt.IsZero() {
		t.Errorf("token %+v, want id 1, name ci, role admin, no expiry", k)
	}
	if e := newestAudit(t, dir); e.Action != "token.create" || !strings.HasPrefix(e.Actor, "cli:") || strings.Contains(e.After, secret) {
		t.Errorf("newest audit entry %q by %q (after %s), want token.create by cli:… without the secret", e.Action, e.Actor, e.After)
	}

	id, secret := createToken(t, dir, "--role", "viewer", "--name", "dashboard", "--expires", "720h")
	k, err = svc.AuthenticateToken(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != id || k.Role != auth.RoleViewer || k.ExpiresAt.Sub(k.CreatedAt) != 720*time.Hour {
		t.Errorf("token %+v, want id %d, role viewer, expiring 720h after creation", k, id)
	}
}

func TestTokenCreateRefused(t *testing.T) {
	dir, _ := newDataDir(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"--role", "admin"}, `required flag(s) "name" not set`},
		{"no role", []string{"--name", "ci"}, `required flag(s) "role" not set`},
		{"neither", nil, `required flag(s) "name", "role" not set`},
		{"unknown role", []string{"--name", "ci", "--role", "root"}, `unknown role "root"`},
		{"blank name", []string{"--name", "  ", "--role", "admin"}, "token name must have 1 to 100 characters"},
		{"negative expiry", []string{"--name", "ci", "--role", "admin", "--expires", "-1h"}, "expiry must not be negative"},
		{"bad expiry", []string{"--name", "ci", "--role", "admin", "--expires", "soon"}, `invalid argument "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := vigil(t, "", append([]string{"token", "create", "--data", dir}, tt.args...)...)
			wantFailure(t, r, tt.want)
			if strings.Contains(r.stdout, "vgl_") {
				t.Errorf("a refused create printed a secret: %q", r.stdout)
			}
		})
	}
	toks, err := service(t, dir).ListTokens(t.Context(), store.Page{Limit: 10})
	if err != nil || len(toks) != 0 {
		t.Errorf("after refused creates: %d tokens (%v), want none", len(toks), err)
	}
}

func TestTokenList(t *testing.T) {
	dir, _ := newDataDir(t)
	ciID, ciSecret := createToken(t, dir, "--role", "admin", "--name", "ci")
	oldID, oldSecret := createToken(t, dir, "--role", "analyst", "--name", "old-script")
	mustVigil(t, "", "token", "revoke", strconv.FormatInt(oldID, 10), "--data", dir)

	r := mustVigil(t, "", "token", "list", "--data", dir)
	if strings.Contains(r.stdout, ciSecret) || strings.Contains(r.stdout, oldSecret) {
		t.Fatalf("token list shows a secret:\n%s", r.stdout)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME ROLE PREFIX STATUS CREATED LAST USED EXPIRES" {
		t.Fatalf("token list:\n%s", r.stdout)
	}
	want := []struct {
		id             int64
		name, role     string
		secret, status string
	}{ // newest first
		{oldID, "old-script", "analyst", oldSecret, "revoked"},
		{ciID, "ci", "admin", ciSecret, "active"},
	}
	for i, w := range want {
		f := strings.Fields(lines[i+1])
		prefix := w.secret[:len(auth.TokenPrefix)+6] + "…"
		got := strings.Join(f, " ")
		if len(f) != 8 || f[0] != strconv.FormatInt(w.id, 10) || f[1] != w.name || f[2] != w.role || f[3] != prefix || f[4] != w.status || f[6] != "never" || f[7] != "never" {
			t.Errorf("row %d = %q, want id %d, %s, %s, %s, %s, never used, never expires", i+1, got, w.id, w.name, w.role, prefix, w.status)
		}
	}
}

func TestTokenRevoke(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	id, secret := createToken(t, dir, "--role", "admin", "--name", "ci")
	keepID, keep := createToken(t, dir, "--role", "admin", "--name", "keep")
	if _, err := svc.AuthenticateToken(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	ids := strconv.FormatInt(id, 10)

	r := mustVigil(t, "", "token", "revoke", ids, "--data", dir)
	if r.stdout != "token "+ids+" revoked\n" {
		t.Errorf("revoke printed %q", r.stdout)
	}
	if _, err := svc.AuthenticateToken(t.Context(), secret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("revoked token authenticates: %v", err)
	}
	if k, err := svc.AuthenticateToken(t.Context(), keep); err != nil || k.ID != keepID {
		t.Errorf("revoking token %s affected token %d: %v", ids, keepID, err)
	}

	wantFailure(t, vigil(t, "", "token", "revoke", ids, "--data", dir), "vigil: token "+ids+" is already revoked")
	wantFailure(t, vigil(t, "", "token", "revoke", "999", "--data", dir), "token 999: not found")
	wantFailure(t, vigil(t, "", "token", "revoke", "ci", "--data", dir), `token id "ci": want a number`)
	wantFailure(t, vigil(t, "", "token", "revoke", "--data", dir), "accepts 1 arg(s), received 0")
}
