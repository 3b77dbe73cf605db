package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/contacthub/contacthub/models"
)

// Idempotency keys (migration 00010): a request sent with an Idempotency-Key claims the
// key with a row before it does its work and stores its answer in the row when done.
// The unique index on (tenant_id, key) decides which of two racing requests claims it;
// the other finds the row and waits for the answer. A row's id is the claim's token:
// ids are never reused, so a request whose claim expired and was taken over cannot
// complete or release the new claim.

// idempotencyKey is a row of idempotency_keys.
type idempotencyKey struct {
	ID              int64
	TenantID        int64
	Key             string
	RequestHash     string
	Status          *int
	ResponseHeaders *string
	ResponseBody    []byte
	CreatedAt       time.Time
	CompletedAt     *time.Time
}

func (idempotencyKey) TableName() string { return "idempotency_keys" }

// BeginIdempotent claims key for a request whose method, path and body hash to
// requestHash. When the tenant has no live row for the key it inserts one "in
// progress" and returns it with claimed true: the caller does the work and then calls
// CompleteIdempotent or ReleaseIdempotent. Otherwise it returns the key's row as it is
// (completed, or still in progress) with claimed false; its RequestHash may differ from
// requestHash. A row older than models.IdempotencyTTL, or in progress for longer than
// models.IdempotencyLease (its request died), is not live: it is replaced by a new
// claim. It returns ECONFLICT when the key changed hands too often to decide (other
// requests keep replacing it) and errors of the database.
func (s *Store) BeginIdempotent(ctx context.Context, tenantID int64, key, requestHash string) (*models.IdempotencyRecord, bool, error) {
	db := s.db.WithContext(ctx)
	for range 3 {
		now := s.now()
		var id int64
		err := db.Raw(`INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, key) DO NOTHING RETURNING id`, tenantID, key, requestHash, now).Row().Scan(&id)
		if err == nil {
			s.maybePruneIdempotencyKeys(tenantID)
			return &models.IdempotencyRecord{ID: id, RequestHash: requestHash, CreatedAt: now}, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, translate("claim idempotency key", err)
		}
		var row idempotencyKey
		res := db.Where("tenant_id = ? AND key = ?", tenantID, key).Limit(1).Find(&row)
		if res.Error != nil {
			return nil, false, translate("read idempotency key", res.Error)
		}
		if res.RowsAffected == 0 {
			continue // deleted since the insert: a failed request released it, or a prune
		}
		expired := !row.CreatedAt.After(now.Add(-models.IdempotencyTTL))
		abandoned := row.CompletedAt == nil && !row.CreatedAt.After(now.Add(-models.IdempotencyLease))
		if expired || abandoned {
			// By id: if another request replaced the row meanwhile, its claim stays.
			if err := db.Exec("DELETE FROM idempotency_keys WHERE tenant_id = ? AND id = ?", tenantID, row.ID).Error; err != nil {
				return nil, false, translate("replace idempotency key", err)
			}
			continue
		}
		rec, err := row.record()
		if err != nil {
			return nil, false, fmt.Errorf("store: read idempotency key: %w", err)
		}
		return rec, false, nil
	}
	return nil, false, &models.Error{Code: models.ECONFLICT, RetryAfter: time.Second,
		Message: "the Idempotency-Key is being claimed by other requests at the same time; try again"}
}

func (r *idempotencyKey) record() (*models.IdempotencyRecord, error) {
	rec := &models.IdempotencyRecord{ID: r.ID, RequestHash: r.RequestHash, CreatedAt: r.CreatedAt}
	if r.CompletedAt == nil || r.Status == nil {
		return rec, nil
	}
	rec.Response = &models.IdempotentResponse{Status: *r.Status, Body: r.ResponseBody}
	if r.ResponseHeaders != nil {
		if err := json.Unmarshal([]byte(*r.ResponseHeaders), &rec.Response.Header); err != nil {
			return nil, fmt.Errorf("decode headers of idempotency key %d: %w", r.ID, err)
		}
	}
	return rec, nil
}

