package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
)

// Webhook endpoints (migration 00025). The webhooks package decides policy (secrets,
// allowed URLs); the store keeps the rows, scoped by tenant.

// webhookRow is a webhooks row.
type webhookRow struct {
	ID                      int64 `gorm:"primaryKey"`
	TenantID                int64
	URL                     string `gorm:"column:url"`
	Description             string
	EventTypes              string
	Active                  bool
	DisabledReason          string
	Secret                  string
	PreviousSecret          string
	PreviousSecretExpiresAt *time.Time
	FailingSince            *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

func (r *webhookRow) model() (*models.Webhook, error) {
	w := &models.Webhook{ID: r.ID, TenantID: r.TenantID, URL: r.URL, Description: r.Description,
		Active: r.Active, DisabledReason: r.DisabledReason, Secret: r.Secret, PreviousSecret: r.PreviousSecret,
		PreviousSecretExpiresAt: utcPtr(r.PreviousSecretExpiresAt), FailingSince: utcPtr(r.FailingSince),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.EventTypes), &w.EventTypes); err != nil {
		return nil, fmt.Errorf("store: webhook %d: event types %q: %w", r.ID, r.EventTypes, err)
	}
	return w, nil
}

func webhookRowOf(w *models.Webhook) webhookRow {
	types, _ := json.Marshal(w.EventTypes) // strings always encode
	return webhookRow{ID: w.ID, TenantID: w.TenantID, URL: w.URL, Description: w.Description, EventTypes: string(types),
		Active: w.Active, DisabledReason: w.DisabledReason, Secret: w.Secret, PreviousSecret: w.PreviousSecret,
		PreviousSecretExpiresAt: w.PreviousSecretExpiresAt, FailingSince: w.FailingSince,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateWebhook validates and stores w, sets its ID and times. A tenant has at most
// models.MaxWebhooksPerTenant endpoints; the count is taken under a lock of the
// tenant's row, so concurrent creates cannot pass it. It returns EINVALID (also for
// the limit, naming url).
func (s *Store) CreateWebhook(ctx context.Context, w *models.Webhook) error {
	if err := w.Validate(); err != nil {
		return err
	}
	now := s.now().Truncate(time.Microsecond) // as PostgreSQL keeps it, so the answer shows what a read will
	w.CreatedAt, w.UpdatedAt = now, now
	return s.tx(ctx, func(tx *gorm.DB) error {
		if s.dialect == Postgres { // SQLite's writers are serialised already
			if err := tx.Exec("SELECT id FROM tenants WHERE id = ? FOR UPDATE", w.TenantID).Error; err != nil {
				return translate("lock tenant", err)
			}
		}
		var n int64
		if err := tx.Model(&webhookRow{}).Where("tenant_id = ?", w.TenantID).Count(&n).Error; err != nil {
			return translate("count webhooks", err)
		}
		if n >= models.MaxWebhooksPerTenant {
			var v models.ValidationError
			v.Addf("url", "the tenant already has %d webhooks, the most allowed; delete one or change an existing one", n)
			return v.Err()
		}
		row := webhookRowOf(w)
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			return translate("create webhook", err)
		}
		w.ID = row.ID
		return nil
	})
}

// ListWebhooks returns the tenant's endpoints in id order (at most
// models.MaxWebhooksPerTenant).
func (s *Store) ListWebhooks(ctx context.Context, tenantID int64) ([]*models.Webhook, error) {
	var rows []webhookRow
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Find(&rows).Error; err != nil {
		return nil, translate("list webhooks", err)
	}
	return webhookModels(rows)
}

func webhookModels(rows []webhookRow) ([]*models.Webhook, error) {
	out := make([]*models.Webhook, len(rows))
	for i := range rows {
		w, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}

// GetWebhook returns one endpoint of the tenant, or ENOTFOUND (also for another
// tenant's id).
func (s *Store) GetWebhook(ctx context.Context, tenantID, id int64) (*models.Webhook, error) {
	return getWebhook(s.db.WithContext(ctx), tenantID, id)
}

func getWebhook(db *gorm.DB, tenantID, id int64) (*models.Webhook, error) {
	var rows []webhookRow
	if err := db.Where("tenant_id = ? AND id = ?", tenantID, id).Limit(1).Find(&rows).Error; err != nil {
		return nil, translate(fmt.Sprintf("get webhook %d", id), err)
	}
	if len(rows) == 0 {
		return nil, webhookNotFound(id)
	}
	return rows[0].model()
}

func webhookNotFound(id int64) error {
	return models.Errorf(models.ENOTFOUND, "webhook %d not found", id)
}

// UpdateWebhook reads the tenant's endpoint id, lets change modify it and stores the
// result (validated) in one transaction, and returns it. change may return an error
// to write nothing. It returns ENOTFOUND, EINVALID and change's errors.
func (s *Store) UpdateWebhook(ctx context.Context, tenantID, id int64, change func(w *models.Webhook) error) (*models.Webhook, error) {
	var out *models.Webhook
	err := s.tx(ctx, func(tx *gorm.DB) error {
		lock := tx
		if s.dialect == Postgres {
			lock = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		w, err := getWebhook(lock, tenantID, id)
		if err != nil {
			return err
		}
		if err := change(w); err != nil {
			return err
		}
		if err := w.Validate(); err != nil {
			return err
		}
		w.UpdatedAt = s.now().Truncate(time.Microsecond)
		row := webhookRowOf(w)
		res := tx.Model(&webhookRow{}).Where("tenant_id = ? AND id = ?", tenantID, id).Select("*").Omit("id", "tenant_id", "created_at").Updates(&row)
		if res.Error != nil {
			return translate(fmt.Sprintf("update webhook %d", id), res.Error)
		}
		out = w
		return nil
	})
	return out, err
}

// DeleteWebhook deletes the tenant's endpoint and its delivery log. Jobs still queued
// for it find nothing and end. It returns ENOTFOUND.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID, id int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		// The log first, explicitly: SQLite enforces the foreign key only with its
		// pragma, and a large log is better deleted before the row it hangs on.
		if err := tx.Exec("DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ?", tenantID, id).Error; err != nil {
			return translate("delete webhook deliveries", err)
		}
		res := tx.Exec("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?", tenantID, id)
		if res.Error != nil {
			return translate(fmt.Sprintf("delete webhook %d", id), res.Error)
		}
		if res.RowsAffected == 0 {
			return webhookNotFound(id)
		}
		return nil
	})
}

// ActiveWebhooks returns the active endpoints of the tenants, read in tx (the outbox
// publisher's transaction).
func (s *Store) ActiveWebhooks(ctx context.Context, tx *sql.Tx, tenantIDs []int64) ([]*models.Webhook, error) {
	if len(tenantIDs) == 0 {
		return nil, nil
	}
	var rows []webhookRow
	if err := s.onTx(ctx, tx).Where("tenant_id IN ? AND active", tenantIDs).Order("id").Find(&rows).Error; err != nil {
		return nil, translate("find active webhooks", err)
	}
	return webhookModels(rows)
}

// onTx is the store's GORM on a transaction a caller holds (the outbox publisher's).
func (s *Store) onTx(ctx context.Context, tx *sql.Tx) *gorm.DB {
	db := s.db.WithContext(ctx)
	db.Statement.ConnPool = tx
	return db
}

// sqlTx is the *sql.Tx under a GORM transaction.
func sqlTx(tx *gorm.DB) (*sql.Tx, error) {
	t, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, fmt.Errorf("store: transaction is a %T, not a *sql.Tx", tx.Statement.ConnPool)
	}
	return t, nil
}
