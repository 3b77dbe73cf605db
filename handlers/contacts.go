package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// ContactStore is what the contact handlers need from the store.
type ContactStore interface {
	// GetContact returns ENOTFOUND for another tenant's or an unknown id.
	GetContact(ctx context.Context, tenantID, id int64) (*models.Contact, error)
	// FindContactsByMail returns up to models.MaxMailMatches+1 contacts, oldest first.
	FindContactsByMail(ctx context.Context, tenantID int64, mail string) ([]*models.Contact, error)
	UpdateContact(ctx context.Context, tenantID, id int64, sub *models.Submission) (*models.Contact, error)
	DeleteContact(ctx context.Context, tenantID, id int64) error
	// Ingest is the one write path; see store.Ingest.
	Ingest(ctx context.Context, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error)
	// CustomFields returns the definitions by name; naming fields in want makes sure
	// definitions just created elsewhere are seen.
	CustomFields(ctx context.Context, tenantID int64, want ...string) (map[string]*models.CustomField, error)
	// GetContacts loads many contacts set-based; ids the tenant lacks are left out.
	GetContacts(ctx context.Context, tenantID int64, ids []int64) ([]*models.Contact, error)
	// ListContacts returns one page; EINVALID for a bad filter or cursor.
	ListContacts(ctx context.Context, tenantID int64, f models.ContactFilter) (*models.ContactPage, error)
}

// createOptions are the options shared by POST contact and POST contacts.
type createOptions struct {
	DuplicateCheckMethod string   `json:"duplicate_check_method"`
	DuplicateMergeMethod string   `json:"duplicate_merge_method"`
	ReturnFields         []string `json:"return_fields"`
	FloodLimit           *int     `json:"flood_limit"`
	SpamProtection       *bool    `json:"spam_protection"`
}

// qntnOptions is sent by the official WordPress plugin beside the contact. contacthub
// stores nothing of it: it answers the redirection URL the plugin should follow.
type qntnOptions struct {
	RedirectionURL          string `json:"redirection_url"`
	RedirectionURLConfirmed string `json:"redirection_url_confirmed"`
	AppendContactInfo       bool   `json:"append_contact_info"`
}

type createContactRequest struct {
	Contact map[string]json.RawMessage `json:"contact"`
	createOptions
	Qntn *qntnOptions `json:"qntn"`
}

// parsedOptions are createOptions after validation.
type parsedOptions struct {
	ingest         models.IngestOptions
	returnFields   []string
	floodLimit     int
	spamProtection bool
}

func (o *createOptions) parse() (*parsedOptions, error) {
	var v models.ValidationError
	check, ok := models.ParseCheckMethod(o.DuplicateCheckMethod)
	if !ok {
		v.Add("duplicate_check_method", "must be auto, email or none")
	}
	merge, ok := models.ParseMergeMethod(o.DuplicateMergeMethod)
	if !ok {
		v.Add("duplicate_merge_method", "must be update_add, update or add")
	}
	p := &parsedOptions{ingest: models.IngestOptions{Check: check, Merge: merge, Source: "api"}}
	for i, f := range o.ReturnFields {
		if !models.IsReadableField(strings.TrimSpace(f)) {
			v.Addf(fmt.Sprintf("return_fields[%d]", i), "%q is not a contact field", f)
			continue
		}
		p.returnFields = append(p.returnFields, strings.TrimSpace(f))
	}
	if o.FloodLimit != nil {
		if *o.FloodLimit < 0 || *o.FloodLimit > MaxFloodLimit {
			v.Addf("flood_limit", "must be 0 (disabled) or a number of contacts per hour up to %d", MaxFloodLimit)
		}
		p.floodLimit = *o.FloodLimit
	}
	if o.SpamProtection != nil {
		p.spamProtection = *o.SpamProtection
	}
	return p, v.Err()
}

