package contacts

import (
	"context"
	"errors"
	"slices"

	"github.com/contacthub/contacthub/models"
)

// Identity says what a new contact must at least carry.
type Identity int

const (
	// QuentnIdentity: a mail, or a full postal address with both names (Quentn's rule).
	QuentnIdentity Identity = iota
	// NativeIdentity: a name, a mail or a phone (real data often lacks a mail).
	NativeIdentity
	// TargetIdentity: nothing; for submissions that change a contact named by id
	// (Options.Targets), which has its identity already (an update import, a note).
	TargetIdentity
)

// identityFields are the fields the identity rules look at.
var identityFields = []string{"mail", "first_name", "family_name", "ba_street", "ba_city", "ba_postal_code", "phone"}

func (in Input) source() source {
	if in.src == nil {
		return jsonSource(nil)
	}
	return in.src
}

// decodeNew validates one submitted contact against the tenant's custom fields and the
// identity rule. Field names in its errors are the contact's own ("mail").
func decodeNew(in Input, defs map[string]*models.CustomField, rule Identity) (*models.Submission, error) {
	src := in.source()
	sub, err := src.decode(defs, models.ForCreate)
	if err == nil {
		if err := identityProblem(sub.NewContact(0), rule); err != nil {
			return nil, err
		}
		return sub, nil
	}
	// The identity rule is asked about the fields that are valid, so one answer names
	// a missing identity beside the other problems.
	var de *models.Error
	if !errors.As(err, &de) || de.Code != models.EINVALID {
		return nil, err
	}
	valid := src.only(identityFields, func(name string) bool {
		return !slices.ContainsFunc(de.Fields, func(f models.FieldError) bool { return f.Field == name })
	})
	if src.has("mail") && !valid.has("mail") {
		return nil, err // the mail's own problem says it
	}
	if partial, perr := valid.decode(nil, models.ForCreate); perr == nil {
		return nil, models.JoinProblems(err, identityProblem(partial.NewContact(0), rule))
	}
	return nil, err
}

// identityProblem is the error of a new contact that does not carry what rule asks.
func identityProblem(c *models.Contact, rule Identity) error {
	switch {
	case rule == QuentnIdentity && !c.HasIdentity():
		return invalid("mail", "a contact needs a valid mail, or first_name, family_name, ba_street, ba_city and ba_postal_code")
	case rule == NativeIdentity && c.FirstName == "" && c.FamilyName == "" && c.Mail == "" && c.Phone == "":
		return invalid("mail", "a contact needs at least one of first_name, family_name, mail or phone")
	}
	return nil
}

// addUnknownTerms completes errs[i], the problems of inputs[i], with the term ids each
// names that the tenant does not have. The write path checks terms only for contacts
// whose other fields are valid; asking here as well lets an answer list every problem
// of a contact at once. One query serves all of them.
func (s *Service) addUnknownTerms(ctx context.Context, tenant int64, inputs []Input, errs []error) error {
	named := make([][]int64, len(errs))
	var all []int64
	for i, err := range errs {
		if models.ErrorCode(err) == models.EINVALID {
			named[i] = inputs[i].source().termIDs()
			all = append(all, named[i]...)
		}
	}
	if len(all) == 0 {
		return nil
	}
	slices.Sort(all)
	unknown, err := s.store.UnknownTerms(ctx, tenant, slices.Compact(all))
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
		withTerms.Fields = append(slices.Clip(de.Fields), models.UnknownTerms(bad))
		errs[i] = &withTerms
	}
	return nil
}

// customFields loads the tenant's custom field definitions, making sure the ones the
// inputs and names use are seen even if defined a moment ago on another replica.
func (s *Service) customFields(ctx context.Context, tenant int64, inputs []Input, names ...string) (map[string]*models.CustomField, error) {
	for _, in := range inputs {
		names = append(names, in.source().customNames()...)
	}
	return s.store.CustomFields(ctx, tenant, names...)
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

// invalid is an EINVALID error for one field.
func invalid(field, reason string) error {
	return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{{Field: field, Error: reason}}}
}
