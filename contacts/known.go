package contacts

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// Known answers, reading only, whether in is a contact the tenant already has in
// full: the existing contact Submit with o would merge in into, when that merge would
// change nothing (see the store's KnownContact). Then the result names it (ID, and
// Explanation with the auto check) and nothing needs to be written; a door that only
// needs the contact's id — an inquiry's customer — links it and skips Submit's merge
// record and new version.
//
// ok is false for a new person, a submission that brings something the contact lacks,
// an invalid submission or invalid options: Submit then decides (and reports the
// problems). The guards are not applied here: nothing is created, and a door that
// guards a request of its own does so with Guard.
func (s *Service) Known(ctx context.Context, tenant int64, in Input, o Options) (Result, bool, error) {
	opts, err := o.parse()
	if err != nil {
		return Result{}, false, nil
	}
	defs, err := s.customFields(ctx, tenant, []Input{in})
	if err != nil {
		return Result{}, false, err
	}
	sub, err := decodeNew(in, defs, o.Identity)
	if err != nil {
		if models.ErrorCode(err) == models.EINVALID {
			return Result{}, false, nil
		}
		return Result{}, false, err
	}
	r, ok, err := s.store.KnownContact(ctx, tenant, sub, opts.ingest)
	if err != nil || !ok {
		return Result{}, false, err
	}
	return Result{IngestResult: r, Mail: sub.Text["mail"]}, true, nil
}
