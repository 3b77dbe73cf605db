package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// MaxCommentsPage is the most comments one ListComments call returns (Quentn's limit).
const MaxCommentsPage = 50

// ListComments returns one page of a contact's comments ordered by id (descending when
// desc), skipping offset, and how many comments the contact has in total. limit is
// capped at MaxCommentsPage. It returns ENOTFOUND when the tenant has no such contact.
func (s *Store) ListComments(ctx context.Context, tenantID, contactID int64, offset, limit int, desc bool) ([]*models.Comment, int64, error) {
	if err := contactExists(ctx, s.db, tenantID, contactID); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > MaxCommentsPage {
		limit = MaxCommentsPage
	}
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Model(&models.Comment{}).Where("tenant_id = ? AND contact_id = ?", tenantID, contactID).Count(&total).Error; err != nil {
		return nil, 0, translate("count comments", err)
	}
	out := []*models.Comment{}
	if int64(offset) >= total {
		return out, total, nil
	}
	order := "id"
	if desc {
		order = "id DESC"
	}
	err := db.Where("tenant_id = ? AND contact_id = ?", tenantID, contactID).Order(order).Offset(max(offset, 0)).Limit(limit).Find(&out).Error
	if err != nil {
		return nil, 0, translate("list comments", err)
	}
	return out, total, nil
}

// AddComment validates and stores a comment on c.ContactID and sets c.ID. It returns
// EINVALID, or ENOTFOUND when the tenant has no such contact (or it is deleted
// meanwhile).
func (s *Store) AddComment(ctx context.Context, c *models.Comment) error {
	if err := c.Validate(); err != nil {
		return err
	}
	// A transaction, so that a lost connection before its commit can be retried
	// (repeat); a lone INSERT whose answer is lost may or may not have been stored.
	return s.retry(ctx, func(tx *gorm.DB) error {
		// The contact is held (locks.go) until the comment is in: a delete waits.
		if err := s.lockContact(ctx, tx, c.TenantID, c.ContactID, lockKeyShare); err != nil {
			return err
		}
		c.ID = 0
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(err, gorm.ErrForeignKeyViolated) {
				return models.Errorf(models.ENOTFOUND, "contact %d not found", c.ContactID)
			}
			return translate("add comment", err)
		}
		return s.appendEvents(ctx, tx, c.TenantID, []pendingEvent{{models.EventCommentCreated, eventData(contactwire.CommentFromModel(c))}})
	})
}

// UpdateComment replaces the text of comment c.ID on contact c.ContactID. It returns
// EINVALID, or ENOTFOUND when the tenant has no such contact or the contact no such
// comment.
func (s *Store) UpdateComment(ctx context.Context, c *models.Comment) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.retry(ctx, func(tx *gorm.DB) error {
		// The contact before its comment (locks.go).
		if err := s.lockContact(ctx, tx, c.TenantID, c.ContactID, lockKeyShare); err != nil {
			return err
		}
		res := tx.Model(&models.Comment{}).
			Where("tenant_id = ? AND contact_id = ? AND id = ?", c.TenantID, c.ContactID, c.ID).
			Updates(map[string]any{"comment": c.Comment, "updated_at": s.now()})
		if res.Error != nil {
			return translate(fmt.Sprintf("update comment %d", c.ID), res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "comment %d not found on contact %d", c.ID, c.ContactID)
		}
		var stored models.Comment // for created and uid, which the caller does not know
		if err := tx.Where("tenant_id = ? AND id = ?", c.TenantID, c.ID).Take(&stored).Error; err != nil {
			return translate(fmt.Sprintf("read comment %d", c.ID), err)
		}
		return s.appendEvents(ctx, tx, c.TenantID, []pendingEvent{{models.EventCommentUpdated, eventData(contactwire.CommentFromModel(&stored))}})
	})
}

// DeleteComments deletes comments of one contact, all or nothing. ids must be
// normalised (models.NormalizeIDs). It returns ENOTFOUND when the tenant has no such
// contact, or naming every id that is not a comment of this contact (then nothing is
// deleted).
func (s *Store) DeleteComments(ctx context.Context, tenantID, contactID int64, ids []int64) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		// The contact before its comments (locks.go); a concurrent delete of it
		// finishes first, and then it is not found.
		if err := s.lockContact(ctx, tx, tenantID, contactID, lockKeyShare); err != nil {
			return err
		}
		var found []int64
		for chunk := range slices.Chunk(ids, 1000) {
			var part []int64
			err := tx.Model(&models.Comment{}).Where("tenant_id = ? AND contact_id = ? AND id IN ?", tenantID, contactID, chunk).Pluck("id", &part).Error
			if err != nil {
				return translate("find comments", err)
			}
			found = append(found, part...)
		}
		var missing []int64
		for _, id := range ids {
			if !slices.Contains(found, id) {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return models.Errorf(models.ENOTFOUND, "comments %s not found on contact %d; nothing was deleted", models.IDList(missing), contactID)
		}
		for chunk := range slices.Chunk(ids, 1000) {
			err := tx.Exec("DELETE FROM comments WHERE tenant_id = ? AND contact_id = ? AND id IN ?", tenantID, contactID, chunk).Error
			if err != nil {
				return translate("delete comments", err)
			}
		}
		evs := make([]pendingEvent, len(ids))
		for i, id := range ids {
			evs[i] = pendingEvent{models.EventCommentDeleted, eventData(contactwire.Deleted{V: contactwire.Version, ID: id, ContactID: contactID})}
		}
		return s.appendEvents(ctx, tx, tenantID, evs)
	})
}