// checkReturnFields refuses return_fields naming a custom field the tenant has not
// defined, as GET's fields does: the answer would carry null for it, as if the field
// were empty. It runs before anything is written.
func (a *API) checkReturnFields(ctx context.Context, tenant int64, fields []string) error {
	undefined, err := a.undefinedCustomFields(ctx, tenant, fields)
	if err != nil {
		return err
	}
	var v models.ValidationError
	for _, i := range undefined {
		v.Addf(fmt.Sprintf("return_fields[%d]", i), "%q is not a defined custom field", fields[i])
	}
	return v.Err()
}

// undefinedCustomFields returns the positions in fields of field_<name> entries the
// tenant has not defined.
func (a *API) undefinedCustomFields(ctx context.Context, tenant int64, fields []string) ([]int, error) {
	var custom []string
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, models.CustomFieldPrefix); ok {
			custom = append(custom, name)
		}
	}
	if len(custom) == 0 {
		return nil, nil
	}
	defs, err := a.Contacts.CustomFields(ctx, tenant, custom...)
	if err != nil {
		return nil, err
	}
	var out []int
	for i, f := range fields {
		if name, ok := strings.CutPrefix(f, models.CustomFieldPrefix); ok && defs[name] == nil {
			out = append(out, i)
		}
	}
	return out, nil
}

// identityRule says what a new contact must at least carry.
type identityRule int

const (
	// quentnIdentity: a mail, or a full postal address with both names (Quentn's rule).
	quentnIdentity identityRule = iota
	// nativeIdentity: a name, a mail or a phone (real data often lacks a mail).
	nativeIdentity
)

// decodeContact validates one submitted contact against the tenant's custom fields and
// the identity rule.
func decodeContact(raw map[string]json.RawMessage, defs map[string]*models.CustomField, prefix string, rule identityRule) (*models.Submission, error) {
	if raw == nil {
		return nil, invalid(strings.TrimSuffix(prefix, "."), "is required: a JSON object of contact fields")
	}
	sub, err := models.DecodeSubmission(raw, defs, models.ForCreate)
	if err != nil {
		// The identity rule is asked about the fields that are valid, so one answer
		// names a missing identity beside the other problems.
		var de *models.Error
		if !errors.As(err, &de) || de.Code != models.EINVALID {
			return nil, prefixFields(err, prefix)
		}
		valid := map[string]json.RawMessage{}
		for _, name := range identityFields {
			if v, ok := raw[name]; ok && !slices.ContainsFunc(de.Fields, func(f models.FieldError) bool { return f.Field == name }) {
				valid[name] = v
			}
		}
		if _, sent := raw["mail"]; sent && valid["mail"] == nil {
			return nil, prefixFields(err, prefix) // the mail's own problem says it
		}
		if partial, perr := models.DecodeSubmission(valid, nil, models.ForCreate); perr == nil {
			return nil, joinProblems(prefixFields(err, prefix), identityProblem(partial.NewContact(0), prefix, rule))
		}
		return nil, prefixFields(err, prefix)
	}
	if err := identityProblem(sub.NewContact(0), prefix, rule); err != nil {
		return nil, err
	}
	return sub, nil
}

// identityFields are the fields the identity rules look at.
var identityFields = []string{"mail", "first_name", "family_name", "ba_street", "ba_city", "ba_postal_code", "phone"}

// identityProblem is the error of a new contact that does not carry what rule asks.
func identityProblem(c *models.Contact, prefix string, rule identityRule) error {
	switch {
	case rule == quentnIdentity && !c.HasIdentity():
		return invalid(prefix+"mail", "a contact needs a valid mail, or first_name, family_name, ba_street, ba_city and ba_postal_code")
	case rule == nativeIdentity && c.FirstName == "" && c.FamilyName == "" && c.Mail == "" && c.Phone == "":
		return invalid(prefix+"mail", "a contact needs at least one of first_name, family_name, mail or phone")
	}
	return nil
}

