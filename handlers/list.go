package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

type contactListResponse struct {
	Contacts []contactwire.Contact `json:"contacts"`
	// NextCursor continues the listing; null on the last page.
	NextCursor *string `json:"next_cursor"`
}

// listContacts handles GET /api/v1/contacts?mail=&term=&updated_since=&q=&cursor=&limit=.
// Filters combine with AND: mail (normalised equality), term (term id), updated_since
// (RFC 3339 or unix seconds, inclusive), q (every word a case-insensitive prefix of
// first_name, family_name or company). Pages are ordered by id, or with updated_since by
// (updated_at, id) — see models.ContactFilter; pass next_cursor back as cursor with the
// same filters for the next page. limit defaults to 100, values above 500 are capped.
func (a *API) listContacts(c echo.Context) error {
	var v models.ValidationError
	f := models.ContactFilter{Mail: c.QueryParam("mail"), Query: c.QueryParam("q"), Cursor: strings.TrimSpace(c.QueryParam("cursor"))}
	for _, p := range []struct{ name, value string }{{"mail", f.Mail}, {"q", f.Query}} {
		if !isText(p.value) {
			v.Add(p.name, "must be UTF-8 text without NUL bytes")
		}
	}
	if s := strings.TrimSpace(c.QueryParam("term")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Add("term", "must be a term id")
		}
		f.TermID = id
	}
	if s := strings.TrimSpace(c.QueryParam("updated_since")); s != "" {
		t, ok := parseTime(s)
		if !ok {
			v.Add("updated_since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z or unix seconds")
		}
		f.UpdatedSince = t
	}
	if s := strings.TrimSpace(c.QueryParam("limit")); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 1 {
			v.Addf("limit", "must be 1 to %d", models.MaxContactsPage)
		}
		f.Limit = int(min(n, models.MaxContactsPage))
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := a.Contacts.ListContacts(c.Request().Context(), tenantID(c), f)
	if err != nil {
		return err
	}
	out := contactListResponse{Contacts: make([]contactwire.Contact, len(page.Contacts))}
	for i, ct := range page.Contacts {
		out.Contacts[i] = contactwire.FromModel(ct)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}

// getContactFull handles GET /api/v1/contacts/{id}: the full contact in the wire form
// (contactwire), as every native read shows it.
func (a *API) getContactFull(c echo.Context) error {
	id, err := pathID(c, "id", "contact")
	if err != nil {
		return err
	}
	ct, err := a.Contacts.GetContact(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.FromModel(ct))
}

// parseTime reads an RFC 3339 time or unix seconds.
func parseTime(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0).UTC(), true
	}
	// An unencoded "+02:00" offset arrives as " 02:00" from the query string.
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "+", 1))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
