package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/models"
)

// The review queue: pairs of contacts the duplicate engine scored between its review
// threshold and its match threshold (migration 00026). An auto submission queues the
// pairs of its contact and each such candidate after its transaction (queueDuplicates,
// from joinMatches); a person merges a pair (MergeDuplicate, an ordinary undoable
// merge) or dismisses it (DismissDuplicate). A dismissed pair is never queued again
// and never joined: MergeContacts refuses a join of a dismissed pair in its own
// transaction, with both contacts locked, and DismissDuplicate locks them too, so a
// dismissal and a join racing each other cannot both succeed.

// duplicateRow is the duplicate_pairs table.
type duplicateRow struct {
	ID          int64 `gorm:"primaryKey"`
	TenantID    int64
	ContactA    int64
	ContactB    int64
	Score       float64
	Explanation string
	Status      string
	MergeID     *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (duplicateRow) TableName() string { return "duplicate_pairs" }

func (r *duplicateRow) model() (*models.DuplicatePair, error) {
	p := &models.DuplicatePair{ID: r.ID, TenantID: r.TenantID, ContactA: r.ContactA, ContactB: r.ContactB, Score: r.Score,
		Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.MergeID != nil {
		p.MergeID = *r.MergeID
	}
	if r.Explanation != "" {
		p.Explanation = &models.Explanation{}
		if err := json.Unmarshal([]byte(r.Explanation), p.Explanation); err != nil {
			return nil, fmt.Errorf("store: decode duplicate pair %d: %w", r.ID, err)
		}
	}
	return p, nil
}

// possibleDuplicate is a pair an ingest found for the queue.
type possibleDuplicate struct {
	a, b        int64
	explanation *models.Explanation
}

// queueDuplicates records possible duplicates, each pair once: a pair already queued,
// merged or dismissed stays as it is. Each new pair writes a duplicate.found event.
func (s *Store) queueDuplicates(ctx context.Context, tenantID int64, pairs []possibleDuplicate) error {
	if len(pairs) == 0 {
		return nil
	}
	return s.retry(ctx, func(tx *gorm.DB) error {
		var evs []pendingEvent
		for _, p := range pairs {
			a, b := min(p.a, p.b), max(p.a, p.b)
			now := s.now()
			var ids []int64
			err := scanAll(tx.WithContext(ctx).Raw("INSERT INTO duplicate_pairs (tenant_id, contact_a, contact_b, score, explanation, status, created_at, updated_at) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, contact_a, contact_b) DO NOTHING RETURNING id",
				tenantID, a, b, p.explanation.Score, mustJSON(p.explanation), models.DuplicateOpen, now, now), &ids)
			if err != nil {
				return translate("queue possible duplicate", err)
			}
			if len(ids) == 1 {
				pair := &models.DuplicatePair{ID: ids[0], TenantID: tenantID, ContactA: a, ContactB: b, Score: p.explanation.Score,
					Explanation: p.explanation, Status: models.DuplicateOpen, CreatedAt: now, UpdatedAt: now}
				evs = append(evs, pendingEvent{models.EventDuplicateFound, eventData(contactwire.FromDuplicate(pair))})
			}
		}
		return s.appendEvents(ctx, tx, tenantID, evs)
	})
}

// GetDuplicate returns one pair of the review queue, ENOTFOUND when the tenant has
// no such pair.
func (s *Store) GetDuplicate(ctx context.Context, tenantID, id int64) (*models.DuplicatePair, error) {
	return getDuplicate(ctx, s.db, tenantID, id)
}

func getDuplicate(ctx context.Context, db *gorm.DB, tenantID, id int64) (*models.DuplicatePair, error) {
	var rows []duplicateRow
	if err := db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).Limit(1).Find(&rows).Error; err != nil {
		return nil, translate("get possible duplicate", err)
	}
	if len(rows) == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "possible duplicate %d not found", id)
	}
	return rows[0].model()
}

