package incident

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/store"
)

// ExceptionEngine is the live detection engine as far as exceptions go.
type ExceptionEngine interface {
	SetExceptions(list []detect.Exception) []error
	ExceptionStats() map[string]uint64
}

// exceptions keeps the engine's exceptions in step with the store.
type exceptions struct {
	engine ExceptionEngine
	mu     sync.Mutex
	saved  map[string]uint64 // engine counts already added to the stored counts
}

// MaxExceptionFields bounds the fields of one exception.
const MaxExceptionFields = 16

// ExceptionInput is what a person gives to make or change an exception.
type ExceptionInput struct {
	Fields   map[string]string
	Reason   string
	Expires  time.Time // zero: never
	Disabled bool
}

func (x ExceptionInput) check() error {
	if len(x.Fields) == 0 || len(x.Fields) > MaxExceptionFields {
		return invalid("invalid_fields", "an exception needs 1 to %d fields with the values to suppress", MaxExceptionFields)
	}
	for f, v := range x.Fields {
		if strings.TrimSpace(f) == "" || len(f) > 200 || len(v) > 4096 {
			return invalid("invalid_fields", "field names must have 1 to 200 characters and values at most 4096")
		}
	}
	if strings.TrimSpace(x.Reason) == "" || len(x.Reason) > 2000 {
		return invalid("reason_required", "say why these matches are false positives (1 to 2000 characters)")
	}
	return nil
}

// document writes the exception's Sigma filter document.
func document(e *store.Exception) ([]byte, error) {
	return detect.ExceptionFilter(detect.ExceptionDoc{
		ID: e.SigmaID, Rule: e.RuleID, Title: "Exception " + strconv.FormatInt(e.ID, 10) + " for " + e.RuleTitle,
		Author: e.Author, Reason: e.Reason, Fields: e.Fields, Created: e.CreatedAt,
	})
}

// CreateException makes an exception from an alert: the alert's rule is suppressed on
// events with the given field values. The alert is marked a false positive and the
// exception applies in the live engine at once.
func (s *Service) CreateException(ctx context.Context, actor, author string, alertID int64, x ExceptionInput) (*store.Exception, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	var e *store.Exception
	err := s.db.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		a, err := tx.GetAlert(alertID)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("unknown_alert", "no alert %d", alertID)
		}
		if err != nil {
			return err
		}
		e = &store.Exception{SigmaID: uuid4(), RuleID: a.RuleID, RuleTitle: a.RuleTitle, Fields: x.Fields, Author: author,
			Reason: strings.TrimSpace(x.Reason), CreatedAt: now, UpdatedAt: now, Expires: x.Expires.UTC(), AlertID: a.ID}
		if x.Expires.IsZero() {
			e.Expires = time.Time{}
		}
		if err := tx.CreateException(e); err != nil {
			return err
		}
		if _, err := document(e); err != nil {
			return invalid("invalid_exception", "%v", err)
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "exception.create",
			Target: fmt.Sprintf("exception:%d", e.ID), After: e}); err != nil {
			return err
		}
		before := a.Status
		a.Status = store.AlertFalsePositive
		if err := tx.UpdateAlert(a); err != nil {
			return err
		}
		if _, err := audit.Append(tx, now, audit.Record{Actor: actor, Action: "alert.false_positive", Target: fmt.Sprintf("alert:%d", a.ID),
			Before: map[string]any{"status": before}, After: map[string]any{"status": a.Status, "exception": e.ID}}); err != nil {
			return err
		}
		if a.IncidentID != 0 {
			return s.timeline(tx, a.IncidentID, now, actor, "alert",
				fmt.Sprintf("Alert %d marked false positive; exception %d created", a.ID, e.ID), map[string]any{"alert": a.ID, "exception": e.ID})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.reapply(ctx)
	return e, nil
}

