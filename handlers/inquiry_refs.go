package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// InquiryRefStore is what the handlers of inquiry statuses, sources and staff need
// from the store. Creates return ECONFLICT for a name (e-mail) the tenant has; deletes
// ECONFLICT while an inquiry refers to the one deleted; all ENOTFOUND for an unknown
// or another tenant's id, EINVALID naming bad fields.
type InquiryRefStore interface {
	ListInquiryStatuses(ctx context.Context, tenantID int64) ([]*models.InquiryStatus, error)
	GetInquiryStatus(ctx context.Context, tenantID, id int64) (*models.InquiryStatus, error)
	CreateInquiryStatus(ctx context.Context, st *models.InquiryStatus, position *int) error
	DeleteInquiryStatus(ctx context.Context, tenantID, id int64) error
	ListInquirySources(ctx context.Context, tenantID int64) ([]*models.InquirySource, error)
	GetInquirySource(ctx context.Context, tenantID, id int64) (*models.InquirySource, error)
	CreateInquirySource(ctx context.Context, so *models.InquirySource, position *int) error
	UpdateInquirySource(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.InquirySource, error)
	DeleteInquirySource(ctx context.Context, tenantID, id int64) error
	ListStaff(ctx context.Context, tenantID, after int64, limit int) ([]*models.Staff, error)
	GetStaff(ctx context.Context, tenantID, id int64) (*models.Staff, error)
	CreateStaff(ctx context.Context, a *models.Staff) error
	UpdateStaff(ctx context.Context, tenantID, id int64, ch models.RefChange) (*models.Staff, error)
	DeleteStaff(ctx context.Context, tenantID, id int64) error
}

// refRequest is the body of a create or change of a status, source or staff member;
// which keys a kind takes is checked by allow.
type refRequest struct {
	Name     *string `json:"name"`
	Kind     *string `json:"kind"`
	Position *int    `json:"position"`
	Email    *string `json:"email"`
}

// allow refuses the keys a kind of reference does not have.
func (r *refRequest) allow(kind, email, position bool) error {
	var v models.ValidationError
	if r.Kind != nil && !kind {
		v.Add("kind", "is not a known field")
	}
	if r.Email != nil && !email {
		v.Add("email", "is not a known field")
	}
	if r.Position != nil && !position {
		v.Add("position", "is not a known field")
	}
	return v.Err()
}

func (r *refRequest) change() models.RefChange {
	return models.RefChange{Name: r.Name, Kind: r.Kind, Position: r.Position, Email: r.Email}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// listInquiryStatuses handles GET /api/v1/inquiry-statuses: every status in order.
func (a *API) listInquiryStatuses(c echo.Context) error {
	list, err := a.InquiryStore.ListInquiryStatuses(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	out := make([]contactwire.InquiryStatus, len(list))
	for i, st := range list {
		out[i] = contactwire.InquiryStatusFromModel(st)
	}
	return c.JSON(http.StatusOK, map[string]any{"statuses": out})
}

// getInquiryStatus handles GET /api/v1/inquiry-statuses/{id}.
func (a *API) getInquiryStatus(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry status")
	if err != nil {
		return err
	}
	st, err := a.InquiryStore.GetInquiryStatus(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquiryStatusFromModel(st))
}

// createInquiryStatus handles POST /api/v1/inquiry-statuses {name, kind, position}:
// kind defaults to what the name suggests (open unless it reads won or lost),
// position to after the last status.
func (a *API) createInquiryStatus(c echo.Context) error {
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(true, false, true); err != nil {
		return err
	}
	st := &models.InquiryStatus{TenantID: tenantID(c), Name: deref(req.Name), Kind: deref(req.Kind)}
	if st.Kind == "" {
		st.Kind = models.GuessStatusKind(strings.TrimSpace(st.Name))
	}
	if err := a.InquiryStore.CreateInquiryStatus(c.Request().Context(), st, req.Position); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, contactwire.InquiryStatusFromModel(st))
}

// updateInquiryStatus handles PUT and PATCH /api/v1/inquiry-statuses/{id}: the keys
// given (name, kind, position) change. A new kind re-scores the status's inquiries.
func (a *API) updateInquiryStatus(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry status")
	if err != nil {
		return err
	}
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(true, false, true); err != nil {
		return err
	}
	st, err := a.Inquiries.UpdateStatus(c.Request().Context(), tenantID(c), id, req.change())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquiryStatusFromModel(st))
}

// patchInquiryStatus handles PATCH /api/v1/inquiry-statuses/{id}, as PUT does.
func (a *API) patchInquiryStatus(c echo.Context) error { return a.updateInquiryStatus(c) }

// deleteInquiryStatus handles DELETE /api/v1/inquiry-statuses/{id}: 409 while an
// inquiry has the status.
func (a *API) deleteInquiryStatus(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry status")
	if err != nil {
		return err
	}
	if err := a.InquiryStore.DeleteInquiryStatus(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"success": true})
}

