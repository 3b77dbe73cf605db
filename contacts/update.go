package contacts

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// Update applies the submitted fields to stored contact id: every field sent
// overwrites ("" or null clears it). It returns the contact as stored afterwards;
// EINVALID naming every problem at once (unknown term ids beside the others), nothing
// written; ENOTFOUND for an unknown id; or the store's error.
func (s *Service) Update(ctx context.Context, tenant, id int64, in Input) (*models.Contact, error) {
	inputs := []Input{in}
	defs, err := s.customFields(ctx, tenant, inputs)
	if err != nil {
		return nil, err
	}
	sub, err := in.source().decode(defs, models.ForUpdate)
	if err != nil {
		errs := []error{err}
		if err := s.addUnknownTerms(ctx, tenant, inputs, errs); err != nil {
			return nil, err
		}
		return nil, errs[0]
	}
	return s.store.UpdateContact(ctx, tenant, id, sub)
}
