// Package storetest is the conformance suite every store.Store implementation must pass.
// An implementation's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Run runs the whole suite; open must return a new empty store for each call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, open(t)) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, open(t)) })
	t.Run("Alerts", func(t *testing.T) { testAlerts(t, open(t)) })
	t.Run("Incidents", func(t *testing.T) { testIncidents(t, open(t)) })
	t.Run("IncidentParts", func(t *testing.T) { testIncidentParts(t, open(t)) })
}

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC)

func update(t *testing.T, st store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, st store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := st.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func testUsers(t *testing.T, st store.Store) {
	u := &store.User{Username: "alice", Role: "analyst", PasswordHash: "h", Language: "zh-CN",
		RecoveryCodes: []string{"a", "b"}, LockedUntil: t0.Add(time.Hour), CreatedAt: t0, UpdatedAt: t0}
	update(t, st, func(tx store.Tx) error { return tx.CreateUser(u) })
	if u.ID == 0 {
		t.Fatal("CreateUser did not set ID")
	}
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.CreateUser(&store.User{Username: "ALICE", Role: "viewer", PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate user name (case-insensitive): got %v, want ErrConflict", err)
	}
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetUserByName("Alice")
		if err != nil {
			return err
		}
		if got.ID != u.ID || got.Language != "zh-CN" || len(got.RecoveryCodes) != 2 || !got.LockedUntil.Equal(u.LockedUntil) || !got.CreatedAt.Equal(t0) {
			t.Errorf("GetUserByName = %+v, want %+v", got, u)
		}
		if _, err := tx.GetUser(999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(999) = %v, want ErrNotFound", err)
		}
		return nil
	})
	u.Role, u.TOTPEnabled, u.TOTPLastStep, u.RecoveryCodes = "admin", true, 42, nil
	update(t, st, func(tx store.Tx) error { return tx.UpdateUser(u) })
	for i := range 5 {
		update(t, st, func(tx store.Tx) error {
			return tx.CreateUser(&store.User{Username: "user" + string(rune('a'+i)), Role: "viewer", PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0})
		})
	}
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetUser(u.ID)
		if err != nil {
			return err
		}
		if got.Role != "admin" || !got.TOTPEnabled || got.TOTPLastStep != 42 || len(got.RecoveryCodes) != 0 {
			t.Errorf("after UpdateUser: %+v", got)
		}
		n, err := tx.CountUsers()
		if err != nil || n != 6 {
			t.Errorf("CountUsers = %d, %v; want 6", n, err)
		}
		first, err := tx.ListUsers(store.Page{Limit: 4})
		if err != nil {
			return err
		}
		rest, err := tx.ListUsers(store.Page{Before: first[len(first)-1].ID, Limit: 4})
		if err != nil {
			return err
		}
		if len(first) != 4 || len(rest) != 2 || first[0].ID <= first[1].ID || rest[1].ID != u.ID {
			t.Errorf("pagination: %d then %d users", len(first), len(rest))
		}
		return nil
	})
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.UpdateUser(&store.User{ID: 999}) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser(missing) = %v, want ErrNotFound", err)
	}
}

func testTokens(t *testing.T, st store.Store) {
	k := &store.Token{Name: "ci", Role: "admin", Hash: "abc", Prefix: "vgl_ab", CreatedBy: "cli", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	update(t, st, func(tx store.Tx) error { return tx.CreateToken(k) })
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.CreateToken(&store.Token{Name: "x", Role: "viewer", Hash: "abc", CreatedAt: t0})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate hash: %v, want ErrConflict", err)
	}
	update(t, st, func(tx store.Tx) error { return tx.TouchToken(k.ID, t0.Add(time.Minute)) })
	k.RevokedAt = t0.Add(2 * time.Minute)
	update(t, st, func(tx store.Tx) error { return tx.UpdateToken(k) })
	// A touch after revocation must not undo it.
	update(t, st, func(tx store.Tx) error { return tx.TouchToken(k.ID, t0.Add(3*time.Minute)) })
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetTokenByHash("abc")
		if err != nil {
			return err
		}
		if got.ID != k.ID || !got.LastUsed.Equal(t0.Add(3*time.Minute)) || !got.RevokedAt.Equal(k.RevokedAt) || !got.ExpiresAt.Equal(k.ExpiresAt) {
			t.Errorf("token = %+v", got)
		}
		if _, err := tx.GetTokenByHash("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetTokenByHash(nope) = %v", err)
		}
		list, err := tx.ListTokens(store.Page{})
		if err != nil || len(list) != 1 {
			t.Errorf("ListTokens = %d, %v", len(list), err)
		}
		return nil
	})
}

