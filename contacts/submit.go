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
	d, err := s.decodeAll(ctx, tenant, inputs, o, results)
	if err != nil {
		return nil, err
	}
	if optErr != nil || len(d.subs) == 0 {
		return results, optErr
	}
	d.prepare(&opts.ingest, o)
	if o.Within != nil {
		opts.ingest.Within = func(ctx context.Context, tx *sql.Tx, written []models.IngestResult) error {
			all := slices.Clone(results)
			d.place(all, written)
			return o.Within(ctx, tx, all)
		}
	}
	opts.ingest.BeforeTx = o.BeforeTx
	written, err := s.ingest(ctx, tenant, d.subs, opts)
	if err != nil {
		return nil, err
	}
	d.place(results, written)
	s.countWritten(written)
	return results, nil
}

// decoded is a batch of inputs after decoding: the valid ones as submissions, in
// order, and each input's own problem by position (nil while every input is valid).
type decoded struct {
	subs []*models.Submission
	errs []error
	defs map[string]*models.CustomField
}

// decodeAll decodes every input against the tenant's custom fields; an input's own
// problem goes into its result (with the mail it gave), the valid ones into subs.
// Terms an invalid input names that do not exist yet are created anyway, as the
// Quentn API does (addUnknownTerms). The error is the store's, not an input's.
func (s *Service) decodeAll(ctx context.Context, tenant int64, inputs []Input, o Options, results []Result) (*decoded, error) {
	defs, err := s.customFields(ctx, tenant, inputs)
	if err != nil {
		return nil, err
	}
	d := &decoded{subs: make([]*models.Submission, 0, len(inputs)), defs: defs}
	for i, in := range inputs {
		sub, err := decodeNew(in, defs, o.Identity)
		if err != nil {
			if d.errs == nil {
				d.errs = make([]error, len(inputs))
			}
			d.errs[i] = err
			continue
		}
		d.subs = append(d.subs, sub)
		results[i].Mail = sub.Text["mail"]
	}
	if d.errs != nil {
		if err := s.addUnknownTerms(ctx, tenant, inputs, d.errs); err != nil {
			return nil, err
		}
		for i, err := range d.errs {
			if err != nil {
				results[i].Err, results[i].Mail = err, inputs[i].source().mail()
			}
		}
	}
	return d, nil
}

func (d *decoded) valid(i int) bool { return d.errs == nil || d.errs[i] == nil }

// prepare sets what the store needs beside the submissions: the required custom
// fields, and the targets of the valid inputs by their position in subs, as the
// store reads them.
func (d *decoded) prepare(ingest *models.IngestOptions, o Options) {
	ingest.RequiredCustom = requiredCustom(d.defs)
	if o.Targets != nil {
		ingest.Targets = make([]int64, 0, len(d.subs))
		for i, t := range o.Targets {
			if d.valid(i) {
				ingest.Targets = append(ingest.Targets, t)
			}
		}
	}
}

// place puts the store's outcomes (written[j] is the j-th valid input's) into the
// results by input position.
func (d *decoded) place(results []Result, written []models.IngestResult) {
	j := 0
	for i := range results {
		if d.valid(i) {
			results[i].IngestResult = written[j]
			j++
		}
	}
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
