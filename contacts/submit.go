package contacts

import (
	"context"
	"database/sql"
	"slices"

	"github.com/contacthub/contacthub/models"
)

// Result is the outcome for one submitted contact: the store's (ID, Created, MergeID,
// Explanation, Joined), or Err when this contact was not written.
type Result struct {
	models.IngestResult
	// Mail is the contact's mail, for an answer that names the contact by it: as
	// stored when the contact was decoded, as sent (when text) when it was not.
	Mail string
}

// Submit validates the inputs and writes the valid ones through the store's one
// write path, in one call, so duplicates among them merge with each other as they
// would across calls. It answers one result per input, in input order.
//
// A contact's own problems fail that contact only (Result.Err): EINVALID naming every
// invalid field at once (field names as the contact's, e.g. "mail"; unknown term ids
// beside the other problems; a missing identity beside them as well), EFORBIDDEN for a
// spam-listed request_ip with spam protection on, ELIMITED (with RetryAfter) beyond the
// flood limit, or the store's item error.
//
// Problems of the options (see Options; a custom field in ReturnFields that is not
// defined) fail the call: nothing is written and err is EINVALID naming them — and
// the results still hold each contact's own problems, so a door that takes one
// contact can name every problem of the request at once. For any other error (the
// store, the spam list, an unavailable flood counter as EUNAVAILABLE, the write not
// finishing within its time bound as EUNAVAILABLE) the results are nil.
func (s *Service) Submit(ctx context.Context, tenant int64, inputs []Input, o Options) ([]Result, error) {
	opts, optErr := o.parse()
	if optErr == nil {
		optErr = s.checkDefined(ctx, tenant, opts.returnFields)
		if optErr != nil && models.ErrorCode(optErr) != models.EINVALID {
			return nil, optErr
		}
	}
	results := make([]Result, len(inputs))
	if len(inputs) == 0 {
		return results, optErr
	}
	defs, err := s.customFields(ctx, tenant, inputs)
	if err != nil {
		return nil, err
	}
	subs := make([]*models.Submission, 0, len(inputs))
	var errs []error // the contacts' own problems by position, once there is one
	for i, in := range inputs {
		sub, err := decodeNew(in, defs, o.Identity)
		if err != nil {
			if errs == nil {
				errs = make([]error, len(inputs))
			}
			errs[i] = err
			continue
		}
		subs = append(subs, sub)
		results[i].Mail = sub.Text["mail"]
	}
	if errs != nil {
		if err := s.addUnknownTerms(ctx, tenant, inputs, errs); err != nil {
			return nil, err
		}
		for i, err := range errs {
			if err != nil {
				results[i].Err, results[i].Mail = err, inputs[i].source().mail()
			}
		}
	}
	if optErr != nil || len(subs) == 0 {
		return results, optErr
	}
	opts.ingest.RequiredCustom = requiredCustom(defs)
	if o.Targets != nil { // by position in subs, as the store reads them
		opts.ingest.Targets = make([]int64, 0, len(subs))
		for i, t := range o.Targets {
			if errs == nil || errs[i] == nil {
				opts.ingest.Targets = append(opts.ingest.Targets, t)
			}
		}
	}
	if o.Within != nil {
		opts.ingest.Within = func(ctx context.Context, tx *sql.Tx, written []models.IngestResult) error {
			all := slices.Clone(results)
			j := 0
			for i := range all {
				if errs == nil || errs[i] == nil {
					all[i].IngestResult = written[j]
					j++
				}
			}
			return o.Within(ctx, tx, all)
		}
	}
	written, err := s.ingest(ctx, tenant, subs, opts)
	if err != nil {
		return nil, err
	}
	j := 0 // written[j] is the outcome of the j-th valid input
	for i := range results {
		if errs == nil || errs[i] == nil {
			results[i].IngestResult = written[j]
			j++
		}
	}
	s.countWritten(written)
	return results, nil
}

// countWritten tells the WriteCounter what a Submit did.
func (s *Service) countWritten(written []models.IngestResult) {
	if s.writes == nil {
		return
	}
	var created, merged, joined int
	for _, w := range written {
		switch {
		case w.Err != nil:
			continue
		case w.Created:
			created++
		case w.MergeID != "":
			merged++
		}
		joined += len(w.Joined)
	}
	s.writes.ContactsWritten(created, merged, joined)
}
