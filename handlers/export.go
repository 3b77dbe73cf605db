package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/export"
	"github.com/contacthub/contacthub/models"
)

// exportPage is how many contacts the export reads per query unless Limits.ExportPage
// says otherwise.
const exportPage = models.MaxContactsPage

// exportContacts handles GET /api/v1/contacts/export?format=csv|jsonl[&term=&updated_since=]:
// every contact of the tenant (or those with the term, or changed since) with all fields,
// custom fields and terms, streamed page by page (the listing's keyset order, so no
// contact is skipped or repeated while others are written). A failure after the first
// bytes aborts the connection: the client sees a truncated download, never a silently
// short file with a 200 and a complete-looking end.
func (a *API) exportContacts(c echo.Context) error {
	var v models.ValidationError
	format := strings.TrimSpace(c.QueryParam("format"))
	if format == "" {
		format = export.CSV
	}
	if _, ok := export.ContentType[format]; !ok {
		v.Addf("format", "%s is not supported; supported: %s", models.Quote(format), strings.Join(export.Formats, ", "))
	}
	f := models.ContactFilter{Limit: exportPage}
	if a.Limits.ExportPage > 0 {
		f.Limit = a.Limits.ExportPage
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
	if err := v.Err(); err != nil {
		return err
	}
	ctx, tenant := c.Request().Context(), tenantID(c)
	fields, err := a.CustomFields.ListCustomFields(ctx, tenant)
	if err != nil {
		return err
	}
	names := make([]string, len(fields))
	for i, fd := range fields {
		names[i] = fd.Name
	}
	// The first page is read before the answer starts, so a failure there is an ordinary
	// error answer.
	res := c.Response()
	_, started, err := export.Stream(ctx, a.Contacts, tenant, f, format, names, res, func() {
		res.Header().Set(echo.HeaderContentType, export.ContentType[format])
		res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="contacts.`+format+`"`)
		res.WriteHeader(http.StatusOK)
	})
	if err != nil && started {
		a.abortExport(c, err)
	}
	return err
}

// abortExport logs why an export stopped after its answer began and aborts the
// connection (net/http closes it without ending the chunked body).
func (a *API) abortExport(c echo.Context, err error) {
	if c.Request().Context().Err() == nil {
		a.Log.Error("export aborted", "tenant", tenantID(c), "err", err)
	}
	panic(http.ErrAbortHandler)
}