// UpdateException changes an exception's fields, reason, expiry or whether it applies.
func (s *Service) UpdateException(ctx context.Context, actor string, id int64, x ExceptionInput) (*store.Exception, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	var e *store.Exception
	err := s.db.Update(ctx, func(tx store.Tx) error {
		now := s.now().UTC()
		var err error
		if e, err = tx.GetException(id); err != nil {
			return err
		}
		before := *e
		e.Fields, e.Reason, e.Expires, e.Disabled, e.UpdatedAt = x.Fields, strings.TrimSpace(x.Reason), x.Expires.UTC(), x.Disabled, now
		if x.Expires.IsZero() {
			e.Expires = time.Time{}
		}
		if _, err := document(e); err != nil {
			return invalid("invalid_exception", "%v", err)
		}
		if err := tx.UpdateException(e); err != nil {
			return err
		}
		_, err = audit.Append(tx, now, audit.Record{Actor: actor, Action: "exception.update",
			Target: fmt.Sprintf("exception:%d", id), Before: before, After: e})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.reapply(ctx)
	return e, nil
}

// DeleteException removes an exception; the rule alerts again on those values.
func (s *Service) DeleteException(ctx context.Context, actor string, id int64) error {
	err := s.db.Update(ctx, func(tx store.Tx) error {
		e, err := tx.GetException(id)
		if err != nil {
			return err
		}
		if err := tx.DeleteException(id); err != nil {
			return err
		}
		_, err = audit.Append(tx, s.now().UTC(), audit.Record{Actor: actor, Action: "exception.delete",
			Target: fmt.Sprintf("exception:%d", id), Before: e})
		return err
	})
	if err != nil {
		return err
	}
	s.reapply(ctx)
	return nil
}

// reapply hands the exceptions to the engine after a change. The change is committed
// either way; an exception the engine cannot apply is logged by ApplyExceptions.
func (s *Service) reapply(ctx context.Context) {
	_ = s.ApplyExceptions(context.WithoutCancel(ctx))
}

// Exceptions lists the exceptions with their suppression counts up to now.
func (s *Service) Exceptions(ctx context.Context) ([]*store.Exception, error) {
	var out []*store.Exception
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ListExceptions()
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.exc.engine != nil {
		stats := s.exc.engine.ExceptionStats()
		s.exc.mu.Lock()
		for _, e := range out {
			k := strconv.FormatInt(e.ID, 10)
			e.Suppressed += stats[k] - min(s.exc.saved[k], stats[k])
		}
		s.exc.mu.Unlock()
	}
	return nonNilSlice(out), nil
}

// ExportExceptions writes every exception as Sigma filter documents in one YAML
// stream.
func (s *Service) ExportExceptions(ctx context.Context) ([]byte, error) {
	list, err := s.Exceptions(ctx)
	if err != nil {
		return nil, err
	}
	var b []byte
	for i, e := range list {
		doc, err := document(e)
		if err != nil {
			return nil, fmt.Errorf("exception %d: %w", e.ID, err)
		}
		if i > 0 {
			b = append(b, "---\n"...)
		}
		b = append(b, doc...)
	}
	return b, nil
}

// ApplyExceptions hands the enabled exceptions to the live engine. The server calls it
// at start; every change calls it.
func (s *Service) ApplyExceptions(ctx context.Context) error {
	if s.exc.engine == nil {
		return nil
	}
	var list []*store.Exception
	if err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		list, err = tx.ListExceptions()
		return err
	}); err != nil {
		return err
	}
	var set []detect.Exception
	var errs []error
	for _, e := range list {
		if e.Disabled {
			continue
		}
		doc, err := document(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("exception %d: %w", e.ID, err))
			continue
		}
		r, err := detect.ParseException(fmt.Sprintf("exception-%d.yml", e.ID), doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("exception %d: %w", e.ID, err))
			continue
		}
		set = append(set, detect.Exception{ID: strconv.FormatInt(e.ID, 10), Filter: r, Expires: e.Expires})
	}
	errs = append(errs, s.exc.engine.SetExceptions(set)...)
	if len(errs) > 0 {
		for _, err := range errs {
			s.log.Error("exception does not apply", "err", err)
		}
		return errors.Join(errs...)
	}
	return nil
}

// saveSuppressed adds what the engine suppressed since the last call to the stored
// counts, so they survive a restart.
func (s *Service) saveSuppressed(tx store.Tx) error {
	if s.exc.engine == nil {
		return nil
	}
	stats := s.exc.engine.ExceptionStats()
	s.exc.mu.Lock()
	defer s.exc.mu.Unlock()
	if s.exc.saved == nil {
		s.exc.saved = map[string]uint64{}
	}
	ids := make([]string, 0, len(stats))
	for k := range stats {
		ids = append(ids, k)
	}
	slices.Sort(ids)
	for _, k := range ids {
		n := stats[k]
		delta := n - min(s.exc.saved[k], n)
		if delta == 0 {
			continue
		}
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			continue
		}
		e, err := tx.GetException(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		e.Suppressed += delta
		if err := tx.UpdateException(e); err != nil {
			return err
		}
		s.exc.saved[k] = n
	}
	return nil
}

// uuid4 returns a random UUID (version 4), the id Sigma asks documents to carry.
func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
