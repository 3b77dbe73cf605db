package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// DuplicateScanService runs tenant-wide duplicate scans (package dupscan).
type DuplicateScanService interface {
	Start(ctx context.Context, tenant int64, action string) (*models.DuplicateScan, error)
	Get(ctx context.Context, tenant, id int64) (*models.DuplicateScan, error)
}

// startDuplicateScan handles POST /api/v1/duplicates/scan with {"action": "review"}
// (the default) or {"action": "merge"}: 202 with the scan, followed at
// /api/v1/duplicates/scans/{id}.
func (a *API) startDuplicateScan(c echo.Context) error {
	var req struct {
		Action string `json:"action"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	scan, err := a.DuplicateScans.Start(c.Request().Context(), tenantID(c), req.Action)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"scan": scan})
}

// getDuplicateScan handles GET /api/v1/duplicates/scans/{id}.
func (a *API) getDuplicateScan(c echo.Context) error {
	id, err := pathID(c, "id", "duplicate scan")
	if err != nil {
		return err
	}
	scan, err := a.DuplicateScans.Get(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"scan": scan})
}
