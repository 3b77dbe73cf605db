package fileimports

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/models"
)

// Upload is a file being uploaded: Begin stores its rows, Finish or Abort ends it.
// The type and mode may arrive after the file in a multipart form, so they are checked
// at Finish.
type Upload struct {
	s  *Service
	fi *models.FileImport
}

// zipMagic starts every .xlsx (a zip archive).
var zipMagic = []byte("PK\x03\x04")

// Begin stores the file read from r (its name as the client gave it; sheet the
// worksheet of an .xlsx to read, "" for the first) as an upload of tenant in progress:
// a workbook when it starts like a zip archive, else delimited text. It returns the
// upload, or EINVALID naming "file" for a file without a header row, a workbook that
// cannot be read or a sheet it does not have, and "sheet" for a sheet given with a
// CSV; r's error (a *http.MaxBytesError stays one, for a 413) and the store's. Nothing
// stays stored when it fails.
func (s *Service) Begin(ctx context.Context, tenant int64, filename, sheet string, r io.Reader) (*Upload, error) {
	counted := &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 64<<10)
	head, _ := br.Peek(len(zipMagic))
	fi := &models.FileImport{TenantID: tenant, UUID: uuid.NewString(), Filename: models.Clip(filepath.Base(filename), 255), Format: models.FileFormatCSV}
	if bytes.Equal(head, zipMagic) {
		fi.Format = models.FileFormatXLSX
	} else if sheet != "" {
		return nil, invalidFile("sheet", "applies to an .xlsx workbook only; the file is delimited text")
	}
	if err := s.store.BeginFileImport(ctx, fi); err != nil {
		return nil, err
	}
	u := &Upload{s: s, fi: fi}
	var err error
	if fi.Format == models.FileFormatXLSX {
		err = u.storeXLSX(ctx, br, sheet)
	} else {
		err = u.storeCSV(ctx, br)
	}
	if err == nil {
		fi.Size = counted.n
		fi.Suggested = map[string]string{}
		var custom []string
		if custom, err = s.customFieldNames(ctx, tenant); err == nil {
			fi.Suggested = importfile.SuggestMapping(fi.Headers, custom)
		}
	}
	if err != nil {
		// The request's context may be what ended; the upload goes regardless.
		_ = s.store.AbortFileImport(context.WithoutCancel(ctx), tenant, fi.ID)
		return nil, err
	}
	return u, nil
}

// Finish checks the import's type and mode (EINVALID naming them; the upload is then
// deleted) and makes the import visible.
func (u *Upload) Finish(ctx context.Context, typ, mode string) (*models.FileImport, error) {
	if err := models.ValidateFileImportOptions(typ, mode); err != nil {
		u.Abort(ctx)
		return nil, err
	}
	u.fi.Type, u.fi.Mode = typ, mode
	if typ == models.FileImportInquiries {
		// The suggestion Begin made is of contact fields: an inquiry's are others.
		u.fi.Suggested = importfile.SuggestInquiryMapping(u.fi.Headers)
	}
	if err := u.s.store.FinishFileImport(ctx, u.fi); err != nil {
		u.Abort(ctx)
		return nil, err
	}
	return u.fi, nil
}

// Abort deletes the upload.
func (u *Upload) Abort(ctx context.Context) {
	_ = u.s.store.AbortFileImport(context.WithoutCancel(ctx), u.fi.TenantID, u.fi.ID)
}

func (u *Upload) storeCSV(ctx context.Context, r io.Reader) error {
	c, err := importfile.OpenCSV(r)
	if err != nil {
		return fileProblem(err)
	}
	u.fi.Headers, u.fi.Encoding, u.fi.Delimiter = c.Header(), c.Encoding, string(c.Delim)
	return u.storeRows(ctx, c)
}

func (u *Upload) storeXLSX(ctx context.Context, r io.Reader, sheet string) error {
	f, err := os.CreateTemp(u.s.TempDir, "contacthub-upload-*.xlsx")
	if err != nil {
		return fmt.Errorf("spool upload: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	x, err := importfile.OpenXLSX(f.Name(), sheet)
	if err != nil {
		return fileProblem(err)
	}
	defer x.Close()
	u.fi.Headers, u.fi.Sheet = x.Header(), x.Sheet
	return u.storeRows(ctx, x)
}

func (u *Upload) storeRows(ctx context.Context, r importfile.Reader) error {
	w := importfile.NewChunkWriter(u.s.ChunkSize, func(c importfile.Chunk) error {
		return u.s.store.PutFileImportChunk(ctx, u.fi.TenantID, u.fi.ID, c)
	})
	_, xlsx := r.(*importfile.XLSX)
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if xlsx {
				// Everything a workbook's rows read is the file itself, spooled whole.
				return fmt.Errorf("%w: %w", errBadSheet, err)
			}
			return err
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	u.fi.TotalRows = int64(w.Rows())
	return nil
}

// fileProblem turns what the file's reader says about the file into EINVALID naming
// "file"; other errors (the upload's reader, the store) pass unchanged.
func fileProblem(err error) error {
	var me *models.Error
	switch {
	case errors.As(err, &me):
		return err
	case errors.Is(err, importfile.ErrNoSheet):
		return invalidFile("sheet", err.Error())
	case errors.Is(err, importfile.ErrEmpty), errors.Is(err, importfile.ErrNotWorkbook), errors.Is(err, errBadSheet):
		return invalidFile("file", err.Error())
	}
	return err
}

// errBadSheet marks a workbook whose rows cannot be read.
var errBadSheet = errors.New("the workbook's sheet cannot be read")

func invalidFile(field, reason string) error {
	var v models.ValidationError
	v.Add(field, reason)
	return v.Err()
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
