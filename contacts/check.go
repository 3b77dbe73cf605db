package contacts

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// Check is Submit's dry run: it validates the inputs as Submit does and asks the
// store, reading only, what writing the valid ones would do (store.DryRunIngest): per
// input Created, or the ID of the existing contact it would merge into (0: one an
// earlier input creates), or Err — the input's own problems and what the write path
// would refuse. Nothing is written, and the guards (spam, flood) and Within are not
// applied: an import's dry run (mode validate) counts with it.
func (s *Service) Check(ctx context.Context, tenant int64, inputs []Input, o Options) ([]Result, error) {
	opts, err := o.parse()
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(inputs))
	if len(inputs) == 0 {
		return results, nil
	}
	defs, err := s.customFields(ctx, tenant, inputs)
	if err != nil {
		return nil, err
	}
	subs := make([]*models.Submission, 0, len(inputs))
	var errs []error
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
	if len(subs) == 0 {
		return results, nil
	}
	opts.ingest.RequiredCustom = requiredCustom(defs)
	if o.Targets != nil {
		opts.ingest.Targets = make([]int64, 0, len(subs))
		for i, t := range o.Targets {
			if errs == nil || errs[i] == nil {
				opts.ingest.Targets = append(opts.ingest.Targets, t)
			}
		}
	}
	checked, err := s.store.DryRunIngest(ctx, tenant, subs, opts.ingest)
	if err != nil {
		return nil, err
	}
	j := 0
	for i := range results {
		if errs == nil || errs[i] == nil {
			results[i].IngestResult = checked[j]
			j++
		}
	}
	return results, nil
}
