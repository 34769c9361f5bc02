// Package audit appends to and verifies the platform's audit log: every state change is a
// row with actor, time, target and before/after, and each row's hash covers the previous
// row's hash, so altering or deleting a row breaks the chain at that point.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Genesis is the previous-hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Record describes one state change. Before and After are marshalled to JSON; nil means
// "nothing" (a creation has no Before, a deletion no After).
type Record struct {
	Actor  string
	Action string
	Target string
	Before any
	After  any
}

// Append writes r as the next entry of the chain inside tx, which must be a write
// transaction (so the read of the last hash and the insert are atomic).
func Append(tx store.Tx, now time.Time, r Record) (*store.AuditEntry, error) {
	before, err := marshal(r.Before)
	if err != nil {
		return nil, fmt.Errorf("audit %s before: %w", r.Action, err)
	}
	after, err := marshal(r.After)
	if err != nil {
		return nil, fmt.Errorf("audit %s after: %w", r.Action, err)
	}
	e := &store.AuditEntry{
		ID: 1, Time: now.UTC(), Actor: r.Actor, Action: r.Action, Target: r.Target,
		Before: before, After: after, PrevHash: Genesis,
	}
	last, err := tx.LastAudit()
	switch {
	case err == nil:
		e.ID, e.PrevHash = last.ID+1, last.Hash
		if !e.Time.After(last.Time) {
			// Keep time monotonic along the chain even if the wall clock steps back.
			e.Time = last.Time.Add(time.Nanosecond)
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("audit: read chain head: %w", err)
	}
	e.Hash = Hash(e)
	if err := tx.InsertAudit(e); err != nil {
		return nil, fmt.Errorf("audit: append: %w", err)
	}
	return e, nil
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Hash computes an entry's hash from all its fields but Hash itself. The fields are
// encoded as a JSON array, which is unambiguous (no field can bleed into the next).
func Hash(e *store.AuditEntry) string {
	b, _ := json.Marshal([]any{e.ID, e.Time.UnixNano(), e.Actor, e.Action, e.Target, e.Before, e.After, e.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Result is the outcome of Verify.
type Result struct {
	OK       bool   `json:"ok"`
	Entries  int    `json:"entries"`
	BrokenAt int64  `json:"broken_at,omitempty"` // the ID of the first entry that does not verify
	Reason   string `json:"reason,omitempty"`
	// HeadID and HeadHash name the newest verified entry. Recorded outside the platform,
	// they are an anchor: a later Verify with CheckAnchor shows whether entries up to
	// there were removed from the end, which the chain alone cannot show.
	HeadID   int64  `json:"head_id,omitempty"`
	HeadHash string `json:"head_hash,omitempty"`
}

// CheckAnchor reports whether the log still holds entry id with the given hash (a head
// recorded earlier). It reads the entry directly, so it also works on a broken chain.
func CheckAnchor(tx store.Tx, id int64, hash string) error {
	var found *store.AuditEntry
	errStop := errors.New("stop")
	err := tx.ScanAudit(func(e *store.AuditEntry) error {
		if e.ID == id {
			found = e
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if found == nil {
		return fmt.Errorf("anchor entry %d is gone: the log was truncated", id)
	}
	if found.Hash != hash {
		return fmt.Errorf("anchor entry %d has hash %s, recorded %s: the log was rewritten", id, found.Hash, hash)
	}
	return nil
}

// Verify walks the whole chain in order and reports the first broken link.
func Verify(tx store.Tx) (Result, error) {
	res := Result{OK: true}
	prevHash, prevID := Genesis, int64(0)
	errBroken := errors.New("broken")
	err := tx.ScanAudit(func(e *store.AuditEntry) error {
		reason := ""
		switch {
		case e.ID != prevID+1:
			reason = fmt.Sprintf("entry %d follows entry %d: %d entries missing", e.ID, prevID, e.ID-prevID-1)
		case e.PrevHash != prevHash:
			reason = fmt.Sprintf("entry %d does not link to the hash of entry %d", e.ID, prevID)
		case Hash(e) != e.Hash:
			reason = fmt.Sprintf("entry %d was altered: its content does not match its hash", e.ID)
		}
		if reason != "" {
			res.OK, res.BrokenAt, res.Reason = false, e.ID, reason
			return errBroken
		}
		res.Entries++
		prevHash, prevID = e.Hash, e.ID
		res.HeadID, res.HeadHash = e.ID, e.Hash
		return nil
	})
	if err != nil && !errors.Is(err, errBroken) {
		return Result{}, fmt.Errorf("audit verify: %w", err)
	}
	return res, nil
}
