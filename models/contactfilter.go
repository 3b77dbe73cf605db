package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Page sizes of the native contact listing (GET /api/v1/contacts).
const (
	DefaultContactsPage = 100
	MaxContactsPage     = 500
	// MaxQueryWords caps the words of a free-text query; each word is one more indexed
	// condition.
	MaxQueryWords = 5
)

// ContactFilter selects and pages contacts for the native listing.
//
// Without UpdatedSince pages are ordered by id ascending: a contact created while a
// client pages gets a higher id and shows up on a later page; no contact is shown twice
// or skipped because of an insert or an update.
//
// With UpdatedSince pages are ordered by (updated_at, id), the order of changes: a
// contact created or changed while a client pages moves behind the cursor and shows up
// again on a later page with its new data; none is skipped. A client syncing changes
// asks again later with UpdatedSince set to the largest `changed` it has seen (it is
// inclusive, so the contacts of that second come again).
type ContactFilter struct {
	// Mail matches the normalised address exactly (see NormalizeMail).
	Mail string
	// TermID keeps contacts that carry the term.
	TermID int64
	// UpdatedSince keeps contacts changed at or after the time.
	UpdatedSince time.Time
	// Query is free text: every word must be a case-insensitive prefix of first_name,
	// family_name or company ("jan do" finds Jane Doe).
	Query string
	// Cursor is the opaque next_cursor of the previous page; "" starts at the beginning.
	Cursor string
	// Limit is the page size, 1..MaxContactsPage (0 means DefaultContactsPage).
	Limit int
}

// Validate normalises the filter and checks it. It returns an EINVALID *Error.
func (f *ContactFilter) Validate() error {
	var v ValidationError
	f.Mail = NormalizeMail(f.Mail)
	if len(f.Mail) > 255 {
		v.Add("mail", "is longer than 255 characters")
	}
	if f.TermID < 0 {
		v.Add("term", "must be a term id")
	}
	f.Query = strings.TrimSpace(f.Query)
	if !utf8.ValidString(f.Query) || utf8.RuneCountInString(f.Query) > 255 {
		v.Add("q", "must be valid text of at most 255 characters")
	} else if len(strings.Fields(f.Query)) > MaxQueryWords {
		v.Addf("q", "at most %d words", MaxQueryWords)
	}
	switch {
	case f.Limit == 0:
		f.Limit = DefaultContactsPage
	case f.Limit < 0:
		v.Addf("limit", "must be 1 to %d", MaxContactsPage)
	case f.Limit > MaxContactsPage:
		f.Limit = MaxContactsPage
	}
	return v.Err()
}

// QueryWords returns the lower-cased words of Query.
func (f *ContactFilter) QueryWords() []string {
	return strings.Fields(strings.ToLower(f.Query))
}

// ContactPage is one page of a listing. NextCursor is "" on the last page.
type ContactPage struct {
	Contacts   []*Contact
	NextCursor string
}
