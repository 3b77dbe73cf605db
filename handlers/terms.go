package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// TermStore is what the term handlers need from the store.
type TermStore interface {
	// ListTerms returns terms in id order; limit is at most maxTermsPage.
	ListTerms(ctx context.Context, tenantID int64, offset, limit int) ([]*models.Term, error)
	// GetTerm accepts an id or a name (ignoring case); ENOTFOUND otherwise.
	GetTerm(ctx context.Context, tenantID int64, ref string) (*models.Term, error)
	// CreateTerm sets t.ID; created is false when the name already existed.
	CreateTerm(ctx context.Context, t *models.Term) (created bool, err error)
	// UpdateTerm returns ECONFLICT when the new name belongs to another term.
	UpdateTerm(ctx context.Context, t *models.Term) error
	// DeleteTerm returns ECONFLICT for a deletion_blocked term.
	DeleteTerm(ctx context.Context, tenantID, id int64) error
	// ContactTerms and the three changes return ENOTFOUND for an unknown contact and
	// EINVALID naming unknown term ids.
	ContactTerms(ctx context.Context, tenantID, contactID int64) ([]*models.Term, error)
	SetContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error
	AddContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error
	RemoveContactTerms(ctx context.Context, tenantID, contactID int64, ids []int64) error
}

// maxTermsPage is the default and the maximum of `limit` on GET terms (Quentn's cap).
const maxTermsPage = 500

// maxIDsPerRequest caps the id arrays of contact/{id}/terms and contact/{id}/comments.
const maxIDsPerRequest = models.MaxTermsPerContact

type termResponse struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	DeletionBlocked bool   `json:"deletion_blocked"`
}

func termFromModel(t *models.Term) termResponse {
	return termResponse{ID: t.ID, Name: t.Name, Description: t.Description, DeletionBlocked: t.DeletionBlocked}
}

// contactTermResponse is a term as GET contact/{id}/terms shows it (no deletion_blocked,
// as in the Quentn documentation).
type contactTermResponse struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type createTermRequest struct {
	Name        *string `json:"name"`
	Description string  `json:"description"`
}

type updateTermRequest struct {
	Name            *string `json:"name"`
	Description     *string `json:"description"`
	DeletionBlocked *bool   `json:"deletion_blocked"`
}

// listTerms handles GET /public/api/V1/terms?offset=&limit= (limit default and max 500).
func (a *API) listTerms(c echo.Context) error {
	var v models.ValidationError
	offset := queryInt(c, &v, "offset", 0, 0)
	limit := queryInt(c, &v, "limit", maxTermsPage, 1)
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.Terms.ListTerms(c.Request().Context(), tenantID(c), offset, min(limit, maxTermsPage))
	if err != nil {
		return err
	}
	out := make([]termResponse, len(list))
	for i, t := range list {
		out[i] = termFromModel(t)
	}
	return c.JSON(http.StatusOK, out)
}

// getTerm handles GET /public/api/V1/terms/{id} and GET /public/api/V1/terms/{name}.
func (a *API) getTerm(c echo.Context) error {
	t, err := a.term(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, termFromModel(t))
}

// createTerm handles POST /public/api/V1/terms: {name, description} → {id}. A name the
// tenant already has (ignoring case) answers that term's id and changes nothing.
func (a *API) createTerm(c echo.Context) error {
	var req createTermRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return invalid("name", "is required")
	}
	t := &models.Term{TenantID: tenantID(c), Name: *req.Name, Description: req.Description}
	if _, err := a.Terms.CreateTerm(c.Request().Context(), t); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"id": t.ID})
}

