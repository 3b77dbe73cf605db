package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

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
	opts, err := req.createOptions.parse()
	if err != nil {
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
	if err := a.checkReturnFields(ctx, tenant, opts.returnFields); err != nil {
		return err
	}
	out := make([]map[string]any, len(req.Contacts))
	items := make([]map[string]json.RawMessage, len(req.Contacts))
	var names []string
	for i, item := range req.Contacts {
		if err := json.Unmarshal(item, &items[i]); err != nil || items[i] == nil {
			out[i] = a.bulkError("", invalid("contact", "must be a JSON object of contact fields"))
			continue
		}
		names = append(names, customNames(items[i])...)
	}
	defs, err := a.Contacts.CustomFields(ctx, tenant, names...)
	if err != nil {
		return err
	}

	subs := make([]*models.Submission, 0, len(req.Contacts))
	index := make([]int, 0, len(req.Contacts)) // index[j] is the input position of subs[j]
	errs := make([]error, len(items))
	for i, fields := range items {
		if fields == nil {
			continue // reported above
		}
		sub, err := decodeContact(fields, defs, "", quentnIdentity)
		if err != nil {
			errs[i] = err
			continue
		}
		subs = append(subs, sub)
		index = append(index, i)
	}
	if err := a.addUnknownTerms(ctx, tenant, items, errs, ""); err != nil {
		return err
	}
	for i, err := range errs {
		if err != nil {
			out[i] = a.bulkError(submittedMail(items[i]), err)
		}
	}
	if len(subs) == 0 {
		return c.JSON(http.StatusOK, out)
	}

	opts.ingest.RequiredCustom = requiredCustom(defs)
	results, err := a.ingest(ctx, tenant, subs, opts)
	if err != nil {
		return err
	}
	var ids []int64
	for j, r := range results {
		i, mail := index[j], subs[j].Text["mail"]
		if r.Err != nil {
			out[i] = a.bulkError(mail, r.Err)
			continue
		}
		out[i] = map[string]any{"id": r.ID, "email": mail}
		ids = append(ids, r.ID)
	}
	if len(opts.returnFields) > 0 && len(ids) > 0 {
		contacts, err := a.Contacts.GetContacts(ctx, tenant, ids)
		if err != nil {
			return err
		}
		byID := make(map[int64]*models.Contact, len(contacts))
		for _, ct := range contacts {
			byID[ct.ID] = ct
		}
		for _, entry := range out {
			if entry["error"] != nil {
				continue
			}
			if ct := byID[entry["id"].(int64)]; ct != nil {
				for k, v := range renderFields(ct, opts.returnFields) {
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
func (a *API) bulkError(mail string, err error) map[string]any {
	entry := map[string]any{"email": mail, "error": true}
	var de *models.Error
	if models.ErrorCode(err) == models.EINTERNAL || !errors.As(err, &de) {
		a.Log.Error("bulk create item failed", "err", err)
		entry["message"] = "internal server error"
		return entry
	}
	entry["message"] = de.Error()
	if len(de.Fields) > 0 {
		entry["errors"] = de.Fields
	}
	return entry
}

// submittedMail is the item's mail as sent, for the entry of an item that failed
// validation ("" when it sent none or not a string).
func submittedMail(fields map[string]json.RawMessage) string {
	var s string
	if raw, ok := fields["mail"]; ok && json.Unmarshal(bytes.TrimSpace(raw), &s) == nil {
		return s
	}
	return ""
}
