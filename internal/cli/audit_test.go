package cli_test

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

// auditedDataDir returns a data directory whose audit log has four entries:
// 1 the admin's creation, 2 a user's creation, 3 a token's creation, 4 its revocation.
func auditedDataDir(t *testing.T) string {
	t.Helper()
	dir, _ := newDataDir(t)
	st, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := auth.NewService(st, time.Now, auth.DefaultPolicy, quiet)
	if _, _, err := svc.CreateUser(t.Context(), "test", "bob", auth.RoleAnalyst, ""); err != nil {
		t.Fatal(err)
	}
	k, _, err := svc.CreateToken(t.Context(), "test", "ci", auth.RoleAdmin, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(t.Context(), "test", k.ID); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rawDB opens the database file directly, bypassing the store, as an attacker with file
// access would.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s changed %d rows, want 1", q, n)
	}
}

func TestAuditVerifyIntact(t *testing.T) {
	dir := auditedDataDir(t)
	r := mustVigil(t, "", "audit", "verify", "--data", dir)
	if !strings.HasPrefix(r.stdout, "audit log OK: 4 entries, hash chain intact\nnewest entry: --anchor 4:") {
		t.Errorf("verify printed %q", r.stdout)
	}
	anchor := anchorOf(t, r.stdout)
	// Commands of the CLI extend the chain without breaking it, and the old head stays.
	mustVigil(t, "", "user", "disable", "bob", "--data", dir)
	r = mustVigil(t, "", "audit", "verify", "--data", dir, "--anchor", anchor)
	if !strings.HasPrefix(r.stdout, "audit log OK: 5 entries, hash chain intact\nnewest entry: --anchor 5:") {
		t.Errorf("verify after a CLI change printed %q", r.stdout)
	}
}

func anchorOf(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "--anchor ")
	if !ok {
		t.Fatalf("no anchor in %q", out)
	}
	return strings.Fields(rest)[0]
}

// Deleting the newest entries leaves a valid shorter chain; only an anchor recorded
// earlier shows it.
func TestAuditVerifyAnchorDetectsTruncation(t *testing.T) {
	dir := auditedDataDir(t)
	anchor := anchorOf(t, mustVigil(t, "", "audit", "verify", "--data", dir).stdout)
	db, err := sql.Open("sqlite", filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
	db.Close()
	r := mustVigil(t, "", "audit", "verify", "--data", dir)
	if !strings.HasPrefix(r.stdout, "audit log OK: 3 entries") {
		t.Fatalf("truncated log without anchor: %q", r.stdout)
	}
	wantFailure(t, vigil(t, "", "audit", "verify", "--data", dir, "--anchor", anchor), "")
	r = vigil(t, "", "audit", "verify", "--data", dir, "--anchor", anchor)
	if !strings.Contains(r.stdout, "anchor entry 4 is gone: the log was truncated") {
		t.Errorf("verify with anchor printed %q", r.stdout)
	}
	wantFailure(t, vigil(t, "", "audit", "verify", "--data", dir, "--anchor", "4:nothex"), "--anchor")
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(t *testing.T, db *sql.DB)
		brokenAt string
		reason   string
		verified string // entries verified before the break
	}{
		{
			name: "altered actor",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2")
			},
			brokenAt: "2", reason: "entry 2 was altered: its content does not match its hash", verified: "1",
		},
		{
			name: "altered time",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, "UPDATE audit_log SET ts = ts + 1 WHERE id = 3")
			},
			brokenAt: "3", reason: "entry 3 was altered", verified: "2",
		},
		{
			name: "deleted row",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, "DELETE FROM audit_log WHERE id = 2")
			},
			brokenAt: "3", reason: "entry 3 follows entry 1: 1 entries missing", verified: "1",
		},
		{
			name: "altered row with its own hash recomputed",
			tamper: func(t *testing.T, db *sql.DB) {
				var e store.AuditEntry
				var ts int64
				err := db.QueryRow("SELECT id, ts, actor, action, target, before_json, after_json, prev_hash, hash FROM audit_log WHERE id = 2").
					Scan(&e.ID, &ts, &e.Actor, &e.Action, &e.Target, &e.Before, &e.After, &e.PrevHash, &e.Hash)
				if err != nil {
					t.Fatal(err)
				}
				e.Time = time.Unix(0, ts).UTC()
				if !strings.Contains(e.After, `"role":"analyst"`) {
					t.Fatalf("entry 2 is not bob's creation: %s", e.After)
				}
				e.After = strings.Replace(e.After, `"role":"analyst"`, `"role":"viewer"`, 1)
				e.Hash = audit.Hash(&e)
				mustExec(t, db, "UPDATE audit_log SET after_json = ?, hash = ? WHERE id = 2", e.After, e.Hash)
			},
			// Entry 2 now matches its hash; the link from entry 3 gives it away.
			brokenAt: "3", reason: "entry 3 does not link to the hash of entry 2", verified: "2",
		},
		{
			name: "link rewritten",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, "UPDATE audit_log SET prev_hash = ? WHERE id = 4", audit.Genesis)
			},
			brokenAt: "4", reason: "entry 4 does not link to the hash of entry 3", verified: "3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := auditedDataDir(t)
			db := rawDB(t, dir)
			tt.tamper(t, db)
			db.Close()

			r := vigil(t, "", "audit", "verify", "--data", dir)
			if r.code != 1 {
				t.Fatalf("verify of a tampered log: %v", r)
			}
			want := regexp.MustCompile(`^audit log BROKEN at entry ` + tt.brokenAt + `: (.*) \(` + tt.verified + ` entries verified before it\)\n$`)
			m := want.FindStringSubmatch(r.stdout)
			if m == nil || !strings.Contains(m[1], tt.reason) {
				t.Errorf("verify printed %q, want entry %s named with reason %q", r.stdout, tt.brokenAt, tt.reason)
			}
		})
	}
}
