package cli_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

const strongPassword = "Plover-quince-47-marmalade!"

// oneTimePassword matches the passwords the platform generates.
var oneTimePassword = regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{24}$`)

// newestAudit returns the newest audit entry of the data directory.
func newestAudit(t *testing.T, dir string) *store.AuditEntry {
	t.Helper()
	st, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var e *store.AuditEntry
	if err := st.View(t.Context(), func(tx store.Tx) (err error) { e, err = tx.LastAudit(); return err }); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUserAddPrintsOneTimePassword(t *testing.T) {
	dir, _ := newDataDir(t)
	r := mustVigil(t, "", "user", "add", "bob", "--role", "analyst", "--data", dir)
	if !strings.HasPrefix(r.stdout, "created user bob (id 2, role analyst)\n") {
		t.Errorf("user add printed %q", r.stdout)
	}
	pw := r.lastLine()
	if !oneTimePassword.MatchString(pw) {
		t.Fatalf("last line %q is not a one-time password:\n%s", pw, r.stdout)
	}
	res, err := login(service(t, dir), "bob", pw)
	if err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	if res.User.Role != auth.RoleAnalyst || !res.User.MustChangePassword {
		t.Errorf("bob has role %q, must change password %v; want analyst, true", res.User.Role, res.User.MustChangePassword)
	}

	// Without --role the user is a viewer; the change is audited with a cli: actor.
	mustVigil(t, "", "user", "add", "carol", "--data", dir)
	e := newestAudit(t, dir)
	if e.Action != "user.create" || !strings.HasPrefix(e.Actor, "cli:") || !strings.Contains(e.After, `"role":"viewer"`) {
		t.Errorf("newest audit entry: action %q actor %q after %s; want user.create by cli:… of a viewer", e.Action, e.Actor, e.After)
	}
}

func TestUserAddPasswordStdin(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	tests := []struct {
		name  string
		stdin string
		want  string // error text; "" = accepted
	}{
		{"strong", strongPassword + "\n", ""},
		{"strong without newline", strongPassword, ""},
		{"strong with CRLF", strongPassword + "\r\nignored second line\n", ""},
		{"guessable", "password1234\n", "password is too easy to guess"},
		{"short", "Xq7#pL\n", "at least 12 characters"},
		{"the user name", "user-guessable-name-1\n", "must not be mostly the user name"},
		{"empty line", "\n" + strongPassword + "\n", "empty password on stdin"},
		{"no input", "", "read password from stdin"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "user-guessable-name"
			if tt.want == "" {
				name = "user" + string(rune('a'+i))
			}
			r := vigil(t, tt.stdin, "user", "add", name, "--password-stdin", "--role", "responder", "--data", dir)
			if tt.want != "" {
				wantFailure(t, r, tt.want)
				if _, err := svc.GetUserByName(t.Context(), name); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("the refused user exists (GetUserByName: %v)", err)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("strong password refused: %v", r)
			}
			if strings.Contains(r.stdout, "one-time") || strings.Contains(r.stdout, strongPassword) {
				t.Errorf("user add with --password-stdin printed a password:\n%s", r.stdout)
			}
			res, err := login(svc, name, strongPassword)
			if err != nil {
				t.Fatalf("login with the stdin password: %v", err)
			}
			if res.User.MustChangePassword || res.User.Role != auth.RoleResponder {
				t.Errorf("must change password %v, role %q; want false, responder", res.User.MustChangePassword, res.User.Role)
			}
		})
	}
}

func TestUserAddRefused(t *testing.T) {
	dir, _ := newDataDir(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"bob", "--role", "root"}, `unknown role "root"`},
		{"duplicate", []string{"admin"}, `user "admin": already exists`},
		{"duplicate in other case", []string{"ADMIN", "--role", "viewer"}, `user "ADMIN": already exists`},
		{"name too short", []string{"b"}, "user name must have 2 to 64 characters"},
		{"bad character", []string{"bob smith"}, "user name may only hold"},
		{"no name", nil, "accepts 1 arg(s), received 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"user", "add"}, tt.args...)
			wantFailure(t, vigil(t, "", append(args, "--data", dir)...), tt.want)
		})
	}
	users, err := service(t, dir).ListUsers(t.Context(), store.Page{Limit: 10})
	if err != nil || len(users) != 1 {
		t.Errorf("after refused adds: %d users (%v), want only the admin", len(users), err)
	}
}

func TestUserList(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	for _, u := range []struct{ name, role string }{{"bob", auth.RoleAnalyst}, {"carol", auth.RoleIncidentCommander}, {"dave", auth.RoleViewer}} {
		if _, _, err := svc.CreateUser(t.Context(), "test", u.name, u.role, strongPassword); err != nil {
			t.Fatal(err)
		}
	}
	mustVigil(t, "", "user", "disable", "dave", "--data", dir)
	for range auth.DefaultPolicy.MaxFailedLogins {
		login(svc, "carol", "wrong password")
	}

	r := mustVigil(t, "", "user", "list", "--data", dir)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "ID USER ROLE STATUS TOTP CREATED" {
		t.Errorf("header %q", lines[0])
	}
	want := []string{ // newest first
		"4 dave viewer disabled no",
		"3 carol incident_commander locked no",
		"2 bob analyst active no",
		"1 admin admin must-change-password no",
	}
	if len(lines) != len(want)+1 {
		t.Fatalf("user list printed %d rows, want %d:\n%s", len(lines)-1, len(want), r.stdout)
	}
	for i, w := range want {
		f := strings.Fields(lines[i+1])
		if len(f) != 6 || strings.Join(f[:5], " ") != w {
			t.Errorf("row %d = %q, want %q and a creation time", i+1, lines[i+1], w)
		}
	}
}

func TestUserResetPassword(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	if _, _, err := svc.CreateUser(t.Context(), "test", "carol", auth.RoleAnalyst, strongPassword); err != nil {
		t.Fatal(err)
	}
	session, err := login(svc, "carol", strongPassword)
	if err != nil {
		t.Fatal(err)
	}
	for range auth.DefaultPolicy.MaxFailedLogins {
		login(svc, "carol", "wrong password")
	}
	var locked *auth.LockedError
	if _, err := login(svc, "carol", strongPassword); !errors.As(err, &locked) {
		t.Fatalf("after %d failures, login = %v, want a lockout", auth.DefaultPolicy.MaxFailedLogins, err)
	}

	r := mustVigil(t, "", "user", "reset-password", "carol", "--data", dir)
	pw := r.lastLine()
	if !oneTimePassword.MatchString(pw) || !strings.Contains(r.stdout, "one-time password for carol") {
		t.Fatalf("reset-password printed:\n%s", r.stdout)
	}
	res, err := login(svc, "carol", pw)
	if err != nil {
		t.Fatalf("login with the new password (the reset must lift the lockout): %v", err)
	}
	if !res.User.MustChangePassword {
		t.Error("after a reset the user need not change the password")
	}
	if _, _, err := svc.SessionUser(t.Context(), session.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("the session from before the reset still works: %v", err)
	}
	if _, err := login(svc, "carol", strongPassword); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("login with the old password = %v, want bad credentials", err)
	}

	wantFailure(t, vigil(t, "", "user", "reset-password", "nobody", "--data", dir), "user nobody: not found")
}

func TestUserDisableEnable(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	if _, _, err := svc.CreateUser(t.Context(), "test", "dave", auth.RoleResponder, strongPassword); err != nil {
		t.Fatal(err)
	}
	session, err := login(svc, "dave", strongPassword)
	if err != nil {
		t.Fatal(err)
	}

	r := mustVigil(t, "", "user", "disable", "dave", "--data", dir)
	if r.stdout != "user dave disabled\n" {
		t.Errorf("disable printed %q", r.stdout)
	}
	if _, err := login(svc, "dave", strongPassword); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("login of a disabled user = %v, want bad credentials", err)
	}
	if _, _, err := svc.SessionUser(t.Context(), session.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("the disabled user's session still works: %v", err)
	}

	r = mustVigil(t, "", "user", "enable", "dave", "--data", dir)
	if r.stdout != "user dave enabled\n" {
		t.Errorf("enable printed %q", r.stdout)
	}
	if _, err := login(svc, "dave", strongPassword); err != nil {
		t.Errorf("login after enable: %v", err)
	}

	wantFailure(t, vigil(t, "", "user", "disable", "nobody", "--data", dir), "user nobody: not found")
}

func TestDisableLastAdminRefused(t *testing.T) {
	dir, _ := newDataDir(t)
	svc := service(t, dir)
	wantFailure(t, vigil(t, "", "user", "disable", "admin", "--data", dir), "last enabled admin")
	if u, err := svc.GetUserByName(t.Context(), "admin"); err != nil || u.Disabled {
		t.Fatalf("admin after the refused disable: %+v, %v", u, err)
	}

	// With a second admin the first may go, and then the second is the last.
	if _, _, err := svc.CreateUser(t.Context(), "test", "root2", auth.RoleAdmin, strongPassword); err != nil {
		t.Fatal(err)
	}
	mustVigil(t, "", "user", "disable", "admin", "--data", dir)
	wantFailure(t, vigil(t, "", "user", "disable", "root2", "--data", dir), "last enabled admin")
	mustVigil(t, "", "user", "enable", "admin", "--data", dir)
	mustVigil(t, "", "user", "disable", "root2", "--data", dir)
}
