package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/models"
)

// Imports (docs/imports.md): the import row holds the request, the progress and the
// lease of the worker processing it; the payload is kept until the import ends; error
// rows are kept with it. Every change of progress is conditional on the lease owner
// and the checkpoint, so a batch is counted once, whoever else runs.

// importRow is an imports row.
type importRow struct {
	ID          int64
	TenantID    int64
	Kind        string
	Entity      string
	Options     string
	Status      string
	Reason      string
	Total       int
	Processed   int
	Created     int
	Updated     int
	Skipped     int
	Errors      int
	Merged      int
	Checkpoint  int
	LeaseOwner  string
	LeaseUntil  *time.Time
	RequeuedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
}

func (importRow) TableName() string { return "imports" }

func (r *importRow) model() (*models.Import, error) {
	imp := &models.Import{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, Entity: r.Entity, Status: r.Status, Reason: r.Reason,
		Total: r.Total, Processed: r.Processed, Created: r.Created, Updated: r.Updated, Skipped: r.Skipped, Errors: r.Errors,
		Merged: r.Merged, Checkpoint: r.Checkpoint, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), CompletedAt: utcTime(r.CompletedAt)}
	if err := json.Unmarshal([]byte(r.Options), &imp.Options); err != nil {
		return nil, fmt.Errorf("store: options of import %d: %w", r.ID, err)
	}
	return imp, nil
}

func utcTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// importErrorRow is an import_errors row.
type importErrorRow struct {
	ID       int64
	TenantID int64
	ImportID int64
	Row      int
	Field    string
	Error    string
}

func (importErrorRow) TableName() string { return "import_errors" }

// CreateImport stores a new import (status processing) with its payload and calls
// enqueue with the import, id set, in the same transaction: the import exists
// exactly when its job does. It sets imp's ID, Status and times.
func (s *Store) CreateImport(ctx context.Context, imp *models.Import, payload []byte, enqueue func(ctx context.Context, tx *sql.Tx, imp *models.Import) error) error {
	opts, err := json.Marshal(imp.Options)
	if err != nil {
		return fmt.Errorf("store: import options: %w", err)
	}
	now := s.now()
	return s.retry(ctx, func(tx *gorm.DB) error {
		if err := requireTenant(tx, s.dialect, imp.TenantID); err != nil {
			return err
		}
		row := &importRow{TenantID: imp.TenantID, Kind: imp.Kind, Entity: imp.Entity, Options: string(opts),
			Status: models.ImportProcessing, Total: imp.Total, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(row).Error; err != nil {
			return translate("create import", err)
		}
		if payload != nil { // a door that reads its records from its own tables stores none
			if err := tx.Exec("INSERT INTO import_payloads (import_id, tenant_id, data) VALUES (?, ?, ?)", row.ID, imp.TenantID, payload).Error; err != nil {
				return translate("store import payload", err)
			}
		}
		imp.ID, imp.Status, imp.CreatedAt, imp.UpdatedAt = row.ID, row.Status, now, now
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, imp)
	})
}

// GetImport returns ENOTFOUND for an unknown id or another tenant's.
func (s *Store) GetImport(ctx context.Context, tenantID, id int64) (*models.Import, error) {
	return getImport(ctx, s.db, tenantID, id)
}

func getImport(ctx context.Context, db *gorm.DB, tenantID, id int64) (*models.Import, error) {
	var row importRow
	if err := db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID).Take(&row).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "import %d not found", id)
		}
		return nil, translate(fmt.Sprintf("get import %d", id), err)
	}
	return row.model()
}

// ListImports returns a page of the tenant's imports, newest first. It returns
// EINVALID for a limit out of 1..1000.
func (s *Store) ListImports(ctx context.Context, tenantID int64, f models.ImportFilter) ([]*models.Import, error) {
	if f.Limit < 1 || f.Limit > 1000 {
		return nil, models.Errorf(models.EINVALID, "limit must be 1 to 1000")
	}
	q := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID)
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var rows []importRow
	if err := q.Order("id DESC").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate("list imports", err)
	}
	out := make([]*models.Import, 0, len(rows))
	for i := range rows {
		imp, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, nil
}

// ImportErrors returns the import's error rows in row order from offset on, at most
// limit, and how many there are. It returns ENOTFOUND for another tenant's import.
func (s *Store) ImportErrors(ctx context.Context, tenantID, id int64, offset, limit int) ([]models.ImportRowError, int, error) {
	if _, err := s.GetImport(ctx, tenantID, id); err != nil {
		return nil, 0, err
	}
	var total int64
	db := s.db.WithContext(ctx)
	if err := db.Table("import_errors").Where("tenant_id = ? AND import_id = ?", tenantID, id).Count(&total).Error; err != nil {
		return nil, 0, translate("count import errors", err)
	}
	rows, err := importErrorPage(db, tenantID, id, offset, limit)
	return rows, int(total), err
}

