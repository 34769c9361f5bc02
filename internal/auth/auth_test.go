package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)} }
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const strongPW = "Tangerine-Volcano-Quartz-88"

func setup(t *testing.T) (*auth.Service, store.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := newClock()
	return auth.NewService(st, c.Now, auth.DefaultPolicy, nil), st, c
}

func mustUser(t *testing.T, svc *auth.Service, name, role string) *store.User {
	t.Helper()
	u, _, err := svc.CreateUser(context.Background(), "test", name, role, strongPW)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func auditActions(t *testing.T, st store.Store) []string {
	t.Helper()
	var out []string
	err := st.View(context.Background(), func(tx store.Tx) error {
		res, err := audit.Verify(tx)
		if err != nil || !res.OK {
			t.Errorf("audit chain: %+v %v", res, err)
		}
		return tx.ScanAudit(func(e *store.AuditEntry) error { out = append(out, e.Action); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPasswordHashing(t *testing.T) {
	h, err := auth.HashPassword("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format %q", h)
	}
	if ok, err := auth.CheckPassword(h, "s3cret pass"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := auth.CheckPassword(h, "s3cret pasS"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := auth.HashPassword("s3cret pass")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$bcrypt$x", "$argon2id$v=19$m=1,t=1,p=1$!!$!!"} {
		if _, err := auth.CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestCheckStrength(t *testing.T) {
	cases := []struct {
		pw, user string
		ok       bool
	}{
		{"short1!", "bob", false},
		{"password1234", "bob", false},
		{"aaaaaaaaaaaaaaaa", "bob", false},
		{"administrator1", "administrator", false},
		{"qwertyuiop123", "bob", false},
		{strongPW, "bob", true},
		{"correct horse battery staple zebra", "bob", true},
		{strings.Repeat("x9Kq!", 60), "bob", false}, // over the maximum length
	}
	for _, tc := range cases {
		err := auth.CheckStrength(tc.pw, tc.user)
		if (err == nil) != tc.ok {
			t.Errorf("CheckStrength(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
		if err != nil && !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("CheckStrength error %v is not ErrInvalid", err)
		}
	}
	if err := auth.CheckStrength(auth.GeneratePassword(), "admin"); err != nil {
		t.Errorf("a generated password is too weak: %v", err)
	}
}

func TestBootstrapOnce(t *testing.T) {
	svc, st, _ := setup(t)
	name, pw, created, err := svc.Bootstrap(context.Background())
	if err != nil || !created || name != "admin" || len(pw) < 20 {
		t.Fatalf("Bootstrap = %q %q %v %v", name, pw, created, err)
	}
	if _, _, created, _ := svc.Bootstrap(context.Background()); created {
		t.Error("second Bootstrap created another admin")
	}
	res, err := svc.Login(context.Background(), "admin", pw, auth.Client{})
	if err != nil || !res.User.MustChangePassword || res.User.Role != auth.RoleAdmin {
		t.Fatalf("login with one-time password: %+v %v", res, err)
	}
	if got := auditActions(t, st); !slices.Equal(got, []string{"user.create", "auth.login"}) {
		t.Errorf("audit = %v", got)
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	svc, st, clk := setup(t)
	ctx := context.Background()
	mustUser(t, svc, "alice", auth.RoleAnalyst)
	for i := 1; i < auth.DefaultPolicy.MaxFailedLogins; i++ {
		if _, err := svc.Login(ctx, "alice", "wrong", auth.Client{RemoteAddr: "192.0.2.1"}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := svc.Login(ctx, "alice", "wrong", auth.Client{})
	var locked *auth.LockedError
	if !errors.As(err, &locked) || !locked.Until.Equal(clk.Now().Add(auth.DefaultPolicy.LockoutDuration)) {
		t.Fatalf("attempt %d: %v, want a lockout", auth.DefaultPolicy.MaxFailedLogins, err)
	}
	// Locked: even the right password is refused.
	clk.Add(auth.DefaultPolicy.LockoutDuration - time.Second)
	if _, err := svc.Login(ctx, "alice", strongPW, auth.Client{}); !errors.As(err, &locked) {
		t.Fatalf("right password during lockout: %v", err)
	}
	clk.Add(2 * time.Second)
	if _, err := svc.Login(ctx, "alice", strongPW, auth.Client{}); err != nil {
		t.Fatalf("right password after lockout: %v", err)
	}
	got := auditActions(t, st)
	if n := strings.Count(strings.Join(got, " "), "auth.login_failed"); n != auth.DefaultPolicy.MaxFailedLogins-1 || !slices.Contains(got, "auth.lockout") {
		t.Errorf("audit = %v", got)
	}
	// A success resets the count: four more failures do not lock.
	for range auth.DefaultPolicy.MaxFailedLogins - 1 {
		svc.Login(ctx, "alice", "wrong", auth.Client{})
	}
	if _, err := svc.Login(ctx, "alice", strongPW, auth.Client{}); err != nil {
		t.Errorf("count was not reset by a success: %v", err)
	}
}

func TestLoginRefusals(t *testing.T) {
	svc, st, _ := setup(t)
	ctx := context.Background()
	u := mustUser(t, svc, "carol", auth.RoleViewer)
	mustUser(t, svc, "root2", auth.RoleAdmin)
	if _, err := svc.Login(ctx, "nobody", strongPW, auth.Client{}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	disabled := true
	if _, err := svc.UpdateUser(ctx, "test", u.ID, nil, &disabled); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(ctx, "carol", strongPW, auth.Client{}); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("disabled user: %v", err)
	}
	acts := auditActions(t, st)
	if !slices.Contains(acts, "auth.login_failed") || !slices.Contains(acts, "user.update") {
		t.Errorf("audit = %v", acts)
	}
}

func TestLastAdminIsKept(t *testing.T) {
	svc, _, _ := setup(t)
	ctx := context.Background()
	admin := mustUser(t, svc, "boss", auth.RoleAdmin)
	viewer, yes := auth.RoleViewer, true
	if _, err := svc.UpdateUser(ctx, "test", admin.ID, &viewer, nil); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("demoting the last admin: %v", err)
	}
	if _, err := svc.UpdateUser(ctx, "test", admin.ID, nil, &yes); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("disabling the last admin: %v", err)
	}
	mustUser(t, svc, "boss2", auth.RoleAdmin)
	if _, err := svc.UpdateUser(ctx, "test", admin.ID, &viewer, nil); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
	bogus := "superuser"
	if _, err := svc.UpdateUser(ctx, "test", admin.ID, &bogus, nil); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
}

func TestTOTPEnrolmentLoginAndReplay(t *testing.T) {
	svc, st, clk := setup(t)
	ctx := context.Background()
	u := mustUser(t, svc, "dave", auth.RoleResponder)
	enr, err := svc.BeginTOTP(ctx, u.ID)
	if err != nil || enr.Secret == "" || !strings.HasPrefix(enr.URL, "otpauth://totp/Vigil:dave") || enr.QRPNGBase64 == "" {
		t.Fatalf("BeginTOTP = %+v, %v", enr, err)
	}
	if _, err := svc.ConfirmTOTP(ctx, u.ID, "000000"); !errors.Is(err, auth.ErrBadCode) {
		t.Errorf("confirm with a wrong code: %v", err)
	}
	confirmCode := code(t, enr.Secret, clk.Now())
	codes, err := svc.ConfirmTOTP(ctx, u.ID, confirmCode)
	if err != nil || len(codes) != 10 {
		t.Fatalf("ConfirmTOTP = %v, %v", codes, err)
	}

	res, err := svc.Login(ctx, "dave", strongPW, auth.Client{})
	if err != nil || !res.TOTPRequired || !res.Session.TOTPPending {
		t.Fatalf("password step: %+v %v", res, err)
	}
	if _, _, err := svc.SessionUser(ctx, res.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("a pending session was accepted as signed in: %v", err)
	}
	// The code used for the confirmation is spent: replay within its window fails.
	if _, err := svc.CompleteTOTP(ctx, res.SessionSecret, confirmCode, auth.Client{}); !errors.Is(err, auth.ErrBadCode) {
		t.Fatalf("replayed code: %v, want ErrBadCode", err)
	}
	clk.Add(30 * time.Second)
	fresh := code(t, enr.Secret, clk.Now())
	full, err := svc.CompleteTOTP(ctx, res.SessionSecret, fresh, auth.Client{})
	if err != nil {
		t.Fatalf("fresh code: %v", err)
	}
	if full.SessionSecret == res.SessionSecret {
		t.Error("the session id was not rotated after the second factor")
	}
	if _, _, err := svc.SessionUser(ctx, full.SessionSecret); err != nil {
		t.Errorf("full session refused: %v", err)
	}
	// The same code again, on a new login within the window: refused.
	res2, _ := svc.Login(ctx, "dave", strongPW, auth.Client{})
	if _, err := svc.CompleteTOTP(ctx, res2.SessionSecret, fresh, auth.Client{}); !errors.Is(err, auth.ErrBadCode) {
		t.Errorf("replay on a second login: %v", err)
	}
	// A recovery code works once, typed loosely.
	loose := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	if _, err := svc.CompleteTOTP(ctx, res2.SessionSecret, loose, auth.Client{}); err != nil {
		t.Errorf("recovery code: %v", err)
	}
	res3, _ := svc.Login(ctx, "dave", strongPW, auth.Client{})
	if _, err := svc.CompleteTOTP(ctx, res3.SessionSecret, codes[3], auth.Client{}); !errors.Is(err, auth.ErrBadCode) {
		t.Errorf("a recovery code worked twice: %v", err)
	}
	// An old pending session cannot be completed after its short lifetime.
	clk.Add(auth.DefaultPolicy.PendingTTL + time.Second)
	if _, err := svc.CompleteTOTP(ctx, res3.SessionSecret, code(t, enr.Secret, clk.Now()), auth.Client{}); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("expired pending session: %v", err)
	}
	acts := auditActions(t, st)
	for _, want := range []string{"user.totp_enroll_start", "user.totp_enable", "auth.login"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

func TestTOTPDisableRespectsRoleRequirement(t *testing.T) {
	svc, _, clk := setup(t)
	ctx := context.Background()
	u := mustUser(t, svc, "erin", auth.RoleAnalyst)
	enr, _ := svc.BeginTOTP(ctx, u.ID)
	if _, err := svc.ConfirmTOTP(ctx, u.ID, code(t, enr.Secret, clk.Now())); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetTOTPRequiredRoles(ctx, "test", []string{auth.RoleAnalyst, auth.RoleAnalyst}); err != nil {
		t.Fatal(err)
	}
	if roles, _ := svc.TOTPRequiredRoles(ctx); !slices.Equal(roles, []string{auth.RoleAnalyst}) {
		t.Errorf("roles = %v", roles)
	}
	clk.Add(30 * time.Second)
	if err := svc.DisableTOTP(ctx, u.ID, code(t, enr.Secret, clk.Now())); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("disable while required: %v", err)
	}
	if err := svc.SetTOTPRequiredRoles(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.DisableTOTP(ctx, u.ID, "123456"); !errors.Is(err, auth.ErrBadCode) {
		t.Errorf("disable with a wrong code: %v", err)
	}
	clk.Add(30 * time.Second)
	if err := svc.DisableTOTP(ctx, u.ID, code(t, enr.Secret, clk.Now())); err != nil {
		t.Errorf("disable: %v", err)
	}
	if err := svc.SetTOTPRequiredRoles(ctx, "test", []string{"root"}); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("unknown role accepted: %v", err)
	}
}

func TestSessionLifetime(t *testing.T) {
	svc, _, clk := setup(t)
	ctx := context.Background()
	mustUser(t, svc, "fay", auth.RoleViewer)
	res, _ := svc.Login(ctx, "fay", strongPW, auth.Client{})
	// Activity keeps the session alive past the idle limit...
	for range 3 {
		clk.Add(auth.DefaultPolicy.SessionIdle - time.Minute)
		if _, _, err := svc.SessionUser(ctx, res.SessionSecret); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
	}
	// ...but not past the absolute lifetime.
	for clk.Now().Before(res.Session.ExpiresAt) {
		clk.Add(time.Hour)
		svc.SessionUser(ctx, res.SessionSecret)
	}
	if _, _, err := svc.SessionUser(ctx, res.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("session past its absolute lifetime: %v", err)
	}
	// Idle expiry.
	res, _ = svc.Login(ctx, "fay", strongPW, auth.Client{})
	clk.Add(auth.DefaultPolicy.SessionIdle + time.Second)
	if _, _, err := svc.SessionUser(ctx, res.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("idle session: %v", err)
	}
	// Logout.
	res, _ = svc.Login(ctx, "fay", strongPW, auth.Client{})
	if err := svc.Logout(ctx, res.SessionSecret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SessionUser(ctx, res.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("session after logout: %v", err)
	}
	if n, err := svc.PruneSessions(ctx); err != nil || n < 2 {
		t.Errorf("PruneSessions = %d, %v; want the two expired sessions", n, err)
	}
}

func TestPasswordChangeAndReset(t *testing.T) {
	svc, _, _ := setup(t)
	ctx := context.Background()
	u := mustUser(t, svc, "gus", auth.RoleAnalyst)
	res, _ := svc.Login(ctx, "gus", strongPW, auth.Client{})
	if err := svc.ChangePassword(ctx, u.ID, "wrong", "Another-Strong-Passphrase-9"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("wrong current password: %v", err)
	}
	if err := svc.ChangePassword(ctx, u.ID, strongPW, "gus12345678"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("weak new password: %v", err)
	}
	if err := svc.ChangePassword(ctx, u.ID, strongPW, "Another-Strong-Passphrase-9"); err != nil {
		t.Fatal(err)
	}
	pw, err := svc.ResetPassword(ctx, "test", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SessionUser(ctx, res.SessionSecret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("session survived a password reset: %v", err)
	}
	if r, err := svc.Login(ctx, "gus", pw, auth.Client{}); err != nil || !r.User.MustChangePassword {
		t.Errorf("login with reset password: %+v %v", r, err)
	}
}

func TestTokens(t *testing.T) {
	svc, st, clk := setup(t)
	ctx := context.Background()
	k, secret, err := svc.CreateToken(ctx, "test", "ci", auth.RoleAdmin, 24*time.Hour)
	if err != nil || !strings.HasPrefix(secret, auth.TokenPrefix) || k.Hash == secret || !strings.HasPrefix(secret, k.Prefix) {
		t.Fatalf("CreateToken = %+v %q %v", k, secret, err)
	}
	got, err := svc.AuthenticateToken(ctx, secret)
	if err != nil || got.ID != k.ID || !got.LastUsed.Equal(clk.Now()) {
		t.Fatalf("AuthenticateToken = %+v %v", got, err)
	}
	for _, bad := range []string{"", "vgl_nope", secret + "x", strings.TrimPrefix(secret, auth.TokenPrefix)} {
		if _, err := svc.AuthenticateToken(ctx, bad); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("AuthenticateToken(%q) = %v", bad, err)
		}
	}
	clk.Add(25 * time.Hour)
	if _, err := svc.AuthenticateToken(ctx, secret); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("expired token accepted: %v", err)
	}
	_, secret2, _ := svc.CreateToken(ctx, "test", "ro", auth.RoleViewer, 0)
	k2, _ := svc.AuthenticateToken(ctx, secret2)
	if err := svc.RevokeToken(ctx, "test", k2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateToken(ctx, secret2); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("revoked token accepted: %v", err)
	}
	if err := svc.RevokeToken(ctx, "test", k2.ID); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("second revoke: %v", err)
	}
	for _, tc := range []struct{ name, role string }{{"", auth.RoleViewer}, {"x", "god"}} {
		if _, _, err := svc.CreateToken(ctx, "test", tc.name, tc.role, 0); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("CreateToken(%q, %q) = %v", tc.name, tc.role, err)
		}
	}
	if acts := auditActions(t, st); !slices.Equal(acts, []string{"token.create", "token.create", "token.revoke"}) {
		t.Errorf("audit = %v", acts)
	}
}

func TestPermissionMatrix(t *testing.T) {
	if !auth.Can(auth.RoleAdmin, auth.PermUsersWrite) || auth.Can(auth.RoleViewer, auth.PermUsersWrite) || auth.Can("nobody", auth.PermMetricsRead) {
		t.Error("matrix basics")
	}
	// The admin holds every permission any role holds.
	for _, p := range auth.AllPermissions() {
		if !auth.Can(auth.RoleAdmin, p) {
			t.Errorf("admin lacks %s", p)
		}
	}
	if got := auth.Roles(); !slices.Equal(got, []string{"admin", "incident_commander", "analyst", "responder", "viewer", "ingest"}) {
		t.Errorf("roles = %v", got)
	}
}