func testSessions(t *testing.T, st store.Store) {
	u := &store.User{Username: "bob", Role: "viewer", PasswordHash: "h", CreatedAt: t0, UpdatedAt: t0}
	update(t, st, func(tx store.Tx) error { return tx.CreateUser(u) })
	s1 := &store.Session{IDHash: "s1", UserID: u.ID, CSRFToken: "c", TOTPPending: true, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), LastSeen: t0}
	s2 := &store.Session{IDHash: "s2", UserID: u.ID, CSRFToken: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute), LastSeen: t0}
	update(t, st, func(tx store.Tx) error {
		if err := tx.CreateSession(s1); err != nil {
			return err
		}
		return tx.CreateSession(s2)
	})
	s1.TOTPPending, s1.LastSeen = false, t0.Add(time.Second)
	update(t, st, func(tx store.Tx) error { return tx.UpdateSession(s1) })
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetSession("s1")
		if err != nil {
			return err
		}
		if got.TOTPPending || !got.LastSeen.Equal(s1.LastSeen) || got.UserID != u.ID {
			t.Errorf("session = %+v", got)
		}
		return nil
	})
	var n int
	update(t, st, func(tx store.Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(t0.Add(2*time.Minute), t0.Add(-time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, want 1", n)
	}
	update(t, st, func(tx store.Tx) error { return tx.DeleteUserSessions(u.ID) })
	view(t, st, func(tx store.Tx) error {
		if _, err := tx.GetSession("s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session s1 after DeleteUserSessions: %v", err)
		}
		return nil
	})
}

func testAudit(t *testing.T, st store.Store) {
	view(t, st, func(tx store.Tx) error {
		if _, err := tx.LastAudit(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LastAudit on empty log = %v, want ErrNotFound", err)
		}
		return nil
	})
	for i := int64(1); i <= 3; i++ {
		update(t, st, func(tx store.Tx) error {
			return tx.InsertAudit(&store.AuditEntry{ID: i, Time: t0.Add(time.Duration(i)), Actor: "a", Action: "x",
				Target: "t", After: `{"n":1}`, PrevHash: "p", Hash: "h"})
		})
	}
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.InsertAudit(&store.AuditEntry{ID: 3, Time: t0, PrevHash: "p", Hash: "h"})
	})
	if err == nil {
		t.Error("inserting an existing audit id succeeded")
	}
	view(t, st, func(tx store.Tx) error {
		last, err := tx.LastAudit()
		if err != nil {
			return err
		}
		if last.ID != 3 || !last.Time.Equal(t0.Add(3)) || last.After != `{"n":1}` {
			t.Errorf("LastAudit = %+v", last)
		}
		page, err := tx.ListAudit(store.Page{Before: 3, Limit: 10})
		if err != nil || len(page) != 2 || page[0].ID != 2 {
			t.Errorf("ListAudit before 3 = %v, %v", page, err)
		}
		var ids []int64
		if err := tx.ScanAudit(func(e *store.AuditEntry) error { ids = append(ids, e.ID); return nil }); err != nil {
			return err
		}
		if len(ids) != 3 || ids[0] != 1 || ids[2] != 3 {
			t.Errorf("ScanAudit order = %v", ids)
		}
		return nil
	})
}

