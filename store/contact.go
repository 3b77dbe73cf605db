package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// GetContact returns a contact with its terms. It returns ENOTFOUND when the tenant has
// no such contact.
func (s *Store) GetContact(ctx context.Context, tenantID, id int64) (*models.Contact, error) {
	if s.dialect == Postgres {
		return s.getContactPG(ctx, tenantID, id)
	}
	return getContact(ctx, s.db, tenantID, id)
}

func getContact(ctx context.Context, db *gorm.DB, tenantID, id int64) (*models.Contact, error) {
	var c models.Contact
	err := db.WithContext(ctx).Where(contactByID, id, tenantID).Take(&c).Error
	if err != nil {
		if translated := translate("", err); models.ErrorCode(translated) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "contact %d not found", id)
		}
		return nil, translate(fmt.Sprintf("get contact %d", id), err)
	}
	contacts := []*models.Contact{&c}
	if err := loadTerms(ctx, db, tenantID, contacts); err != nil {
		return nil, err
	}
	return &c, nil
}

// FindContactsByMail returns the contacts whose mail equals mail ignoring case and
// surrounding space, oldest first (an empty slice when there are none), at most
// models.MaxMailMatches+1: one more than a lookup answers, to tell that there are more.
func (s *Store) FindContactsByMail(ctx context.Context, tenantID int64, mail string) ([]*models.Contact, error) {
	out := []*models.Contact{}
	norm := models.NormalizeMail(mail)
	key := s.engine.EmailKey(norm)
	if key == "" { // not an address: no contact has it
		return out, nil
	}
	err := s.db.WithContext(ctx).Where(contactsWithMail, tenantID, "e:"+key, tenantID, norm).
		Order("id").Limit(models.MaxMailMatches + 1).Find(&out).Error
	if err != nil {
		return nil, translate("find contacts by mail", err)
	}
	if err := loadTerms(ctx, s.db, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteContact deletes a contact with its terms, comments and keys. A write to the
// contact that commits first is deleted with it; one that comes later finds it gone.
// It returns ENOTFOUND when the tenant has no such contact.
func (s *Store) DeleteContact(ctx context.Context, tenantID, id int64) error {
	return s.retry(ctx, func(tx *gorm.DB) error {
		// The contact first, its children after (locks.go): a merge or update of it
		// that holds the contact finishes before the children are read, so what it
		// added goes too (contact_keys has no foreign key to cascade).
		if err := s.lockContact(ctx, tx, tenantID, id, lockUpdate); err != nil {
			return err
		}
		// Children are deleted explicitly (not only by ON DELETE CASCADE) so the
		// behaviour does not depend on SQLite's foreign_keys pragma.
		for _, table := range []string{"contact_terms", "comments"} {
			if err := tx.Exec("DELETE FROM "+table+" WHERE tenant_id = ? AND contact_id = ?", tenantID, id).Error; err != nil {
				return translate("delete contact children", err)
			}
		}
		if err := tx.Exec("DELETE FROM contact_keys WHERE "+keysOfContact, id, tenantID).Error; err != nil {
			return translate("delete contact keys", err)
		}
		if err := s.unlinkInquiries(ctx, tx, tenantID, id); err != nil {
			return err
		}
		res := tx.Where(contactByID, id, tenantID).Delete(&models.Contact{})
		if res.Error != nil {
			return translate(fmt.Sprintf("delete contact %d", id), res.Error)
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "contact %d not found", id)
		}
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventContactDeleted, eventData(contactwire.Deleted{V: contactwire.Version, ID: id})}})
	})
}

