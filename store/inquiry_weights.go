package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/inquiries/leadscore"
	"github.com/contacthub/contacthub/models"
)

// A tenant's weights of the lead score's factors (migration 00032). Every score the
// store computes — a create, an update, the periodic re-score, the re-score after a
// change of the weights — reads the tenant's weights in its own transaction, so a
// score is always the weights' of its moment. The one-statement create scores in Go
// before its statement runs: it takes the weights it learnt from the tenant's last
// create and its statement checks their version, as it checks the status and source.

type scoreWeightsRow struct {
	TenantID  int64 `gorm:"primaryKey;autoIncrement:false"`
	Weights   string
	Version   int64
	UpdatedAt time.Time
}

func (scoreWeightsRow) TableName() string { return "inquiry_score_weights" }

func (r *scoreWeightsRow) model() (*models.ScoreWeights, error) {
	w := models.DefaultScoreWeights(r.TenantID)
	if err := json.Unmarshal([]byte(r.Weights), &w.Weights); err != nil {
		return nil, fmt.Errorf("store: score weights of tenant %d: %w", r.TenantID, err)
	}
	at := r.UpdatedAt.UTC()
	w.Version, w.UpdatedAt = r.Version, &at
	return w, nil
}

// InquiryScoreWeights returns the tenant's weights of the lead score's factors: the
// defaults (every weight 1, version 0) when it never set them.
func (s *Store) InquiryScoreWeights(ctx context.Context, tenantID int64) (*models.ScoreWeights, error) {
	ws, err := loadScoreWeights(ctx, s.db, []int64{tenantID})
	if err != nil {
		return nil, err
	}
	return ws[tenantID], nil
}

// loadScoreWeights reads the weights of tenants with one query; a tenant without a
// row gets the defaults.
func loadScoreWeights(ctx context.Context, db *gorm.DB, tenants []int64) (map[int64]*models.ScoreWeights, error) {
	out := make(map[int64]*models.ScoreWeights, len(tenants))
	var rows []scoreWeightsRow
	q := db.WithContext(ctx)
	if len(tenants) == 1 {
		q = q.Where("tenant_id = ?", tenants[0])
	} else {
		q = q.Where("tenant_id IN ?", tenants)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, translate("read lead score weights", err)
	}
	for i := range rows {
		w, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		out[w.TenantID] = w
	}
	for _, t := range tenants {
		if out[t] == nil {
			out[t] = models.DefaultScoreWeights(t)
		}
	}
	return out, nil
}

// SetInquiryScoreWeights replaces the tenant's weights with w.Weights (every factor,
// models.ScoreWeights.Validate) and calls enqueue with the new version in the same
// transaction (to insert the re-score job of the tenant's open inquiries): the change
// is stored exactly when its re-score is. It returns the weights as stored; EINVALID
// naming each bad factor, nothing written; ENOTFOUND for an unknown tenant.
func (s *Store) SetInquiryScoreWeights(ctx context.Context, w *models.ScoreWeights, enqueue func(ctx context.Context, tx *sql.Tx, version int64) error) (*models.ScoreWeights, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(w.Weights)
	if err != nil {
		return nil, fmt.Errorf("store: score weights: %w", err)
	}
	var out *models.ScoreWeights
	err = s.retry(ctx, func(tx *gorm.DB) error {
		if err := requireTenant(tx, s.dialect, w.TenantID); err != nil {
			return err
		}
		now := s.now()
		var version int64
		err := tx.WithContext(ctx).Raw("INSERT INTO inquiry_score_weights (tenant_id, weights, version, updated_at) VALUES (?, ?, 1, ?) "+
			"ON CONFLICT (tenant_id) DO UPDATE SET weights = excluded.weights, version = inquiry_score_weights.version + 1, updated_at = excluded.updated_at "+
			"RETURNING version", w.TenantID, string(data), now).Scan(&version).Error
		if err != nil {
			return translate("set lead score weights", err)
		}
		row := scoreWeightsRow{TenantID: w.TenantID, Weights: string(data), Version: version, UpdatedAt: now}
		if out, err = row.model(); err != nil {
			return err
		}
		if enqueue == nil {
			return nil
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, version)
	})
	return out, err
}

