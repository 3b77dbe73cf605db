package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// MaxTermsPage is the most terms ListTerms returns at once (Quentn's list cap).
const MaxTermsPage = 500

// ListTerms returns up to limit of a tenant's terms in id order, skipping offset. limit
// is capped at MaxTermsPage; an empty slice means no (more) terms.
func (s *Store) ListTerms(ctx context.Context, tenantID int64, offset, limit int) ([]*models.Term, error) {
	if limit <= 0 || limit > MaxTermsPage {
		limit = MaxTermsPage
	}
	out := []*models.Term{}
	err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Offset(max(offset, 0)).Limit(limit).Find(&out).Error
	if err != nil {
		return nil, translate("list terms", err)
	}
	return out, nil
}

// GetTerm finds a term by id or by name, ignoring case. A numeric ref is tried as an id
// first and then as a name, so a term named "2024" stays reachable. It returns ENOTFOUND.
func (s *Store) GetTerm(ctx context.Context, tenantID int64, ref string) (*models.Term, error) {
	db := s.db.WithContext(ctx)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		t, err := getTerm(ctx, db, tenantID, id)
		if models.ErrorCode(err) != models.ENOTFOUND {
			return t, err
		}
	}
	var t models.Term
	if err := db.Where("tenant_id = ? AND name_key = ?", tenantID, models.TermKey(ref)).Take(&t).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "term %s not found", models.Quote(ref))
		}
		return nil, translate("get term by name", err)
	}
	return &t, nil
}

func getTerm(ctx context.Context, db *gorm.DB, tenantID, id int64) (*models.Term, error) {
	var t models.Term
	if err := db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).Take(&t).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "term %d not found", id)
		}
		return nil, translate(fmt.Sprintf("get term %d", id), err)
	}
	return &t, nil
}

// CreateTerm validates and stores t and sets t.ID. When the tenant already has a term of
// that name (ignoring case) nothing is written: t.ID is the existing term's id and
// created is false. Concurrent creates of one name are safe: the insert does nothing on
// the unique name_key and the winner is read back. It returns EINVALID.
func (s *Store) CreateTerm(ctx context.Context, t *models.Term) (created bool, err error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	db := s.db.WithContext(ctx)
	var existing models.Term
	err = db.Where("tenant_id = ? AND name_key = ?", t.TenantID, t.NameKey).Take(&existing).Error
	if err == nil {
		t.ID = existing.ID
		return false, nil
	}
	if models.ErrorCode(translate("", err)) != models.ENOTFOUND {
		return false, translate("find term by name", err)
	}
	t.ID = 0
	err = s.retry(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(t)
		if res.Error != nil {
			return translate("create term", res.Error)
		}
		if created = res.RowsAffected == 1; !created {
			return nil
		}
		return s.appendEvents(ctx, tx, t.TenantID, []pendingEvent{{models.EventTermCreated, eventData(contactwire.TermFromModel(t))}})
	})
	if err != nil || created {
		return created, err
	}
	// Another request created the name between our read and our insert.
	if err := db.Where("tenant_id = ? AND name_key = ?", t.TenantID, t.NameKey).Take(&existing).Error; err != nil {
		return false, translate("re-read term after conflict", err)
	}
	t.ID = existing.ID
	return false, nil
}

// UpdateTerm stores t's name, description and deletion_blocked. It returns EINVALID,
// ENOTFOUND, or ECONFLICT when another term of the tenant already has the new name.
func (s *Store) UpdateTerm(ctx context.Context, t *models.Term) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return s.retry(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&models.Term{}).Where("tenant_id = ? AND id = ?", t.TenantID, t.ID).
			Updates(map[string]any{"name": t.Name, "name_key": t.NameKey, "description": t.Description, "deletion_blocked": t.DeletionBlocked})
		if res.Error != nil {
			if models.ErrorCode(translate("", res.Error)) == models.ECONFLICT {
				return models.Errorf(models.ECONFLICT, "another term is already named %q", t.Name)
			}
			return translate(fmt.Sprintf("update term %d", t.ID), res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "term %d not found", t.ID)
		}
		return s.appendEvents(ctx, tx, t.TenantID, []pendingEvent{{models.EventTermUpdated, eventData(contactwire.TermFromModel(t))}})
	})
}

