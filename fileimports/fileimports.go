// Package fileimports is the CSV and Excel door of the imports (seed 003): a file is
// uploaded, its columns are mapped to contact fields, and it is started, then followed.
//
// The upload is streamed into the database in its stored form (importfile/stored.go):
// the rows as the file's own format, encoding and delimiter gave them, as UTF-8 CSV in
// chunks of whole rows, so that any replica can read the file and the import can start
// reading at any row. An upload is never held whole in memory: a CSV passes through a
// row at a time; an .xlsx, which needs random access, is spooled to a temporary file
// first and read from there.
//
// The rows themselves are written by the import engine through the contact service;
// this package only reads files, keeps their mapping and checks it.
package fileimports

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
)

// Store is what the door needs of the store.
type Store interface {
	// BeginFileImport inserts an upload in progress and sets its ID.
	BeginFileImport(ctx context.Context, fi *models.FileImport) error
	PutFileImportChunk(ctx context.Context, tenantID, id int64, c importfile.Chunk) error
	// FinishFileImport makes an upload visible; ENOTFOUND when it is gone.
	FinishFileImport(ctx context.Context, fi *models.FileImport) error
	AbortFileImport(ctx context.Context, tenantID, id int64) error
	// GetFileImport returns ENOTFOUND for another tenant's or an unknown uuid.
	GetFileImport(ctx context.Context, tenantID int64, uuid string) (*models.FileImport, error)
	ListFileImports(ctx context.Context, tenantID int64, before string, limit int) (*models.FileImportPage, error)
	// MapFileImport returns ECONFLICT once the import was started.
	MapFileImport(ctx context.Context, tenantID int64, uuid string, mapping map[string]string) (*models.FileImport, error)
	FileImportChunks(ctx context.Context, tenantID, id int64, from int) (importfile.ChunkSource, error)
	ListCustomFields(ctx context.Context, tenantID int64) ([]*models.CustomField, error)
}

// Service is the file import door. It is safe for concurrent use.
type Service struct {
	store Store
	run   RunStore
	// Engine runs started imports; set before Start is called.
	Engine Engine
	// names keeps each running import's field → header names (fileDoor.FieldName).
	names sync.Map
	kept  atomic.Int64
	// TempDir is where an .xlsx upload is spooled ("" is the system's).
	TempDir string
	// ChunkSize is the stored form's chunk size (0: importfile.DefaultChunkSize).
	ChunkSize int
}

// FullStore is every store method the service uses.
type FullStore interface {
	Store
	RunStore
}

// New returns the door over st. Set Engine before starting imports.
func New(st FullStore) *Service { return &Service{store: st, run: st} }

// Get returns the tenant's import uuid; ENOTFOUND for another tenant's or an unknown one.
// A started import comes with its run and its first failed rows.
func (s *Service) Get(ctx context.Context, tenant int64, uuid string) (*models.FileImport, error) {
	fi, err := s.store.GetFileImport(ctx, tenant, uuid)
	if err != nil {
		return nil, err
	}
	return fi, s.failedRows(ctx, fi, models.FileImportErrorRows)
}

// List returns a page of the tenant's imports, newest first.
func (s *Service) List(ctx context.Context, tenant int64, before string, limit int) (*models.FileImportPage, error) {
	page, err := s.store.ListFileImports(ctx, tenant, before, limit)
	if err != nil {
		return nil, err
	}
	for _, fi := range page.Imports {
		if err := s.failedRows(ctx, fi, models.FileImportErrorRows); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// noteTargets are what a notes import maps: the comment and what finds its contact.
var noteTargets = []string{"comment", "mail", "external_id", "id", importfile.Ignore}

// contactKeys are the fields an update finds its contact by.
var contactKeys = []string{"id", "external_id", "mail"}

// Map checks mapping (field → header) against the import's file, type and mode and the
// tenant's custom fields, and stores it. It returns ENOTFOUND as Get; EINVALID naming
// headers.<field> for a header the file does not have (listing its headers), a field
// that is not one, a header mapped twice, a field a notes import cannot take, and
// "headers" for a mapping that maps nothing or lacks what its type and mode need; and
// ECONFLICT once the import was started.
func (s *Service) Map(ctx context.Context, tenant int64, uuid string, mapping importfile.Mapping) (*models.FileImport, error) {
	fi, err := s.store.GetFileImport(ctx, tenant, uuid)
	if err != nil {
		return nil, err
	}
	if _, err := s.Plan(ctx, fi, mapping); err != nil {
		return nil, err
	}
	return s.store.MapFileImport(ctx, tenant, uuid, mapping)
}

// Plan checks mapping as Map does and returns the plan that turns the import's rows
// into fields.
func (s *Service) Plan(ctx context.Context, fi *models.FileImport, mapping importfile.Mapping) (*importfile.Plan, error) {
	if fi.Type == models.FileImportInquiries {
		return inquiryPlan(fi, mapping)
	}
	custom, err := s.customFieldNames(ctx, fi.TenantID)
	if err != nil {
		return nil, err
	}
	var v models.ValidationError
	if fi.Type == models.FileImportNotes {
		for _, f := range slices.Sorted(maps.Keys(mapping)) {
			if !slices.Contains(noteTargets, f) {
				v.Addf("headers."+f, "a notes import maps only %s", strings.Join(noteTargets, ", "))
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	plan, err := importfile.NewPlan(mapping, fi.Headers, custom)
	if err != nil {
		return nil, err
	}
	has := func(f string) bool { _, ok := mapping[f]; return ok }
	switch {
	case fi.Type == models.FileImportNotes && !has("comment"):
		v.Add("headers", "a notes import needs the comment column mapped (headers.comment)")
	case fi.Type == models.FileImportNotes && !slices.ContainsFunc(contactKeys, has):
		v.Add("headers", "a notes import needs a column that finds the contact: mail, external_id or id")
	case fi.Mode == models.ImportModeUpdate && !slices.ContainsFunc(contactKeys, has):
		v.Add("headers", "an update needs a column that finds the contact: id, external_id or mail")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

// inquiryPlan checks the mapping of an inquiries import: inquiry fields only
// (importfile.NewInquiryPlan); the title mapped when inquiries are created (store,
// validate), the inquiry's id when they are updated.
func inquiryPlan(fi *models.FileImport, mapping importfile.Mapping) (*importfile.Plan, error) {
	plan, err := importfile.NewInquiryPlan(mapping, fi.Headers)
	if err != nil {
		return nil, err
	}
	var v models.ValidationError
	_, title := mapping["title"]
	_, id := mapping["id"]
	switch {
	case fi.Mode == models.ImportModeUpdate && !id:
		v.Add("headers", "an update of inquiries needs the column of the inquiry's id mapped (headers.id)")
	case fi.Mode != models.ImportModeUpdate && !title:
		v.Add("headers", "an inquiries import needs the title column mapped (headers.title): the title is an inquiry's one required field")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

func (s *Service) customFieldNames(ctx context.Context, tenant int64) ([]string, error) {
	defs, err := s.store.ListCustomFields(ctx, tenant)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	return names, nil
}

// Rows reads the import's stored rows from row from (counted from 1) on. The reader
// holds one chunk at a time.
func (s *Service) Rows(ctx context.Context, fi *models.FileImport, from int) (importfile.Reader, error) {
	src, err := s.store.FileImportChunks(ctx, fi.TenantID, fi.ID, from)
	if err != nil {
		return nil, err
	}
	return importfile.NewStored(fi.Headers, src, from), nil
}
