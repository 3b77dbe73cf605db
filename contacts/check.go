package contacts

import "context"

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
	d, err := s.decodeAll(ctx, tenant, inputs, o, results)
	if err != nil {
		return nil, err
	}
	if len(d.subs) == 0 {
		return results, nil
	}
	d.prepare(&opts.ingest, o)
	checked, err := s.store.DryRunIngest(ctx, tenant, d.subs, opts.ingest)
	if err != nil {
		return nil, err
	}
	d.place(results, checked)
	return results, nil
}