// ListDuplicates returns a page of the review queue, highest score first. Open pairs
// are listed only while both contacts exist: a contact merged or deleted since its
// pair was queued leaves the pair behind, out of sight.
func (s *Store) ListDuplicates(ctx context.Context, tenantID int64, f models.DuplicateFilter) (*models.DuplicatePage, error) {
	status := f.Status
	if status == "" {
		status = models.DuplicateOpen
	}
	q := s.db.WithContext(ctx).Where("tenant_id = ? AND status = ?", tenantID, status)
	if status == models.DuplicateOpen {
		q = q.Where("EXISTS (SELECT 1 FROM contacts c WHERE c.id = duplicate_pairs.contact_a AND c.tenant_id = duplicate_pairs.tenant_id) AND " +
			"EXISTS (SELECT 1 FROM contacts c WHERE c.id = duplicate_pairs.contact_b AND c.tenant_id = duplicate_pairs.tenant_id)")
	}
	if f.AfterID != 0 {
		q = q.Where("(score < ? OR (score = ? AND id > ?))", f.AfterScore, f.AfterScore, f.AfterID)
	}
	var rows []duplicateRow
	if err := q.Order("score DESC, id").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return nil, translate("list possible duplicates", err)
	}
	page := &models.DuplicatePage{Pairs: []*models.DuplicatePair{}, Contacts: map[int64]*models.Contact{}}
	if len(rows) > f.Limit {
		rows, page.More = rows[:f.Limit], true
	}
	var ids []int64
	for i := range rows {
		p, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		page.Pairs = append(page.Pairs, p)
		ids = append(ids, p.ContactA, p.ContactB)
	}
	cs, err := s.GetContacts(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		page.Contacts[c.ID] = c
	}
	return page, nil
}

// DismissDuplicate marks a pair "not the same person": it is never queued again, and
// a join never merges the two. Dismissing a dismissed pair is a no-op; a merged pair,
// or one of whose contacts is gone (merged into another or deleted), is ECONFLICT.
func (s *Store) DismissDuplicate(ctx context.Context, tenantID, id int64) (*models.DuplicatePair, error) {
	var out *models.DuplicatePair
	err := s.retry(ctx, func(tx *gorm.DB) error {
		p, err := getDuplicate(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		// The lock order of merges (locks.go): both contacts, then the pair. A join
		// of the two waits here, and then finds the pair dismissed.
		found, err := s.lockContacts(ctx, tx, tenantID, []int64{p.ContactA, p.ContactB}, lockUpdate)
		if err != nil {
			return err
		}
		if len(found) < 2 && p.Status == models.DuplicateOpen {
			// Merged (a join won the race, or a manual merge) or deleted: there is
			// no pair left to keep apart.
			return models.Errorf(models.ECONFLICT, "possible duplicate %d: contact %d or %d no longer exists (merged or deleted)", id, p.ContactA, p.ContactB)
		}
		now := s.now()
		res := tx.WithContext(ctx).Exec("UPDATE duplicate_pairs SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = ?",
			models.DuplicateDismissed, now, tenantID, id, models.DuplicateOpen)
		if res.Error != nil {
			return translate("dismiss possible duplicate", res.Error)
		}
		if res.RowsAffected == 0 {
			if p, err = getDuplicate(ctx, tx, tenantID, id); err != nil {
				return err
			}
			if p.Status == models.DuplicateDismissed {
				out = p
				return nil
			}
			return models.Errorf(models.ECONFLICT, "possible duplicate %d was merged (merge %s)", id, p.MergeID)
		}
		p.Status, p.UpdatedAt = models.DuplicateDismissed, now
		out = p
		return s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventDuplicateDismissed, eventData(contactwire.FromDuplicate(p))}})
	})
	return out, err
}

