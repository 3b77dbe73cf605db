package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/contactwire"
	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// mergeRow is the merges table; snapshots are JSON text so both dialects store them alike.
type mergeRow struct {
	ID              string `gorm:"primaryKey"`
	TenantID        int64
	Kind            string
	Source          string
	ContactID       int64
	SourceContactID *int64
	BeforeContact   string
	AfterContact    string
	BeforeSource    *string
	Submission      *string
	AddedKeys       string
	AddedComments   string
	MovedComments   string
	Explanation     *string
	VersionAfter    int64
	CreatedAt       time.Time
	UndoneAt        *time.Time
}

func (mergeRow) TableName() string { return "merges" }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode merge record: %v", err)) // only domain values are encoded
	}
	return string(b)
}

func optJSON(v any, present bool) *string {
	if !present {
		return nil
	}
	s := mustJSON(v)
	return &s
}

func toMergeRow(m *models.Merge) *mergeRow {
	return &mergeRow{
		ID: m.ID, TenantID: m.TenantID, Kind: m.Kind, Source: m.Source, ContactID: m.ContactID,
		SourceContactID: m.SourceContactID, BeforeContact: mustJSON(m.Before), AfterContact: mustJSON(m.After),
		BeforeSource: optJSON(m.BeforeSource, m.BeforeSource != nil), Submission: optJSON(m.Submission, m.Submission != nil),
		AddedKeys: mustJSON(nonNil(m.AddedKeys)), AddedComments: mustJSON(nonNil(m.AddedComments)),
		MovedComments: mustJSON(nonNil(m.MovedComments)), Explanation: optJSON(m.Explanation, m.Explanation != nil),
		VersionAfter: m.VersionAfter, CreatedAt: m.CreatedAt, UndoneAt: m.UndoneAt,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (r *mergeRow) model() (*models.Merge, error) {
	m := &models.Merge{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, Source: r.Source, ContactID: r.ContactID,
		SourceContactID: r.SourceContactID, VersionAfter: r.VersionAfter, CreatedAt: r.CreatedAt, UndoneAt: r.UndoneAt}
	parts := []struct {
		text *string
		dst  any
	}{
		{&r.BeforeContact, &m.Before}, {&r.AfterContact, &m.After}, {r.BeforeSource, &m.BeforeSource},
		{r.Submission, &m.Submission}, {&r.AddedKeys, &m.AddedKeys}, {&r.AddedComments, &m.AddedComments},
		{&r.MovedComments, &m.MovedComments}, {r.Explanation, &m.Explanation},
	}
	for _, p := range parts {
		if p.text == nil || *p.text == "" {
			continue
		}
		if err := json.Unmarshal([]byte(*p.text), p.dst); err != nil {
			return nil, fmt.Errorf("store: decode merge %s: %w", r.ID, err)
		}
	}
	if m.Submission != nil {
		// Submission.Custom is a plain map, so encoding/json made its numbers float64;
		// read it again as CustomValues, which keeps integers beyond 2^53 exact (the
		// contacts' images above are CustomValues already).
		var exact struct{ Custom models.CustomValues }
		if err := json.Unmarshal([]byte(*r.Submission), &exact); err != nil {
			return nil, fmt.Errorf("store: decode merge %s submission: %w", r.ID, err)
		}
		m.Submission.Custom = exact.Custom
	}
	return m, nil
}

func newMergeID() string { return uuid.Must(uuid.NewV7()).String() }

// pendingMerge is an ingest merge waiting for its contact id and comment ids.
type pendingMerge struct {
	m *models.Merge
	w *working
}

// ListMerges returns a tenant's merges, newest first, at most limit, older than the
// merge named by before ("" for the newest).
func (s *Store) ListMerges(ctx context.Context, tenantID int64, contactID int64, before string, limit int) ([]*models.Merge, error) {
	q := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID)
	if contactID > 0 {
		q = q.Where("contact_id = ? OR source_contact_id = ?", contactID, contactID)
	}
	if before != "" {
		// v7 ids grow with time, so the id alone orders merges.
		q = q.Where("id < ?", before)
	}
	var rows []mergeRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate("list merges", err)
	}
	out := make([]*models.Merge, 0, len(rows))
	for i := range rows {
		m, err := rows[i].model()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// GetMerge returns one merge; ENOTFOUND when the tenant has none with that id.
func (s *Store) GetMerge(ctx context.Context, tenantID int64, id string) (*models.Merge, error) {
	return getMerge(ctx, s.db, tenantID, id)
}

func getMerge(ctx context.Context, db *gorm.DB, tenantID int64, id string) (*models.Merge, error) {
	var row mergeRow
	if err := db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).Take(&row).Error; err != nil {
		if models.ErrorCode(translate("", err)) == models.ENOTFOUND {
			return nil, models.Errorf(models.ENOTFOUND, "merge %s not found", models.Excerpt(id))
		}
		return nil, translate("get merge", err)
	}
	return row.model()
}

// UndoMerge reverses a merge while the surviving contact is unchanged since: the
// contact gets its before-image back (fields, terms, custom fields), comments and keys
// the merge added or moved go back, and the other side becomes a contact again (a
// manual merge's absorbed contact under its old id; an ingest merge's submission as a
// new contact). It returns ENOTFOUND, or ECONFLICT naming what changed since, or when
// the merge was already undone.
func (s *Store) UndoMerge(ctx context.Context, tenantID int64, id string) (*models.UndoResult, error) {
	var out *models.UndoResult
	err := s.retry(ctx, func(tx *gorm.DB) error {
		m, err := getMerge(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if m.UndoneAt != nil {
			return models.Errorf(models.ECONFLICT, "merge %s was already undone at %s", id, m.UndoneAt.Format(time.RFC3339))
		}
		cur, err := getContact(ctx, tx, tenantID, m.ContactID)
		if models.ErrorCode(err) == models.ENOTFOUND {
			return models.Errorf(models.ECONFLICT, "contact %d was deleted after the merge; nothing to restore", m.ContactID)
		}
		if err != nil {
			return err
		}
		if cur.Version != m.VersionAfter {
			changed := models.DiffContacts(m.After, cur)
			what := "its comments or keys"
			if len(changed) > 0 {
				what = strings.Join(changed, ", ")
			}
			return models.Errorf(models.ECONFLICT, "contact %d changed after the merge (version %d, the merge left %d; changed: %s); undo would overwrite that",
				m.ContactID, cur.Version, m.VersionAfter, what)
		}
		res := &models.UndoResult{Merge: m, ContactID: m.ContactID}
		// The contact gets back the version number of the state it returns to, so an
		// earlier merge whose after-state this is can be undone next (newest first).
		restored := m.Before.Clone()
		restored.ID, restored.TenantID, restored.Version, restored.UpdatedAt = cur.ID, tenantID, m.Before.Version, s.now()
		restored.MailKey = models.NormalizeMail(restored.Mail)
		fields, err := customFieldNames(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		keepDefined(restored.Custom, fields)
		// The contact the undo splits off again: a manual or cluster merge's absorbed
		// contact under its old id, so references to it held by other systems stay
		// valid; an ingest merge's submission as a new contact.
		var split *working
		var splitComments []int64
		switch m.Kind {
		case models.MergeKindManual, models.MergeKindCluster:
			src := m.BeforeSource.Contact.Clone() // with its version: the same state again
			src.UpdatedAt = s.now()
			split = &working{c: src, isNew: true, keys: map[string]bool{}}
			split.addKeys(m.BeforeSource.Keys)
			splitComments = m.MovedComments
		case models.MergeKindIngest:
			c := m.Submission.NewContact(tenantID)
			c.CreatedAt, c.UpdatedAt = s.now(), s.now()
			split = &working{c: c, isNew: true, keys: map[string]bool{}}
			split.addKeys(s.storeKeys(c))
			splitComments = m.AddedComments
		}
		// Every term the undo writes is locked (existingTerms) before the contact
		// (locks.go), the split contact's too; terms deleted since are dropped.
		if restored.Terms, err = s.existingTerms(ctx, tx, tenantID, restored.Terms); err != nil {
			return err
		}
		if split != nil {
			if split.c.Terms, err = s.existingTerms(ctx, tx, tenantID, split.c.Terms); err != nil {
				return err
			}
			keepDefined(split.c.Custom, fields)
		}
		if err := s.restoreContact(ctx, tx, restored, cur.Version); err != nil {
			return err
		}
		if err := deleteKeys(ctx, tx, tenantID, m.ContactID, m.AddedKeys); err != nil {
			return err
		}
		if split != nil {
			if err := s.write(ctx, tx, &batch{tenantID: tenantID, touched: []*working{split}, ownEvent: true}); err != nil {
				return err
			}
			if err := moveComments(ctx, tx, tenantID, splitComments, split.c.ID); err != nil {
				return err
			}
			res.SplitContactID = split.c.ID
		}
		undone := contactwire.Undone{V: contactwire.Version, MergeID: m.ID, Contact: contactwire.FromModel(restored)}
		if split != nil {
			undone.Restored = contactwire.FromModel(split.c)
		}
		if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{models.EventMergeUndone, eventData(undone)}}); err != nil {
			return err
		}
		now := s.now()
		// An undone ingest merge names the contact its undo split off, so the pair
		// counts as kept apart (keptApart) like an undone manual or cluster merge.
		set := map[string]any{"undone_at": now}
		if m.Kind == models.MergeKindIngest {
			set["source_contact_id"] = res.SplitContactID
		}
		if err := tx.WithContext(ctx).Model(&mergeRow{}).Where("tenant_id = ? AND id = ?", tenantID, id).Updates(set).Error; err != nil {
			return translate("mark merge undone", err)
		}
		m.UndoneAt = &now
		out = res
		return nil
	})
	return out, err
}

// restoreContact overwrites a contact's columns and terms with an image.
func (s *Store) restoreContact(ctx context.Context, tx *gorm.DB, c *models.Contact, expectVersion int64) error {
	w := &working{c: c, version: expectVersion, dirty: true, termsDirty: true, keys: map[string]bool{}}
	return s.write(ctx, tx, &batch{tenantID: c.TenantID, touched: []*working{w}, ownEvent: true})
}

// existingTerms drops ids of terms deleted since a snapshot was taken.
func (s *Store) existingTerms(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64) ([]int64, error) {
	missing, err := s.missingTerms(ctx, tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return slices.Contains(missing, id) })
	return nonNil(out), nil
}

