package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/dedupetrain"
)

// DedupeModelService trains, shows and rolls back a tenant's duplicate model
// (package dedupetrain).
type DedupeModelService interface {
	Train(ctx context.Context, tenant int64) (*dedupetrain.TrainRequest, error)
	Model(ctx context.Context, tenant int64) (*dedupetrain.ModelView, error)
	Rollback(ctx context.Context, tenant int64, to string, version int) (*dedupetrain.ModelView, error)
}

// trainDedupeModel handles POST /api/v1/dedupe/train: 202 with the queued job.
func (a *API) trainDedupeModel(c echo.Context) error {
	out, err := a.DedupeModels.Train(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

// getDedupeModel handles GET /api/v1/dedupe/model.
func (a *API) getDedupeModel(c echo.Context) error {
	out, err := a.DedupeModels.Model(c.Request().Context(), tenantID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// rollbackDedupeModel handles POST /api/v1/dedupe/model/rollback with {"to":
// "previous"} or {"to": "defaults"} or {"version": N}.
func (a *API) rollbackDedupeModel(c echo.Context) error {
	var req struct {
		To      string `json:"to"`
		Version *int   `json:"version"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	version := -1
	if req.Version != nil {
		version = *req.Version
	}
	if req.To == "" && req.Version == nil {
		return invalid("to", `give "to": "previous" or "defaults", or "version"`)
	}
	if req.To != "" && req.Version != nil {
		return invalid("version", `give either "to" or "version", not both`)
	}
	out, err := a.DedupeModels.Rollback(c.Request().Context(), tenantID(c), req.To, version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
