package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/fileimports"
	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
)

// FileImportService is the CSV and Excel import door (package fileimports).
type FileImportService interface {
	Begin(ctx context.Context, tenant int64, filename, sheet string, r io.Reader) (*fileimports.Upload, error)
	Map(ctx context.Context, tenant int64, uuid string, mapping importfile.Mapping) (*models.FileImport, error)
	Get(ctx context.Context, tenant int64, uuid string) (*models.FileImport, error)
	List(ctx context.Context, tenant int64, before string, limit int) (*models.FileImportPage, error)
	Start(ctx context.Context, tenant int64, uuid string, o fileimports.StartOptions) (*models.FileImport, error)
	ErrorReport(ctx context.Context, tenant int64, uuid string, w io.Writer) error
}

// DefaultMaxUploadBytes is the upload limit of POST /api/v1/import unless
// Limits.MaxUploadBytes says otherwise.
const DefaultMaxUploadBytes = 512 << 20

// Listing limits for imports.
const (
	defaultImportPage = 25
	maxImportPage     = 100
)

// uploadFields are the form fields of POST /api/v1/import.
var uploadFields = []string{"type", "mode", "sheet", "file"}

// createFileImport handles POST /api/v1/import: a multipart/form-data upload of
// type, mode (default store), file and, for an .xlsx, sheet. The file is stored as it
// streams in; the answer is the import record with the file's headers and a suggested
// mapping. Form fields may come in any order, but type and mode are checked before the
// file is read when they come first.
func (a *API) createFileImport(c echo.Context) error {
	req := c.Request()
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return models.Errorf(models.EUNSUPPORTED, "send the import as multipart/form-data with the fields type, mode and file")
	}
	mr := multipart.NewReader(req.Body, params["boundary"])
	values := map[string]string{}
	var upload *fileimports.Upload
	defer func() {
		if upload != nil {
			upload.Abort(req.Context()) // not finished: an error answered
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadReadError(err)
		}
		name := part.FormName()
		switch name {
		case "type", "mode", "sheet":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				return uploadReadError(err)
			}
			if _, seen := values[name]; seen {
				return invalid(name, "is given more than once; send it once")
			}
			if !isText(string(b)) {
				return invalid(name, "must be UTF-8 text without NUL bytes")
			}
			values[name] = strings.TrimSpace(string(b))
		case "file":
			if upload != nil {
				return invalid("file", "is given more than once; send one file per import")
			}
			if t, ok := values["type"]; ok {
				// Both given before the file: refuse before reading it.
				if err := models.ValidateFileImportOptions(t, modeOf(values)); err != nil {
					return err
				}
			}
			if upload, err = a.FileImports.Begin(req.Context(), tenantID(c), part.FileName(), values["sheet"], part); err != nil {
				return uploadReadError(err)
			}
		default:
			return invalid(name, "is not a field of an import; send "+strings.Join(uploadFields, ", "))
		}
		part.Close()
	}
	var v models.ValidationError
	if upload == nil {
		v.Add("file", "is required: the CSV or .xlsx file to import")
	}
	if _, ok := values["type"]; !ok {
		v.Addf("type", "is required; supported: %s", strings.Join(models.FileImportTypes, ", "))
	}
	if err := v.Err(); err != nil {
		return err
	}
	fi, err := upload.Finish(req.Context(), values["type"], modeOf(values))
	upload = nil
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, fileImportFromModel(fi))
}

func modeOf(values map[string]string) string {
	if m, ok := values["mode"]; ok {
		return m
	}
	return models.ImportModeStore
}

// uploadReadError is an error of reading the upload: 413 beyond the limit, 400 for a
// broken form; others (the store's, the file's own problems) pass.
func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return models.Errorf(models.ETOOLARGE, "the upload is larger than %d bytes", mbe.Limit)
	}
	var me *models.Error
	var he *echo.HTTPError
	if errors.As(err, &me) || errors.As(err, &he) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.HasPrefix(err.Error(), "multipart:") {
		return models.Errorf(models.EBADREQUEST, "malformed multipart/form-data: %v", err)
	}
	return err
}