// UpdateContact applies a PUT: every submitted field overwrites (merge method update,
// consent not protected: this is an explicit edit), a comment is added. It returns
// ENOTFOUND, or EINVALID when the result would have neither mail nor full address or
// names unknown terms.
func (s *Store) UpdateContact(ctx context.Context, tenantID, id int64, sub *models.Submission) (*models.Contact, error) {
	var out *models.Contact
	err := s.retry(ctx, func(tx *gorm.DB) error {
		c, err := getContact(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		w := &working{c: c, version: c.Version, keys: map[string]bool{}}
		changed := c.Apply(sub, models.MergeUpdate, false)
		// Locks in the one order (locks.go): blocking keys, terms, then (write) the
		// contact.
		keys := s.storeKeys(c)
		if err := s.lockKeys(ctx, tx, tenantID, lockModes(tenantID, keys, nil)); err != nil {
			return err
		}
		missing, err := s.missingTerms(ctx, tx, tenantID, sub.Terms)
		if err != nil {
			return err
		}
		// Both checks run, so one answer names every problem.
		var problems []models.FieldError
		if !c.HasIdentity() {
			problems = append(problems, models.FieldError{Field: "mail", Error: "a contact needs a mail, or first_name, family_name, ba_street, ba_city and ba_postal_code"})
		}
		if len(missing) > 0 {
			problems = append(problems, models.UnknownTerms(missing))
		}
		if len(problems) > 0 {
			return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: problems}
		}
		w.addKeys(keys)
		if len(changed) > 0 {
			c.Version++
			w.dirty = true
			w.termsDirty = slices.Contains(changed, "terms")
		}
		b := &batch{tenantID: tenantID, touched: []*working{w}}
		if sub.Comment != "" {
			b.comments = append(b.comments, pendingComment{w: w, text: sub.Comment})
		}
		if err := s.write(ctx, tx, b); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

// loadTerms fills Terms of the given contacts with one query.
func loadTerms(ctx context.Context, db *gorm.DB, tenantID int64, contacts []*models.Contact) error {
	if len(contacts) == 0 {
		return nil
	}
	byID := make(map[int64]*models.Contact, len(contacts))
	ids := make([]int64, 0, len(contacts))
	for _, c := range contacts {
		c.Terms = []int64{}
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	for chunk := range slices.Chunk(ids, 1000) {
		var rows []struct{ ContactID, TermID int64 }
		err := scan(db.WithContext(ctx).Table("contact_terms").Select("contact_id, term_id").
			Where(termsOfContacts, chunk, tenantID).Order("contact_id, term_id"), &rows)
		if err != nil {
			return translate("load contact terms", err)
		}
		for _, r := range rows {
			c := byID[r.ContactID]
			c.Terms = append(c.Terms, r.TermID)
		}
	}
	return nil
}

// contactColumns lists every column an update writes; id, tenant_id and created_at never change.
func contactColumns(c *models.Contact) map[string]any {
	m := map[string]any{
		"mail_status":   c.MailStatus,
		"uid":           c.UID,
		"custom_fields": customJSON(c.Custom),
		"profile":       profileJSON(c.Profile),
		"mail_key":      c.MailKey,
		"version":       c.Version,
		"updated_at":    c.UpdatedAt,
	}
	for _, name := range models.TextFieldNames() {
		m[name], _ = c.Text(name)
	}
	return m
}

// contactRow lists every column an insert writes: contactColumns plus tenant_id,
// created_at and, when set (an undo brings an absorbed contact back), id.
func contactRow(c *models.Contact) map[string]any {
	cols := contactColumns(c)
	cols["tenant_id"], cols["created_at"] = c.TenantID, c.CreatedAt
	if c.ID != 0 {
		cols["id"] = c.ID
	}
	return cols
}

// profileJSON encodes a profile for the profile column, as customJSON does custom values.
func profileJSON(p models.Profile) string {
	if p.IsZero() {
		return "{}"
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("store: profile is not JSON: %v", err)) // values come from the decoders
	}
	return string(b)
}

// customJSON encodes custom values for the custom_fields column; updates by column map
// bypass GORM's serializer, so they encode here the same way.
func customJSON(v models.CustomValues) string {
	if len(v) == 0 {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: custom values are not JSON: %v", err)) // values come from Coerce
	}
	return string(b)
}
