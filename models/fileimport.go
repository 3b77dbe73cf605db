package models

import (
	"slices"
	"strings"
	"time"
)

// Types of a file import: what its rows are.
const (
	FileImportClients  = "clients"  // contacts (seed 003's name for them)
	FileImportContacts = "contacts" // contacts
	FileImportNotes    = "notes"    // comments on contacts found by mail or external id
	// FileImportInquiries are inquiries (leads), each written through the inquiry
	// service as POST /api/v1/inquiries writes it.
	FileImportInquiries = "inquiries"
)

// FileImportTypes lists the types a file import accepts.
var FileImportTypes = []string{FileImportClients, FileImportContacts, FileImportNotes, FileImportInquiries}

// Modes of a file import.
const (
	ImportModeStore    = "store"    // create, merging duplicates by the tenant's check
	ImportModeUpdate   = "update"   // change existing contacts only
	ImportModeValidate = "validate" // check every row, write nothing
)

// ImportModes lists the modes a file import accepts.
var ImportModes = []string{ImportModeStore, ImportModeUpdate, ImportModeValidate}

// Statuses of a file import before it is started; once started it has the status of
// its run (processing, completed, failed, cancelled).
const (
	FileImportUploading = "uploading" // the upload is still being stored; not shown
	FileImportUploaded  = "uploaded"  // stored, awaiting its mapping
	FileImportMapped    = "mapped"    // mapped, ready to start
)

// Formats of an uploaded file.
const (
	FileFormatCSV  = "csv"
	FileFormatXLSX = "xlsx"
)

// FileImport is an uploaded CSV or Excel file on its way to being imported: seed 003's
// import record before it is started (uploaded, then mapped).
type FileImport struct {
	ID       int64
	TenantID int64
	UUID     string
	Type     string
	Mode     string
	Status   string
	Filename string
	// Format is FileFormatCSV or FileFormatXLSX; Encoding and Delimiter are a CSV's as
	// detected, Sheet the worksheet an xlsx was read from.
	Format    string
	Encoding  string
	Delimiter string
	Sheet     string
	// Size is the upload's size in bytes.
	Size int64
	// Headers is the file's header row.
	Headers []string
	// Suggested maps each recognised header to the field it likely holds.
	Suggested map[string]string
	// Mapping maps a field to the header that holds it (as POST /api/v1/import/map
	// sends it); nil until the import is mapped.
	Mapping   map[string]string
	TotalRows int64
	// ImportID is the import engine's run of the file once it was started (0 before);
	// Run is that run, as the store read it with the file import.
	ImportID int64
	Run      *Import
	// Failed are the run's first failed rows (FileImportErrorRows), as the file
	// import service reads them for the record.
	Failed    []FailedRow
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FileImportStarted is the status of a file import once started: the record then
// shows the status of its run (Run.Status).
const FileImportStarted = "started"

// FileImportErrorRows is how many failed rows the import record lists (seed 003:
// the first 25); the error report has all of them.
const FileImportErrorRows = 25

// ValidateFileImportOptions checks an upload's type and mode, naming each problem
// with the list of what is supported. It returns an EINVALID *Error or nil.
func ValidateFileImportOptions(typ, mode string) error {
	var v ValidationError
	if !slices.Contains(FileImportTypes, typ) {
		v.Addf("type", "%s is not a supported type; supported: %s", Quote(typ), strings.Join(FileImportTypes, ", "))
	}
	if !slices.Contains(ImportModes, mode) {
		v.Addf("mode", "%s is not a supported mode; supported: %s", Quote(mode), strings.Join(ImportModes, ", "))
	}
	return v.Err()
}

// FileImportPage is one page of a tenant's file imports, newest first; NextBefore is
// the "before" of the next page ("" on the last).
type FileImportPage struct {
	Imports    []*FileImport
	NextBefore string
}

// FailedRow is a row of a file import that failed: its number (the line it starts on
// in a CSV, its row in a sheet) and its problems by field, named by the file's header
// ("" for the row as a whole).
type FailedRow struct {
	Row    int
	Errors map[string][]string
}
