package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// The tenant's inquiry statuses, sources and staff, managed directly (the inquiries
// create them on first use, inquiry_refs.go). Each write has its event. One in use by
// an inquiry cannot be deleted: the inquiries' foreign keys have no cascade, so a
// delete racing an inquiry that is being written fails too.

func statusData(st *models.InquiryStatus) []byte {
	return eventData(contactwire.InquiryStatusFromModel(st))
}

func sourceData(so *models.InquirySource) []byte {
	return eventData(contactwire.InquirySourceFromModel(so))
}

func staffData(a *models.Staff) []byte { return eventData(contactwire.StaffFromModel(a)) }

func termData(t *models.Term) []byte { return eventData(contactwire.TermFromModel(t)) }

func deletedData(id int64, name string) []byte {
	return eventData(contactwire.Deleted{V: contactwire.Version, ID: id, Name: name})
}

// ListInquiryStatuses returns the tenant's statuses by position, then id.
func (s *Store) ListInquiryStatuses(ctx context.Context, tenantID int64) ([]*models.InquiryStatus, error) {
	out := []*models.InquiryStatus{}
	if err := s.db.WithContext(ctx).Table("inquiry_statuses").Select(statusColumns).Where("tenant_id = ?", tenantID).Order("position, id").Find(&out).Error; err != nil {
		return nil, translate("list inquiry statuses", err)
	}
	return out, nil
}

// GetInquiryStatus returns one status of the tenant, or ENOTFOUND.
func (s *Store) GetInquiryStatus(ctx context.Context, tenantID, id int64) (*models.InquiryStatus, error) {
	var st models.InquiryStatus
	found, err := takeOne(s.db.WithContext(ctx).Table("inquiry_statuses").Select(statusColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &st)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, models.Errorf(models.ENOTFOUND, "inquiry status %d not found", id)
	}
	return &st, nil
}

// CreateInquiryStatus stores a new status (position nil: after the last one) and sets
// its id. It returns EINVALID, or ECONFLICT when the tenant has a status of that name.
func (s *Store) CreateInquiryStatus(ctx context.Context, st *models.InquiryStatus, position *int) error {
	if position != nil {
		st.Position = *position
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		st.CreatedAt, st.UpdatedAt = now, now
		pos := "?"
		args := []any{st.TenantID, st.Name, st.NameKey, st.Kind, st.Position, now, now}
		if position == nil {
			pos, args = "(SELECT coalesce(max(position) + 1, 0) FROM inquiry_statuses WHERE tenant_id = ?)", []any{st.TenantID, st.Name, st.NameKey, st.Kind, st.TenantID, now, now}
		}
		var rows []struct {
			ID       int64
			Position int
		}
		err := tx.WithContext(ctx).Raw("INSERT INTO inquiry_statuses (tenant_id, name, name_key, kind, position, created_at, updated_at) VALUES (?, ?, ?, ?, "+pos+", ?, ?) RETURNING id, position", args...).Scan(&rows).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "the tenant already has an inquiry status named %q", st.Name)
			}
			return translate("create inquiry status", err)
		}
		st.ID, st.Position = rows[0].ID, rows[0].Position
		return s.appendEvents(ctx, tx, st.TenantID, []pendingEvent{{models.EventInquiryStatusCreated, statusData(st)}})
	})
}

// UpdateInquiryStatus renames, re-kinds or moves a status. A new kind changes how its
// inquiries score: they are marked due for the re-score job (RescoreDue). It returns
// the status as stored; ENOTFOUND; EINVALID; ECONFLICT when another status has the
// new name.
func (s *Store) UpdateInquiryStatus(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.InquiryStatus, error) {
	var out *models.InquiryStatus
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var st models.InquiryStatus
		found, err := takeOne(tx.WithContext(ctx).Table("inquiry_statuses").Select(statusColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &st)
		if err != nil {
			return err
		}
		if !found {
			return models.Errorf(models.ENOTFOUND, "inquiry status %d not found", id)
		}
		oldKind := st.Kind
		if ch.Name != nil {
			st.Name = *ch.Name
		}
		if ch.Kind != nil {
			st.Kind = *ch.Kind
		}
		if ch.Position != nil {
			st.Position = *ch.Position
		}
		if err := st.Validate(); err != nil {
			return err
		}
		st.UpdatedAt = s.now()
		err = tx.WithContext(ctx).Table("inquiry_statuses").Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"name": st.Name, "name_key": st.NameKey, "kind": st.Kind, "position": st.Position, "updated_at": st.UpdatedAt}).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "another inquiry status is already named %q", st.Name)
			}
			return translate(fmt.Sprintf("update inquiry status %d", id), err)
		}
		if st.Kind != oldKind {
			err := tx.WithContext(ctx).Exec("UPDATE inquiries SET rescore_at = ? WHERE status_id = ? AND tenant_id = ?", st.UpdatedAt, id, tenantID).Error
			if err != nil {
				return translate("mark inquiries for re-scoring", err)
			}
		}
		out = &st
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquiryStatusUpdated, statusData(&st)}})
	})
	return out, err
}

