package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// ContactStore is what the contact read handlers need from the store. Writes go
// through the ContactService.
type ContactStore interface {
	// GetContact returns ENOTFOUND for another tenant's or an unknown id.
	GetContact(ctx context.Context, tenantID, id int64) (*models.Contact, error)
	// FindContactsByMail returns up to models.MaxMailMatches+1 contacts, oldest first.
	FindContactsByMail(ctx context.Context, tenantID int64, mail string) ([]*models.Contact, error)
	DeleteContact(ctx context.Context, tenantID, id int64) error
	// GetContacts loads many contacts set-based; ids the tenant lacks are left out.
	GetContacts(ctx context.Context, tenantID int64, ids []int64) ([]*models.Contact, error)
	// ListContacts returns one page; EINVALID for a bad filter or cursor.
	ListContacts(ctx context.Context, tenantID int64, f models.ContactFilter) (*models.ContactPage, error)
}

// ContactService is the contact service (package contacts): the rules of a contact
// write, for every door. See contacts.Service for what each method returns.
type ContactService interface {
	Submit(ctx context.Context, tenant int64, inputs []contacts.Input, opts contacts.Options) ([]contacts.Result, error)
	Update(ctx context.Context, tenant, id int64, in contacts.Input) (*models.Contact, error)
	CheckReturnFields(ctx context.Context, tenant int64, fields []string) ([]string, error)
	UndefinedCustomFields(ctx context.Context, tenant int64, fields []string) ([]int, error)
	Duplicates(ctx context.Context, tenant int64, q contacts.DuplicateQuery) ([]models.DuplicateCandidate, float64, error)
}

// createOptions are the options shared by POST contact and POST contacts.
type createOptions struct {
	DuplicateCheckMethod string   `json:"duplicate_check_method"`
	DuplicateMergeMethod string   `json:"duplicate_merge_method"`
	ReturnFields         []string `json:"return_fields"`
	FloodLimit           *int     `json:"flood_limit"`
	SpamProtection       *bool    `json:"spam_protection"`
}

func (o *createOptions) options(identity contacts.Identity) contacts.Options {
	return contacts.Options{DuplicateCheckMethod: o.DuplicateCheckMethod, DuplicateMergeMethod: o.DuplicateMergeMethod,
		ReturnFields: o.ReturnFields, FloodLimit: o.FloodLimit, SpamProtection: o.SpamProtection, Identity: identity}
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

// createOne runs one submitted contact through the contact service: the part both
// create endpoints share. The options' and the contact's problems come back as one
// error, the contact's fields named as in the request ("contact.mail").
func (a *API) createOne(c echo.Context, req *createContactRequest, identity contacts.Identity) (contacts.Result, contacts.Options, error) {
	ctx, tenant := c.Request().Context(), tenantID(c)
	opts := req.createOptions.options(identity)
	if req.Contact == nil {
		_, err := a.ContactService.Submit(ctx, tenant, nil, opts) // the options' own problems
		return contacts.Result{}, opts, joinProblems(err, invalid("contact", "is required: a JSON object of contact fields"))
	}
	results, err := a.ContactService.Submit(ctx, tenant, []contacts.Input{contacts.FromJSON(req.Contact)}, opts)
	if results == nil {
		return contacts.Result{}, opts, err
	}
	if err := joinProblems(err, models.PrefixFields(results[0].Err, "contact.")); err != nil {
		return contacts.Result{}, opts, err
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
	r, opts, err := a.createOne(c, &req, contacts.QuentnIdentity)
	if err != nil {
		return err
	}
	out := map[string]any{"id": r.ID}
	if returnFields := opts.ReturnFieldList(); len(returnFields) > 0 || req.Qntn != nil {
		contact, err := a.Contacts.GetContact(c.Request().Context(), tenantID(c), r.ID)
		if err != nil {
			return err
		}
		for k, v := range renderFields(contact, returnFields) {
			out[k] = v
		}
		if u := req.Qntn.redirect(contact); u != "" {
			out["redirection_url"] = u
		}
	}
	return c.JSON(http.StatusOK, out)
}

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
// through the same contact service, but a name, mail or phone suffices; the answer
// says whether and why the contact was merged.
func (a *API) createContactNative(c echo.Context) error {
	var req createContactRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Qntn != nil {
		return invalid("qntn", "is only accepted by the Quentn endpoint /public/api/V1/contact")
	}
	r, opts, err := a.createOne(c, &req, contacts.NativeIdentity)
	if err != nil {
		return err
	}
	out := nativeCreateResponse{ID: r.ID, Created: r.Created, MergeID: r.MergeID, Explanation: r.Explanation, Joined: r.Joined}
	if r.Explanation != nil {
		out.Score = &r.Explanation.Score
	}
	if returnFields := opts.ReturnFieldList(); len(returnFields) > 0 {
		contact, err := a.Contacts.GetContact(c.Request().Context(), tenantID(c), r.ID)
		if err != nil {
			return err
		}
		out.Contact = renderFields(contact, returnFields)
	}
	status := http.StatusOK
	if r.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, out)
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
		b, err := contactwire.AppendFields(make([]byte, 0, 512), contact, fields)
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, append(b, '\n')) // as the serializer ends it
	}
	if !strings.Contains(ref, "@") {
		return models.Errorf(models.ENOTFOUND, "contact %s not found: give a numeric id or a mail address", models.Quote(ref))
	}
	contacts, err := a.Contacts.FindContactsByMail(ctx, tenant, ref)
	if err != nil {
		return err
	}
	if len(contacts) == 0 {
		return models.Errorf(models.ENOTFOUND, "no contact with mail %s", models.Excerpt(ref))
	}
	if len(contacts) > models.MaxMailMatches {
		// The answer is an array, as Quentn's; a header says it is not all of them.
		contacts = contacts[:models.MaxMailMatches]
		c.Response().Header().Set(truncatedHeader, "true")
	}
	b := append(make([]byte, 0, 256*len(contacts)), '[')
	for i, contact := range contacts {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = contactwire.AppendFields(b, contact, fields); err != nil {
			return err
		}
	}
	return c.JSONBlob(http.StatusOK, append(b, ']', '\n'))
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
			return nil, invalid("fields", models.Quote(f)+" is not a contact field")
		}
		out = append(out, f)
	}
	undefined, err := a.ContactService.UndefinedCustomFields(ctx, tenant, out)
	if err != nil {
		return nil, err
	}
	if len(undefined) > 0 {
		return nil, invalid("fields", models.Quote(out[undefined[0]])+" is not a defined custom field")
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
	ctx, tenant := c.Request().Context(), tenantID(c)
	var returnFields []string
	if rf, ok := raw["return_fields"]; ok {
		delete(raw, "return_fields")
		if err := json.Unmarshal(rf, &returnFields); err != nil {
			return invalid("return_fields", "must be an array of field names")
		}
		if returnFields, err = a.ContactService.CheckReturnFields(ctx, tenant, returnFields); err != nil {
			return err
		}
	}
	if len(raw) == 0 {
		return invalid("body", "send at least one field to change")
	}
	contact, err := a.ContactService.Update(ctx, tenant, id, contacts.FromJSON(raw))
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
		return 0, models.Errorf(models.ENOTFOUND, "%s %s not found", thing, models.Quote(ref))
	}
	return id, nil
}