// CompleteIdempotent stores the answer of the request that claimed the key with claim
// id. It returns ENOTFOUND when the claim no longer exists: it outlived
// models.IdempotencyLease and was taken over, or it was pruned.
func (s *Store) CompleteIdempotent(ctx context.Context, tenantID, id int64, resp *models.IdempotentResponse) error {
	headers, err := json.Marshal(resp.Header)
	if err != nil {
		return fmt.Errorf("store: complete idempotency key %d: %w", id, err)
	}
	body := resp.Body
	if body == nil {
		body = []byte{} // a completed answer has a body, if an empty one
	}
	res := s.db.WithContext(ctx).Exec(`UPDATE idempotency_keys SET status = ?, response_headers = ?, response_body = ?, completed_at = ?
		WHERE tenant_id = ? AND id = ? AND completed_at IS NULL`, resp.Status, string(headers), body, s.now(), tenantID, id)
	if res.Error != nil {
		return translate(fmt.Sprintf("complete idempotency key %d", id), res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "the claim %d of the idempotency key is gone (taken over after %v, or pruned)", id, models.IdempotencyLease)
	}
	return nil
}

// ReleaseIdempotent deletes the in-progress claim id, so that a retry with its key runs
// the request again (it failed without an answer worth replaying). A claim already
// gone or completed is left alone. It returns errors of the database only.
func (s *Store) ReleaseIdempotent(ctx context.Context, tenantID, id int64) error {
	err := s.db.WithContext(ctx).Exec("DELETE FROM idempotency_keys WHERE tenant_id = ? AND id = ? AND completed_at IS NULL", tenantID, id).Error
	return translate(fmt.Sprintf("release idempotency key %d", id), err)
}

// idempotencyPruneEvery is how often (by the store's clock) claiming a key of a tenant
// also deletes the tenant's expired keys, in the background.
const idempotencyPruneEvery = time.Hour

// idempotencyPruneBatch is how many rows one DELETE of a prune removes: short
// statements that never hold many locks, however big the backlog.
const idempotencyPruneBatch = 1000

// idempotencyPruner runs PruneIdempotencyKeys for a tenant at most once per
// idempotencyPruneEvery. Pruning by tenant keeps the statement scoped like every
// other, and a tenant's keys are pruned by the traffic that makes them: a tenant that
// stops sending keys keeps at most a day's worth.
type idempotencyPruner struct {
	mu      sync.Mutex
	last    map[int64]time.Time // tenant → when its last prune was asked for (store clock)
	running map[int64]bool
	again   map[int64]bool // asked for while one ran: run once more when it ends
	wg      sync.WaitGroup
}

// maybePruneIdempotencyKeys prunes the tenant's expired keys in the background when
// the last prune was asked for idempotencyPruneEvery ago (or never in this process).
// If one is still running, it runs once more when done, so that no request is lost.
func (s *Store) maybePruneIdempotencyKeys(tenantID int64) {
	p := &s.idempotencyPruner
	now := s.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.last[tenantID]) < idempotencyPruneEvery {
		return
	}
	if p.last == nil {
		p.last, p.running, p.again = map[int64]time.Time{}, map[int64]bool{}, map[int64]bool{}
	}
	p.last[tenantID] = now
	if p.running[tenantID] {
		p.again[tenantID] = true
		return
	}
	p.running[tenantID] = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for cutoff := now.Add(-models.IdempotencyTTL); ; {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			n, err := s.pruneIdempotencyKeys(ctx, tenantID, cutoff)
			cancel()
			if err != nil {
				s.log.Warn("prune expired idempotency keys", "tenant", tenantID, "deleted", n, "err", err)
			} else {
				s.log.Debug("pruned expired idempotency keys", "tenant", tenantID, "deleted", n)
			}
			p.mu.Lock()
			if !p.again[tenantID] {
				delete(p.running, tenantID)
				p.mu.Unlock()
				return
			}
			delete(p.again, tenantID)
			cutoff = p.last[tenantID].Add(-models.IdempotencyTTL)
			p.mu.Unlock()
		}
	}()
}

// PruneIdempotencyKeys deletes the tenant's idempotency keys older than
// models.IdempotencyTTL, which BeginIdempotent no longer replays, and returns how many
// it deleted. It returns errors of the database, with the count deleted until then.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, tenantID int64) (int64, error) {
	return s.pruneIdempotencyKeys(ctx, tenantID, s.now().Add(-models.IdempotencyTTL))
}

// pruneIdempotencyKeys deletes the tenant's keys created at or before cutoff. A prune
// in the background deletes what had expired when it was asked for.
func (s *Store) pruneIdempotencyKeys(ctx context.Context, tenantID int64, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM idempotency_keys WHERE tenant_id = ? AND id IN
			(SELECT id FROM idempotency_keys WHERE tenant_id = ? AND created_at <= ? ORDER BY created_at LIMIT ?)`,
			tenantID, tenantID, cutoff, idempotencyPruneBatch)
		if res.Error != nil {
			return total, translate("prune idempotency keys", res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < idempotencyPruneBatch {
			return total, nil
		}
	}
}