// customFieldNames lists the tenant's custom fields as the transaction sees them (not
// the cached definitions, which another replica's delete may not have reached yet).
func customFieldNames(ctx context.Context, tx *gorm.DB, tenantID int64) ([]string, error) {
	var names []string
	if err := tx.WithContext(ctx).Model(&models.CustomField{}).Where("tenant_id = ?", tenantID).Pluck("name", &names).Error; err != nil {
		return nil, translate("load custom field names", err)
	}
	return names, nil
}

// keepDefined drops from values the custom fields deleted since a snapshot was taken:
// deleting a field removed its values from every contact, and an undo must not bring
// one back.
func keepDefined(values models.CustomValues, names []string) {
	for name := range values {
		if !slices.Contains(names, name) {
			delete(values, name)
		}
	}
}

// survivorOf follows manual and cluster merges from an absorbed contact to the
// contact that holds it now; it returns id itself when it was not absorbed.
func (s *Store) survivorOf(ctx context.Context, tenantID, id int64) (int64, error) {
	for range 16 {
		var into []int64
		err := s.db.WithContext(ctx).Model(&mergeRow{}).Where("tenant_id = ? AND source_contact_id = ? AND undone_at IS NULL", tenantID, id).
			Order("id DESC").Limit(1).Pluck("contact_id", &into).Error
		if err != nil {
			return 0, translate("follow merges", err)
		}
		if len(into) == 0 {
			return id, nil
		}
		id = into[0]
	}
	return id, nil
}

