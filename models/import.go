package models

import (
	"fmt"
	"slices"
	"time"
)

// Import statuses. processing → completed, failed or cancelled.
const (
	ImportProcessing = "processing"
	ImportCompleted  = "completed"
	ImportFailed     = "failed"
	ImportCancelled  = "cancelled"
)

// Import limits.
const (
	// MaxImportRecords is the most records one import takes (seed 000).
	MaxImportRecords = 10000
	// MaxImportErrorPage is the most error rows one page shows.
	MaxImportErrorPage = 1000
	// ImportEventErrors is how many error rows the import.completed event carries.
	ImportEventErrors = 100
)

// Import is one bulk import of contacts (docs/imports.md): its request, its progress
// and its outcome.
type Import struct {
	ID       int64
	TenantID int64
	// Kind names the door it came through ("json", "csv", "xlsx").
	Kind   string
	Entity string
	// Options are as the request gave them, checked (ImportOptions.Validate).
	Options ImportOptions
	Status  string
	// Reason says why an import failed.
	Reason string
	// Total is the number of records; Processed those handled so far, each created,
	// updated, skipped or failed (Errors).
	Total, Processed                  int
	Created, Updated, Skipped, Errors int
	// Merged counts, in a dry run (ImportOptions.DryRun), the records the duplicate
	// check would merge into an existing contact (or one an earlier record creates);
	// Created and Updated then count what would be created and updated.
	Merged int
	// Checkpoint is the index of the next record to process.
	Checkpoint  int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
}

// Done reports whether the import ended (completed, failed or cancelled).
func (i *Import) Done() bool { return i.Status != ImportProcessing }

// SuccessCount is what seed 000 calls success: records that created or updated a
// contact.
func (i *Import) SuccessCount() int { return i.Created + i.Updated }

// Deduplication methods of an import (how a record finds its existing contact).
const (
	DedupeEmail      = "email"
	DedupeExternalID = "external_id"
	DedupeAuto       = "auto"
	DedupeNone       = "none"
	// UpdateKeyID matches a record's id, the contact id (update_key only).
	UpdateKeyID = "id"
)

// ImportOptions are seed 000's options.
type ImportOptions struct {
	// Deduplication is email (default), external_id, auto or none.
	Deduplication string `json:"deduplication,omitempty"`
	// UpdateExisting: a record that matches updates the contact (true) or is skipped
	// and reported (false, the default).
	UpdateExisting bool `json:"update_existing"`
	// UpdateKey, when set, is the key that matches records when UpdateExisting is
	// true: email, external_id or id.
	UpdateKey string `json:"update_key,omitempty"`
	// UpdateOnly changes existing contacts only (a file import in mode update, and a
	// notes import): each record names its contact by its ContactID, else its
	// Match keys (external_id, then mail); a record that finds none is an error.
	UpdateOnly bool `json:"update_only,omitempty"`
	// DryRun checks every record and counts what it would do, writing nothing but
	// the import's own progress (a file import in mode validate).
	DryRun bool `json:"dry_run,omitempty"`
}

// Validate checks the options and returns EINVALID naming each problem
// (options.deduplication …).
func (o ImportOptions) Validate() error {
	var v ValidationError
	if o.Deduplication != "" && !slices.Contains([]string{DedupeEmail, DedupeExternalID, DedupeAuto, DedupeNone}, o.Deduplication) {
		v.Addf("options.deduplication", "must be email, external_id, auto or none, got %s", Quote(o.Deduplication))
	}
	if o.UpdateKey != "" {
		switch {
		case !slices.Contains([]string{DedupeEmail, DedupeExternalID, UpdateKeyID}, o.UpdateKey):
			v.Addf("options.update_key", "must be email, external_id or id, got %s", Quote(o.UpdateKey))
		case !o.UpdateExisting:
			v.Add("options.update_key", "needs update_existing: true (it names the key that finds the contact to update)")
		case o.Deduplication != "" && o.Deduplication != o.UpdateKey:
			v.Addf("options.update_key", "is %s but deduplication is %s: records are matched by one key; send one of them, or the same",
				Quote(o.UpdateKey), Quote(o.Deduplication))
		}
	}
	return v.Err()
}

// MatchKey is the key records are matched by: update_key when given, else
// deduplication, else email.
func (o ImportOptions) MatchKey() string {
	switch {
	case o.UpdateKey != "":
		return o.UpdateKey
	case o.Deduplication != "":
		return o.Deduplication
	}
	return DedupeEmail
}

// ImportRowError is one problem of one record: Row as the door numbers records
// (1-based index in data for JSON), the field and what is wrong.
type ImportRowError struct {
	Row   int    `json:"row"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// SkippedPrefix starts the error text of a record skipped because it matched a
// contact and update_existing is false.
const SkippedPrefix = "skipped: "

// ImportBatch is what one processed batch adds to an import, written in the
// transaction of the batch's contacts (docs/imports.md).
type ImportBatch struct {
	ImportID, TenantID int64
	// Owner is the lease holder; the write fails (ErrImportLeaseLost) when another
	// holds the lease, the import is no longer processing, or its checkpoint is not From.
	Owner    string
	From, To int // checkpoint before and after
	// LeaseUntil extends the lease.
	LeaseUntil                                time.Time
	Created, Updated, Skipped, Errors, Merged int
	Rows                                      []ImportRowError
	// Done ends the import as completed, with its event.
	Done bool
}

// ErrImportLeaseLost is the error of an ImportBatch that another worker, a cancel or
// the import's end overtook: nothing of the batch was written.
var ErrImportLeaseLost = fmt.Errorf("import: lease lost: %w", &Error{Code: ECONFLICT, Message: "the import is no longer processed by this worker"})

// ImportCompletedData is the data of an import.completed event: seed 000's
// IMPORT_COMPLETED webhook payload (errors: the first ImportEventErrors rows).
type ImportCompletedData struct {
	ImportID     int64            `json:"import_id"`
	Status       string           `json:"status"`
	SuccessCount int              `json:"success_count"`
	ErrorCount   int              `json:"error_count"`
	Created      int              `json:"created"`
	Updated      int              `json:"updated"`
	Skipped      int              `json:"skipped"`
	Total        int              `json:"total"`
	Reason       string           `json:"reason,omitempty"`
	Errors       []ImportRowError `json:"errors"`
}

// ImportFilter pages a tenant's imports, newest first.
type ImportFilter struct {
	// Before is an import id: only older imports (0: from the newest).
	Before int64
	Limit  int
}
