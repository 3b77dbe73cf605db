package handlers

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// MergeStore is what the merge handlers need.
type MergeStore interface {
	MergeContacts(ctx context.Context, tenantID int64, req models.MergeRequest) (*models.MergeOutcome, error)
	ListMerges(ctx context.Context, tenantID, contactID int64, before string, limit int) ([]*models.Merge, error)
	GetMerge(ctx context.Context, tenantID int64, id string) (*models.Merge, error)
	// UndoMerge returns ECONFLICT when the contact changed since the merge.
	UndoMerge(ctx context.Context, tenantID int64, id string) (*models.UndoResult, error)
}

// Listing limits for merges.
const (
	defaultMergePage = 50
	maxMergePage     = 500
)

type mergeContactsRequest struct {
	TargetID int64             `json:"target_id"`
	SourceID int64             `json:"source_id"`
	DryRun   bool              `json:"dry_run"`
	Fields   map[string]string `json:"fields"`
}

// mergeContacts handles POST /api/v1/contacts/merge: merge source into target, with a
// per-field choice ("fields": {"first_name": "source"}) and a dry_run preview.
func (a *API) mergeContacts(c echo.Context) error {
	var req mergeContactsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var v models.ValidationError
	if req.TargetID <= 0 {
		v.Add("target_id", "is required")
	}
	if req.SourceID <= 0 {
		v.Add("source_id", "is required")
	}
	fields := slices.Sorted(maps.Keys(req.Fields))
	undefined, err := a.ContactService.UndefinedCustomFields(c.Request().Context(), tenantID(c), fields)
	if err != nil {
		return err
	}
	choices := map[string]models.FieldChoice{}
	for i, field := range fields {
		side := req.Fields[field]
		switch {
		case !models.IsReadableField(field) || field == "id" || field == "created" || field == "changed" || field == "terms":
			v.Addf("fields."+field, "is not a mergeable contact field")
			continue
		case slices.Contains(undefined, i):
			v.Addf("fields."+field, "is not a defined custom field")
			continue
		case side != string(models.ChooseSource) && side != string(models.ChooseTarget):
			v.Add("fields."+field, `must be "source" or "target"`)
			continue
		}
		if field == "owner" { // the name Quentn shows uid under
			field = "uid"
		}
		if prev, ok := choices[field]; ok && prev != models.FieldChoice(side) {
			v.Add("fields.owner", "chooses another side than uid; they are one field")
			continue
		}
		choices[field] = models.FieldChoice(side)
	}
	if err := v.Err(); err != nil {
		return err
	}
	out, err := a.Merges.MergeContacts(c.Request().Context(), tenantID(c),
		models.MergeRequest{TargetID: req.TargetID, SourceID: req.SourceID, Choices: choices, DryRun: req.DryRun})
	if err != nil {
		return err
	}
	resp := map[string]any{"dry_run": req.DryRun, "contact": contactwire.FromModel(out.Contact), "changed": nonNilStrings(out.Changed)}
	if out.Merge != nil {
		resp["merge_id"] = out.Merge.ID
	}
	return c.JSON(http.StatusOK, resp)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type mergeResponse struct {
	ID              string               `json:"id"`
	Kind            string               `json:"kind"`
	Source          string               `json:"source"`
	ContactID       int64                `json:"contact_id"`
	SourceContactID *int64               `json:"source_contact_id,omitempty"`
	Created         int64                `json:"created"`
	Undone          *int64               `json:"undone,omitempty"`
	Undoable        bool                 `json:"undoable"`
	Explanation     *models.Explanation  `json:"explanation,omitempty"`
	Before          contactwire.Contact  `json:"before"`
	After           contactwire.Contact  `json:"after"`
	AbsorbedContact *contactwire.Contact `json:"absorbed_contact,omitempty"`
	Submission      map[string]any       `json:"submission,omitempty"`
}

func mergeFromModel(m *models.Merge) mergeResponse {
	out := mergeResponse{ID: m.ID, Kind: m.Kind, Source: m.Source, ContactID: m.ContactID, SourceContactID: m.SourceContactID,
		Created: m.CreatedAt.Unix(), Undoable: m.UndoneAt == nil, Explanation: m.Explanation,
		Before: contactwire.FromModel(m.Before), After: contactwire.FromModel(m.After)}
	if m.UndoneAt != nil {
		u := m.UndoneAt.Unix()
		out.Undone = &u
	}
	if m.BeforeSource != nil {
		absorbed := contactwire.FromModel(m.BeforeSource.Contact)
		out.AbsorbedContact = &absorbed
	}
	if m.Submission != nil {
		out.Submission = renderSubmission(m.Submission)
	}
	return out
}

// renderSubmission shows exactly the fields a client submitted.
func renderSubmission(s *models.Submission) map[string]any {
	out := make(map[string]any, len(s.Text)+len(s.Custom)+4)
	for name, v := range s.Text {
		out[name] = v
	}
	if s.MailStatus != nil {
		out["mail_status"] = *s.MailStatus
	}
	if s.UID != nil {
		out["uid"] = *s.UID
	}
	if s.HasTerms {
		out["terms"] = s.Terms
	}
	for name, v := range s.Custom {
		out[models.CustomFieldPrefix+name] = v
	}
	if s.Comment != "" {
		out["comment"] = s.Comment
	}
	return out
}

// listMerges handles GET /api/v1/merges?contact_id=&limit=&before= (newest first).
func (a *API) listMerges(c echo.Context) error {
	limit := defaultMergePage
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxMergePage {
			return invalid("limit", "must be between 1 and 500")
		}
		limit = n
	}
	var contactID int64
	if s := c.QueryParam("contact_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return invalid("contact_id", "must be a contact id")
		}
		contactID = n
	}
	before, ok := mergeCursor(c.QueryParam("before"))
	if !ok {
		return invalid("before", "must be a merge id (next_before of the previous page)")
	}
	list, err := a.Merges.ListMerges(c.Request().Context(), tenantID(c), contactID, before, limit)
	if err != nil {
		return err
	}
	out := make([]mergeResponse, len(list))
	for i, m := range list {
		out[i] = mergeFromModel(m)
	}
	resp := map[string]any{"merges": out}
	if len(list) == limit {
		resp["next_before"] = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// getMerge handles GET /api/v1/merges/{id}.
func (a *API) getMerge(c echo.Context) error {
	id, err := pathParam(c, "id", "merge")
	if err != nil {
		return err
	}
	m, err := a.Merges.GetMerge(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, mergeFromModel(m))
}

// undoMerge handles POST /api/v1/merges/{id}/undo.
func (a *API) undoMerge(c echo.Context) error {
	id, err := pathParam(c, "id", "merge")
	if err != nil {
		return err
	}
	res, err := a.Merges.UndoMerge(c.Request().Context(), tenantID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"success": true, "merge_id": res.Merge.ID,
		"contact_id": res.ContactID, "split_contact_id": res.SplitContactID})
}