// keptApart reports whether a merge of a and b (either way) was undone: someone
// split them on purpose, and a join must not merge them again.
func (s *Store) keptApart(ctx context.Context, tenantID, a, b int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&mergeRow{}).Where("tenant_id = ? AND undone_at IS NOT NULL AND "+
		"((contact_id = ? AND source_contact_id = ?) OR (contact_id = ? AND source_contact_id = ?))", tenantID, a, b, b, a).Count(&n).Error
	if err != nil {
		return false, translate("check undone merges", err)
	}
	return n > 0, nil
}

func deleteKeys(ctx context.Context, tx *gorm.DB, tenantID, contactID int64, keys []string) error {
	for chunk := range slices.Chunk(keys, 1000) {
		if err := tx.WithContext(ctx).Exec("DELETE FROM contact_keys WHERE tenant_id = ? AND contact_id = ? AND key IN ?", tenantID, contactID, chunk).Error; err != nil {
			return translate("delete merge keys", err)
		}
	}
	return nil
}

func moveComments(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, to int64) error {
	for chunk := range slices.Chunk(ids, 1000) {
		if err := tx.WithContext(ctx).Exec("UPDATE comments SET contact_id = ? WHERE tenant_id = ? AND id IN ?", to, tenantID, chunk).Error; err != nil {
			return translate("move comments", err)
		}
	}
	return nil
}