// DeleteInquiryStatus deletes a status no inquiry has. It returns ENOTFOUND, or
// ECONFLICT while an inquiry has it.
func (s *Store) DeleteInquiryStatus(ctx context.Context, tenantID, id int64) error {
	return s.deleteRef(ctx, tenantID, id, "inquiry_statuses", "status_id", "inquiry status", models.EventInquiryStatusDeleted)
}

// deleteRef deletes row id of table (a status, source or staff member) unless an
// inquiry refers to it by column.
func (s *Store) deleteRef(ctx context.Context, tenantID, id int64, table, column, what, event string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var name []string
		nameColumn := "name"
		if table == "staff" {
			nameColumn = "email"
		}
		if err := tx.WithContext(ctx).Table(table).Where("tenant_id = ? AND id = ?", tenantID, id).Pluck(nameColumn, &name).Error; err != nil {
			return translate("find "+what, err)
		}
		if len(name) == 0 {
			return models.Errorf(models.ENOTFOUND, "%s %d not found", what, id)
		}
		inUse := models.Errorf(models.ECONFLICT, "%s %d is in use by inquiries; change theirs first (list them with ?%s=%d)", what, id, filterName(column), id)
		var used []int64
		if err := tx.WithContext(ctx).Table("inquiries").Where(column+" = ?", id).Limit(1).Pluck("id", &used).Error; err != nil {
			return translate("check "+what+" in use", err)
		}
		if len(used) > 0 {
			return inUse
		}
		if err := tx.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE tenant_id = ? AND id = ?", tenantID, id).Error; err != nil {
			if isForeignKey(err) {
				return inUse // an inquiry took it meanwhile
			}
			return translate("delete "+what, err)
		}
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{event, deletedData(id, name[0])}})
	})
}

// isDuplicate reports whether err is a unique index's violation. gorm translates it
// for its own statements, not for raw ones (RETURNING) on PostgreSQL.
func isDuplicate(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, gorm.ErrDuplicatedKey) || (errors.As(err, &pgErr) && pgErr.Code == "23505")
}

// isForeignKey reports whether err is a foreign key's violation (see isDuplicate).
func isForeignKey(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, gorm.ErrForeignKeyViolated) || (errors.As(err, &pgErr) && pgErr.Code == "23503")
}

func filterName(column string) string {
	switch column {
	case "status_id":
		return "status"
	case "source_id":
		return "source"
	}
	return "assignee"
}

// ListInquirySources returns the tenant's sources by position, then id.
func (s *Store) ListInquirySources(ctx context.Context, tenantID int64) ([]*models.InquirySource, error) {
	out := []*models.InquirySource{}
	if err := s.db.WithContext(ctx).Table("inquiry_sources").Select(sourceColumns).Where("tenant_id = ?", tenantID).Order("position, id").Find(&out).Error; err != nil {
		return nil, translate("list inquiry sources", err)
	}
	return out, nil
}

// GetInquirySource returns one source of the tenant, or ENOTFOUND.
func (s *Store) GetInquirySource(ctx context.Context, tenantID, id int64) (*models.InquirySource, error) {
	var so models.InquirySource
	found, err := takeOne(s.db.WithContext(ctx).Table("inquiry_sources").Select(sourceColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &so)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, models.Errorf(models.ENOTFOUND, "inquiry source %d not found", id)
	}
	return &so, nil
}

// CreateInquirySource stores a new source (position nil: after the last one) and sets
// its id. It returns EINVALID, or ECONFLICT when the tenant has a source of that name.
func (s *Store) CreateInquirySource(ctx context.Context, so *models.InquirySource, position *int) error {
	if position != nil {
		so.Position = *position
	}
	if err := so.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		so.CreatedAt, so.UpdatedAt = now, now
		pos := "?"
		args := []any{so.TenantID, so.Name, so.NameKey, so.Position, now, now}
		if position == nil {
			pos, args = "(SELECT coalesce(max(position) + 1, 0) FROM inquiry_sources WHERE tenant_id = ?)", []any{so.TenantID, so.Name, so.NameKey, so.TenantID, now, now}
		}
		var rows []struct {
			ID       int64
			Position int
		}
		err := tx.WithContext(ctx).Raw("INSERT INTO inquiry_sources (tenant_id, name, name_key, position, created_at, updated_at) VALUES (?, ?, ?, "+pos+", ?, ?) RETURNING id, position", args...).Scan(&rows).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "the tenant already has an inquiry source named %q", so.Name)
			}
			return translate("create inquiry source", err)
		}
		so.ID, so.Position = rows[0].ID, rows[0].Position
		return s.appendEvents(ctx, tx, so.TenantID, []pendingEvent{{models.EventInquirySourceCreated, sourceData(so)}})
	})
}

