package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// ImportService starts and cancels imports (package imports).
type ImportService interface {
	// Start stores the import with its payload and enqueues its processing.
	Start(ctx context.Context, imp *models.Import, payload []byte) error
	// Cancel returns ENOTFOUND, or ECONFLICT for an import that ended.
	Cancel(ctx context.Context, tenant, id int64) (*models.Import, error)
}

// ImportStore reads imports.
type ImportStore interface {
	GetImport(ctx context.Context, tenantID, id int64) (*models.Import, error)
	ListImports(ctx context.Context, tenantID int64, f models.ImportFilter) ([]*models.Import, error)
	ImportErrors(ctx context.Context, tenantID, id int64, offset, limit int) ([]models.ImportRowError, int, error)
}

// importPath is the route of POST /api/v1/imports, which has its own body limit.
const importPath = "/api/v1/imports"

// importJSONKind is the kind the JSON door stores its imports under (imports.JSONKind).
const importJSONKind = "json"

// importRequest is seed 000's body. Data stays raw: it is stored as received and
// read record by record by the import's job.
type importRequest struct {
	Entity  *string          `json:"entity"`
	Data    json.RawMessage  `json:"data"`
	Options *importOptionsIn `json:"options"`
}

type importOptionsIn struct {
	Deduplication  string `json:"deduplication"`
	UpdateExisting *bool  `json:"update_existing"`
	UpdateKey      string `json:"update_key"`
}

// importEntities are the entities an import takes, by the names clients send.
var importEntities = map[string]string{"persons": "persons", "contacts": "persons"}

// createImport handles POST /api/v1/imports: the records are checked for shape and
// count, stored with the import and its job in one transaction, and answered 202;
// each record is checked when it is processed (GET …/errors).
func (a *API) createImport(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var req importRequest
	if err := decodeImport(body, &req); err != nil {
		return err
	}
	var v models.ValidationError
	entity := ""
	switch {
	case req.Entity == nil:
		v.Add("entity", "is required: persons (or contacts)")
	case importEntities[*req.Entity] == "":
		v.Addf("entity", "%s is not supported; the supported entities are persons (alias contacts)", models.Quote(*req.Entity))
	default:
		entity = importEntities[*req.Entity]
	}
	records := 0
	data := bytes.TrimSpace(req.Data)
	switch {
	case len(data) == 0 || string(data) == "null":
		v.Add("data", "is required: an array of 1 to 10000 records")
	case data[0] != '[':
		v.Add("data", "must be an array of records")
	default:
		records = arrayLen(data) // decodeBytes checked it is JSON
		if records == 0 {
			v.Add("data", "is empty: send 1 to 10000 records")
		}
	}
	opts := models.ImportOptions{}
	if o := req.Options; o != nil {
		opts.Deduplication, opts.UpdateKey = o.Deduplication, o.UpdateKey
		if o.UpdateExisting != nil {
			opts.UpdateExisting = *o.UpdateExisting
		}
	}
	if err := models.JoinProblems(v.Err(), opts.Validate()); err != nil {
		return err
	}
	imp := &models.Import{TenantID: tenantID(c), Kind: importJSONKind, Entity: entity, Options: opts, Total: records}
	if err := a.Imports.Start(c.Request().Context(), imp, data); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"import_id": imp.ID, "status": imp.Status})
}

// decodeImport decodes an import body as decodeBytes does every body, but with the
// import's own limit on the number of records: 413 naming it.
func decodeImport(body []byte, req *importRequest) error {
	err := decodeBytes(body, req)
	if models.ErrorCode(err) == models.ETOOLARGE && strings.Contains(err.Error(), `"data" has more than`) {
		return models.Errorf(models.ETOOLARGE, "data has more than %d records; an import takes at most %d: split it into several imports",
			models.MaxImportRecords, models.MaxImportRecords)
	}
	return err
}

// importStatus handles GET /api/v1/imports/{id}/status: seed 000's status (processing:
// processed and total; completed: success_count and error_count; failed or cancelled:
// the reason as well), with created, updated and skipped.
func (a *API) importStatus(c echo.Context) error {
	imp, err := a.importOf(c)
	if err != nil {
		return err
	}
	out := map[string]any{"import_id": imp.ID, "status": imp.Status, "created": imp.Created, "updated": imp.Updated, "skipped": imp.Skipped}
	switch imp.Status {
	case models.ImportProcessing:
		out["processed"], out["total"] = imp.Processed, imp.Total
	case models.ImportCompleted:
		out["success_count"], out["error_count"] = imp.SuccessCount(), imp.Errors
	default:
		out["success_count"], out["error_count"] = imp.SuccessCount(), imp.Errors
		out["processed"], out["total"], out["reason"] = imp.Processed, imp.Total, imp.Reason
	}
	return c.JSON(http.StatusOK, out)
}

