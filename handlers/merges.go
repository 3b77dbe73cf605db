package handlers

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// MergeStore is what the duplicate and merge handlers need.
type MergeStore interface {
	// FindDuplicates ranks candidates for probe without writing.
	FindDuplicates(ctx context.Context, tenantID int64, probe *models.Contact, excludeID int64, limit int) ([]models.DuplicateCandidate, float64, error)
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

type nativeCreateResponse struct {
	ID          int64               `json:"id"`
	Created     bool                `json:"created"`
	MergeID     string              `json:"merge_id,omitempty"`
	Score       *float64            `json:"score,omitempty"`
	Explanation *models.Explanation `json:"explanation,omitempty"`
	// Joined are other contacts the submission also matched, merged into this one.
	Joined []models.JoinedContact `json:"joined,omitempty"`
	// Contact holds the requested return_fields.
	Contact map[string]any `json:"contact,omitempty"`
}

// createContactNative handles POST /api/v1/contacts: the Quentn create body and options,
// through the same write path, but a name, mail or phone suffices; the answer says
// whether and why the contact was merged.
func (a *API) createContactNative(c echo.Context) error {
	var req createContactRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Qntn != nil {
		return invalid("qntn", "is only accepted by the Quentn endpoint /public/api/V1/contact")
	}
	r, opts, err := a.createOne(c, &req, nativeIdentity)
	if err != nil {
		return err
	}
	out := nativeCreateResponse{ID: r.ID, Created: r.Created, MergeID: r.MergeID, Explanation: r.Explanation, Joined: r.Joined}
	if r.Explanation != nil {
		out.Score = &r.Explanation.Score
	}
	if len(opts.returnFields) > 0 {
		contact, err := a.Contacts.GetContact(c.Request().Context(), tenantID(c), r.ID)
		if err != nil {
			return err
		}
		out.Contact = renderFields(contact, opts.returnFields)
	}
	status := http.StatusOK
	if r.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, out)
}

type duplicatesRequest struct {
	Contact   map[string]json.RawMessage `json:"contact"`
	ContactID int64                      `json:"contact_id"`
	Limit     int                        `json:"limit"`
}

type duplicateCandidate struct {
	ID          int64               `json:"id"`
	Score       float64             `json:"score"`
	Match       bool                `json:"match"`
	Explanation models.Explanation  `json:"explanation"`
	Contact     contactwire.Contact `json:"contact"`
}

// findDuplicates handles POST /api/v1/contacts/duplicates: would this contact (given as
// fields, or a stored contact's id) duplicate an existing one? Ranked candidates with
// scores and explanations; nothing is written.
func (a *API) findDuplicates(c echo.Context) error {
	var req duplicatesRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if (req.Contact == nil) == (req.ContactID == 0) {
		return invalid("contact", "send either contact (fields) or contact_id")
	}
	var limitErr error
	if req.Limit == 0 {
		req.Limit = 10
	}
	if req.Limit < 1 || req.Limit > 100 {
		limitErr = invalid("limit", "must be between 1 and 100")
	}
	ctx, tenant := c.Request().Context(), tenantID(c)
	var probe *models.Contact
	if req.ContactID != 0 {
		if limitErr != nil {
			return limitErr
		}
		stored, err := a.Contacts.GetContact(ctx, tenant, req.ContactID)
		if err != nil {
			return err
		}
		probe = stored
	} else {
		defs, err := a.Contacts.CustomFields(ctx, tenant, customNames(req.Contact)...)
		if err != nil {
			return err
		}
		sub, err := decodeContact(req.Contact, defs, "contact.", nativeIdentity)
		if err := joinProblems(limitErr, err); err != nil {
			return err
		}
		probe = sub.NewContact(tenant)
	}
	cands, threshold, err := a.Merges.FindDuplicates(ctx, tenant, probe, req.ContactID, req.Limit)
	if err != nil {
		return err
	}
	out := make([]duplicateCandidate, len(cands))
	for i, cand := range cands {
		out[i] = duplicateCandidate{ID: cand.Contact.ID, Score: cand.Explanation.Score, Match: cand.Explanation.Match,
			Explanation: cand.Explanation, Contact: contactwire.FromModel(cand.Contact)}
	}
	return c.JSON(http.StatusOK, map[string]any{"threshold": threshold, "candidates": out})
}

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
	undefined, err := a.undefinedCustomFields(c.Request().Context(), tenantID(c), fields)
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
	before := c.QueryParam("before")
	if !isText(before) {
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
