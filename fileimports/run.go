package fileimports

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/contacthub/contacthub/importfile"
	"github.com/contacthub/contacthub/imports"
	"github.com/contacthub/contacthub/models"
)

// Running a file import: Start hands it to the one import engine (package imports) as
// an import of kind FileKind with no payload; the engine's job reads the rows through
// Door from the stored chunks, from its checkpoint on, a chunk at a time.

// FileKind is the kind of the engine's imports that read an uploaded file.
const FileKind = "file"

// Engine starts imports (imports.Engine).
type Engine interface {
	StartWith(ctx context.Context, imp *models.Import, payload []byte, also func(ctx context.Context, tx *sql.Tx, imp *models.Import) error) error
}

// RunStore is what running and reporting need of the store, beside Store.
type RunStore interface {
	StartFileImport(ctx context.Context, tx *sql.Tx, tenantID, id, importID int64) error
	FileImportOfRun(ctx context.Context, tenantID, importID int64) (*models.FileImport, error)
	ImportErrorsFrom(ctx context.Context, tenantID, id int64, fromRow, limit int) ([]models.ImportRowError, error)
}

// StartOptions are the options of POST /api/v1/import/start/{uuid}.
type StartOptions struct {
	// Deduplication is the duplicate check of a store or validate import: email
	// (default), auto, external_id or none.
	Deduplication string
}

