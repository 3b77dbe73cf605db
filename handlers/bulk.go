package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// MaxBulkContacts is the most contacts one POST contacts call takes (413 beyond). A
// call is one transaction of the write path, so this bounds lock time and memory;
// send larger sets in several calls or as an import.
const MaxBulkContacts = 1000

type createContactsRequest struct {
	// Items are decoded one by one, so a malformed item fails alone.
	Contacts []json.RawMessage `json:"contacts"`
	createOptions
}

// createContacts handles POST /public/api/V1/contacts: {contacts: [...], options as
// POST contact}. It answers an array with one entry per submitted contact, in input
// order: {id, email} plus the return_fields, or {email, error: true, message, errors}.
// Items fail alone (partial success) and every failure is reported. All valid items go
// through one call of the write path, so duplicates within the batch merge with each
// other as they would across calls. Option errors, an empty list or more than
// MaxBulkContacts contacts fail the whole call (422, 413).
func (a *API) createContacts(c echo.Context) error {
	var req createContactsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	opts := req.createOptions.options(contacts.QuentnIdentity)
	if err := opts.Validate(); err != nil {
		return err
	}
	switch {
	case req.Contacts == nil:
		return invalid("contacts", "is required: an array of contact objects")
	case len(req.Contacts) == 0:
		return invalid("contacts", "must hold at least one contact")
	case len(req.Contacts) > MaxBulkContacts:
		return models.Errorf(models.ETOOLARGE, "at most %d contacts per call, got %d; split the list or use an import", MaxBulkContacts, len(req.Contacts))
	}
	ctx, tenant := c.Request().Context(), tenantID(c)
	out := make([]map[string]any, len(req.Contacts))
	inputs := make([]contacts.Input, 0, len(req.Contacts))
	index := make([]int, 0, len(req.Contacts)) // index[j] is the input position of inputs[j]
	for i, item := range req.Contacts {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(item, &fields); err != nil || fields == nil {
			out[i] = a.bulkError(ctx, "", invalid("contact", "must be a JSON object of contact fields"))
			continue
		}
		inputs = append(inputs, contacts.FromJSON(fields))
		index = append(index, i)
	}
	results, err := a.ContactService.Submit(ctx, tenant, inputs, opts)
	if err != nil {
		return err
	}
	var ids []int64
	for j, r := range results {
		i := index[j]
		if r.Err != nil {
			out[i] = a.bulkError(ctx, r.Mail, r.Err)
			continue
		}
		out[i] = map[string]any{"id": r.ID, "email": r.Mail}
		ids = append(ids, r.ID)
	}
	if returnFields := opts.ReturnFieldList(); len(returnFields) > 0 && len(ids) > 0 {
		stored, err := a.Contacts.GetContacts(ctx, tenant, ids)
		if err != nil {
			return err
		}
		byID := make(map[int64]*models.Contact, len(stored))
		for _, ct := range stored {
			byID[ct.ID] = ct
		}
		for _, entry := range out {
			if entry["error"] != nil {
				continue
			}
			if ct := byID[entry["id"].(int64)]; ct != nil {
				for k, v := range renderFields(ct, returnFields) {
					entry[k] = v
				}
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// bulkError is the entry of an item that was not written. Domain errors keep their
// message and field errors; anything else is logged and shown with a fixed message,
// as the error handler does for whole requests.
func (a *API) bulkError(ctx context.Context, mail string, err error) map[string]any {
	entry := map[string]any{"email": submittedMailShown(mail), "error": true}
	var de *models.Error
	if models.ErrorCode(err) == models.EINTERNAL || !errors.As(err, &de) {
		a.logFor(ctx).Error("bulk create item failed", "err", err)
		entry["message"] = "internal server error"
		return entry
	}
	itemProblems(entry, de)
	return entry
}
