package store

import (
	"context"

	"github.com/contacthub/contacthub/models"
)

// KnownContact answers, reading only, which existing contact sub would be merged into
// by Ingest with opts (check email or auto) when that merge would bring the contact
// nothing: no field it would fill or change, no blocking key it is not indexed under
// yet, no term or comment, and no other matching contact to join (among the candidates it
// ranks: see below). It is the question
// an inquiry from a returning customer asks — most bring what the customer already
// has — answered without Ingest's locks, merge record and new version.
//
// With the auto check and a mail, the contacts holding that mail are the only candidates
// ranked: an inquiry's customer is matched by e-mail first and by name only without one
// (seed 002). A contact with the same mail that the engine matches, and that the
// submission would leave unchanged, is the one — even where the tenant holds look-alikes
// under the submission's name, phone or address keys, which Ingest would rank too (it might
// join one into the contact or queue a pair for review). Nothing new was learned from such a
// submission, so nothing is decided about those look-alikes here; the tenant-wide scan and
// the review queue find them. Without this, a returning customer's inquiry read and ranked
// every look-alike of a grown tenant (up to 64 with their histories) to link one contact.
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
	if opts.Check == models.CheckAuto && s.engine.EmailKey(probe.Mail) != "" {
		lookup = s.lookupKeys(probe, models.CheckEmail)
	}
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