// getImport handles GET /api/v1/imports/{id}: everything about an import.
func (a *API) getImport(c echo.Context) error {
	imp, err := a.importOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, importView(imp))
}

// listImports handles GET /api/v1/imports?limit=&before=: the tenant's imports,
// newest first.
func (a *API) listImports(c echo.Context) error {
	var v models.ValidationError
	limit := queryInt(c, &v, "limit", 50, 1)
	before := queryInt(c, &v, "before", 0, 1)
	if limit > 1000 {
		v.Add("limit", "must be at most 1000")
	}
	if err := v.Err(); err != nil {
		return err
	}
	list, err := a.ImportStore.ListImports(c.Request().Context(), tenantID(c), models.ImportFilter{Before: int64(before), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(list))
	for i, imp := range list {
		out[i] = importView(imp)
	}
	resp := map[string]any{"imports": out}
	if len(list) == limit {
		resp["next_before"] = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// importErrors handles GET /api/v1/imports/{id}/errors?offset=&limit=: seed 000's
// error list (row, field, error) in row order, a page at a time, with the total.
func (a *API) importErrors(c echo.Context) error {
	id, err := pathID(c, "id", "import")
	if err != nil {
		return err
	}
	var v models.ValidationError
	offset := queryInt(c, &v, "offset", 0, 0)
	limit := queryInt(c, &v, "limit", 100, 1)
	if limit > models.MaxImportErrorPage {
		v.Addf("limit", "must be at most %d", models.MaxImportErrorPage)
	}
	if err := v.Err(); err != nil {
		return err
	}
	rows, total, err := a.ImportStore.ImportErrors(c.Request().Context(), tenantID(c), id, offset, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"import_id": id, "errors": rows, "total": total, "offset": offset, "limit": limit})
}

// cancelImport handles POST /api/v1/imports/{id}/cancel.
func (a *API) cancelImport(c echo.Context) error {
	id, err := pathID(c, "id", "import")
	if err != nil {
		return err
	}
	imp, err := a.Imports.Cancel(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, importView(imp))
}

func (a *API) importOf(c echo.Context) (*models.Import, error) {
	id, err := pathID(c, "id", "import")
	if err != nil {
		return nil, err
	}
	return a.ImportStore.GetImport(c.Request().Context(), tenantID(c), id)
}

// importView is an import as the native API shows it.
func importView(imp *models.Import) map[string]any {
	out := map[string]any{
		"import_id": imp.ID, "kind": imp.Kind, "entity": imp.Entity, "status": imp.Status, "options": imp.Options,
		"total": imp.Total, "processed": imp.Processed, "created": imp.Created, "updated": imp.Updated, "skipped": imp.Skipped,
		"success_count": imp.SuccessCount(), "error_count": imp.Errors,
		"created_at": imp.CreatedAt.Format(time.RFC3339), "updated_at": imp.UpdatedAt.Format(time.RFC3339), "completed_at": nil,
	}
	if imp.CompletedAt != nil {
		out["completed_at"] = imp.CompletedAt.Format(time.RFC3339)
	}
	if imp.Reason != "" {
		out["reason"] = imp.Reason
	}
	return out
}

// arrayLen counts the elements of a JSON array known to be well-formed (as
// decodeBytes leaves a json.RawMessage): the commas outside strings and nested values,
// plus one. A 10,000-record body was decoded a second time only to be counted.
func arrayLen(array []byte) int {
	n, depth, empty := 0, 0, true
	for i := 0; i < len(array); i++ {
		switch b := array[i]; b {
		case '"':
			for i++; i < len(array) && array[i] != '"'; i++ {
				if array[i] == '\\' {
					i++
				}
			}
			empty = empty && depth != 1
		case '[', '{':
			if depth == 1 {
				empty = false
			}
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 1 {
				n++
			}
		case ' ', '\t', '\r', '\n':
		default:
			if depth == 1 {
				empty = false
			}
		}
	}
	if empty {
		return 0
	}
	return n + 1
}