// DeleteTerm deletes a term and removes it from every contact, bumping those contacts'
// version and updated_at (their terms changed, so an older merge can no longer be
// undone blindly). It returns ENOTFOUND, or ECONFLICT when the term is deletion_blocked.
func (s *Store) DeleteTerm(ctx context.Context, tenantID, id int64) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		q := tx
		if s.dialect == Postgres {
			// Waits for transactions that are putting this term on contacts (they hold
			// FOR KEY SHARE, see lockTerms), so the UPDATE below sees their rows.
			q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		t, err := getTerm(ctx, q, tenantID, id)
		if err != nil {
			return err
		}
		if t.DeletionBlocked {
			return models.Errorf(models.ECONFLICT, "term %d is deletion_blocked; unblock it first", id)
		}
		if s.dialect == Postgres {
			// The term, then its contacts in id order (locks.go); the UPDATE below would
			// lock them in whatever order it finds them. The set cannot grow now: a new
			// term row needs the term's FOR KEY SHARE, which waits for this lock.
			err := tx.Exec("SELECT count(*) FROM (SELECT id FROM contacts WHERE tenant_id = ? AND id IN "+
				"(SELECT contact_id FROM contact_terms WHERE tenant_id = ? AND term_id = ?) ORDER BY id FOR "+lockNoKeyUpdate+") AS locked",
				tenantID, tenantID, id).Error
			if err != nil {
				return translate("lock contacts of deleted term", err)
			}
		}
		// The contacts that carry the term change (their terms); each gets a new
		// version and a contact.updated event showing it without the term.
		touched, err := touchedContacts(tx.Raw("UPDATE contacts SET version = version + 1, updated_at = ? WHERE tenant_id = ? AND id IN "+
			"(SELECT contact_id FROM contact_terms WHERE tenant_id = ? AND term_id = ?) RETURNING id", s.now(), tenantID, tenantID, id))
		if err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM contact_terms WHERE tenant_id = ? AND term_id = ?", tenantID, id).Error; err != nil {
			return translate("remove deleted term from contacts", err)
		}
		if err := s.contactsUpdated(ctx, tx, tenantID, touched); err != nil {
			return err
		}
		if err := s.untagInquiries(ctx, tx, tenantID, id); err != nil {
			return err
		}
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&models.Term{}).Error; err != nil {
			return translate(fmt.Sprintf("delete term %d", id), err)
		}
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventTermDeleted,
			eventData(contactwire.Deleted{V: contactwire.Version, ID: id, Name: t.Name})}})
	})
}

// ContactTerms returns the terms on a contact in id order. It returns ENOTFOUND when
// the tenant has no such contact.
func (s *Store) ContactTerms(ctx context.Context, tenantID, contactID int64) ([]*models.Term, error) {
	if err := contactExists(ctx, s.db, tenantID, contactID); err != nil {
		return nil, err
	}
	out := []*models.Term{}
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND id IN (SELECT term_id FROM contact_terms WHERE "+termsOfContact+")",
		tenantID, contactID, tenantID).Order("id").Find(&out).Error
	if err != nil {
		return nil, translate("list contact terms", err)
	}
	return out, nil
}

// termChange says how changeContactTerms combines the given ids with a contact's terms.
type termChange int

const (
	termsReplace termChange = iota
	termsAdd
	termsRemove
)

// SetContactTerms makes ids exactly the terms of a contact (Quentn's deprecated POST
// contact/{id}/terms). ids must be normalised (models.NormalizeIDs). It returns
// ENOTFOUND for an unknown contact, or EINVALID naming the ids that are not terms of the
// tenant; then nothing is changed.
func (s *Store) SetContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error {
	return s.changeContactTerms(ctx, tenantID, contactID, ids, termsReplace)
}

// AddContactTerms adds terms to a contact. Errors as SetContactTerms, and EINVALID when
// the contact would carry more than models.MaxTermsPerContact terms.
func (s *Store) AddContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error {
	return s.changeContactTerms(ctx, tenantID, contactID, ids, termsAdd)
}

// RemoveContactTerms removes terms from a contact; ids the contact does not carry are
// ignored, ids that are not terms at all are refused. Errors as SetContactTerms.
func (s *Store) RemoveContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error {
	return s.changeContactTerms(ctx, tenantID, contactID, ids, termsRemove)
}