// ImportErrorsFrom returns the import's error rows of rows from fromRow on, in row
// order, at most limit (a page for a reader that walks all of them: the error report).
func (s *Store) ImportErrorsFrom(ctx context.Context, tenantID, id int64, fromRow, limit int) ([]models.ImportRowError, error) {
	var rows []importErrorRow
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND import_id = ? AND row >= ?", tenantID, id, fromRow).Order("row, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate("list import errors", err)
	}
	out := make([]models.ImportRowError, len(rows))
	for i, r := range rows {
		out[i] = models.ImportRowError{Row: r.Row, Field: r.Field, Error: r.Error}
	}
	return out, nil
}

func importErrorPage(db *gorm.DB, tenantID, id int64, offset, limit int) ([]models.ImportRowError, error) {
	var rows []importErrorRow
	err := db.Where("tenant_id = ? AND import_id = ?", tenantID, id).Order("row, id").Offset(offset).Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate("list import errors", err)
	}
	out := make([]models.ImportRowError, len(rows))
	for i, r := range rows {
		out[i] = models.ImportRowError{Row: r.Row, Field: r.Field, Error: r.Error}
	}
	return out, nil
}

// ClaimImport takes the lease of a processing import for owner until until, unless
// another owner's lease is still running. It returns the import and its payload, or
// ok false (the import ended, is gone, or is leased by another worker).
func (s *Store) ClaimImport(ctx context.Context, tenantID, id int64, owner string, until time.Time) (imp *models.Import, payload []byte, ok bool, err error) {
	return s.claimImport(ctx, tenantID, id, owner, until, true)
}

// ClaimImportHeld is ClaimImport for a worker that holds the import's payload already
// (the process that accepted it): it does not read the payload back.
func (s *Store) ClaimImportHeld(ctx context.Context, tenantID, id int64, owner string, until time.Time) (imp *models.Import, ok bool, err error) {
	imp, _, ok, err = s.claimImport(ctx, tenantID, id, owner, until, false)
	return imp, ok, err
}

func (s *Store) claimImport(ctx context.Context, tenantID, id int64, owner string, until time.Time, readPayload bool) (imp *models.Import, payload []byte, ok bool, err error) {
	now := s.now()
	err = s.retry(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE imports SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND status = ? "+
			"AND (lease_owner = '' OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)",
			owner, until.UTC(), now, id, tenantID, models.ImportProcessing, owner, now)
		if res.Error != nil {
			return translate("claim import", res.Error)
		}
		if ok = res.RowsAffected == 1; !ok {
			return nil
		}
		if imp, err = getImport(ctx, tx, tenantID, id); err != nil {
			return err
		}
		if !readPayload {
			return nil
		}
		var data []byte
		if err := tx.Raw("SELECT data FROM import_payloads WHERE import_id = ? AND tenant_id = ?", id, tenantID).Row().Scan(&data); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate("read import payload", err)
		} // no payload: the door reads the records from its own tables

		payload = data
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	return imp, payload, ok, nil
}

// ExtendImportLease extends owner's lease; false when owner no longer holds it.
func (s *Store) ExtendImportLease(ctx context.Context, tenantID, id int64, owner string, until time.Time) (bool, error) {
	var held bool
	err := s.retry(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE imports SET lease_until = ? WHERE id = ? AND tenant_id = ? AND lease_owner = ? AND status = ?",
			until.UTC(), id, tenantID, owner, models.ImportProcessing)
		held = res.RowsAffected == 1
		return translate("extend import lease", res.Error)
	})
	return held, err
}

// ReleaseImport gives up owner's lease at once, so another replica resumes the
// import without waiting for the lease to run out.
func (s *Store) ReleaseImport(ctx context.Context, tenantID, id int64, owner string) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		return translate("release import", tx.Exec("UPDATE imports SET lease_owner = '', lease_until = NULL WHERE id = ? AND tenant_id = ? AND lease_owner = ?",
			id, tenantID, owner).Error)
	})
}

// WriteImportBatch records a processed batch (see models.ImportBatch) in tx, the
// transaction of the batch's contacts, or in a transaction of its own when tx is nil
// (a batch that wrote no contact). It returns models.ErrImportLeaseLost, writing
// nothing, when the lease, the status or the checkpoint is not what the batch
// started from.
func (s *Store) WriteImportBatch(ctx context.Context, tx *sql.Tx, b models.ImportBatch) error {
	if tx != nil {
		return s.writeImportBatch(ctx, s.onTx(ctx, tx), b)
	}
	return s.retry(ctx, func(tx *gorm.DB) error { return s.writeImportBatch(ctx, tx, b) })
}