// listInquirySources handles GET /api/v1/inquiry-sources: every source in order.
func (a *API) listInquirySources(c echo.Context) error {
	list, err := a.InquiryStore.ListInquirySources(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	out := make([]contactwire.InquirySource, len(list))
	for i, so := range list {
		out[i] = contactwire.InquirySourceFromModel(so)
	}
	return c.JSON(http.StatusOK, map[string]any{"sources": out})
}

// getInquirySource handles GET /api/v1/inquiry-sources/{id}.
func (a *API) getInquirySource(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry source")
	if err != nil {
		return err
	}
	so, err := a.InquiryStore.GetInquirySource(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquirySourceFromModel(so))
}

// createInquirySource handles POST /api/v1/inquiry-sources {name, position}.
func (a *API) createInquirySource(c echo.Context) error {
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(false, false, true); err != nil {
		return err
	}
	so := &models.InquirySource{TenantID: tenantID(c), Name: deref(req.Name)}
	if err := a.InquiryStore.CreateInquirySource(c.Request().Context(), so, req.Position); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, contactwire.InquirySourceFromModel(so))
}

// updateInquirySource handles PUT and PATCH /api/v1/inquiry-sources/{id}: the keys
// given (name, position) change.
func (a *API) updateInquirySource(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry source")
	if err != nil {
		return err
	}
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(false, false, true); err != nil {
		return err
	}
	so, err := a.InquiryStore.UpdateInquirySource(c.Request().Context(), tenantID(c), id, req.change())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.InquirySourceFromModel(so))
}

// patchInquirySource handles PATCH /api/v1/inquiry-sources/{id}, as PUT does.
func (a *API) patchInquirySource(c echo.Context) error { return a.updateInquirySource(c) }

// deleteInquirySource handles DELETE /api/v1/inquiry-sources/{id}: 409 while an
// inquiry has the source.
func (a *API) deleteInquirySource(c echo.Context) error {
	id, err := pathID(c, "id", "inquiry source")
	if err != nil {
		return err
	}
	if err := a.InquiryStore.DeleteInquirySource(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"success": true})
}

// defaultStaffPage is the page size of GET /api/v1/staff without limit.
const defaultStaffPage = 100

// listStaff handles GET /api/v1/staff?cursor=&limit=: the staff by id; next_cursor
// continues.
func (a *API) listStaff(c echo.Context) error {
	var v models.ValidationError
	after, limit := int64(0), defaultStaffPage
	if s := strings.TrimSpace(c.QueryParam("cursor")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			v.Add("cursor", "is not a cursor this server issued; pass next_cursor back unchanged")
		}
		after = n
	}
	if s := strings.TrimSpace(c.QueryParam("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			v.Add("limit", "must be 1 to 500")
		}
		limit = min(n, 500)
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.InquiryStore.ListStaff(c.Request().Context(), tenantID(c), after, limit+1)
	if err != nil {
		return err
	}
	var next *string
	if len(list) > limit {
		list = list[:limit]
		s := strconv.FormatInt(list[limit-1].ID, 10)
		next = &s
	}
	out := make([]contactwire.Staff, len(list))
	for i, s := range list {
		out[i] = contactwire.StaffFromModel(s)
	}
	return c.JSON(http.StatusOK, map[string]any{"staff": out, "next_cursor": next})
}

// getStaff handles GET /api/v1/staff/{id}.
func (a *API) getStaff(c echo.Context) error {
	id, err := pathID(c, "id", "staff member")
	if err != nil {
		return err
	}
	s, err := a.InquiryStore.GetStaff(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.StaffFromModel(s))
}

// createStaff handles POST /api/v1/staff {email, name}.
func (a *API) createStaff(c echo.Context) error {
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(false, true, false); err != nil {
		return err
	}
	s := &models.Staff{TenantID: tenantID(c), Email: deref(req.Email), Name: deref(req.Name)}
	if err := a.InquiryStore.CreateStaff(c.Request().Context(), s); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, contactwire.StaffFromModel(s))
}

// updateStaff handles PUT and PATCH /api/v1/staff/{id}: the keys given (email, name)
// change.
func (a *API) updateStaff(c echo.Context) error {
	id, err := pathID(c, "id", "staff member")
	if err != nil {
		return err
	}
	var req refRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.allow(false, true, false); err != nil {
		return err
	}
	s, err := a.InquiryStore.UpdateStaff(c.Request().Context(), tenantID(c), id, req.change())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, contactwire.StaffFromModel(s))
}

// patchStaff handles PATCH /api/v1/staff/{id}, as PUT does.
func (a *API) patchStaff(c echo.Context) error { return a.updateStaff(c) }

// deleteStaff handles DELETE /api/v1/staff/{id}: 409 while an inquiry is assigned to
// the staff member.
func (a *API) deleteStaff(c echo.Context) error {
	id, err := pathID(c, "id", "staff member")
	if err != nil {
		return err
	}
	if err := a.InquiryStore.DeleteStaff(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"success": true})
}
