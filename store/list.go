package store

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// GetContacts returns the tenant's contacts with the given ids, with their terms, in id
// order; ids the tenant does not have are left out. It reads with one query per 1,000
// ids plus one for the terms, so callers rendering many contacts never query per row.
func (s *Store) GetContacts(ctx context.Context, tenantID int64, ids []int64) ([]*models.Contact, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := []*models.Contact{}
	for chunk := range slices.Chunk(ids, 1000) {
		var part []*models.Contact
		if err := s.db.WithContext(ctx).Where("tenant_id = ? AND id IN ?", tenantID, chunk).Order("id").Find(&part).Error; err != nil {
			return nil, translate("get contacts", err)
		}
		out = append(out, part...)
	}
	if err := loadTerms(ctx, s.db, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListContacts returns one page of the tenant's contacts matching f, ordered by id (see
// models.ContactFilter). It returns EINVALID for a bad filter or a cursor it did not
// issue.
func (s *Store) ListContacts(ctx context.Context, tenantID int64, f models.ContactFilter) (*models.ContactPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&models.Contact{}).Where("contacts.tenant_id = ?", tenantID)
	if after > 0 {
		q = q.Where("contacts.id > ?", after)
	}
	if f.Mail != "" {
		q = q.Where("contacts.mail_key = ?", f.Mail)
	}
	if f.TermID != 0 {
		// Repeating the cursor inside the subquery lets Postgres start the walk of
		// contact_terms_term (tenant_id, term_id, contact_id) at the cursor.
		q = q.Where("contacts.id IN (SELECT contact_id FROM contact_terms WHERE tenant_id = ? AND term_id = ? AND contact_id > ?)",
			tenantID, f.TermID, after)
	}
	if !f.UpdatedSince.IsZero() {
		q = q.Where("contacts.updated_at >= ?", f.UpdatedSince.UTC())
	}
	// Prefix match on lower(column): on Postgres each condition is served by a
	// lower(column) text_pattern_ops index (migration 00003); backslash is Postgres's
	// default LIKE escape and must be named on SQLite.
	escape := ""
	if s.dialect == SQLite {
		escape = ` ESCAPE '\'`
	}
	for _, w := range f.QueryWords() {
		p := likeEscaper.Replace(w) + "%"
		q = q.Where("(lower(contacts.first_name) LIKE ?"+escape+" OR lower(contacts.family_name) LIKE ?"+escape+
			" OR lower(contacts.company) LIKE ?"+escape+")", p, p, p)
	}
	var rows []*models.Contact
	if err := q.Order("contacts.id").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return nil, translate("list contacts", err)
	}
	page := &models.ContactPage{Contacts: rows}
	if len(rows) > f.Limit {
		page.Contacts = rows[:f.Limit]
		page.NextCursor = encodeCursor(page.Contacts[f.Limit-1].ID)
	}
	if page.Contacts == nil {
		page.Contacts = []*models.Contact{}
	}
	if err := loadTerms(ctx, s.db, tenantID, page.Contacts); err != nil {
		return nil, err
	}
	return page, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// cursorPrefix versions the cursor format, so a later change of the ordering can tell
// old cursors apart and reject them instead of misreading them.
const cursorPrefix = "c1:"

// encodeCursor makes the opaque cursor that continues after contact id.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

func decodeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	bad := &models.Error{Code: models.EINVALID, Message: "invalid fields",
		Fields: []models.FieldError{{Field: "cursor", Error: "is not a cursor this server issued; pass next_cursor back unchanged"}}}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, bad
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, bad
	}
	return id, nil
}