// UpdateInquirySource renames or moves a source. It returns the source as stored;
// ENOTFOUND; EINVALID; ECONFLICT when another source has the new name.
func (s *Store) UpdateInquirySource(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.InquirySource, error) {
	var out *models.InquirySource
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var so models.InquirySource
		found, err := takeOne(tx.WithContext(ctx).Table("inquiry_sources").Select(sourceColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &so)
		if err != nil {
			return err
		}
		if !found {
			return models.Errorf(models.ENOTFOUND, "inquiry source %d not found", id)
		}
		if ch.Name != nil {
			so.Name = *ch.Name
		}
		if ch.Position != nil {
			so.Position = *ch.Position
		}
		if err := so.Validate(); err != nil {
			return err
		}
		so.UpdatedAt = s.now()
		err = tx.WithContext(ctx).Table("inquiry_sources").Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"name": so.Name, "name_key": so.NameKey, "position": so.Position, "updated_at": so.UpdatedAt}).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "another inquiry source is already named %q", so.Name)
			}
			return translate(fmt.Sprintf("update inquiry source %d", id), err)
		}
		out = &so
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventInquirySourceUpdated, sourceData(&so)}})
	})
	return out, err
}

// DeleteInquirySource deletes a source no inquiry has. It returns ENOTFOUND, or
// ECONFLICT while an inquiry has it.
func (s *Store) DeleteInquirySource(ctx context.Context, tenantID, id int64) error {
	return s.deleteRef(ctx, tenantID, id, "inquiry_sources", "source_id", "inquiry source", models.EventInquirySourceDeleted)
}

// MaxStaffPage is the most staff members ListStaff returns at once.
const MaxStaffPage = 500

// ListStaff returns up to limit of the tenant's staff by id after the id after.
func (s *Store) ListStaff(ctx context.Context, tenantID, after int64, limit int) ([]*models.Staff, error) {
	if limit <= 0 || limit > MaxStaffPage {
		limit = MaxStaffPage
	}
	out := []*models.Staff{}
	if err := s.db.WithContext(ctx).Table("staff").Select(staffColumns).Where("tenant_id = ? AND id > ?", tenantID, after).Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, translate("list staff", err)
	}
	return out, nil
}

// GetStaff returns one staff member of the tenant, or ENOTFOUND.
func (s *Store) GetStaff(ctx context.Context, tenantID, id int64) (*models.Staff, error) {
	var a models.Staff
	found, err := takeOne(s.db.WithContext(ctx).Table("staff").Select(staffColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &a)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, models.Errorf(models.ENOTFOUND, "staff member %d not found", id)
	}
	return &a, nil
}

// CreateStaff stores a new staff member and sets its id. It returns EINVALID, or
// ECONFLICT when the tenant has a staff member with that e-mail.
func (s *Store) CreateStaff(ctx context.Context, a *models.Staff) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		a.CreatedAt, a.UpdatedAt = now, now
		var ids []int64
		err := tx.WithContext(ctx).Raw("INSERT INTO staff (tenant_id, email, email_key, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			a.TenantID, a.Email, a.EmailKey, a.Name, now, now).Scan(&ids).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "the tenant already has a staff member with e-mail %s", a.Email)
			}
			return translate("create staff member", err)
		}
		a.ID = ids[0]
		return s.appendEvents(ctx, tx, a.TenantID, []pendingEvent{{models.EventStaffCreated, staffData(a)}})
	})
}

// UpdateStaff changes a staff member's e-mail or name. It returns the staff member as
// stored; ENOTFOUND; EINVALID; ECONFLICT when another one has the new e-mail.
func (s *Store) UpdateStaff(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.Staff, error) {
	var out *models.Staff
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var a models.Staff
		found, err := takeOne(tx.WithContext(ctx).Table("staff").Select(staffColumns).Where("tenant_id = ? AND id = ?", tenantID, id), &a)
		if err != nil {
			return err
		}
		if !found {
			return models.Errorf(models.ENOTFOUND, "staff member %d not found", id)
		}
		if ch.Email != nil {
			a.Email = *ch.Email
		}
		if ch.Name != nil {
			a.Name = *ch.Name
		}
		if err := a.Validate(); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		err = tx.WithContext(ctx).Table("staff").Where("tenant_id = ? AND id = ?", tenantID, id).
			Updates(map[string]any{"email": a.Email, "email_key": a.EmailKey, "name": a.Name, "updated_at": a.UpdatedAt}).Error
		if err != nil {
			if isDuplicate(err) {
				return models.Errorf(models.ECONFLICT, "another staff member has e-mail %s", a.Email)
			}
			return translate(fmt.Sprintf("update staff member %d", id), err)
		}
		out = &a
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventStaffUpdated, staffData(&a)}})
	})
	return out, err
}

// DeleteStaff deletes a staff member no inquiry is assigned to. It returns ENOTFOUND,
// or ECONFLICT while one is.
func (s *Store) DeleteStaff(ctx context.Context, tenantID, id int64) error {
	return s.deleteRef(ctx, tenantID, id, "staff", "assignee_id", "staff member", models.EventStaffDeleted)
}