// changeContactTerms changes a contact's terms in one transaction; when the set changes
// the contact's version and updated_at are bumped.
func (s *Store) changeContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64, change termChange) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		c, err := getContact(ctx, tx, tenantID, contactID)
		if err != nil {
			return err
		}
		if err := s.lockTerms(ctx, tx, tenantID, ids); err != nil {
			return err
		}
		var next []int64
		switch change {
		case termsReplace:
			next = slices.Clone(ids)
		case termsAdd:
			next = append(slices.Clone(c.Terms), ids...)
			slices.Sort(next)
			next = slices.Compact(next)
		case termsRemove:
			next = slices.DeleteFunc(slices.Clone(c.Terms), func(id int64) bool { return slices.Contains(ids, id) })
		}
		if len(next) > models.MaxTermsPerContact {
			return &models.Error{Code: models.EINVALID, Message: "invalid fields",
				Fields: []models.FieldError{{Field: "terms", Error: fmt.Sprintf("a contact has at most %d terms", models.MaxTermsPerContact)}}}
		}
		if slices.Equal(next, c.Terms) {
			return nil
		}
		now := s.now()
		res := tx.Model(&models.Contact{}).Where(contactByIDVersion, contactID, tenantID, c.Version).
			Updates(map[string]any{"version": c.Version + 1, "updated_at": now})
		if res.Error != nil {
			return translate(fmt.Sprintf("touch contact %d", contactID), res.Error)
		}
		if res.RowsAffected == 0 {
			return errConcurrentChange
		}
		var removed, added []int64
		for _, id := range c.Terms {
			if !slices.Contains(next, id) {
				removed = append(removed, id)
			}
		}
		for _, id := range next {
			if !slices.Contains(c.Terms, id) {
				added = append(added, id)
			}
		}
		for chunk := range slices.Chunk(removed, 1000) {
			err := tx.Exec("DELETE FROM contact_terms WHERE tenant_id = ? AND contact_id = ? AND term_id IN ?", tenantID, contactID, chunk).Error
			if err != nil {
				return translate("remove contact terms", err)
			}
		}
		contacts := make([]int64, len(added))
		for i := range contacts {
			contacts[i] = contactID
		}
		if err := s.insertContactTerms(ctx, tx, tenantID, contacts, added); err != nil {
			return err
		}
		c.Terms, c.Version, c.UpdatedAt = next, c.Version+1, now
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventContactUpdated, contactData(c)}})
	})
}

// missingTerms returns the ids in ids that are not terms of the tenant. On Postgres it
// keeps the found terms from being deleted until the transaction ends, so a concurrent
// DeleteTerm either runs first (and the id is reported unknown) or after (and removes
// the term from this contact too) — never in between, which would fail the insert of
// the contact's term rows.
func (s *Store) missingTerms(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) ([]int64, error) {
	return s.findMissingTerms(ctx, tx, tenantID, ids, true)
}

func (s *Store) findMissingTerms(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, lock bool) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []int64
	for chunk := range slices.Chunk(ids, 1000) {
		q := tx.WithContext(ctx).Model(&models.Term{}).Where("tenant_id = ? AND id IN ?", tenantID, chunk)
		if lock && s.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "KEY SHARE"})
		}
		var part []int64
		if err := q.Pluck("id", &part).Error; err != nil {
			return nil, translate("check terms", err)
		}
		found = append(found, part...)
	}
	var missing []int64
	for _, id := range ids {
		if !slices.Contains(found, id) {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// UnknownTerms returns the ids in ids that are not terms of the tenant, in the order
// given. It reads outside any transaction: handlers use it to report unknown terms
// beside other problems of a submission the write path never gets to see.
func (s *Store) UnknownTerms(ctx context.Context, tenantID int64, ids []int64) ([]int64, error) {
	return s.findMissingTerms(ctx, s.db, tenantID, ids, false)
}

// lockTerms is missingTerms as an EINVALID error naming the unknown ids.
func (s *Store) lockTerms(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) error {
	missing, err := s.missingTerms(ctx, tx, tenantID, ids)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return &models.Error{Code: models.EINVALID, Message: "invalid fields",
			Fields: []models.FieldError{models.UnknownTerms(missing)}}
	}
	return nil
}

// contactExists returns ENOTFOUND when the tenant has no contact id.
func contactExists(ctx context.Context, db *gorm.DB, tenantID, id int64) error {
	var n int64
	if err := db.WithContext(ctx).Model(&models.Contact{}).Where(contactByID, id, tenantID).Limit(1).Count(&n).Error; err != nil {
		return translate(fmt.Sprintf("find contact %d", id), err)
	}
	if n == 0 {
		return models.Errorf(models.ENOTFOUND, "contact %d not found", id)
	}
	return nil
}