// addUnknownTerms completes errs[i], the errors of the submitted contacts fields[i],
// with the term ids each names that the tenant does not have. The write path checks
// terms only for contacts whose other fields are valid; asking here as well lets an
// answer list every problem of a contact at once. One query serves all of them; prefix
// qualifies the field name as decodeContact's does ("contact.").
func (a *API) addUnknownTerms(ctx context.Context, tenant int64, fields []map[string]json.RawMessage, errs []error, prefix string) error {
	named := make([][]int64, len(errs))
	var all []int64
	for i, err := range errs {
		if models.ErrorCode(err) == models.EINVALID {
			named[i] = submittedTermIDs(fields[i])
			all = append(all, named[i]...)
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.Sort(all)
	unknown, err := a.Terms.UnknownTerms(ctx, tenant, slices.Compact(all))
	if err != nil {
		return err
	}
	for i, ids := range named {
		var bad []int64
		for _, id := range ids {
			if slices.Contains(unknown, id) {
				bad = append(bad, id)
			}
		}
		var de *models.Error
		if len(bad) == 0 || !errors.As(errs[i], &de) {
			continue
		}
		withTerms := *de
		problem := models.UnknownTerms(bad)
		problem.Field = prefix + problem.Field
		withTerms.Fields = append(slices.Clip(de.Fields), problem)
		errs[i] = &withTerms
	}
	return nil
}

// submittedTermIDs are the term ids of a submitted contact's "terms" field, or none
// when the field is missing or malformed (the decoder reports that).
func submittedTermIDs(fields map[string]json.RawMessage) []int64 {
	raw, sent := fields["terms"]
	ids, ok := models.ParseTermIDs(raw)
	if !sent || !ok {
		return nil
	}
	ids, reason := models.NormalizeIDs(ids, models.MaxTermsPerContact)
	if reason != "" {
		return nil
	}
	return ids
}

// prefixFields qualifies the field names of a validation error, e.g. "contact.mail".
func prefixFields(err error, prefix string) error {
	de, ok := err.(*models.Error)
	if !ok || prefix == "" {
		return err
	}
	out := *de
	out.Fields = make([]models.FieldError, len(de.Fields))
	for i, f := range de.Fields {
		out.Fields[i] = models.FieldError{Field: prefix + f.Field, Error: f.Error}
	}
	return &out
}

func requiredCustom(defs map[string]*models.CustomField) []string {
	var out []string
	for name, d := range defs {
		if d.Required {
			out = append(out, name)
		}
	}
	return out
}

// createOne validates one submitted contact and runs it through the write path: the
// part both create endpoints share. An item error comes back as the error.
func (a *API) createOne(c echo.Context, req *createContactRequest, rule identityRule) (models.IngestResult, *parsedOptions, error) {
	// The options and the contact are checked both, so one answer names every problem.
	opts, optErr := req.createOptions.parse()
	ctx, tenant := c.Request().Context(), tenantID(c)
	if optErr == nil {
		optErr = a.checkReturnFields(ctx, tenant, opts.returnFields)
	}
	defs, err := a.Contacts.CustomFields(ctx, tenant, customNames(req.Contact)...)
	if err != nil {
		return models.IngestResult{}, nil, err
	}
	sub, err := decodeContact(req.Contact, defs, "contact.", rule)
	if err != nil {
		errs := []error{err}
		if err := a.addUnknownTerms(ctx, tenant, []map[string]json.RawMessage{req.Contact}, errs, "contact."); err != nil {
			return models.IngestResult{}, nil, err
		}
		err = errs[0]
	}
	if err := joinProblems(optErr, err); err != nil {
		return models.IngestResult{}, nil, err
	}
	opts.ingest.RequiredCustom = requiredCustom(defs)
	results, err := a.ingest(ctx, tenant, []*models.Submission{sub}, opts)
	if err != nil {
		return models.IngestResult{}, nil, err
	}
	if results[0].Err != nil {
		return models.IngestResult{}, nil, prefixFields(results[0].Err, "contact.") // e.g. contact.terms, like decodeContact's
	}
	return results[0], opts, nil
}

// createContact handles POST /public/api/V1/contact.
func (a *API) createContact(c echo.Context) error {
	var req createContactRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.Qntn.validate(); err != nil {
		return err
	}
	r, opts, err := a.createOne(c, &req, quentnIdentity)
	if err != nil {
		return err
	}
	out := map[string]any{"id": r.ID}
	if len(opts.returnFields) > 0 || req.Qntn != nil {
		contact, err := a.Contacts.GetContact(c.Request().Context(), tenantID(c), r.ID)
		if err != nil {
			return err
		}
		for k, v := range renderFields(contact, opts.returnFields) {
			out[k] = v
		}
		if u := req.Qntn.redirect(contact); u != "" {
			out["redirection_url"] = u
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (q *qntnOptions) validate() error {
	if q == nil {
		return nil
	}
	var v models.ValidationError
	for field, s := range map[string]string{"qntn.redirection_url": q.RedirectionURL, "qntn.redirection_url_confirmed": q.RedirectionURLConfirmed} {
		if s == "" {
			continue
		}
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.Add(field, "must be an http or https URL")
		}
	}
	return v.Err()
}

// redirect answers the URL the WordPress plugin should send the visitor to: the
// confirmed URL when the contact's mail is already confirmed, else the plain one, with
// first_name, family_name and mail appended when append_contact_info is set.
func (q *qntnOptions) redirect(c *models.Contact) string {
	if q == nil {
		return ""
	}
	target := q.RedirectionURL
	confirmed := c.MailStatus == models.MailStatusDoubleOptIn || c.MailStatus == models.MailStatusConfirmedManual || c.MailStatus == models.MailStatusConfirmedImport
	if confirmed && q.RedirectionURLConfirmed != "" {
		target = q.RedirectionURLConfirmed
	}
	if target == "" || !q.AppendContactInfo {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return target // validated on the way in
	}
	query := u.Query()
	query.Set("first_name", c.FirstName)
	query.Set("family_name", c.FamilyName)
	query.Set("mail", c.Mail)
	u.RawQuery = query.Encode()
	return u.String()
}

// truncatedHeader marks an answer that holds only the first of more results; the
// listing API pages through all of them.
const truncatedHeader = "X-Contacthub-Truncated"

// getContact handles GET /public/api/V1/contact/{id} and GET /public/api/V1/contact/{mail}.
// A mail answers an array, because several contacts may share an address.
func (a *API) getContact(c echo.Context) error {
	ctx, tenant := c.Request().Context(), tenantID(c)
	fields, err := a.fieldList(ctx, tenant, strings.Join(c.QueryParams()["fields"], ","))
	if err != nil {
		return err
	}
	ref, err := pathParam(c, "ref", "contact")
	if err != nil {
		return err
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		contact, err := a.Contacts.GetContact(ctx, tenant, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, renderFields(contact, fields))
	}
	if !strings.Contains(ref, "@") {
		return models.Errorf(models.ENOTFOUND, "contact %q not found: give a numeric id or a mail address", ref)
	}
	contacts, err := a.Contacts.FindContactsByMail(ctx, tenant, ref)
	if err != nil {
		return err
	}
	if len(contacts) == 0 {
		return models.Errorf(models.ENOTFOUND, "no contact with mail %s", ref)
	}
	if len(contacts) > models.MaxMailMatches {
		// The answer is an array, as Quentn's; a header says it is not all of them.
		contacts = contacts[:models.MaxMailMatches]
		c.Response().Header().Set(truncatedHeader, "true")
	}
	out := make([]map[string]any, len(contacts))
	for i, contact := range contacts {
		out[i] = renderFields(contact, fields)
	}
	return c.JSON(http.StatusOK, out)
}

// fieldList parses `fields` (a comma list); without it the Quentn defaults apply.
func (a *API) fieldList(ctx context.Context, tenant int64, param string) ([]string, error) {
	if strings.TrimSpace(param) == "" {
		return models.DefaultReadFields, nil
	}
	var out []string
	for f := range strings.SplitSeq(param, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !models.IsReadableField(f) {
			return nil, invalid("fields", fmt.Sprintf("%q is not a contact field", f))
		}
		out = append(out, f)
	}
	undefined, err := a.undefinedCustomFields(ctx, tenant, out)
	if err != nil {
		return nil, err
	}
	if len(undefined) > 0 {
		return nil, invalid("fields", fmt.Sprintf("%q is not a defined custom field", out[undefined[0]]))
	}
	return out, nil
}

// renderFields shows the named fields of a contact; id is always included.
func renderFields(c *models.Contact, fields []string) map[string]any {
	out := map[string]any{"id": c.ID}
	for _, f := range fields {
		if v, ok := c.Field(f); ok {
			out[f] = v
		}
	}
	return out
}

// updateContact handles PUT /public/api/V1/contact/{id}: a flat body of fields; every
// submitted field overwrites (send "" or null to clear one).
func (a *API) updateContact(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := decodeJSON(c, &raw); err != nil {
		return err
	}
	var returnFields []string
	if rf, ok := raw["return_fields"]; ok {
		delete(raw, "return_fields")
		opts := createOptions{}
		if err := json.Unmarshal(rf, &opts.ReturnFields); err != nil {
			return invalid("return_fields", "must be an array of field names")
		}
		parsed, err := opts.parse()
		if err != nil {
			return err
		}
		returnFields = parsed.returnFields
		if err := a.checkReturnFields(c.Request().Context(), tenantID(c), returnFields); err != nil {
			return err
		}
	}
	if len(raw) == 0 {
		return invalid("body", "send at least one field to change")
	}
	ctx, tenant := c.Request().Context(), tenantID(c)
	defs, err := a.Contacts.CustomFields(ctx, tenant, customNames(raw)...)
	if err != nil {
		return err
	}
	sub, err := models.DecodeSubmission(raw, defs, models.ForUpdate)
	if err != nil {
		errs := []error{err}
		if err := a.addUnknownTerms(ctx, tenant, []map[string]json.RawMessage{raw}, errs, ""); err != nil {
			return err
		}
		return errs[0]
	}
	contact, err := a.Contacts.UpdateContact(ctx, tenant, id, sub)
	if err != nil {
		return err
	}
	out := map[string]any{"success": true}
	if len(returnFields) > 0 {
		for k, v := range renderFields(contact, returnFields) {
			out[k] = v
		}
	}
	return c.JSON(http.StatusOK, out)
}

// deleteContact handles DELETE /public/api/V1/contact/{id}.
func (a *API) deleteContact(c echo.Context) error {
	id, err := pathID(c, "ref", "contact")
	if err != nil {
		return err
	}
	if err := a.Contacts.DeleteContact(c.Request().Context(), tenantID(c), id); err != nil {
		return err
	}
	return success(c)
}

// checkCredentials handles GET /public/api/V1/check-credentials.
func (a *API) checkCredentials(c echo.Context) error { return success(c) }

func success(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]bool{"success": true})
}

// pathID parses a numeric id path parameter naming a thing; anything else is not found.
func pathID(c echo.Context, param, thing string) (int64, error) {
	ref, err := pathParam(c, param, thing)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0, models.Errorf(models.ENOTFOUND, "%s %q not found", thing, ref)
	}
	return id, nil
}

// customNames lists the custom field names a submitted contact uses (field_<name>).
func customNames(raw map[string]json.RawMessage) []string {
	var out []string
	for k := range raw {
		if name, ok := strings.CutPrefix(k, models.CustomFieldPrefix); ok {
			out = append(out, name)
		}
	}
	return out
}