// MergeContacts merges source into target (see models.MergeContacts for the field
// rules): the target gets the merged values, the source's comments and keys, and the
// source is deleted; the merge record keeps both before-images for UndoMerge. A dry run
// returns the result without writing. It returns ENOTFOUND for either id, EINVALID for
// a merge of a contact with itself.
func (s *Store) MergeContacts(ctx context.Context, tenantID int64, req models.MergeRequest) (*models.MergeOutcome, error) {
	if req.TargetID == req.SourceID {
		return nil, &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{{Field: "source_id", Error: "must differ from target_id"}}}
	}
	if req.DryRun {
		target, err := s.GetContact(ctx, tenantID, req.TargetID)
		if err != nil {
			return nil, err
		}
		source, err := s.GetContact(ctx, tenantID, req.SourceID)
		if err != nil {
			return nil, err
		}
		merged, changed := models.MergeContacts(target, source, req.Choices)
		return &models.MergeOutcome{Contact: merged, Changed: changed}, nil
	}
	var out *models.MergeOutcome
	err := s.retry(ctx, func(tx *gorm.DB) error {
		// Locks in the one order (locks.go): the terms the merged contact will carry
		// (as far as they can be known before the contacts are held), then both
		// contacts in id order, so no write, comment, delete or merge lands on either
		// between reading them and writing.
		var terms []int64
		if s.dialect == Postgres {
			if err := scanAll(tx.WithContext(ctx).Raw("SELECT DISTINCT term_id FROM contact_terms WHERE "+termsOfContacts,
				[]int64{req.TargetID, req.SourceID}, tenantID), &terms); err != nil {
				return translate("read terms of contacts to merge", err)
			}
			if err := s.lockTermRows(ctx, tx, tenantID, terms); err != nil {
				return err
			}
		}
		if _, err := s.lockContacts(ctx, tx, tenantID, []int64{req.TargetID, req.SourceID}, lockUpdate); err != nil {
			return err
		}
		target, err := getContact(ctx, tx, tenantID, req.TargetID)
		if err != nil {
			return err
		}
		source, err := getContact(ctx, tx, tenantID, req.SourceID)
		if err != nil {
			return err
		}
		if (req.TargetVersion != 0 && target.Version != req.TargetVersion) || (req.SourceVersion != 0 && source.Version != req.SourceVersion) {
			return models.Errorf(models.ECONFLICT, "contact %d or %d changed since the merge was decided", target.ID, source.ID)
		}
		merged, changed := models.MergeContacts(target, source, req.Choices)
		if s.dialect == Postgres && slices.ContainsFunc(merged.Terms, func(id int64) bool { return !slices.Contains(terms, id) }) {
			// A term was put on either contact between the first read and the lock:
			// locking it now, with the contacts held, would break the order.
			return errConcurrentChange
		}
		if n := len(merged.Terms); n > models.MaxTermsPerContact {
			return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{models.TooManyTerms(n)}}
		}
		merged.Version = target.Version + 1
		var sourceKeys, targetKeys []string
		if err := tx.WithContext(ctx).Table("contact_keys").Where(keysOfContact, source.ID, tenantID).Pluck("key", &sourceKeys).Error; err != nil {
			return translate("load source keys", err)
		}
		if err := tx.WithContext(ctx).Table("contact_keys").Where(keysOfContact, target.ID, tenantID).Pluck("key", &targetKeys).Error; err != nil {
			return translate("load target keys", err)
		}
		var commentIDs []int64
		if err := tx.WithContext(ctx).Model(&models.Comment{}).Where("tenant_id = ? AND contact_id = ?", tenantID, source.ID).Pluck("id", &commentIDs).Error; err != nil {
			return translate("load source comments", err)
		}
		w := &working{c: merged, version: target.Version, dirty: true, termsDirty: true, keys: map[string]bool{}}
		w.addKeys(targetKeys)
		w.newKeys = nil
		w.addKeys(sourceKeys)
		added := slices.Clone(w.newKeys)
		if err := s.write(ctx, tx, &batch{tenantID: tenantID, touched: []*working{w}, ownEvent: true}); err != nil {
			return err
		}
		if err := moveComments(ctx, tx, tenantID, commentIDs, target.ID); err != nil {
			return err
		}
		if err := s.moveInquiries(ctx, tx, tenantID, source.ID, target.ID); err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Exec("DELETE FROM contact_terms WHERE "+termsOfContact, source.ID, tenantID).Error; err != nil {
			return translate("delete absorbed contact", err)
		}
		if err := tx.WithContext(ctx).Exec("DELETE FROM contact_keys WHERE "+keysOfContact, source.ID, tenantID).Error; err != nil {
			return translate("delete absorbed contact", err)
		}
		res := tx.WithContext(ctx).Where(contactByIDVersion, source.ID, tenantID, source.Version).Delete(&models.Contact{})
		if res.Error != nil {
			return translate("delete absorbed contact", res.Error)
		}
		if res.RowsAffected == 0 {
			return errConcurrentChange
		}
		srcID := source.ID
		kind, origin := cmp.Or(req.Kind, models.MergeKindManual), cmp.Or(req.Source, "api")
		m := &models.Merge{ID: newMergeID(), TenantID: tenantID, Kind: kind, Source: origin,
			ContactID: target.ID, SourceContactID: &srcID, Before: target, After: merged,
			BeforeSource: &models.ContactImage{Contact: source, Keys: sourceKeys}, AddedKeys: added,
			MovedComments: commentIDs, Explanation: req.Explanation, VersionAfter: merged.Version, CreatedAt: s.now()}
		if err := tx.WithContext(ctx).Create(toMergeRow(m)).Error; err != nil {
			return translate("record merge", err)
		}
		reviewed, err := s.decideDuplicate(ctx, tx, tenantID, models.MergeRequest{TargetID: target.ID, SourceID: srcID, Kind: kind, DuplicateID: req.DuplicateID}, m.ID)
		if err != nil {
			return err
		}
		merge := contactwire.Merged{V: contactwire.Version, MergeID: m.ID, Kind: kind, Contact: contactwire.FromModel(merged), MergedID: srcID}
		if err := s.appendEvents(ctx, tx, tenantID, append([]pendingEvent{{models.EventContactMerged, eventData(merge)}}, reviewed...)); err != nil {
			return err
		}
		out = &models.MergeOutcome{Contact: merged, Changed: changed, Merge: m}
		return nil
	})
	return out, err
}

