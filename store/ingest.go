package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// MaxIngestBatch is the most contacts one Ingest call accepts.
const MaxIngestBatch = 10000

// Ingest is the one write path for contacts: every create, bulk create, import and
// inquiry customer comes through here. In one transaction it locks the blocking keys of
// all submissions (Postgres advisory locks; SQLite serialises writers), fetches the
// candidates with set-based queries, decides per item whether it matches an existing
// contact (or one created earlier in the same batch), merges or creates, and writes
// the batch with multi-row statements. Items fail one by one (Err) for unknown terms,
// missing required custom fields or a refused BeforeCreate; an error return means
// nothing was written.
func (s *Store) Ingest(ctx context.Context, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error) {
	if len(subs) > MaxIngestBatch {
		return nil, models.Errorf(models.ETOOLARGE, "at most %d contacts per call", MaxIngestBatch)
	}
	if opts.Check == "" {
		opts.Check = models.CheckAuto
	}
	if opts.Merge == "" {
		opts.Merge = models.MergeUpdateAdd
	}
	var results []models.IngestResult
	err := s.retry(ctx, func(tx *gorm.DB) error {
		var err error
		results, err = s.ingest(ctx, tx, tenantID, subs, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// working is a contact the batch reads or changes.
type working struct {
	c          *models.Contact
	isNew      bool
	version    int64 // version as loaded, for the optimistic check on update
	dirty      bool
	termsDirty bool
	keys       map[string]bool
	newKeys    []string
	// history holds earlier versions for the auto check, newest first.
	history []dedupe.Record
}

func (w *working) addKeys(keys []string) {
	for _, k := range keys {
		if !w.keys[k] {
			w.keys[k] = true
			w.newKeys = append(w.newKeys, k)
		}
	}
}

// missingKeys returns the keys of keys that w is not indexed under yet.
func (w *working) missingKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if !w.keys[k] {
			out = append(out, k)
		}
	}
	return out
}

type pendingComment struct {
	w     *working
	text  string
	merge *pendingMerge // the ingest merge that added it, if any
}

// batch collects what one transaction writes.
type batch struct {
	tenantID int64
	touched  []*working // new and changed contacts in first-touch order
	comments []pendingComment
	merges   []*pendingMerge
}

func (s *Store) ingest(ctx context.Context, tx *gorm.DB, tenantID int64, subs []*models.Submission, opts models.IngestOptions) ([]models.IngestResult, error) {
	results := make([]models.IngestResult, len(subs))
	probes := make([]*models.Contact, len(subs))
	lookup := make([][]string, len(subs))
	store := make([][]string, len(subs))
	var allKeys []string
	var allTerms []int64
	for i, sub := range subs {
		probes[i] = sub.NewContact(tenantID)
		store[i] = s.storeKeys(probes[i])
		lookup[i] = s.lookupKeys(probes[i], opts.Check)
		allKeys = append(allKeys, store[i]...)
		allTerms = append(allTerms, sub.Terms...)
	}
	slices.Sort(allKeys)
	allKeys = slices.Compact(allKeys)
	if err := s.lockKeys(ctx, tx, tenantID, allKeys); err != nil {
		return nil, err
	}
	slices.Sort(allTerms)
	missing, err := missingTerms(ctx, tx, tenantID, slices.Compact(allTerms))
	if err != nil {
		return nil, err
	}
	pool, err := s.loadCandidates(ctx, tx, tenantID, lookupUnion(lookup), opts.Check == models.CheckAuto)
	if err != nil {
		return nil, err
	}

	b := &batch{tenantID: tenantID}
	touched := map[*working]bool{}
	targets := make([]*working, len(subs))
	for i, sub := range subs {
		if bad := intersect(sub.Terms, missing); len(bad) > 0 {
			results[i].Err = &models.Error{Code: models.EINVALID, Message: "invalid fields",
				Fields: []models.FieldError{{Field: "terms", Error: fmt.Sprintf("unknown term ids %v", bad)}}}
			continue
		}
		target, explanation := s.match(probes[i], pool.candidates(lookup[i]), opts.Check)
		results[i].Explanation = explanation
		var merge *pendingMerge
		if target == nil {
			if err := checkRequired(probes[i], opts.RequiredCustom); err != nil {
				results[i].Err = err
				continue
			}
			if opts.BeforeCreate != nil {
				if err := opts.BeforeCreate(ctx, i, sub); err != nil {
					results[i].Err = err
					continue
				}
			}
			target = &working{c: probes[i], isNew: true, keys: map[string]bool{}}
			target.c.CreatedAt, target.c.UpdatedAt = s.now(), s.now()
			target.dirty = true
			results[i].Created = true
		} else {
			before := target.c.Clone()
			if changed := target.c.Apply(sub, opts.Merge, true); len(changed) > 0 {
				target.remember(before)
				target.c.Version++
				target.dirty = true
				target.termsDirty = target.termsDirty || slices.Contains(changed, "terms")
			}
			merge = &pendingMerge{w: target, m: &models.Merge{
				ID: newMergeID(), TenantID: tenantID, Kind: models.MergeKindIngest, Source: opts.Source,
				Before: before, After: target.c.Clone(), Submission: sub, AddedKeys: target.missingKeys(store[i]),
				Explanation: explanation, VersionAfter: target.c.Version, CreatedAt: s.now(),
			}}
			b.merges = append(b.merges, merge)
			results[i].MergeID = merge.m.ID
		}
		target.addKeys(store[i])
		pool.add(target, store[i])
		if !touched[target] {
			touched[target] = true
			b.touched = append(b.touched, target)
		}
		if sub.Comment != "" {
			b.comments = append(b.comments, pendingComment{w: target, text: sub.Comment, merge: merge})
		}
		targets[i] = target
	}
	if err := s.write(ctx, tx, b); err != nil {
		return nil, err
	}
	for i, w := range targets {
		if w != nil { // new contacts have their ids only after the insert
			results[i].ID = w.c.ID
		}
	}
	return results, nil
}

// match picks the contact a probe merges into, or nil to create one.
func (s *Store) match(probe *models.Contact, cands []*working, check models.CheckMethod) (*working, *models.Explanation) {
	switch check {
	case models.CheckNone:
		return nil, nil
	case models.CheckEmail:
		key := s.engine.EmailKey(probe.Mail)
		if key == "" {
			return nil, nil
		}
		for _, w := range cands { // candidates are ordered oldest first
			if s.engine.EmailKey(w.c.Mail) == key {
				return w, nil
			}
		}
		return nil, nil
	}
	if len(cands) == 0 {
		return nil, nil
	}
	dc := make([]dedupe.Candidate, len(cands))
	for i, w := range cands {
		dc[i] = dedupe.Candidate{ID: int64(i), Record: recordOf(w.c), History: w.history}
	}
	best, ranked := s.engine.Best(recordOf(probe), dc)
	if best == nil {
		return nil, explanationOf(ranked[0].Explanation)
	}
	return cands[best.ID], explanationOf(best.Explanation)
}

// explanationOf converts the engine's explanation to the domain's.
func explanationOf(e dedupe.Explanation) *models.Explanation {
	out := &models.Explanation{Score: e.Score, Threshold: e.Threshold, Match: e.Match, History: e.History, Fields: make([]models.FieldScore, len(e.Fields))}
	for i, f := range e.Fields {
		out.Fields[i] = models.FieldScore{Field: f.Field, Comparison: f.Comparison, Similarity: f.Similarity, Weight: f.Weight}
	}
	return out
}

// recordOf is the duplicate engine's view of a contact.
func recordOf(c *models.Contact) dedupe.Record {
	dob := c.DateOfBirth
	if len(dob) > 10 {
		dob = dob[:10]
	}
	return dedupe.Record{
		FirstName: c.FirstName, FamilyName: c.FamilyName, Company: c.Company,
		Mail: c.Mail, Mail2: c.Mail2, Phone: c.Phone, Phone2: c.Phone2,
		Street: c.BaStreet, Street2: c.BaStreet2, City: c.BaCity, PostalCode: c.BaPostalCode,
		State: c.BaState, Country: c.BaCountry, DateOfBirth: dob,
	}
}

// storeKeys are the keys a contact is indexed under: the engine's blocking keys and
// the e-mail key the email check looks up.
func (s *Store) storeKeys(c *models.Contact) []string {
	keys := s.engine.BlockingKeys(recordOf(c))
	if k := s.engine.EmailKey(c.Mail); k != "" {
		keys = append(keys, "e:"+k)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// lookupKeys are the keys whose contacts are candidates for a check method.
func (s *Store) lookupKeys(c *models.Contact, check models.CheckMethod) []string {
	switch check {
	case models.CheckNone:
		return nil
	case models.CheckEmail:
		if k := s.engine.EmailKey(c.Mail); k != "" {
			return []string{"e:" + k}
		}
		return nil
	}
	return s.storeKeys(c)
}

// lockKeys serialises writers that share a blocking key: on Postgres with transaction
// advisory locks taken in ascending order (so batches cannot deadlock each other); on
// SQLite the write transaction already holds the database's one write lock.
//
// Every writer first takes the tenant's ingest lock: shared when it locks at most
// maxKeyLocks keys, exclusive (and then no key locks) when it would need more. Advisory
// locks live in Postgres's shared lock table, sized max_locks_per_transaction ×
// max_connections (6,400 by default) for the whole cluster; a bulk create of 1,000
// contacts has ~10,000 keys, and four such calls at once ran it out ("out of shared
// memory", failing every session of the server). Big batches of one tenant therefore
// run one at a time, and single creates wait for the batch in progress.
func (s *Store) lockKeys(ctx context.Context, tx *gorm.DB, tenantID int64, keys []string) error {
	if s.dialect != Postgres || len(keys) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s", tenantID, k)
		ids = append(ids, int64(h.Sum64()))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	// The two-int4 form is a lock space apart from the bigint key locks.
	if len(ids) > maxKeyLocks {
		err := tx.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?, ?)", ingestLockClass, int32(tenantID)).Error
		return translate("lock tenant for a batch", err)
	}
	var n int64
	// One round trip: the uncorrelated subquery is an InitPlan behind a one-time filter,
	// so the shared tenant lock is taken before any key lock; unnest keeps the array's
	// order, so the key locks are taken ascending.
	err := tx.WithContext(ctx).Raw("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(?::bigint[]) AS k "+
		"WHERE (SELECT pg_advisory_xact_lock_shared(?, ?)) IS NOT NULL", pgArray(ids), ingestLockClass, int32(tenantID)).Scan(&n).Error
	if err == nil && n != int64(len(ids)) {
		err = fmt.Errorf("took %d of %d key locks", n, len(ids))
	}
	return translate("lock blocking keys", err)
}

// maxKeyLocks is the most key locks one transaction takes; see lockKeys.
const maxKeyLocks = 256

// ingestLockClass names contacthub's tenant ingest locks among advisory locks ("CH").
const ingestLockClass int32 = 0x4348

func pgArray(ids []int64) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprint(&sb, id)
	}
	sb.WriteByte('}')
	return sb.String()
}

// candidatePool holds the contacts a batch may merge into, by key.
type candidatePool struct {
	byKey map[string][]*working
}

func (p *candidatePool) candidates(keys []string) []*working {
	var out []*working
	seen := map[*working]bool{}
	for _, k := range keys {
		for _, w := range p.byKey[k] {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	// Oldest first: existing contacts by id, then those created in this batch.
	slices.SortStableFunc(out, func(a, b *working) int {
		switch {
		case a.isNew != b.isNew:
			if a.isNew {
				return 1
			}
			return -1
		case a.isNew:
			return 0
		}
		return int(a.c.ID - b.c.ID)
	})
	return out
}

func (p *candidatePool) add(w *working, keys []string) {
	for _, k := range keys {
		if !slices.Contains(p.byKey[k], w) {
			p.byKey[k] = append(p.byKey[k], w)
		}
	}
}

func lookupUnion(lookup [][]string) []string {
	var all []string
	for _, l := range lookup {
		all = append(all, l...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// loadCandidates fetches the contacts indexed under any of keys, with their terms and,
// withHistory, their earlier versions.
func (s *Store) loadCandidates(ctx context.Context, tx *gorm.DB, tenantID int64, keys []string, withHistory bool) (*candidatePool, error) {
	pool := &candidatePool{byKey: map[string][]*working{}}
	if len(keys) == 0 {
		return pool, nil
	}
	type row struct {
		Key       string
		ContactID int64
	}
	var rows []row
	for chunk := range slices.Chunk(keys, 1000) {
		var part []row
		err := s.keyLookup(tx.WithContext(ctx), tenantID, chunk).Scan(&part).Error
		if err != nil {
			return nil, translate("find candidates", err)
		}
		rows = append(rows, part...)
	}
	if len(rows) == 0 {
		return pool, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ContactID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var contacts []*models.Contact
	for chunk := range slices.Chunk(ids, 1000) {
		var part []*models.Contact
		if err := tx.WithContext(ctx).Where("tenant_id = ? AND id IN ?", tenantID, chunk).Find(&part).Error; err != nil {
			return nil, translate("load candidates", err)
		}
		contacts = append(contacts, part...)
	}
	if err := loadTerms(ctx, tx, tenantID, contacts); err != nil {
		return nil, err
	}
	byID := make(map[int64]*working, len(contacts))
	for _, c := range contacts {
		byID[c.ID] = &working{c: c, version: c.Version, keys: map[string]bool{}}
	}
	if withHistory {
		if err := loadHistory(ctx, tx, tenantID, ids, byID); err != nil {
			return nil, err
		}
	}
	for _, r := range rows {
		if w := byID[r.ContactID]; w != nil {
			w.keys[r.Key] = true
			pool.byKey[r.Key] = append(pool.byKey[r.Key], w)
		}
	}
	return pool, nil
}

// maxHistory is how many earlier versions of a contact the auto check compares with.
const maxHistory = 5

// remember keeps an earlier version of the contact for matching, newest first: a merge
// overwrites values (update_add), and the next submission may carry the old ones again.
func (w *working) remember(before *models.Contact) {
	r := recordOf(before)
	if r == recordOf(w.c) || slices.Contains(w.history, r) {
		return
	}
	w.history = slices.Insert(w.history, 0, r)
	if len(w.history) > maxHistory {
		w.history = w.history[:maxHistory]
	}
}

// loadHistory fills the candidates' earlier versions from the before-images of their
// ingest merges that are not undone, newest first, at most maxHistory each.
func loadHistory(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, byID map[int64]*working) error {
	for chunk := range slices.Chunk(ids, 1000) {
		var rows []struct {
			ContactID     int64
			BeforeContact string
		}
		err := tx.WithContext(ctx).Raw(`SELECT contact_id, before_contact FROM (
				SELECT contact_id, before_contact, ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY id DESC) AS rn
				FROM merges WHERE tenant_id = ? AND contact_id IN ? AND kind = ? AND undone_at IS NULL) h
			WHERE rn <= ? ORDER BY contact_id, rn DESC`, tenantID, chunk, models.MergeKindIngest, maxHistory).Scan(&rows).Error
		if err != nil {
			return translate("load candidate history", err)
		}
		for _, r := range rows { // oldest first, so remember leaves the newest in front
			var before models.Contact
			if err := json.Unmarshal([]byte(r.BeforeContact), &before); err != nil {
				return fmt.Errorf("store: decode merge before-image of contact %d: %w", r.ContactID, err)
			}
			if w := byID[r.ContactID]; w != nil {
				w.remember(&before)
			}
		}
	}
	return nil
}

// write stores a batch: new contacts with one multi-row insert, changed ones with an
// optimistic version check, then keys, terms and comments with multi-row inserts.
func (s *Store) write(ctx context.Context, tx *gorm.DB, b *batch) error {
	tx = tx.WithContext(ctx)
	var fresh []*models.Contact
	for _, w := range b.touched {
		if w.isNew {
			fresh = append(fresh, w.c)
		}
	}
	switch {
	case len(fresh) == 1 && len(b.touched) == 1 && s.dialect == Postgres:
		// The web-form case: one new contact. Contact and keys go in with one statement,
		// a round trip less on the hottest path.
		if err := insertContactWithKeys(ctx, tx, b.touched[0]); err != nil {
			return err
		}
	case len(fresh) > 0:
		if err := tx.CreateInBatches(fresh, 500).Error; err != nil {
			return translate("insert contacts", err)
		}
	}
	type keyRow struct {
		TenantID  int64
		Key       string
		ContactID int64
	}
	type termRow struct {
		TenantID, ContactID, TermID int64
	}
	var keyRows []keyRow
	var termRows []termRow
	var replaceTerms []int64
	now := s.now()
	for _, w := range b.touched {
		c := w.c
		for _, k := range w.newKeys {
			keyRows = append(keyRows, keyRow{b.tenantID, k, c.ID})
		}
		if !w.isNew && w.dirty {
			c.UpdatedAt = now
			res := tx.Model(&models.Contact{}).Where("tenant_id = ? AND id = ? AND version = ?", b.tenantID, c.ID, w.version).
				Updates(contactColumns(c))
			if res.Error != nil {
				return translate(fmt.Sprintf("update contact %d", c.ID), res.Error)
			}
			if res.RowsAffected == 0 {
				return errConcurrentChange
			}
		}
		if w.isNew || w.termsDirty {
			if !w.isNew {
				replaceTerms = append(replaceTerms, c.ID)
			}
			for _, t := range c.Terms {
				termRows = append(termRows, termRow{b.tenantID, c.ID, t})
			}
		}
	}
	for chunk := range slices.Chunk(replaceTerms, 1000) {
		if err := tx.Exec("DELETE FROM contact_terms WHERE tenant_id = ? AND contact_id IN ?", b.tenantID, chunk).Error; err != nil {
			return translate("replace contact terms", err)
		}
	}
	// Link rows go as arrays on Postgres (pgbatch.go): VALUES lists of ~10,000 key rows
	// per 1,000 contacts were the write path's main cost.
	termContacts, termIDs := make([]int64, len(termRows)), make([]int64, len(termRows))
	for i, r := range termRows {
		termContacts[i], termIDs[i] = r.ContactID, r.TermID
	}
	if err := s.insertContactTerms(ctx, tx, b.tenantID, termContacts, termIDs); err != nil {
		return err
	}
	keys, keyContacts := make([]string, len(keyRows)), make([]int64, len(keyRows))
	for i, r := range keyRows {
		keys[i], keyContacts[i] = r.Key, r.ContactID
	}
	if err := s.insertContactKeys(ctx, tx, b.tenantID, keys, keyContacts); err != nil {
		return err
	}
	if len(b.comments) > 0 {
		rows := make([]*models.Comment, len(b.comments))
		for i, pc := range b.comments {
			rows[i] = &models.Comment{TenantID: b.tenantID, ContactID: pc.w.c.ID, Comment: pc.text, CreatedAt: now, UpdatedAt: now}
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return translate("insert comments", err)
		}
		for i, pc := range b.comments {
			if pc.merge != nil {
				pc.merge.m.AddedComments = append(pc.merge.m.AddedComments, rows[i].ID)
			}
		}
	}
	if len(b.merges) > 0 {
		rows := make([]*mergeRow, len(b.merges))
		for i, pm := range b.merges {
			// Contacts created earlier in the batch have their ids only now.
			pm.m.ContactID, pm.m.Before.ID, pm.m.After.ID = pm.w.c.ID, pm.w.c.ID, pm.w.c.ID
			rows[i] = toMergeRow(pm.m)
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return translate("record merges", err)
		}
	}
	return nil
}

// insertContactWithKeys inserts a new contact and its keys in one statement (Postgres)
// and clears w.newKeys, which are then written.
func insertContactWithKeys(ctx context.Context, tx *gorm.DB, w *working) error {
	c := w.c
	cols := contactColumns(c)
	cols["tenant_id"], cols["created_at"] = c.TenantID, c.CreatedAt
	if c.ID != 0 {
		cols["id"] = c.ID // an undo brings an absorbed contact back under its old id
	}
	names := slices.Sorted(maps.Keys(cols))
	args := make([]any, 0, len(names)+2)
	for _, n := range names {
		args = append(args, cols[n])
	}
	args = append(args, c.TenantID, pgTextArray(w.newKeys))
	q := "WITH c AS (INSERT INTO contacts (" + strings.Join(names, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ") RETURNING id), " +
		"k AS (INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT ?, x, c.id FROM c, unnest(?::text[]) AS x " +
		"ON CONFLICT DO NOTHING) SELECT id FROM c"
	if err := tx.WithContext(ctx).Raw(q, args...).Scan(&c.ID).Error; err != nil {
		return translate("insert contact", err)
	}
	w.newKeys = nil
	return nil
}

// errConcurrentChange aborts a transaction whose contact was changed by another writer
// after it was read; retry runs the whole transaction again.
var errConcurrentChange = errors.New("store: contact changed concurrently")

// retry runs fn in a write transaction and repeats it a few times when it lost a race
// (optimistic version check, serialization failure or deadlock).
func (s *Store) retry(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.tx(ctx, fn)
		if !retryable(err) {
			return err
		}
		s.log.Debug("retrying write transaction", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return fmt.Errorf("store: write kept conflicting with concurrent writers: %w", err)
}

func retryable(err error) bool {
	if errors.Is(err, errConcurrentChange) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

func intersect(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func checkRequired(c *models.Contact, required []string) error {
	var v models.ValidationError
	for _, name := range required {
		if c.Custom[name] == nil {
			v.Add(models.CustomFieldPrefix+name, "is required")
		}
	}
	return v.Err()
}
