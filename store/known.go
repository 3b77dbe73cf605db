package store

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// KnownContact answers, reading only, which existing contact sub would be merged into
// by Ingest with opts (check email or auto) when that merge would bring the contact
// nothing: no field it would fill or change, no blocking key it is not indexed under
// yet, no term or comment, and no other matching contact to join. It is the question
// an inquiry from a returning customer asks — most bring what the customer already
// has — answered without Ingest's locks, merge record and new version.
//
// ok is false for everything else (a new person, a merge that changes something, a
// check of none); the caller then runs Ingest, which locks, looks again and decides.
// The answer is a snapshot: the contact may be changed or deleted right after it, so a
// caller that stores a reference to it must hold it then (the inquiry write takes it
// FOR KEY SHARE and matches again should it be gone).
func (s *Store) KnownContact(ctx context.Context, tenantID int64, sub *models.Submission, opts models.IngestOptions) (models.IngestResult, bool, error) {
	if (opts.Check != models.CheckAuto && opts.Check != models.CheckEmail) || sub.HasTerms || sub.Comment != "" {
		return models.IngestResult{}, false, nil
	}
	probe := sub.NewContact(tenantID)
	store, lookup := s.storeKeys(probe), s.lookupKeys(probe, opts.Check)
	if len(lookup) == 0 {
		return models.IngestResult{}, false, nil
	}
	pool, err := s.loadCandidates(ctx, s.db, tenantID, [][]string{lookup}, store, opts.Check == models.CheckAuto)
	if err != nil {
		return models.IngestResult{}, false, err
	}
	target, explanation, also := s.match(s.engineFor(ctx, tenantID), probe, pool.candidates(lookup), opts.Check)
	if target == nil || len(also) > 0 || len(target.missingKeys(store)) > 0 {
		return models.IngestResult{}, false, nil
	}
	if changed := target.c.Clone().Apply(sub, opts.Merge, true); len(changed) > 0 {
		return models.IngestResult{}, false, nil
	}
	return models.IngestResult{ID: target.c.ID, Explanation: explanation}, true, nil
}
