package contactwire

import (
	"github.com/contacthub/contacthub/models"
)

// The wire forms of what events carry besides contacts. Each shows what the Quentn
// read endpoints of its kind show, plus "v".

// Term is a term (tag) as GET terms/{id} shows it.
type Term struct {
	V               int    `json:"v"`
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	DeletionBlocked bool   `json:"deletion_blocked"`
}

// TermFromModel is t in the wire form.
func TermFromModel(t *models.Term) Term {
	return Term{V: Version, ID: t.ID, Name: t.Name, Description: t.Description, DeletionBlocked: t.DeletionBlocked}
}

// Comment is a comment as GET contact/{id}/comments shows it (created and changed in
// unix seconds).
type Comment struct {
	V         int    `json:"v"`
	ID        int64  `json:"id"`
	ContactID int64  `json:"contact_id"`
	UID       int64  `json:"uid"`
	Created   int64  `json:"created"`
	Changed   int64  `json:"changed"`
	Comment   string `json:"comment"`
}

// CommentFromModel is c in the wire form.
func CommentFromModel(c *models.Comment) Comment {
	return Comment{V: Version, ID: c.ID, ContactID: c.ContactID, UID: c.UID, Created: c.CreatedAt.Unix(), Changed: c.UpdatedAt.Unix(), Comment: c.Comment}
}

// CustomField is a custom field definition as GET custom-fields/{name} shows it.
type CustomField struct {
	V           int      `json:"v"`
	FieldID     int64    `json:"field_id"`
	FieldName   string   `json:"field_name"`
	Label       string   `json:"label"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	FieldType   string   `json:"field_type"`
	Required    bool     `json:"required"`
	MaxLength   int      `json:"max_length,omitempty"`
	Multiple    bool     `json:"multiple,omitempty"`
	Options     []string `json:"options,omitempty"`
}

// CustomFieldFromModel is f in the wire form.
func CustomFieldFromModel(f *models.CustomField) CustomField {
	return CustomField{
		V: Version, FieldID: f.ID, FieldName: models.CustomFieldPrefix + f.Name, Label: f.Label, Description: f.Description,
		Type: f.ValueType(), FieldType: f.FieldType, Required: f.Required, MaxLength: f.MaxLength,
		Multiple: f.Multiple, Options: f.Options,
	}
}

// Deleted is the data of a *.deleted event: what is gone.
type Deleted struct {
	V  int   `json:"v"`
	ID int64 `json:"id"`
	// ContactID is the contact of a deleted comment.
	ContactID int64 `json:"contact_id,omitempty"`
	// Name is the name of a deleted term or custom field.
	Name string `json:"name,omitempty"`
}

// Merged is the data of a contact.merged event: the contact that absorbed another, as
// it is after the merge, and the one it absorbed, which is gone.
type Merged struct {
	V        int     `json:"v"`
	MergeID  string  `json:"merge_id"`
	Kind     string  `json:"kind"`
	Contact  Contact `json:"contact"`
	MergedID int64   `json:"merged_id"`
}

// Undone is the data of a merge.undone event: the contact as the undo left it, and
// the contact the undo split off again (the absorbed contact under its old id, or the
// submission of an ingest merge as a new contact).
type Undone struct {
	V        int     `json:"v"`
	MergeID  string  `json:"merge_id"`
	Contact  Contact `json:"contact"`
	Restored Contact `json:"restored"`
}

// Duplicate is a pair of the review queue (possible duplicates) as the API and the
// duplicate.* events show it: the two contacts' ids (smaller first), the score and
// explanation that queued it, and its status (open, dismissed, merged, with the
// merge's id).
type Duplicate struct {
	V           int                 `json:"v"`
	ID          int64               `json:"id"`
	ContactIDs  [2]int64            `json:"contact_ids"`
	Score       float64             `json:"score"`
	Status      string              `json:"status"`
	MergeID     string              `json:"merge_id,omitempty"`
	Explanation *models.Explanation `json:"explanation,omitempty"`
	Created     int64               `json:"created"`
	Changed     int64               `json:"changed"`
}

// FromDuplicate is the wire form of p.
func FromDuplicate(p *models.DuplicatePair) Duplicate {
	return Duplicate{V: Version, ID: p.ID, ContactIDs: [2]int64{p.ContactA, p.ContactB}, Score: p.Score, Status: p.Status,
		MergeID: p.MergeID, Explanation: p.Explanation, Created: p.CreatedAt.Unix(), Changed: p.UpdatedAt.Unix()}
}
