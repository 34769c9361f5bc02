package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func open(t *testing.T, dir string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestWALAndMigrationsAreIdempotent(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	db.Close()
	open(t, dir) // re-opening applies nothing twice
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != 3 {
		t.Errorf("schema_migrations rows = %d, %v; want 3", n, err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	open(t, dir).Close()
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO schema_migrations(version) VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if db, err := sqlite.Open(context.Background(), dir); err == nil {
		db.Close()
		t.Fatal("opened a database with a newer schema than the binary knows")
	}
}

// Two handles on one file stand for serve and an admin command running side by side:
// concurrent writers must all succeed (queued by SQLite's lock), none lost.
func TestConcurrentWritersAcrossHandles(t *testing.T) {
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Update(context.Background(), func(tx store.Tx) error {
				last, err := tx.LastAudit()
				id := int64(1)
				if err == nil {
					id = last.ID + 1
				}
				return tx.InsertAudit(&store.AuditEntry{ID: id, Time: time.Now(), PrevHash: "p", Hash: "h"})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	a.View(context.Background(), func(tx store.Tx) error {
		return tx.ScanAudit(func(*store.AuditEntry) error { n++; return nil })
	})
	if n != 40 {
		t.Errorf("%d audit rows, want 40", n)
	}
}

func TestEventsConformance(t *testing.T) {
	storetest.RunEvents(t, func(t *testing.T) store.EventStore {
		es, err := sqlite.OpenEvents(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { es.Close() })
		return es
	})
}

func TestRejectionsAreBounded(t *testing.T) {
	es, err := sqlite.OpenEvents(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	batch := make([]store.Rejection, 1000)
	for i := range batch {
		batch[i] = store.Rejection{Time: time.Now(), Source: "t", Reason: "r", Raw: []byte("x")}
	}
	for range sqlite.MaxRejections/1000 + 2 {
		if err := es.Reject(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	var before int64
	for {
		rs, err := es.Rejections(context.Background(), store.Page{Before: before, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n += len(rs)
		if len(rs) < 500 {
			break
		}
		before = rs[len(rs)-1].ID
	}
	if n != sqlite.MaxRejections {
		t.Errorf("%d rejections kept, want %d", n, sqlite.MaxRejections)
	}
}
