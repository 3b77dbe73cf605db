package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/inquiries"
	"github.com/contacthub/contacthub/models"
)

// InquiryService is the inquiry service (package inquiries): every inquiry write, and
// a status change that re-scores. See inquiries.Service for what each returns.
type InquiryService interface {
	Create(ctx context.Context, tenant int64, in *models.InquiryInput, o inquiries.Options) (*models.Inquiry, error)
	Update(ctx context.Context, tenant, id int64, in *models.InquiryInput, mode models.InquiryMode) (*models.Inquiry, error)
	UpdateStatus(ctx context.Context, tenant, id int64, ch models.RefChange) (*models.InquiryStatus, error)
	// ScoreWeights returns the tenant's weights of the lead score's factors.
	ScoreWeights(ctx context.Context, tenant int64) (*models.ScoreWeights, error)
	// SetScoreWeights replaces them (EINVALID naming each bad or unknown factor) and
	// re-scores the tenant's open inquiries in the background.
	SetScoreWeights(ctx context.Context, tenant int64, weights map[string]float64) (*models.ScoreWeights, error)
}

// InquiryStore is what the inquiry reads and deletes need from the store.
type InquiryStore interface {
	// GetInquiry returns ENOTFOUND for an unknown or another tenant's id.
	GetInquiry(ctx context.Context, tenantID, id int64) (*models.Inquiry, error)
	// ListInquiries returns one page; EINVALID for a bad filter or cursor.
	ListInquiries(ctx context.Context, tenantID int64, f models.InquiryFilter) (*models.InquiryPage, error)
	DeleteInquiry(ctx context.Context, tenantID, id int64) error
	InquiryRefStore
}

type inquiryListResponse struct {
	Inquiries []contactwire.Inquiry `json:"inquiries"`
	// NextCursor continues the listing; null on the last page.
	NextCursor *string `json:"next_cursor"`
}

// createInquiry handles POST /api/v1/inquiries: a new inquiry from a form, a lead tool
// or a portal, with its customer matched or created. 201 with the inquiry (its
// customer says whether it was matched, and why).
func (a *API) createInquiry(c echo.Context) error {
	body, err := inquiryBody(c)
	if err != nil {
		return err
	}
	in, opts, err := inquiries.FromJSON(body, models.InquiryCreate)
	if err != nil {
		return err
	}
	q, err := a.Inquiries.Create(c.Request().Context(), tenantID(c), in, opts)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/inquiries/"+strconv.FormatInt(q.ID, 10))
	return c.JSON(http.StatusCreated, contactwire.InquiryFromModel(q))
}

// inquiryBody reads a JSON object of inquiry fields.
func inquiryBody(c echo.Context) (map[string]json.RawMessage, error) {
	var body map[string]json.RawMessage
	if err := decodeJSON(c, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, models.Errorf(models.EBADREQUEST, "the body must be a JSON object of inquiry fields")
	}
	return body, nil
}

// getInquiry handles GET /api/v1/inquiries/{id}.
func (a *API) getInquiry(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry")
	if err != nil {
		return err
	}
	q, err := a.InquiryStore.GetInquiry(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquiryFromModel(q))
}

// replaceInquiry handles PUT /api/v1/inquiries/{id}: every field is replaced.
func (a *API) replaceInquiry(c echo.Context) error { return a.changeInquiry(c, models.InquiryReplace) }

// patchInquiry handles PATCH /api/v1/inquiries/{id}: the fields given change.
func (a *API) patchInquiry(c echo.Context) error { return a.changeInquiry(c, models.InquiryPatch) }

func (a *API) changeInquiry(c echo.Context, mode models.InquiryMode) error {
	id, err := pathID(c, "id", "inquiry")
	if err != nil {
		return err
	}
	body, err := inquiryBody(c)
	if err != nil {
		return err
	}
	in, _, err := inquiries.FromJSON(body, mode)
	if err != nil {
		return err
	}
	q, err := a.Inquiries.Update(c.Request().Context(), tenantID(c), id, in, mode)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquiryFromModel(q))
}

// deleteInquiry handles DELETE /api/v1/inquiries/{id}.
func (a *API) deleteInquiry(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry")
	if err != nil {
		return err
	}
	if err := a.InquiryStore.DeleteInquiry(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"success": true})
}

// listInquiries handles GET /api/v1/inquiries: filters status, status_kind, source,
// assignee, customer, tag, category, band, score_min, score_max, follow_up_by,
// created_since, updated_since and q (words in title or notes); sort (-created,
// created, -score, score, follow_up, -follow_up); cursor and limit (default 50, at
// most 500). Filters combine with AND; pass next_cursor back as cursor with the same
// filters and sort for the next page.
func (a *API) listInquiries(c echo.Context) error {
	var v models.ValidationError
	text := func(name string) string {
		s := strings.TrimSpace(c.QueryParam(name))
		if !isText(s) {
			v.Add(name, "must be UTF-8 text without NUL bytes")
			return ""
		}
		return s
	}
	f := models.InquiryFilter{
		Status: text("status"), StatusKind: text("status_kind"), Source: text("source"), Assignee: text("assignee"),
		Tag: text("tag"), Category: text("category"), Band: text("band"), FollowUpBy: text("follow_up_by"),
		Query: text("q"), Sort: text("sort"), Cursor: text("cursor"),
	}
	integer := func(name string, lo, hi int64) *int64 {
		s := text(name)
		if s == "" {
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < lo || n > hi {
			v.Addf(name, "must be an integer from %d to %d", lo, hi)
			return nil
		}
		return &n
	}
	if n := integer("customer", 1, 1<<62); n != nil {
		f.CustomerID = *n
	}
	for _, p := range []struct {
		name string
		dst  **int
	}{{"score_min", &f.ScoreMin}, {"score_max", &f.ScoreMax}} {
		if n := integer(p.name, 0, 100); n != nil {
			i := int(*n)
			*p.dst = &i
		}
	}
	if n := integer("limit", 1, 1<<31); n != nil {
		f.Limit = int(min(*n, models.MaxInquiriesPage))
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"created_since", &f.CreatedSince}, {"updated_since", &f.UpdatedSince}} {
		if s := text(p.name); s != "" {
			t, ok := parseTime(s)
			if !ok {
				v.Add(p.name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z or unix seconds")
			}
			*p.dst = t
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := a.InquiryStore.ListInquiries(c.Request().Context(), tenantID(c), f)
	if err != nil {
		return err
	}
	out := inquiryListResponse{Inquiries: make([]contactwire.Inquiry, len(page.Inquiries))}
	for i, q := range page.Inquiries {
		out.Inquiries[i] = contactwire.InquiryFromModel(q)
	}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	return c.JSON(http.StatusOK, out)
}