// updateTerm handles PUT /public/api/V1/terms/{id|name}: {name?, description?,
// deletion_blocked?}. Renaming onto another term's name answers 409.
func (a *API) updateTerm(c echo.Context) error {
	var req updateTermRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Name == nil && req.Description == nil && req.DeletionBlocked == nil {
		return invalid("body", "send at least one of name, description, deletion_blocked")
	}
	t, err := a.term(c)
	if err != nil {
		return err
	}
	if req.Name != nil {
		t.Name = *req.Name
	}
	if req.Description != nil {
		t.Description = *req.Description
	}
	if req.DeletionBlocked != nil {
		t.DeletionBlocked = *req.DeletionBlocked
	}
	if err := a.Terms.UpdateTerm(c.Request().Context(), t); err != nil {
		return err
	}
	return success(c)
}

// deleteTerm handles DELETE /public/api/V1/terms/{id|name}. The term is removed from
// every contact; a deletion_blocked term answers 409.
func (a *API) deleteTerm(c echo.Context) error {
	t, err := a.term(c)
	if err != nil {
		return err
	}
	if err := a.Terms.DeleteTerm(c.Request().Context(), tenantID(c), t.ID); err != nil {
		return err
	}
	return success(c)
}

// term resolves the :ref path parameter (id or name) to a term of the caller's tenant.
func (a *API) term(c echo.Context) (*models.Term, error) {
	ref, err := pathParam(c, "ref", "term")
	if err != nil {
		return nil, err
	}
	return a.Terms.GetTerm(c.Request().Context(), tenantID(c), ref)
}

// getContactTerms handles GET /public/api/V1/contact/{id}/terms.
func (a *API) getContactTerms(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	list, err := a.Terms.ContactTerms(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	out := make([]contactTermResponse, len(list))
	for i, t := range list {
		out[i] = contactTermResponse{ID: t.ID, Name: t.Name, Description: t.Description}
	}
	return c.JSON(http.StatusOK, out)
}

// setContactTerms handles POST /public/api/V1/contact/{id}/terms (deprecated by
// Quentn, still served): the body, an array of term ids, replaces the contact's terms.
func (a *API) setContactTerms(c echo.Context) error {
	return a.changeContactTerms(c, a.Terms.SetContactTerms)
}

// addContactTerms handles PUT /public/api/V1/contact/{id}/terms: adds the terms.
func (a *API) addContactTerms(c echo.Context) error {
	return a.changeContactTerms(c, a.Terms.AddContactTerms)
}

// removeContactTerms handles DELETE /public/api/V1/contact/{id}/terms: removes the terms.
func (a *API) removeContactTerms(c echo.Context) error {
	return a.changeContactTerms(c, a.Terms.RemoveContactTerms)
}

func (a *API) changeContactTerms(c echo.Context, change func(ctx context.Context, tenantID, contactID int64, ids []int64) error) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	ids, err := decodeIDs(c, "terms")
	if err != nil {
		return err
	}
	if err := change(c.Request().Context(), tenantID(c), id, ids); err != nil {
		return err
	}
	return success(c)
}

// decodeIDs reads a body that is a JSON array of ids, as the Quentn term and comment
// endpoints take it (see models.ParseIDs); field names the array in errors.
func decodeIDs(c echo.Context, field string) ([]int64, error) {
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage // checked as every body is; the elements are models' to read
	if err := decodeBytes(body, &raw); err != nil {
		return nil, err
	}
	if kind := jsonValueKind(raw); kind != "array" && kind != "null" {
		return nil, models.Errorf(models.EBADREQUEST, "malformed request: expected a JSON array of ids, got %s", kind)
	}
	return models.ParseIDs(raw, field, maxIDsPerRequest)
}

// jsonValueKind names the kind of a valid JSON value: object, array, string, number,
// boolean or null.
func jsonValueKind(v []byte) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// queryInt parses an optional integer query parameter that must be at least min.
func queryInt(c echo.Context, v *models.ValidationError, name string, def, min int) int {
	s := strings.TrimSpace(c.QueryParam(name))
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || int(n) < min {
		v.Addf(name, "must be an integer of at least %d", min)
		return def
	}
	return int(n)
}
