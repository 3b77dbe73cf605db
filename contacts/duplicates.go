package contacts

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// Limits of a duplicate search.
const (
	defaultDuplicates = 10
	maxDuplicates     = 100
)

// DuplicateQuery asks which existing contacts a contact would duplicate: either
// Contact, the fields of a would-be contact (held to the native identity rule), or
// ContactID, a stored contact (which is then not its own candidate).
type DuplicateQuery struct {
	Contact   *Input
	ContactID int64
	// Limit is how many candidates to rank at most: 1 to 100, 10 when 0.
	Limit int
}

// Duplicates ranks existing contacts against the query's contact, best first, with
// each candidate's explanation, and returns the threshold a match needs. Nothing is
// written. Problems are EINVALID named as the query's fields (contact, contact_id,
// limit, contact.mail …), all at once; an unknown ContactID is ENOTFOUND.
func (s *Service) Duplicates(ctx context.Context, tenant int64, q DuplicateQuery) ([]models.DuplicateCandidate, float64, error) {
	if (q.Contact == nil) == (q.ContactID == 0) {
		return nil, 0, invalid("contact", "send either contact (fields) or contact_id")
	}
	var limitErr error
	if q.Limit == 0 {
		q.Limit = defaultDuplicates
	}
	if q.Limit < 1 || q.Limit > maxDuplicates {
		limitErr = invalid("limit", "must be between 1 and 100")
	}
	var probe *models.Contact
	if q.ContactID != 0 {
		if limitErr != nil {
			return nil, 0, limitErr
		}
		stored, err := s.store.GetContact(ctx, tenant, q.ContactID)
		if err != nil {
			return nil, 0, err
		}
		probe = stored
	} else {
		inputs := []Input{*q.Contact}
		defs, err := s.customFields(ctx, tenant, inputs)
		if err != nil {
			return nil, 0, err
		}
		sub, err := decodeNew(*q.Contact, defs, NativeIdentity)
		if err := models.JoinProblems(limitErr, models.PrefixFields(err, "contact.")); err != nil {
			return nil, 0, err
		}
		probe = sub.NewContact(tenant)
	}
	return s.store.FindDuplicates(ctx, tenant, probe, q.ContactID, q.Limit)
}