// FindDuplicates ranks the tenant's contacts that share a blocking key with probe,
// best first, without writing anything. excludeID leaves one contact out (the probe
// itself when it is stored).
func (s *Store) FindDuplicates(ctx context.Context, tenantID int64, probe *models.Contact, excludeID int64, limit int) ([]models.DuplicateCandidate, float64, error) {
	keys := s.storeKeys(probe)
	pool, err := s.loadCandidates(ctx, s.db, tenantID, [][]string{keys}, nil, true)
	if err != nil {
		return nil, 0, err
	}
	cands := pool.candidates(keys)
	dc := make([]dedupe.Candidate, 0, len(cands))
	byID := map[int64]*models.Contact{}
	for _, w := range cands {
		if w.c.ID == excludeID {
			continue
		}
		dc = append(dc, dedupe.Candidate{ID: w.c.ID, Record: recordOf(w.c), History: w.history})
		byID[w.c.ID] = w.c
	}
	eng := s.engineFor(ctx, tenantID)
	_, ranked := eng.Best(recordOf(probe), dc)
	out := make([]models.DuplicateCandidate, 0, min(len(ranked), limit))
	for _, r := range ranked {
		if len(out) == limit {
			break
		}
		out = append(out, models.DuplicateCandidate{Contact: byID[r.ID], Explanation: *explanationOf(r.Explanation)})
	}
	return out, eng.Threshold(), nil
}