// mapFileImport handles POST /api/v1/import/map/{uuid} with {"headers": {"<field>":
// "<header>"}}: which column fills which field (custom fields by name, terms, "ignore").
func (a *API) mapFileImport(c echo.Context) error {
	id, err := importUUID(c)
	if err != nil {
		return err
	}
	var body struct {
		Headers *map[string]string `json:"headers"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Headers == nil {
		return invalid("headers", "is required: an object of field to the header of the column that fills it")
	}
	fi, err := a.FileImports.Map(c.Request().Context(), tenantID(c), id, importfile.Mapping(*body.Headers))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fileImportFromModel(fi))
}

// getFileImport handles GET /api/v1/import/{uuid}.
func (a *API) getFileImport(c echo.Context) error {
	id, err := importUUID(c)
	if err != nil {
		return err
	}
	fi, err := a.FileImports.Get(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fileImportFromModel(fi))
}

// listFileImports handles GET /api/v1/import?limit=&before=: the tenant's imports,
// newest first; next_before names the next page.
func (a *API) listFileImports(c echo.Context) error {
	limit := defaultImportPage
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxImportPage {
			return invalid("limit", "must be between 1 and "+strconv.Itoa(maxImportPage))
		}
		limit = n
	}
	before := c.QueryParam("before")
	if before != "" {
		if _, err := uuid.Parse(before); err != nil {
			return invalid("before", "must be an import's uuid (next_before of the previous page)")
		}
	}
	page, err := a.FileImports.List(c.Request().Context(), tenantID(c), before, limit)
	if err != nil {
		if models.ErrorCode(err) == models.ENOTFOUND {
			return invalid("before", "must be an import's uuid (next_before of the previous page)")
		}
		return err
	}
	out := make([]fileImportResponse, len(page.Imports))
	for i, fi := range page.Imports {
		out[i] = fileImportFromModel(fi)
	}
	resp := map[string]any{"imports": out}
	if page.NextBefore != "" {
		resp["next_before"] = page.NextBefore
	}
	return c.JSON(http.StatusOK, resp)
}

// startFileImport handles POST /api/v1/import/start/{uuid}, with no body or
// {"deduplication": "email"|"auto"|"external_id"|"none"} (store and validate): the
// import is handed to the import engine and answered 202 with its record.
func (a *API) startFileImport(c echo.Context) error {
	id, err := importUUID(c)
	if err != nil {
		return err
	}
	var body struct {
		Deduplication string `json:"deduplication"`
	}
	if hasBody(c.Request()) {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	fi, err := a.FileImports.Start(c.Request().Context(), tenantID(c), id, fileimports.StartOptions{Deduplication: body.Deduplication})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, fileImportFromModel(fi))
}

// fileImportErrorReport handles GET /api/v1/import/{uuid}/error-report: the failed
// rows as uploaded, with row and error columns, as CSV. It is streamed: the answer's
// status is sent before the report is complete, so a failure part-way aborts the
// connection (and is logged): a client never takes a cut report for the whole.
func (a *API) fileImportErrorReport(c echo.Context) error {
	id, err := importUUID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	fi, err := a.FileImports.Get(ctx, tenantID(c), id)
	if err != nil {
		return err
	}
	if fi.Run == nil {
		return models.Errorf(models.ECONFLICT, "import %s was not started: it has no error report yet", id)
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, `attachment; filename="import-`+id+`-errors.csv"`)
	resp.WriteHeader(http.StatusOK)
	if err := a.FileImports.ErrorReport(ctx, tenantID(c), id, resp); err != nil {
		a.abortExport(c, err) // the client sees a cut connection, not a short report
	}
	return nil
}

// importUUID is the {uuid} path parameter, or ENOTFOUND when it cannot be one.
func importUUID(c echo.Context) (string, error) {
	s, err := pathParam(c, "uuid", "import")
	if err != nil {
		return "", err
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", models.Errorf(models.ENOTFOUND, "import %s not found", models.Quote(s))
	}
	return u.String(), nil
}

// fileImportResponse is the import record as seed 003 shows it. mapping is header →
// field, as the seed has it: the suggestion until the import is mapped, then the
// mapping chosen. A job is a row: total_jobs counts the file's rows, failed_jobs the
// rows that failed.
type fileImportResponse struct {
	UUID          string            `json:"uuid"`
	Type          string            `json:"type"`
	Mode          string            `json:"mode"`
	Status        string            `json:"status"`
	Filename      string            `json:"filename"`
	Format        string            `json:"format"`
	Encoding      string            `json:"encoding,omitempty"`
	Delimiter     string            `json:"delimiter,omitempty"`
	Sheet         string            `json:"sheet,omitempty"`
	Size          int64             `json:"size"`
	Headers       []string          `json:"headers"`
	Mapping       map[string]string `json:"mapping"`
	Mapped        bool              `json:"mapped"`
	Progress      int               `json:"progress"`
	TotalJobs     int64             `json:"total_jobs"`
	JobsRemaining int64             `json:"jobs_remaining"`
	FailedJobs    int64             `json:"failed_jobs"`
	// Created and Updated count what a store or update import wrote; a validate
	// import reports what it would have written instead.
	Created       *int         `json:"created,omitempty"`
	Updated       *int         `json:"updated,omitempty"`
	WouldCreate   *int         `json:"would_create,omitempty"`
	WouldUpdate   *int         `json:"would_update,omitempty"`
	WouldMerge    *int         `json:"would_merge,omitempty"`
	Deduplication string       `json:"deduplication,omitempty"`
	Reason        string       `json:"reason,omitempty"`
	Errors        []failedRow  `json:"errors"`
	ErrorReport   *errorReport `json:"error_report"`
	CreatedAt     string       `json:"created_at"`
	UpdatedAt     string       `json:"updated_at"`
	CompletedAt   string       `json:"completed_at,omitempty"`
}

// failedRow is one of the first failed rows: its number and its problems by header.
type failedRow struct {
	Row    int                 `json:"row"`
	Errors map[string][]string `json:"errors"`
}

// errorReport is where the failed rows can be downloaded.
type errorReport struct {
	DownloadURL string `json:"download_url"`
	Rows        int    `json:"rows"`
}

func fileImportFromModel(fi *models.FileImport) fileImportResponse {
	r := fileImportResponse{
		UUID: fi.UUID, Type: fi.Type, Mode: fi.Mode, Status: fi.Status, Filename: fi.Filename, Format: fi.Format,
		Encoding: fi.Encoding, Delimiter: fi.Delimiter, Sheet: fi.Sheet, Size: fi.Size, Headers: fi.Headers,
		Mapping: fi.Suggested, Mapped: fi.Mapping != nil, TotalJobs: fi.TotalRows, JobsRemaining: fi.TotalRows,
		Errors: []failedRow{}, CreatedAt: fi.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: fi.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if run := fi.Run; run != nil {
		r.Status, r.Reason = run.Status, run.Reason
		r.TotalJobs, r.JobsRemaining, r.FailedJobs = int64(run.Total), int64(run.Total-run.Processed), int64(run.Errors)
		r.Progress = 100
		if run.Total > 0 && run.Status == models.ImportProcessing {
			r.Progress = run.Processed * 100 / run.Total
		}
		r.Deduplication = run.Options.Deduplication
		if run.Options.DryRun {
			r.WouldCreate, r.WouldUpdate, r.WouldMerge = &run.Created, &run.Updated, &run.Merged
		} else {
			r.Created, r.Updated = &run.Created, &run.Updated
		}
		for _, f := range fi.Failed {
			r.Errors = append(r.Errors, failedRow{Row: f.Row, Errors: f.Errors})
		}
		r.ErrorReport = &errorReport{DownloadURL: "/api/v1/import/" + fi.UUID + "/error-report", Rows: run.Errors}
		r.UpdatedAt = run.UpdatedAt.UTC().Format(time.RFC3339)
		if run.CompletedAt != nil {
			r.CompletedAt = run.CompletedAt.UTC().Format(time.RFC3339)
		}
	}
	if fi.Mapping != nil {
		r.Mapping = make(map[string]string, len(fi.Mapping))
		for field, h := range fi.Mapping {
			r.Mapping[h] = field
		}
	}
	if r.Headers == nil {
		r.Headers = []string{}
	}
	return r
}
