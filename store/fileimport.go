package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
)

// File imports (migration 00030): an upload is stored while it arrives, a chunk at a
// time, each chunk its own statement, so that no transaction is held open for the
// length of an upload (SQLite has one writer). Until FinishFileImport the row is
// "uploading" and invisible; a failed upload is deleted (AbortFileImport), and one whose
// process died is deleted by a later upload of the tenant (staleUpload).

// staleUpload is how old an upload still "uploading" must be before another upload of
// the tenant deletes it as abandoned. Uploads are limited in size and time out long
// before.
const staleUpload = 6 * time.Hour

// fileImportRow is a row of file_imports.
type fileImportRow struct {
	ID        int64
	TenantID  int64
	UUID      string `gorm:"column:uuid"`
	Type      string
	Mode      string
	Status    string
	Filename  string
	Format    string
	Encoding  string
	Delimiter string
	Sheet     string
	Size      int64
	Headers   string
	Suggested string
	Mapping   *string
	TotalRows int64
	ImportID  *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (fileImportRow) TableName() string { return "file_imports" }

func (r *fileImportRow) model() (*models.FileImport, error) {
	fi := &models.FileImport{
		ID: r.ID, TenantID: r.TenantID, UUID: r.UUID, Type: r.Type, Mode: r.Mode, Status: r.Status,
		Filename: r.Filename, Format: r.Format, Encoding: r.Encoding, Delimiter: r.Delimiter, Sheet: r.Sheet,
		Size: r.Size, TotalRows: r.TotalRows, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ImportID != nil {
		fi.ImportID = *r.ImportID
	}
	if err := json.Unmarshal([]byte(r.Headers), &fi.Headers); err != nil {
		return nil, fmt.Errorf("headers of import %s: %w", r.UUID, err)
	}
	if err := json.Unmarshal([]byte(r.Suggested), &fi.Suggested); err != nil {
		return nil, fmt.Errorf("suggested mapping of import %s: %w", r.UUID, err)
	}
	if r.Mapping != nil {
		if err := json.Unmarshal([]byte(*r.Mapping), &fi.Mapping); err != nil {
			return nil, fmt.Errorf("mapping of import %s: %w", r.UUID, err)
		}
	}
	return fi, nil
}

// BeginFileImport inserts fi (TenantID, UUID, Type, Mode, Format, Filename) as an
// upload in progress and sets its ID; the chunks follow with PutFileImportChunk. It
// first deletes the tenant's abandoned uploads.
func (s *Store) BeginFileImport(ctx context.Context, fi *models.FileImport) error {
	db := s.db.WithContext(ctx)
	now := s.now()
	if err := db.Where("tenant_id = ? AND status = ? AND created_at < ?", fi.TenantID, models.FileImportUploading, now.Add(-staleUpload)).
		Delete(&fileImportRow{}).Error; err != nil {
		return translate("delete abandoned uploads", err)
	}
	row := fileImportRow{TenantID: fi.TenantID, UUID: fi.UUID, Type: fi.Type, Mode: fi.Mode, Status: models.FileImportUploading,
		Filename: fi.Filename, Format: fi.Format, Headers: "[]", Suggested: "{}", CreatedAt: now, UpdatedAt: now}
	if err := db.Create(&row).Error; err != nil {
		return translate("begin file import", err)
	}
	fi.ID, fi.Status, fi.CreatedAt, fi.UpdatedAt = row.ID, row.Status, now, now
	return nil
}

// PutFileImportChunk stores one chunk of file import id.
func (s *Store) PutFileImportChunk(ctx context.Context, tenantID, id int64, c importfile.Chunk) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO file_import_chunks (tenant_id, file_import_id, seq, first_row, rows, data) VALUES (?, ?, ?, ?, ?, ?)`,
		tenantID, id, c.Seq, c.FirstRow, c.Rows, c.Data).Error
	return translate("store import file chunk", err)
}

// FinishFileImport records the import's type and mode and what the upload found
// (format details, headers, the suggested mapping, size, rows), and makes the import
// visible as uploaded. ENOTFOUND when the upload is gone.
func (s *Store) FinishFileImport(ctx context.Context, fi *models.FileImport) error {
	headers, err := json.Marshal(fi.Headers)
	if err != nil {
		return fmt.Errorf("store: finish file import: %w", err)
	}
	suggested, err := json.Marshal(fi.Suggested)
	if err != nil {
		return fmt.Errorf("store: finish file import: %w", err)
	}
	now := s.now()
	res := s.db.WithContext(ctx).Model(&fileImportRow{}).Where("tenant_id = ? AND id = ? AND status = ?", fi.TenantID, fi.ID, models.FileImportUploading).
		Updates(map[string]any{"status": models.FileImportUploaded, "type": fi.Type, "mode": fi.Mode, "encoding": fi.Encoding, "delimiter": fi.Delimiter, "sheet": fi.Sheet,
			"size": fi.Size, "headers": string(headers), "suggested": string(suggested), "total_rows": fi.TotalRows, "updated_at": now})
	if res.Error != nil {
		return translate("finish file import", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENOTFOUND, "import %s not found", fi.UUID)
	}
	fi.Status, fi.UpdatedAt = models.FileImportUploaded, now
	return nil
}

// AbortFileImport deletes an upload and its chunks. Deleting one that is gone is no
// error.
func (s *Store) AbortFileImport(ctx context.Context, tenantID, id int64) error {
	// Chunks first: SQLite enforces the foreign key's cascade only with the pragma on,
	// and an explicit delete does not depend on it.
	db := s.db.WithContext(ctx)
	if err := db.Exec("DELETE FROM file_import_chunks WHERE tenant_id = ? AND file_import_id = ?", tenantID, id).Error; err != nil {
		return translate("delete import file", err)
	}
	return translate("delete file import", db.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&fileImportRow{}).Error)
}

// GetFileImport returns the tenant's file import uuid; ENOTFOUND for another
// tenant's, an unknown one, or one still uploading.
func (s *Store) GetFileImport(ctx context.Context, tenantID int64, uuid string) (*models.FileImport, error) {
	var row fileImportRow
	res := s.db.WithContext(ctx).Where("tenant_id = ? AND uuid = ? AND status <> ?", tenantID, uuid, models.FileImportUploading).Limit(1).Find(&row)
	if res.Error != nil {
		return nil, translate("get file import", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "import %s not found", models.Quote(uuid))
	}
	fi, err := row.model()
	if err != nil {
		return nil, fmt.Errorf("store: get file import: %w", err)
	}
	if err := s.attachRuns(ctx, tenantID, []*models.FileImport{fi}); err != nil {
		return nil, err
	}
	return fi, nil
}

// attachRuns sets Run of the started imports of fis.
func (s *Store) attachRuns(ctx context.Context, tenantID int64, fis []*models.FileImport) error {
	var ids []int64
	for _, fi := range fis {
		if fi.ImportID != 0 {
			ids = append(ids, fi.ImportID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []importRow
	if err := s.db.WithContext(ctx).Where("tenant_id = ? AND id IN ?", tenantID, ids).Find(&rows).Error; err != nil {
		return translate("read file import runs", err)
	}
	runs := make(map[int64]*models.Import, len(rows))
	for i := range rows {
		imp, err := rows[i].model()
		if err != nil {
			return err
		}
		runs[imp.ID] = imp
	}
	for _, fi := range fis {
		fi.Run = runs[fi.ImportID]
	}
	return nil
}

// StartFileImport marks file import id, mapped, as started by run importID, in tx:
// the transaction that stores the run and enqueues its job. It returns ECONFLICT when
// the import is not mapped (any more): started already, or not mapped yet.
func (s *Store) StartFileImport(ctx context.Context, tx *sql.Tx, tenantID, id, importID int64) error {
	res := s.onTx(ctx, tx).Exec("UPDATE file_imports SET status = ?, import_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = ?",
		models.FileImportStarted, importID, s.now(), tenantID, id, models.FileImportMapped)
	if res.Error != nil {
		return translate("start file import", res.Error)
	}
	if res.RowsAffected != 1 {
		return models.Errorf(models.ECONFLICT, "the import was started already")
	}
	return nil
}

// FileImportOfRun returns the file import that run importID reads; ENOTFOUND when
// there is none.
func (s *Store) FileImportOfRun(ctx context.Context, tenantID, importID int64) (*models.FileImport, error) {
	var row fileImportRow
	res := s.db.WithContext(ctx).Where("tenant_id = ? AND import_id = ?", tenantID, importID).Limit(1).Find(&row)
	if res.Error != nil {
		return nil, translate("get file import of run", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "no file import is run by import %d", importID)
	}
	return row.model()
}

// ListFileImports returns up to limit of the tenant's file imports, newest first,
// those before the import named by before when it is not "". ENOTFOUND for a before
// that is not one of the tenant's imports.
func (s *Store) ListFileImports(ctx context.Context, tenantID int64, before string, limit int) (*models.FileImportPage, error) {
	q := s.db.WithContext(ctx).Where("tenant_id = ? AND status <> ?", tenantID, models.FileImportUploading)
	if before != "" {
		var id int64
		res := s.db.WithContext(ctx).Model(&fileImportRow{}).Select("id").Where("tenant_id = ? AND uuid = ?", tenantID, before).Limit(1).Find(&id)
		if res.Error != nil {
			return nil, translate("list file imports", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, models.Errorf(models.ENOTFOUND, "import %s not found", models.Quote(before))
		}
		q = q.Where("id < ?", id)
	}
	var rows []fileImportRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, translate("list file imports", err)
	}
	page := &models.FileImportPage{}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextBefore = rows[limit-1].UUID
	}
	for i := range rows {
		fi, err := rows[i].model()
		if err != nil {
			return nil, fmt.Errorf("store: list file imports: %w", err)
		}
		page.Imports = append(page.Imports, fi)
	}
	if err := s.attachRuns(ctx, tenantID, page.Imports); err != nil {
		return nil, err
	}
	return page, nil
}

// MapFileImport sets the mapping of file import uuid (field → header) and marks it
// mapped. It returns ENOTFOUND as GetFileImport, and ECONFLICT when the import is no
// longer uploaded or mapped (it was started).
func (s *Store) MapFileImport(ctx context.Context, tenantID int64, uuid string, mapping map[string]string) (*models.FileImport, error) {
	b, err := json.Marshal(mapping)
	if err != nil {
		return nil, fmt.Errorf("store: map file import: %w", err)
	}
	res := s.db.WithContext(ctx).Model(&fileImportRow{}).
		Where("tenant_id = ? AND uuid = ? AND status IN ?", tenantID, uuid, []string{models.FileImportUploaded, models.FileImportMapped}).
		Updates(map[string]any{"mapping": string(b), "status": models.FileImportMapped, "updated_at": s.now()})
	if res.Error != nil {
		return nil, translate("map file import", res.Error)
	}
	fi, err := s.GetFileImport(ctx, tenantID, uuid)
	if err != nil {
		return nil, err
	}
	if res.RowsAffected == 0 {
		return nil, models.Errorf(models.ECONFLICT, "import %s is %s: its mapping can no longer change", uuid, fi.Status)
	}
	return fi, nil
}

// FileImportChunks returns the chunks of file import id from the one that holds row
// from (rows count from 1), one query per chunk, so that a file of any size is read
// with one chunk in memory.
func (s *Store) FileImportChunks(ctx context.Context, tenantID, id int64, from int) (importfile.ChunkSource, error) {
	var seq int
	res := s.db.WithContext(ctx).Raw(`SELECT seq FROM file_import_chunks WHERE tenant_id = ? AND file_import_id = ? AND first_row <= ?
		ORDER BY first_row DESC LIMIT 1`, tenantID, id, max(from, 1)).Scan(&seq)
	if res.Error != nil {
		return nil, translate("find import file chunk", res.Error)
	}
	return &chunkReader{s: s, ctx: ctx, tenantID: tenantID, id: id, next: seq}, nil
}

type chunkReader struct {
	s            *Store
	ctx          context.Context
	tenantID, id int64
	next         int
}

func (r *chunkReader) NextChunk() (importfile.Chunk, error) {
	c := importfile.Chunk{Seq: r.next}
	row := r.s.db.WithContext(r.ctx).Raw(`SELECT first_row, rows, data FROM file_import_chunks WHERE tenant_id = ? AND file_import_id = ? AND seq = ?`,
		r.tenantID, r.id, r.next).Row()
	if err := row.Scan(&c.FirstRow, &c.Rows, &c.Data); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, io.EOF
		}
		return c, translate("read import file chunk", err)
	}
	r.next++
	return c, nil
}
