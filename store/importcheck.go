package store

import (
	"context"
	"slices"

	"github.com/contacthub/contacthub/models"
)

// What the import engine reads besides writing: the contacts an update's records name
// (FindContactIDs), and what a dry run's records would do (DryRunIngest). Neither
// writes nor locks anything.

// FindContactIDs returns the ids of the tenant's contacts with the given external ids
// (byExternal, by external_id as given) and mail addresses (byMail, by the address as
// given: the oldest contact whose address the email check takes for it, as Ingest's
// email check would pick). Values that find no contact are absent.
func (s *Store) FindContactIDs(ctx context.Context, tenantID int64, externalIDs, mails []string) (byExternal, byMail map[string]int64, err error) {
	db := s.db.WithContext(ctx)
	byExternal, byMail = map[string]int64{}, map[string]int64{}
	for part := range slices.Chunk(compactStrings(externalIDs), 500) {
		var rows []struct {
			ID         int64
			ExternalID string
		}
		if err := db.Raw("SELECT id, external_id FROM contacts WHERE tenant_id = ? AND external_id IN ?", tenantID, part).Scan(&rows).Error; err != nil {
			return nil, nil, translate("find contacts by external_id", err)
		}
		for _, r := range rows {
			byExternal[r.ExternalID] = r.ID
		}
	}
	byKey := map[string][]string{} // "e:" key -> the addresses given that have it
	for _, m := range mails {
		if k := s.engine.EmailKey(m); k != "" && !slices.Contains(byKey["e:"+k], m) {
			byKey["e:"+k] = append(byKey["e:"+k], m)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for part := range slices.Chunk(keys, 500) {
		var rows []struct {
			Key  string
			ID   int64
			Mail string
		}
		// The key finds every contact ever merged under it; the contact's mail now
		// decides, as in Ingest's email check (store.match).
		err := db.Raw("SELECT k.key, c.id, c.mail FROM contact_keys k JOIN contacts c ON c.id = k.contact_id AND c.tenant_id = k.tenant_id "+
			"WHERE k.tenant_id = ? AND k.key IN ? ORDER BY c.id", tenantID, part).Scan(&rows).Error
		if err != nil {
			return nil, nil, translate("find contacts by mail", err)
		}
		for _, r := range rows {
			if "e:"+s.engine.EmailKey(r.Mail) != r.Key {
				continue
			}
			for _, m := range byKey[r.Key] {
				if _, ok := byMail[m]; !ok {
					byMail[m] = r.ID
				}
			}
		}
	}
	return byExternal, byMail, nil
}

func compactStrings(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out
}

// DryRunIngest answers, reading only, what Ingest with opts would do with subs, in
// one snapshot and without locks: per submission Created (a new contact), or ID of the
// existing contact it would merge into (0: a contact an earlier submission of subs
// creates), or Err for what would fail it (unknown terms, a missing required custom
// field, an external_id another contact holds, a target the tenant does not have, too
// many terms). Submissions match existing contacts and each other as in Ingest;
// Within, BeforeCreate and SkipExisting are not asked. Another writer may change the
// answer right after it: it is a forecast, not a reservation.
func (s *Store) DryRunIngest(ctx context.Context, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error) {
	if len(subs) > MaxIngestBatch {
		return nil, models.Errorf(models.ETOOLARGE, "at most %d contacts per call", MaxIngestBatch)
	}
	if opts.Check == "" {
		opts.Check = models.CheckAuto
	}
	if opts.Merge == "" {
		opts.Merge = models.MergeUpdateAdd
	}
	db := s.db.WithContext(ctx)
	keys := s.dryRunKeys(tenantID, subs, opts.Check)
	pool, err := s.loadCandidates(ctx, db, tenantID, keys.lookup, keys.all, opts.Check == models.CheckAuto)
	if err != nil {
		return nil, err
	}
	targetByID, err := s.loadTargets(ctx, db, tenantID, opts.Targets, pool, keys.all)
	if err != nil {
		return nil, err
	}
	pool.lookOnly(keys.lookup, opts.Check)
	var allTerms []int64
	for _, sub := range subs {
		allTerms = append(allTerms, sub.Terms...)
	}
	slices.Sort(allTerms)
	missing, err := s.missingTerms(ctx, db, tenantID, slices.Compact(allTerms))
	if err != nil {
		return nil, err
	}
	results := make([]models.IngestResult, len(subs))
	eng := s.engineFor(ctx, tenantID)
	for i, sub := range subs {
		if bad := intersect(sub.Terms, missing); len(bad) > 0 {
			results[i].Err = &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{models.UnknownTerms(bad)}}
			continue
		}
		probe := keys.probes[i] // read-only until here; used once
		target, explanation, _ := s.match(eng, probe, pool.candidates(keys.lookup[i]), opts.Check)
		if opts.Targets != nil {
			if target = targetByID[opts.Targets[i]]; target == nil {
				var v models.ValidationError
				v.Addf("id", "no contact %d in this tenant", opts.Targets[i])
				results[i].Err = v.Err()
				continue
			}
		}
		results[i].Explanation = explanation
		if err := externalIDTaken(probe, target, pool); err != nil {
			results[i].Err = err
			continue
		}
		if target == nil {
			if err := checkRequired(probe, opts.RequiredCustom); err != nil {
				results[i].Err = err
				continue
			}
			target = &working{c: probe, isNew: true} // keys: addKeys below
			results[i].Created = true
		} else {
			// The merge is applied to the snapshot, so that later submissions match the
			// contact as this one would leave it.
			before := target.c.Clone()
			target.c.Apply(sub, opts.Merge, true)
			if n := len(target.c.Terms); n > models.MaxTermsPerContact {
				*target.c = *before
				results[i].Err = &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{models.TooManyTerms(n)}}
				continue
			}
			results[i].ID = target.c.ID
		}
		target.addKeys(keys.store[i])
		pool.add(target, keys.store[i])
	}
	return results, nil
}

// dryRunKeys are the keys DryRunIngest needs: keysOf's under the auto check, which
// compares a submission with every contact sharing any of its blocking keys. Under
// the other checks a submission is found by its lookup keys alone (mail and
// external_id), and those are all the keys of it a later submission of the batch can
// find it by (candidatePool.lookOnly): its other blocking keys — names, phonetic
// codes, parsed phone numbers, most of keysOf's work — are not computed, since a dry
// run writes none of them and locks nothing.
func (s *Store) dryRunKeys(tenantID int64, subs []*models.Submission, check models.CheckMethod) submissionKeys {
	if check == models.CheckAuto {
		return s.keysOf(tenantID, subs, check)
	}
	k := submissionKeys{store: make([][]string, len(subs)), lookup: make([][]string, len(subs)), probes: make([]*models.Contact, len(subs))}
	for i, sub := range subs {
		k.probes[i] = sub.NewContact(tenantID)
		k.lookup[i] = s.lookupKeys(k.probes[i], check)
		k.store[i] = k.lookup[i]
		k.all = append(k.all, k.lookup[i]...)
	}
	slices.Sort(k.all)
	k.all = slices.Compact(k.all)
	return k
}