// RescoreOpenInquiries re-scores up to limit open inquiries (of statuses of kind open)
// of the tenant after cur (nil: from the start) with the tenant's weights as they are
// now, in one transaction: each whose score changed gets a new version and an
// inquiry.updated event. The walk follows each open status's (status_id, created_at,
// id) index, status by status. It returns the position to continue from, nil when it
// read the last open inquiry, and how many it read.
func (s *Store) RescoreOpenInquiries(ctx context.Context, tenantID int64, cur *models.RescoreCursor, limit int) (*models.RescoreCursor, int, error) {
	var next *models.RescoreCursor
	n := 0
	err := s.retry(ctx, func(tx *gorm.DB) error {
		next, n = nil, 0
		var statuses []int64
		q := tx.WithContext(ctx).Table("inquiry_statuses").Where("tenant_id = ? AND kind = ?", tenantID, models.StatusOpen)
		if cur != nil {
			q = q.Where("id >= ?", cur.StatusID)
		}
		if err := q.Order("id").Pluck("id", &statuses).Error; err != nil {
			return translate("find open statuses", err)
		}
		if len(statuses) == 0 {
			return nil
		}
		rq := tx.WithContext(ctx).Where("status_id = ? AND tenant_id = ?", statuses[0], tenantID)
		if cur != nil && cur.StatusID == statuses[0] && cur.ID != 0 {
			rq = rq.Where("(created_at, id) > (?, ?)", cur.CreatedAt.UTC(), cur.ID)
		}
		var rows []*inquiryRow
		if err := rq.Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
			return translate("find open inquiries", err)
		}
		n = len(rows)
		switch {
		case len(rows) == limit:
			last := rows[len(rows)-1]
			next = &models.RescoreCursor{StatusID: statuses[0], CreatedAt: last.CreatedAt, ID: last.ID}
		case len(statuses) > 1:
			next = &models.RescoreCursor{StatusID: statuses[1]}
		}
		_, err := s.rescoreRows(ctx, tx, rows, false)
		return err
	})
	return next, n, err
}

// rescoreRows scores rows (of any tenants) with their tenants' weights at the store's
// now and writes each whose score or factors changed, with a new version and an
// inquiry.updated event; all sets every row's next rescore_at too (the periodic run,
// which must move rescore_at past now). It returns how many changed.
func (s *Store) rescoreRows(ctx context.Context, tx *gorm.DB, rows []*inquiryRow, all bool) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	now := s.now()
	inqs, err := s.loadInquiries(ctx, tx, rows)
	if err != nil {
		return 0, err
	}
	var tenants []int64
	for _, q := range inqs {
		tenants = append(tenants, q.TenantID)
	}
	tenants = compact(tenants)
	weights, err := loadScoreWeights(ctx, tx, tenants)
	if err != nil {
		return 0, err
	}
	events := map[int64][]pendingEvent{}
	changes := 0
	for _, q := range inqs {
		score, next := leadscore.Score(q, now, weights[q.TenantID])
		changed := score.Score != q.Score.Score || score.Band != q.Score.Band || !slices.Equal(score.Factors, q.Score.Factors)
		if !changed && !all {
			continue
		}
		version := q.Version
		update := map[string]any{"rescore_at": next}
		if changed {
			q.Score, q.RescoreAt = score, next
			q.Version++
			q.UpdatedAt = now
			update = map[string]any{"rescore_at": next, "lead_score": score.Score, "lead_band": score.Band,
				"lead_factors": string(eventData(score.Factors)), "version": q.Version, "updated_at": now}
		}
		// The version guards against a client's change committed since the read (the
		// periodic run holds its rows; the run after a change of weights does not):
		// that change scored the inquiry with the weights of its moment.
		res := tx.WithContext(ctx).Model(&inquiryRow{}).Where(inquiryByID+" AND version = ?", q.TenantID, q.ID, version).Updates(update)
		if res.Error != nil {
			return 0, translate("re-score inquiry", res.Error)
		}
		if changed && res.RowsAffected == 1 {
			changes++
			events[q.TenantID] = append(events[q.TenantID], pendingEvent{models.EventInquiryUpdated, inquiryData(q)})
		}
	}
	for _, t := range tenants {
		if len(events[t]) > 0 {
			if err := s.appendEvents(ctx, tx, t, events[t]); err != nil {
				return 0, err
			}
		}
	}
	return changes, nil
}

// scoreWeightsFor reads the tenant's weights in tx for a write that scores an
// inquiry, and remembers them for the one-statement create.
func (s *Store) scoreWeightsFor(ctx context.Context, tx *gorm.DB, tenantID int64) (*models.ScoreWeights, error) {
	ws, err := loadScoreWeights(ctx, tx, []int64{tenantID})
	if err != nil {
		return nil, err
	}
	return ws[tenantID], nil
}
