package store

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/models"
)

// GetContacts returns the tenant's contacts with the given ids, with their terms, in id
// order; ids the tenant does not have are left out. It reads with one query per 1,000
// ids plus one for the terms, so callers rendering many contacts never query per row.
func (s *Store) GetContacts(ctx context.Context, tenantID int64, ids []int64) ([]*models.Contact, error) {
	return getContacts(ctx, s.db, tenantID, ids)
}

// getContacts is GetContacts on db (a transaction, or the pool).
func getContacts(ctx context.Context, db *gorm.DB, tenantID int64, ids []int64) ([]*models.Contact, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := []*models.Contact{}
	for chunk := range slices.Chunk(ids, 1000) {
		var part []*models.Contact
		if err := db.WithContext(ctx).Where(contactsByIDs, chunk, tenantID).Order("id").Find(&part).Error; err != nil {
			return nil, translate("get contacts", err)
		}
		out = append(out, part...)
	}
	if err := loadTerms(ctx, db, tenantID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListContacts returns one page of the tenant's contacts matching f. Without
// UpdatedSince pages are ordered by id; with it by (updated_at, id), the order in which
// contacts changed, so each page is one range scan of contacts_tenant_updated and a
// client can keep the last cursor to fetch later changes (see models.ContactFilter).
// It returns EINVALID for a bad filter or a cursor it did not issue for this order.
func (s *Store) ListContacts(ctx context.Context, tenantID int64, f models.ContactFilter) (*models.ContactPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	byUpdate := !f.UpdatedSince.IsZero()
	cur, err := decodeCursor(f.Cursor, byUpdate)
	if err != nil {
		return nil, err
	}
	q := s.pageQuery(s.db.WithContext(ctx), tenantID, f, cur)
	if q == nil {
		return &models.ContactPage{Contacts: []*models.Contact{}}, nil
	}
	// Prefix match on lower(column): on Postgres each condition can use a lower(column)
	// text_pattern_ops index (migration 00003); backslash is Postgres's default LIKE
	// escape and must be named on SQLite.
	escape := ""
	if s.dialect == SQLite {
		escape = ` ESCAPE '\'`
	}
	words := f.QueryWords()
	matchWords := func(q *gorm.DB) *gorm.DB {
		for _, w := range words {
			p := likeEscaper.Replace(w) + "%"
			q = q.Where("(lower(contacts.first_name) LIKE ?"+escape+" OR lower(contacts.family_name) LIKE ?"+escape+
				" OR lower(contacts.company) LIKE ?"+escape+")", p, p, p)
		}
		return q
	}
	var rows []*models.Contact
	// searchByWords builds its own statements from the words alone: it runs only when
	// no other filter is set, and a new filter must be added there or excluded here.
	if len(words) > 1 && s.dialect == Postgres && !byUpdate && f.Mail == "" && f.TermID == 0 {
		if rows, err = s.searchByWords(ctx, tenantID, cur.id, matchWords, f.Limit+1); err != nil {
			return nil, err
		}
	} else {
		order := "contacts.id"
		if byUpdate {
			order = "contacts.updated_at, contacts.id"
		}
		if err := matchWords(q).Order(order).Limit(f.Limit + 1).Find(&rows).Error; err != nil {
			return nil, translate("list contacts", err)
		}
	}
	page := &models.ContactPage{Contacts: rows}
	if len(rows) > f.Limit {
		page.Contacts = rows[:f.Limit]
		last := page.Contacts[f.Limit-1]
		page.NextCursor = encodeCursor(cursor{id: last.ID, updatedAt: last.UpdatedAt}, byUpdate)
	}
	if page.Contacts == nil {
		page.Contacts = []*models.Contact{}
	}
	if err := loadTerms(ctx, s.db, tenantID, page.Contacts); err != nil {
		return nil, err
	}
	return page, nil
}

// pageQuery selects the contacts of a page of f after cur, but for the words of its
// query, the order and the limit (ListContacts adds them); nil when no contact can
// match.
func (s *Store) pageQuery(db *gorm.DB, tenantID int64, f models.ContactFilter, cur cursor) *gorm.DB {
	q := db.Model(&models.Contact{})
	byUpdate := !f.UpdatedSince.IsZero()
	// In id order a term's page is a walk of contact_terms_term (tenant_id, term_id,
	// contact_id) from the cursor, each row's contact fetched by primary key; as a
	// join with the tenant condition kept off the contacts' indexes, the planner has
	// no other road. As "id IN (subquery)" it could walk the tenant's contacts in id
	// order and the term's rows again for each one: 16 s for a page of a 1M-contact
	// tenant that grew after the last ANALYZE and so looked empty to the planner, 13 ms
	// as the join (BENCHMARKS.md). contact_terms' primary key makes the join yield
	// each contact once.
	termWalk := f.TermID != 0 && !byUpdate && f.Mail == ""
	switch {
	case f.Mail != "":
		key := s.engine.EmailKey(f.Mail)
		if key == "" { // not an address: no contact has it
			return nil
		}
		q = q.Where(contactsWithMail, tenantID, "e:"+key, tenantID, f.Mail) // tenant-scoped; see byid.go
	case termWalk:
		q = q.Select("contacts.*").Joins("JOIN contact_terms ct ON ct.contact_id = contacts.id").
			Where("ct.tenant_id = ? AND ct.term_id = ? AND contacts.tenant_id + 0 = ?", tenantID, f.TermID, tenantID)
	default:
		q = q.Where("contacts.tenant_id = ?", tenantID)
	}
	switch {
	case byUpdate:
		q = q.Where("contacts.updated_at >= ?", f.UpdatedSince.UTC())
		if cur.id > 0 {
			q = q.Where("(contacts.updated_at, contacts.id) > (?, ?)", cur.updatedAt, cur.id)
		}
	case cur.id > 0 && termWalk:
		q = q.Where("ct.contact_id > ?", cur.id) // on the walked index; equal to contacts.id
	case cur.id > 0:
		q = q.Where("contacts.id > ?", cur.id)
	}
	if f.TermID != 0 && !termWalk {
		// Repeating the id cursor inside the subquery lets Postgres start its walk of
		// contact_terms_term at the cursor.
		after := int64(0)
		if !byUpdate {
			after = cur.id
		}
		q = q.Where("contacts.id IN (SELECT contact_id FROM contact_terms WHERE tenant_id = ? AND term_id = ? AND contact_id > ?)",
			tenantID, f.TermID, after)
	}
	return q
}

// searchWalk is how many of a tenant's contacts, in id order from the cursor, a word
// search reads before it turns to the word indexes for the rest of the page.
var searchWalk = 20_000 // a variable for tests

// searchByWords answers a page of a search for several words (PostgreSQL): up to want
// contacts after the id after that match the words (match adds their conditions), in
// id order.
//
// Why two steps: the planner picks between walking the id index and filtering (fast
// when matches are dense: "a b" finds 100 within the first few thousand contacts) and
// reading the words' prefix indexes and sorting (fast when they are sparse). It
// estimates the density of several words as if they were independent, and words of a
// name are not: for "jürgen smith" (a German first name, an English surname) it
// walked all 1M contacts of a tenant, 520 ms, to find none; the index path takes
// 6 ms. Forcing the index path instead costs 120–190 ms for dense short words. So the
// search walks a bounded stretch of ids first — the walk ends early when the page
// fills — and asks the word indexes only for what lies beyond the stretch, ordering
// by an expression so the planner cannot choose the walk there. A single word is left
// to the planner, which estimates one word well.
func (s *Store) searchByWords(ctx context.Context, tenantID, after int64, match func(*gorm.DB) *gorm.DB, want int) ([]*models.Contact, error) {
	db := s.db.WithContext(ctx)
	var bound []int64 // the id that ends the walk; none when fewer contacts follow
	if err := db.Model(&models.Contact{}).Where("tenant_id = ? AND id > ?", tenantID, after).
		Order("id").Offset(searchWalk-1).Limit(1).Pluck("id", &bound).Error; err != nil {
		return nil, translate("list contacts", err)
	}
	walk := match(db.Model(&models.Contact{}).Where("contacts.tenant_id = ? AND contacts.id > ?", tenantID, after))
	if len(bound) == 1 {
		walk = walk.Where("contacts.id <= ?", bound[0])
	}
	var rows []*models.Contact
	if err := walk.Order("contacts.id").Limit(want).Find(&rows).Error; err != nil {
		return nil, translate("list contacts", err)
	}
	if len(rows) == want || len(bound) == 0 {
		return rows, nil
	}
	var rest []*models.Contact
	beyond := match(db.Model(&models.Contact{}).Where("contacts.tenant_id = ? AND contacts.id > ?", tenantID, bound[0]))
	if err := beyond.Order("contacts.id + 0").Limit(want - len(rows)).Find(&rest).Error; err != nil {
		return nil, translate("list contacts", err)
	}
	return append(rows, rest...), nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// cursor is the position after the last contact of a page.
type cursor struct {
	id        int64
	updatedAt time.Time // only for the (updated_at, id) order
}

// Cursor prefixes name the order and version the format, so a cursor of one order is
// refused by the other, and a later format can reject old cursors instead of
// misreading them.
const (
	idCursorPrefix     = "c1:"
	updateCursorPrefix = "u1:"
)

// encodeCursor makes the opaque cursor that continues after c.
func encodeCursor(c cursor, byUpdate bool) string {
	s := idCursorPrefix + strconv.FormatInt(c.id, 10)
	if byUpdate {
		s = updateCursorPrefix + strconv.FormatInt(c.updatedAt.UnixNano(), 10) + ":" + strconv.FormatInt(c.id, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(s string, byUpdate bool) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := func(reason string) error {
		return &models.Error{Code: models.EINVALID, Message: "invalid fields",
			Fields: []models.FieldError{{Field: "cursor", Error: reason}}}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad("is not a cursor this server issued; pass next_cursor back unchanged")
	}
	text := string(b)
	var c cursor
	if rest, ok := strings.CutPrefix(text, idCursorPrefix); ok {
		if byUpdate {
			return cursor{}, bad("belongs to a listing without updated_since; repeat the filters of the first page")
		}
		c.id, err = strconv.ParseInt(rest, 10, 64)
	} else if rest, ok := strings.CutPrefix(text, updateCursorPrefix); ok {
		if !byUpdate {
			return cursor{}, bad("belongs to a listing with updated_since; repeat the filters of the first page")
		}
		nanos, id, found := strings.Cut(rest, ":")
		var ns int64
		if ns, err = strconv.ParseInt(nanos, 10, 64); err == nil && found {
			c.updatedAt = time.Unix(0, ns).UTC()
			c.id, err = strconv.ParseInt(id, 10, 64)
		}
	} else {
		err = errors.New("unknown cursor prefix")
	}
	if err != nil || c.id <= 0 {
		return cursor{}, bad("is not a cursor this server issued; pass next_cursor back unchanged")
	}
	return c, nil
}