// MergeDuplicate merges a pair of the review queue with an ordinary merge
// (MergeContacts: undoable, a contact.merged event), into targetID, which must be one
// of the two (0: the older, contact_a). The pair is marked merged in the merge's
// transaction. A pair that is no longer open is ECONFLICT.
func (s *Store) MergeDuplicate(ctx context.Context, tenantID, id, targetID int64) (*models.MergeOutcome, *models.DuplicatePair, error) {
	p, err := s.GetDuplicate(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Status != models.DuplicateOpen {
		return nil, nil, models.Errorf(models.ECONFLICT, "possible duplicate %d is %s, not open", id, p.Status)
	}
	sourceID := p.ContactB
	switch targetID {
	case 0, p.ContactA:
		targetID = p.ContactA
	case p.ContactB:
		sourceID = p.ContactA
	default:
		return nil, nil, &models.Error{Code: models.EINVALID, Message: "invalid fields",
			Fields: []models.FieldError{{Field: "target_id", Error: fmt.Sprintf("must be one of the pair's contacts %d and %d", p.ContactA, p.ContactB)}}}
	}
	out, err := s.MergeContacts(ctx, tenantID, models.MergeRequest{TargetID: targetID, SourceID: sourceID, Source: "duplicates",
		Explanation: p.Explanation, DuplicateID: id})
	if err != nil {
		return nil, nil, err
	}
	p.Status, p.MergeID, p.UpdatedAt = models.DuplicateMerged, out.Merge.ID, out.Merge.CreatedAt
	return out, p, nil
}

// decideDuplicate is MergeContacts' part for the review queue, in its transaction with
// both contacts locked: a join of a dismissed pair is refused, the survivor inherits the
// absorbed contact's dismissals, and a merge through the queue marks its pair merged (and
// fails when it is no longer open). It returns the event to write with the merge, if any.
func (s *Store) decideDuplicate(ctx context.Context, tx *gorm.DB, tenantID int64, req models.MergeRequest, mergeID string) ([]pendingEvent, error) {
	a, b := min(req.TargetID, req.SourceID), max(req.TargetID, req.SourceID)
	if req.Kind == models.MergeKindCluster {
		var n int64
		if err := tx.WithContext(ctx).Model(&duplicateRow{}).Where("tenant_id = ? AND contact_a = ? AND contact_b = ? AND status = ?",
			tenantID, a, b, models.DuplicateDismissed).Count(&n).Error; err != nil {
			return nil, translate("check dismissed duplicates", err)
		}
		if n > 0 {
			return nil, models.Errorf(models.ECONFLICT, "contacts %d and %d were dismissed as different people", a, b)
		}
	}
	now := s.now()
	// The survivor inherits the absorbed contact's dismissals: "not the same person as
	// X" stays true of the person whichever contact holds them now, so a later join of
	// the survivor and X is refused too. (No event: nobody dismissed anything new.)
	other := "CASE WHEN contact_a = ? THEN contact_b ELSE contact_a END"
	err := tx.WithContext(ctx).Exec("INSERT INTO duplicate_pairs (tenant_id, contact_a, contact_b, score, explanation, status, created_at, updated_at) "+
		"SELECT tenant_id, CASE WHEN other < ? THEN other ELSE ? END, CASE WHEN other < ? THEN ? ELSE other END, score, explanation, ?, ?, ? "+
		"FROM (SELECT tenant_id, "+other+" AS other, score, explanation FROM duplicate_pairs "+
		"WHERE tenant_id = ? AND status = ? AND (contact_a = ? OR contact_b = ?)) d WHERE other <> ? "+
		"ON CONFLICT (tenant_id, contact_a, contact_b) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
		req.TargetID, req.TargetID, req.TargetID, req.TargetID, models.DuplicateDismissed, now, now,
		req.SourceID, tenantID, models.DuplicateDismissed, req.SourceID, req.SourceID, req.TargetID).Error
	if err != nil {
		return nil, translate("carry dismissals to the merged contact", err)
	}
	if req.DuplicateID == 0 {
		return nil, nil
	}
	res := tx.WithContext(ctx).Exec("UPDATE duplicate_pairs SET status = ?, merge_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = ? AND contact_a = ? AND contact_b = ?",
		models.DuplicateMerged, mergeID, now, tenantID, req.DuplicateID, models.DuplicateOpen, a, b)
	if res.Error != nil {
		return nil, translate("mark possible duplicate merged", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, models.Errorf(models.ECONFLICT, "possible duplicate %d is no longer open", req.DuplicateID)
	}
	p, err := getDuplicate(ctx, tx, tenantID, req.DuplicateID)
	if err != nil {
		return nil, err
	}
	return []pendingEvent{{models.EventDuplicateMerged, eventData(contactwire.FromDuplicate(p))}}, nil
}

// dismissed reports whether a and b were dismissed as a pair.
func (s *Store) dismissed(ctx context.Context, tenantID, a, b int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&duplicateRow{}).Where("tenant_id = ? AND contact_a = ? AND contact_b = ? AND status = ?",
		tenantID, min(a, b), max(a, b), models.DuplicateDismissed).Count(&n).Error
	return n > 0, translate("check dismissed duplicates", err)
}

// possibleDuplicates collects the pairs a batch's auto submissions queue for review:
// each submission's contact with every candidate it scored between the review
// threshold and the match threshold, both followed through this batch's joins.
func possibleDuplicates(results []models.IngestResult, joins [][]join, resolve func(int64) int64) []possibleDuplicate {
	var out []possibleDuplicate
	for i := range results {
		if results[i].Err != nil {
			continue
		}
		for _, j := range joins[i] {
			if j.review == nil {
				continue
			}
			a, b := resolve(j.target.c.ID), resolve(j.w.c.ID)
			if a == 0 || b == 0 || a == b || slices.ContainsFunc(out, func(p possibleDuplicate) bool { return min(p.a, p.b) == min(a, b) && max(p.a, p.b) == max(a, b) }) {
				continue
			}
			out = append(out, possibleDuplicate{a: a, b: b, explanation: j.review})
		}
	}
	return out
}