// Start starts the tenant's mapped import uuid: the engine's import is stored with
// its job, and the upload marked started, in one transaction. It returns ENOTFOUND as
// Get; EINVALID naming "headers" for an import that is not mapped yet (and what its
// mapping no longer fits: a custom field deleted since), "headers.id" for ids in a
// store or validate import, "deduplication" for a bad one or one given with an update
// or notes import; ECONFLICT once started.
func (s *Service) Start(ctx context.Context, tenant int64, uuid string, o StartOptions) (*models.FileImport, error) {
	fi, err := s.store.GetFileImport(ctx, tenant, uuid)
	if err != nil {
		return nil, err
	}
	var v models.ValidationError
	switch fi.Status {
	case models.FileImportUploaded:
		v.Addf("headers", "import %s is not mapped yet: map its columns first (POST /api/v1/import/map/%s)", uuid, uuid)
		return nil, v.Err()
	case models.FileImportMapped:
	default:
		return nil, models.Errorf(models.ECONFLICT, "import %s was started already (it is %s)", uuid, statusOf(fi))
	}
	if _, err := s.Plan(ctx, fi, fi.Mapping); err != nil {
		return nil, err
	}
	imp := &models.Import{TenantID: tenant, Kind: FileKind, Entity: fi.Type, Total: int(fi.TotalRows)}
	if fi.Type == models.FileImportInquiries {
		return s.startInquiries(ctx, fi, imp, o)
	}
	writes := fi.Type != models.FileImportNotes && fi.Mode != models.ImportModeUpdate
	switch {
	case writes && o.Deduplication != "" && !slices.Contains([]string{models.DedupeEmail, models.DedupeAuto, models.DedupeExternalID, models.DedupeNone}, o.Deduplication):
		v.Addf("deduplication", "must be email, auto, external_id or none, got %s", models.Quote(o.Deduplication))
	case !writes && o.Deduplication != "":
		v.Add("deduplication", "applies to contacts imported in mode store or validate; an update or a notes import finds each contact by id, external_id or mail")
	}
	if _, ok := fi.Mapping["id"]; ok && writes {
		v.Addf("headers.id", "a %s import creates contacts or merges them by the duplicate check; contact ids are read by mode update (map the column to ignore, or upload the file in mode update)", fi.Mode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if writes {
		imp.Options = models.ImportOptions{Deduplication: cmpOr(o.Deduplication, models.DedupeEmail), UpdateExisting: true}
	} else {
		imp.Options = models.ImportOptions{UpdateOnly: true}
	}
	imp.Options.DryRun = fi.Mode == models.ImportModeValidate
	err = s.Engine.StartWith(ctx, imp, nil, func(ctx context.Context, tx *sql.Tx, imp *models.Import) error {
		return s.run.StartFileImport(ctx, tx, tenant, fi.ID, imp.ID)
	})
	if err != nil {
		if models.ErrorCode(err) == models.ECONFLICT {
			return nil, models.Errorf(models.ECONFLICT, "import %s was started already", uuid)
		}
		return nil, err
	}
	return s.Get(ctx, tenant, uuid)
}

// startInquiries starts an inquiries import: no duplicate check of its own (each
// row's customer is matched as POST /api/v1/inquiries matches it), inquiry ids read
// by mode update only.
func (s *Service) startInquiries(ctx context.Context, fi *models.FileImport, imp *models.Import, o StartOptions) (*models.FileImport, error) {
	var v models.ValidationError
	if o.Deduplication != "" {
		v.Add("deduplication", "applies to contacts; an inquiries import matches each row's customer as POST /api/v1/inquiries does (by e-mail, then by name with address and phone as evidence)")
	}
	if _, ok := fi.Mapping["id"]; ok && fi.Mode != models.ImportModeUpdate {
		v.Addf("headers.id", "a %s import creates inquiries; inquiry ids are read by mode update (map the column to ignore, or upload the file in mode update)", fi.Mode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	imp.Options = models.ImportOptions{UpdateOnly: fi.Mode == models.ImportModeUpdate, DryRun: fi.Mode == models.ImportModeValidate}
	err := s.Engine.StartWith(ctx, imp, nil, func(ctx context.Context, tx *sql.Tx, imp *models.Import) error {
		return s.run.StartFileImport(ctx, tx, fi.TenantID, fi.ID, imp.ID)
	})
	if err != nil {
		if models.ErrorCode(err) == models.ECONFLICT {
			return nil, models.Errorf(models.ECONFLICT, "import %s was started already", fi.UUID)
		}
		return nil, err
	}
	return s.Get(ctx, fi.TenantID, fi.UUID)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// statusOf is the status the record shows: the run's once started.
func statusOf(fi *models.FileImport) string {
	if fi.Run != nil {
		return fi.Run.Status
	}
	return fi.Status
}

// failedRows reads the first n failed rows of a started import for its record.
func (s *Service) failedRows(ctx context.Context, fi *models.FileImport, n int) error {
	if fi.Run == nil || fi.Run.Errors == 0 {
		return nil
	}
	names := headerNames(fi)
	from := 0
	for len(fi.Failed) < n {
		page, err := s.run.ImportErrorsFrom(ctx, fi.TenantID, fi.Run.ID, from, 500)
		if err != nil {
			return err
		}
		rows, next, more := groupRows(page, 500)
		for _, r := range rows {
			if len(fi.Failed) == n {
				break
			}
			fr := models.FailedRow{Row: r[0].Row, Errors: map[string][]string{}}
			for _, e := range r {
				f := names.of(e.Field)
				fr.Errors[f] = append(fr.Errors[f], e.Error)
			}
			fi.Failed = append(fi.Failed, fr)
		}
		if !more {
			return nil
		}
		from = next
	}
	return nil
}

// groupRows cuts a page of error rows (in row order, at most limit) into rows. When
// the page is full its last row may go on in the next page: it is left for the page
// that starts at next, and more is true.
func groupRows(page []models.ImportRowError, limit int) (rows [][]models.ImportRowError, next int, more bool) {
	for i := 0; i < len(page); {
		j := i + 1
		for j < len(page) && page[j].Row == page[i].Row {
			j++
		}
		rows = append(rows, page[i:j])
		i = j
	}
	if len(page) < limit || len(rows) == 0 {
		return rows, 0, false
	}
	if len(rows) == 1 { // one row with a page of errors: take it whole, go on after it
		return rows, page[0].Row + 1, true
	}
	last := rows[len(rows)-1]
	return rows[:len(rows)-1], last[0].Row, true
}

// ErrorReport writes the failed rows of the tenant's import uuid as CSV: the file's
// header plus "row" and "error", then each failed row as uploaded (as the stored form
// has it: UTF-8, comma-separated) with its row number and its problems ("field:
// message", joined by "; "). Fix the rows, drop or keep the two columns (unmapped
// columns are ignored) and upload the file again. It returns ENOTFOUND as Get, and
// ECONFLICT for an import that was not started.
func (s *Service) ErrorReport(ctx context.Context, tenant int64, uuid string, w io.Writer) error {
	fi, err := s.store.GetFileImport(ctx, tenant, uuid)
	if err != nil {
		return err
	}
	if fi.Run == nil {
		return models.Errorf(models.ECONFLICT, "import %s was not started: it has no error report yet", uuid)
	}
	names := headerNames(fi)
	cw := csv.NewWriter(w)
	if err := cw.Write(append(slices.Clone(fi.Headers), "row", "error")); err != nil {
		return err
	}
	var rows importfile.Reader
	var cur importfile.Row
	from := 0
	for {
		page, err := s.run.ImportErrorsFrom(ctx, tenant, fi.Run.ID, from, 1000)
		if err != nil {
			return err
		}
		groups, next, more := groupRows(page, 1000)
		for _, g := range groups {
			if rows == nil {
				if rows, err = s.Rows(ctx, fi, 1); err != nil {
					return err
				}
			}
			// The stored rows come in row order, as the errors do: walk forward to it.
			for cur.Line < g[0].Row || cur.Num == 0 {
				if cur, err = rows.Next(); err != nil {
					if err == io.EOF {
						return fmt.Errorf("error report of import %s: row %d is not in the stored file", uuid, g[0].Row)
					}
					return err
				}
			}
			if cur.Line != g[0].Row {
				continue
			}
			msgs := make([]string, len(g))
			for i, e := range g {
				msgs[i] = e.Error
				if f := names.of(e.Field); f != "" {
					msgs[i] = f + ": " + e.Error
				}
			}
			// A short ragged row is padded to the header's width; a long one keeps
			// every cell it had (its row and error then come after them).
			rec := make([]string, max(len(fi.Headers), len(cur.Fields)), max(len(fi.Headers), len(cur.Fields))+2)
			copy(rec, cur.Fields)
			if err := cw.Write(append(rec, fmt.Sprint(g[0].Row), strings.Join(msgs, "; "))); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if !more {
			return nil
		}
		from = next
	}
}

// fieldNames maps the contact fields of a mapping to the headers that fill them, for
// naming problems as the file does.
type fieldNames map[string]string

func headerNames(fi *models.FileImport) fieldNames {
	n := fieldNames{}
	for f, h := range fi.Mapping {
		n[f] = h
		if !strings.HasPrefix(f, models.CustomFieldPrefix) {
			n[models.CustomFieldPrefix+f] = h // a custom field mapped by its bare name
		}
	}
	if h, ok := fi.Mapping[importfile.StreetNumber]; ok && n["ba_street"] == "" {
		n["ba_street"] = h
	}
	if h, ok := fi.Mapping[importfile.InquiryStreetNumber]; ok && n["address.street"] == "" {
		n["address.street"] = h
	}
	return n
}

// of is the header of field, or field itself when no column fills it. An inquiry's
// fields nest: a problem of "tags[2]" or "status.name" is the column of tags or
// status, one of "budget" (min above max) the column of budget.max or budget.min.
func (n fieldNames) of(field string) string {
	if h, ok := n[field]; ok {
		return h
	}
	for f := field; ; {
		i := strings.LastIndexAny(f, ".[")
		if i <= 0 {
			break
		}
		f = f[:i]
		if h, ok := n[f]; ok {
			return h
		}
	}
	if field != "" {
		for _, f := range slices.Sorted(maps.Keys(n)) {
			if strings.HasPrefix(f, field+".") {
				return n[f]
			}
		}
	}
	return field
}

// Door is the file door of the import engine: it reads a started file import's
// stored rows through its mapping.
func (s *Service) Door() imports.Door { return fileDoor{s} }

type fileDoor struct{ s *Service }

func (fileDoor) Kind() string { return FileKind }

// FieldName names a field by the header that fills it. The engine asks it while the
// import runs, so the mapping is read from the store once per run (Records) and kept.
func (d fileDoor) FieldName(imp *models.Import, field string) string {
	if n, ok := d.s.names.Load(imp.ID); ok {
		return n.(fieldNames).of(field)
	}
	return field
}

// Records reads the rows from row from+1 on (the checkpoint counts rows from 0, the
// stored form from 1), a chunk at a time.
func (d fileDoor) Records(ctx context.Context, imp *models.Import, _ []byte, from int) iter.Seq2[imports.Record, error] {
	return func(yield func(imports.Record, error) bool) {
		fi, err := d.s.run.FileImportOfRun(ctx, imp.TenantID, imp.ID)
		if err != nil {
			yield(imports.Record{}, err)
			return
		}
		plan, err := d.s.Plan(ctx, fi, fi.Mapping)
		if err != nil {
			yield(imports.Record{}, fmt.Errorf("the mapping no longer fits: %w", err))
			return
		}
		names := headerNames(fi)
		d.s.keepNames(imp.ID, names)
		rows, err := d.s.Rows(ctx, fi, from+1)
		if err != nil {
			yield(imports.Record{}, err)
			return
		}
		for {
			row, err := rows.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(imports.Record{}, err)
				return
			}
			if !yield(record(fi, plan, names, row), nil) {
				return
			}
		}
	}
}

// record turns a stored row into the engine's record: the mapped cells as contact
// fields (text), terms by name, the contact an update or note names (id, or the
// external_id and mail it is found by), a note's comment alone.
func record(fi *models.FileImport, plan *importfile.Plan, names fieldNames, row importfile.Row) imports.Record {
	rec := imports.Record{Row: row.Line, Fields: map[string]any{}}
	cells, problems := plan.Record(row)
	for _, p := range problems {
		rec.Errors = append(rec.Errors, models.FieldError{Field: names.of(p.Field), Error: p.Error})
	}
	if problems != nil {
		return rec
	}
	if fi.Type == models.FileImportInquiries {
		// The inquiry writer reads the cells (inquiries.FromCells).
		for f, v := range cells {
			rec.Fields[f] = v
		}
		return rec
	}
	update := fi.Type == models.FileImportNotes || fi.Mode == models.ImportModeUpdate
	for f, v := range cells {
		switch f {
		case "id":
			var id int64
			if _, err := fmt.Sscan(v, &id); err != nil || id <= 0 || fmt.Sprint(id) != v {
				rec.Errors = append(rec.Errors, models.FieldError{Field: names.of("id"), Error: "must be a contact id (a positive integer)"})
				continue
			}
			rec.ContactID = id
			continue
		case "terms":
			rec.TermNames = importfile.SplitTerms(v)
			continue
		case "external_id", "mail":
			if update {
				if rec.Match == nil {
					rec.Match = map[string]string{}
				}
				rec.Match[f] = v
			}
		}
		if fi.Type == models.FileImportNotes && f != "comment" {
			continue
		}
		rec.Fields[f] = v
	}
	if fi.Type == models.FileImportNotes && rec.Fields["comment"] == nil && len(rec.Errors) == 0 {
		rec.Errors = append(rec.Errors, models.FieldError{Field: names.of("comment"), Error: "is empty: a note needs its text"})
	}
	return rec
}

// keepNames keeps the field names of a running import for FieldName. The map is
// emptied now and then: an entry is only needed while its import runs here, and
// Records stores it again when a run resumes.
func (s *Service) keepNames(id int64, n fieldNames) {
	if s.kept.Add(1)%1024 == 0 {
		s.names.Clear()
	}
	s.names.Store(id, n)
}
