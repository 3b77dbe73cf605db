package inquiries

import (
	"context"
	"errors"
	"strings"

	"github.com/contacthub/contacthub/contacts"
	"github.com/contacthub/contacthub/models"
)

// customerOptions are how an inquiry's customer is written through the contact
// service: the auto check (an equal e-mail matches; a name matches with the address
// and phone as evidence, as the duplicate engine weighs them), merged with add — an
// inquiry fills what the customer lacks and overwrites nothing a person keeps — and
// a name, mail or phone as identity. The request's guards have been applied to the
// inquiry already (Guard), so the customer write has none of its own.
var customerOptions = contacts.Options{
	DuplicateCheckMethod: "auto",
	DuplicateMergeMethod: "add",
	Identity:             contacts.NativeIdentity,
	Source:               "inquiry",
}

// matchCustomer finds or creates the customer of in's contact data (and address)
// through the contact service. A returning customer who brings nothing the contact
// lacks — the usual case — is found by a read (contacts.Service.Known) and linked
// as it is (with an e-mail, by the contacts holding it alone: matched by e-mail first);
// anyone else goes through the write path, which merges what is new into
// the customer or creates one. Concurrent calls for one new person create one
// contact: the read finds nobody for each, and the write path locks the person's
// blocking keys. It returns EINVALID naming the inquiry's fields for what the contact
// service refuses.
func (s *Service) matchCustomer(ctx context.Context, tenant int64, in *models.InquiryInput) (*models.CustomerLink, error) {
	c := in.Contact.Value
	fields := map[string]any{}
	set := func(name, value string) {
		if value != "" {
			fields[name] = value
		}
	}
	set("first_name", c.FirstName)
	set("family_name", c.FamilyName)
	set("mail", c.Email)
	set("phone", c.Phone)
	if in.Address.Has() {
		a := in.Address.Value
		set("ba_street", a.Street)
		set("ba_postal_code", a.PostalCode)
		set("ba_city", a.City)
		set("ba_country", a.Country)
	}
	input := contacts.FromValues(fields)
	known, ok, err := s.contacts.Known(ctx, tenant, input, customerOptions)
	if err != nil {
		return nil, err
	}
	if ok {
		return &models.CustomerLink{ID: known.ID, Matched: true, Explanation: known.Explanation}, nil
	}
	results, err := s.contacts.Submit(ctx, tenant, []contacts.Input{input}, customerOptions)
	if err != nil {
		return nil, err
	}
	r := results[0]
	if r.Err != nil {
		return nil, inquiryFields(r.Err)
	}
	return &models.CustomerLink{ID: r.ID, Matched: !r.Created, Explanation: r.Explanation}, nil
}

// contactFields maps the contact fields an inquiry fills to the inquiry's own names.
var contactFields = map[string]string{
	"first_name": "contact.first_name", "family_name": "contact.family_name", "mail": "contact.email", "phone": "contact.phone",
	"ba_street": "address.street", "ba_postal_code": "address.postal_code", "ba_city": "address.city", "ba_country": "address.country",
}

// inquiryFields renames the fields of the contact service's EINVALID error as the
// inquiry names them; a field the inquiry does not have (a required custom field of
// the tenant's contacts) is reported as "contact". Other errors pass unchanged.
func inquiryFields(err error) error {
	var de *models.Error
	if !errors.As(err, &de) || de.Code != models.EINVALID {
		return err
	}
	out := *de
	out.Fields = make([]models.FieldError, len(de.Fields))
	for i, f := range de.Fields {
		name, ok := contactFields[f.Field]
		if !ok {
			name = "contact"
			f.Error = "the customer cannot be created: " + strings.TrimPrefix(f.Field+": ", ": ") + f.Error + " (name an existing customer with customer_id instead)"
		}
		out.Fields[i] = models.FieldError{Field: name, Error: f.Error}
	}
	return &out
}