func testSettings(t *testing.T, st store.Store) {
	view(t, st, func(tx store.Tx) error {
		if _, err := tx.GetSetting("k"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSetting(missing) = %v", err)
		}
		return nil
	})
	update(t, st, func(tx store.Tx) error { return tx.PutSetting("k", "1") })
	update(t, st, func(tx store.Tx) error { return tx.PutSetting("k", "2") })
	view(t, st, func(tx store.Tx) error {
		v, err := tx.GetSetting("k")
		if err != nil || v != "2" {
			t.Errorf("GetSetting = %q, %v", v, err)
		}
		return nil
	})
}

func testRollback(t *testing.T, st store.Store) {
	boom := errors.New("boom")
	err := st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.PutSetting("k", "v"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	view(t, st, func(tx store.Tx) error {
		if _, err := tx.GetSetting("k"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a failed Update was not rolled back: %v", err)
		}
		return nil
	})
	if err := st.View(context.Background(), func(tx store.Tx) error { return tx.PutSetting("k", "v") }); err == nil {
		t.Error("a write inside View succeeded")
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// RunEvents runs the EventStore suite; open must return a new empty store for each call.
func RunEvents(t *testing.T, open func(t *testing.T) store.EventStore) {
	t.Run("AppendDedupScan", func(t *testing.T) {
		es := open(t)
		ctx := context.Background()
		mk := func(id string, sec int) store.StoredEvent {
			return store.StoredEvent{ID: id, Time: t0.Add(time.Duration(sec) * time.Second), Received: t0, Type: "sshd",
				Host: "h", Source: "s", Doc: []byte(`{"id":"` + id + `"}`)}
		}
		n, err := es.Append(ctx, []store.StoredEvent{mk("b", 2), mk("a", 1), mk("c", 3)})
		if err != nil || fmt.Sprint(n) != "[0 1 2]" {
			t.Fatalf("Append = %v, %v", n, err)
		}
		// A retried delivery: only the new event is inserted, and only it is reported;
		// an id repeated within a batch is new once.
		n, err = es.Append(ctx, []store.StoredEvent{mk("a", 1), mk("d", 0), mk("d", 0)})
		if err != nil || fmt.Sprint(n) != "[1]" {
			t.Fatalf("Append with duplicates = %v, %v; want [1]", n, err)
		}
		if c, err := es.Count(ctx); err != nil || c != 4 {
			t.Errorf("Count = %d, %v", c, err)
		}
		var ids []string
		err = es.Scan(ctx, t0.Add(time.Second), t0.Add(3*time.Second), func(ev store.StoredEvent) error {
			ids = append(ids, ev.ID)
			if string(ev.Doc) != `{"id":"`+ev.ID+`"}` || ev.Type != "sshd" {
				t.Errorf("scanned %+v", ev)
			}
			return nil
		})
		if err != nil || strings.Join(ids, ",") != "a,b" {
			t.Errorf("Scan [1s,3s) = %v, %v; want a,b", ids, err)
		}
		ids = nil
		es.Scan(ctx, time.Time{}, time.Time{}, func(ev store.StoredEvent) error { ids = append(ids, ev.ID); return nil })
		if strings.Join(ids, ",") != "d,a,b,c" {
			t.Errorf("Scan all = %v", ids)
		}
	})
	t.Run("Rejections", func(t *testing.T) {
		es := open(t)
		ctx := context.Background()
		err := es.Reject(ctx, []store.Rejection{{Time: t0, Source: "http", Reason: "too long", Raw: []byte("xx")},
			{Time: t0, Source: "http", Reason: "invalid JSON", Raw: []byte("{")}})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := es.Rejections(ctx, store.Page{Limit: 10})
		if err != nil || len(rs) != 2 || rs[0].Reason != "invalid JSON" || string(rs[1].Raw) != "xx" {
			t.Errorf("Rejections = %+v, %v", rs, err)
		}
	})
}
