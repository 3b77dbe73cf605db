// Package imports is the one import engine (docs/imports.md): it stores an accepted
// import with its payload and job in one transaction, processes the records in
// batches in a River job through the contact service — each batch's contacts and the
// import's checkpoint, counters and error rows in one transaction — and resumes an
// import whose worker died from its checkpoint on any replica. Doors (door.go) turn
// what clients send into records: the JSON body of seed 000 here (jsondoor.go), CSV
// and XLSX files elsewhere.
//
// It never imports handlers, and writes contacts only through the contact service.
package imports

import (
	"context"
	"iter"

	"github.com/contacthub/contacthub/models"
)

// Door reads one kind of import as records.
type Door interface {
	// Kind names the door ("json", "file"); it is stored with each import and the job
	// finds the door by it.
	Kind() string
	// Records yields the import's records in order from index from (0-based: the
	// import's checkpoint) on. An error ends the import as failed with its message.
	// payload is what Start stored with the import: the records themselves (the JSON
	// door), or nil for a door that streams them from its own tables by the import's
	// id (the file door reads an uploaded file's stored chunks, never the whole file).
	Records(ctx context.Context, imp *models.Import, payload []byte, from int) iter.Seq2[Record, error]
	// FieldName is how the client calls a contact field in its records (the JSON
	// door's "email" for mail, a CSV door's header): error rows name fields so.
	FieldName(imp *models.Import, field string) string
}

// Record is one record as its door read it.
type Record struct {
	// Row is what errors call it: the 1-based index in data (JSON), the line or row
	// number of a file.
	Row int
	// Fields are contact fields by their API names, as models.DecodeValues reads them
	// (strings are fine for every field): first_name, mail, ba_country, external_id,
	// addresses, dossier, email_bounce …, field_<name> for custom fields.
	Fields map[string]any
	// TermNames are terms by name: the engine creates the missing ones (first use)
	// and adds their ids to the contact's terms.
	TermNames []string
	// ContactID is the contact the record updates when the import's update_key is id,
	// or (UpdateOnly) the contact it names by id.
	ContactID int64
	// Match are the values that find the contact an UpdateOnly record changes when it
	// has no ContactID: "external_id", then "mail" (the first that finds one decides).
	Match map[string]string
	// Errors are problems the door found (an unknown key, a value it could not map):
	// the record is reported with them under Row and not written.
	Errors []models.FieldError
}
