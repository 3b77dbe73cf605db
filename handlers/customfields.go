package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// CustomFieldStore is what the custom field handlers need.
type CustomFieldStore interface {
	ListCustomFields(ctx context.Context, tenantID int64) ([]*models.CustomField, error)
	// GetCustomField accepts an id or a name (with or without field_); ENOTFOUND otherwise.
	GetCustomField(ctx context.Context, tenantID int64, ref string) (*models.CustomField, error)
	CreateCustomField(ctx context.Context, f *models.CustomField) error
	UpdateCustomField(ctx context.Context, f *models.CustomField) error
	DeleteCustomField(ctx context.Context, tenantID int64, ref string) error
}

type customFieldRequest struct {
	Label       *string  `json:"label"`
	Description *string  `json:"description"`
	FieldType   *string  `json:"field_type"`
	MaxLength   *int     `json:"max_length"`
	Multiple    *bool    `json:"multiple"`
	Options     []string `json:"options"`
	Required    *bool    `json:"required"`
}

type customFieldResponse struct {
	FieldID     int64    `json:"field_id"`
	FieldName   string   `json:"field_name"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	FieldType   string   `json:"field_type"`
	Required    bool     `json:"required"`
	MaxLength   int      `json:"max_length,omitempty"`
	Multiple    bool     `json:"multiple,omitempty"`
	Options     []string `json:"options,omitempty"`
}

func customFieldFromModel(f *models.CustomField) customFieldResponse {
	return customFieldResponse{
		FieldID: f.ID, FieldName: models.CustomFieldPrefix + f.Name, Label: f.Label, Description: f.Description,
		Type: f.ValueType(), FieldType: f.FieldType, Required: f.Required, MaxLength: f.MaxLength,
		Multiple: f.Multiple, Options: f.Options,
	}
}

// apply copies the sent attributes onto f. The type is fixed once a field exists.
func (r *customFieldRequest) apply(f *models.CustomField, creating bool) error {
	if r.FieldType != nil {
		if !creating && *r.FieldType != f.FieldType {
			return invalid("field_type", "cannot change; create a new field instead")
		}
		f.FieldType = *r.FieldType
	}
	if r.Label != nil {
		f.Label = *r.Label
	}
	if r.Description != nil {
		f.Description = *r.Description
	}
	if r.MaxLength != nil {
		f.MaxLength = *r.MaxLength
	}
	if r.Multiple != nil {
		if !creating && *r.Multiple != f.Multiple {
			return invalid("multiple", "cannot change; create a new field instead")
		}
		f.Multiple = *r.Multiple
	}
	if r.Options != nil {
		f.Options = r.Options
	}
	if r.Required != nil {
		f.Required = *r.Required
	}
	return nil
}

// listCustomFields handles GET /public/api/V1/custom-fields.
func (a *API) listCustomFields(c echo.Context) error {
	list, err := a.CustomFields.ListCustomFields(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	out := make([]customFieldResponse, len(list))
	for i, f := range list {
		out[i] = customFieldFromModel(f)
	}
	return c.JSON(http.StatusOK, out)
}

// getCustomField handles GET /public/api/V1/custom-fields/{id|name}.
func (a *API) getCustomField(c echo.Context) error {
	ref, err := pathParam(c, "ref", "custom field")
	if err != nil {
		return err
	}
	f, err := a.CustomFields.GetCustomField(c.Request().Context(), tenantID(c), ref)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, customFieldFromModel(f))
}

// createCustomField handles POST /public/api/V1/custom-fields.
func (a *API) createCustomField(c echo.Context) error {
	var req customFieldRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := &models.CustomField{TenantID: tenantID(c)}
	if req.FieldType == nil {
		return invalid("field_type", "is required")
	}
	if err := req.apply(f, true); err != nil {
		return err
	}
	if err := a.CustomFields.CreateCustomField(c.Request().Context(), f); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"success": true, "field_name": models.CustomFieldPrefix + f.Name, "field_id": f.ID})
}

// updateCustomField handles PUT /public/api/V1/custom-fields/{id|name}.
func (a *API) updateCustomField(c echo.Context) error {
	var req customFieldRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	ref, err := pathParam(c, "ref", "custom field")
	if err != nil {
		return err
	}
	f, err := a.CustomFields.GetCustomField(ctx, tenantID(c), ref)
	if err != nil {
		return err
	}
	if err := req.apply(f, false); err != nil {
		return err
	}
	if err := a.CustomFields.UpdateCustomField(ctx, f); err != nil {
		return err
	}
	return success(c)
}

// deleteCustomField handles DELETE /public/api/V1/custom-fields/{id|name}; the field's
// values are removed from every contact.
func (a *API) deleteCustomField(c echo.Context) error {
	ref, err := pathParam(c, "ref", "custom field")
	if err != nil {
		return err
	}
	if err := a.CustomFields.DeleteCustomField(c.Request().Context(), tenantID(c), ref); err != nil {
		return err
	}
	return success(c)
}