func (s *Store) writeImportBatch(ctx context.Context, tx *gorm.DB, b models.ImportBatch) error {
	now := s.now()
	status := models.ImportProcessing
	var completed *time.Time
	if b.Done {
		status, completed = models.ImportCompleted, &now
	}
	res := tx.Exec("UPDATE imports SET checkpoint = ?, processed = ?, created = created + ?, updated = updated + ?, skipped = skipped + ?, "+
		"errors = errors + ?, merged = merged + ?, lease_until = ?, status = ?, completed_at = ?, updated_at = ? "+
		"WHERE id = ? AND tenant_id = ? AND status = ? AND lease_owner = ? AND checkpoint = ?",
		b.To, b.To, b.Created, b.Updated, b.Skipped, b.Errors, b.Merged, b.LeaseUntil.UTC(), status, completed, now,
		b.ImportID, b.TenantID, models.ImportProcessing, b.Owner, b.From)
	if res.Error != nil {
		return translate("record import batch", res.Error)
	}
	if res.RowsAffected != 1 {
		return models.ErrImportLeaseLost
	}
	if err := s.insertImportErrors(ctx, tx, b.TenantID, b.ImportID, b.Rows); err != nil {
		return err
	}
	if b.Done {
		return s.importEnded(ctx, tx, b.TenantID, b.ImportID)
	}
	return nil
}

func (s *Store) insertImportErrors(ctx context.Context, tx *gorm.DB, tenantID, importID int64, rows []models.ImportRowError) error {
	for part := range slices.Chunk(rows, s.rowsPerInsert(5, 500)) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO import_errors (tenant_id, import_id, row, field, error) VALUES ")
		args := make([]any, 0, 5*len(part))
		for i, r := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, tenantID, importID, r.Row, r.Field, r.Error)
		}
		if err := tx.WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			return translate("record import errors", err)
		}
	}
	return nil
}

// importEnded writes the import.completed event of an import that just ended, in its
// transaction, and deletes the payload it no longer needs.
func (s *Store) importEnded(ctx context.Context, tx *gorm.DB, tenantID, id int64) error {
	imp, err := getImport(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	first, err := importErrorPage(tx.WithContext(ctx), tenantID, id, 0, models.ImportEventErrors)
	if err != nil {
		return err
	}
	data := models.ImportCompletedData{ImportID: imp.ID, Status: imp.Status, SuccessCount: imp.SuccessCount(), ErrorCount: imp.Errors,
		Created: imp.Created, Updated: imp.Updated, Skipped: imp.Skipped, Total: imp.Total, Reason: imp.Reason, Errors: first}
	if err := tx.Exec("DELETE FROM import_payloads WHERE import_id = ? AND tenant_id = ?", id, tenantID).Error; err != nil {
		return translate("delete import payload", err)
	}
	return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventImportCompleted, eventData(data)}})
}

// EndImport ends a processing import as status (cancelled or failed, with reason)
// and writes its event. With owner set it ends it only while owner holds the lease
// (a worker failing its import); ok is false when the import had ended already (or
// owner lost the lease). It returns ENOTFOUND for an unknown import.
func (s *Store) EndImport(ctx context.Context, tenantID, id int64, status, reason, owner string) (imp *models.Import, ok bool, err error) {
	err = s.retry(ctx, func(tx *gorm.DB) error {
		now := s.now()
		q := "UPDATE imports SET status = ?, reason = ?, completed_at = ?, updated_at = ?, lease_owner = '', lease_until = NULL " +
			"WHERE id = ? AND tenant_id = ? AND status = ?"
		args := []any{status, reason, now, now, id, tenantID, models.ImportProcessing}
		if owner != "" {
			q += " AND lease_owner = ?"
			args = append(args, owner)
		}
		res := tx.Exec(q, args...)
		if res.Error != nil {
			return translate("end import", res.Error)
		}
		ok = res.RowsAffected == 1
		if ok {
			if err := s.importEnded(ctx, tx, tenantID, id); err != nil {
				return err
			}
		}
		imp, err = getImport(ctx, tx, tenantID, id)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return imp, ok, nil
}

// RequeueStaleImports finds processing imports nobody works on — a lease that ran
// out (its worker died), or never taken within staleAfter of the start — marks them
// requeued (at most once per staleAfter each) and calls enqueue with them in the same
// transaction. It returns how many it requeued.
func (s *Store) RequeueStaleImports(ctx context.Context, staleAfter time.Duration, enqueue func(ctx context.Context, tx *sql.Tx, imps []*models.Import) error) (int, error) {
	n := 0
	err := s.retry(ctx, func(tx *gorm.DB) error {
		now := s.now()
		old := now.Add(-staleAfter)
		q := tx.Where("status = ? AND (lease_until < ? OR (lease_until IS NULL AND updated_at < ?)) AND (requeued_at IS NULL OR requeued_at < ?)",
			models.ImportProcessing, now, old, old).Order("id").Limit(100)
		if s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []importRow
		if err := q.Find(&rows).Error; err != nil {
			return translate("find stale imports", err)
		}
		n = len(rows)
		if n == 0 {
			return nil
		}
		ids := make([]int64, n)
		imps := make([]*models.Import, n)
		for i := range rows {
			ids[i] = rows[i].ID
			imp, err := rows[i].model()
			if err != nil {
				return err
			}
			imps[i] = imp
		}
		if err := tx.Exec("UPDATE imports SET requeued_at = ? WHERE id IN ?", now, ids).Error; err != nil {
			return translate("mark imports requeued", err)
		}
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		return enqueue(ctx, t, imps)
	})
	return n, err
}
