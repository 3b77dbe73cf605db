package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

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
	if len(subs) == 1 && opts.Within == nil && opts.BeforeTx == nil && !opts.SkipExisting {
		res, ok, err := s.createIfNew(ctx, tenantID, subs[0], opts)
		if err != nil {
			return nil, err
		}
		if ok {
			s.shortcuts.Add(1)
			return []models.IngestResult{res}, nil
		}
	}
	s.transactions.Add(1)
	keys := s.keysOf(tenantID, subs, opts.Check)
	if opts.BeforeTx != nil {
		if err := opts.BeforeTx(ctx); err != nil {
			return nil, err
		}
	}
	eng := s.engineFor(ctx, tenantID)
	var results []models.IngestResult
	var joins [][]join
	run := func(tx *gorm.DB, conn *sql.Conn) error {
		var err error
		k := keys
		keys.probes = nil // a retry builds its contacts anew: the write path changes them
		results, joins, err = s.ingest(ctx, tx, conn, eng, tenantID, subs, k, opts)
		return err
	}
	var err error
	if len(subs) >= copyMin {
		err = s.retryOnConn(ctx, run)
	} else {
		err = s.retry(ctx, func(tx *gorm.DB) error { return run(tx, nil) })
	}
	if err != nil {
		return nil, err
	}
	created := 0
	for _, r := range results {
		if r.Created {
			created++
		}
	}
	s.noteWritten(created)
	s.joinMatches(ctx, eng, tenantID, results, joins, opts.Source)
	return results, nil
}

// join is another existing contact a submission matched besides the one it merged
// into (target); with review set, one it scored between the review threshold and the
// match threshold, to be queued for review with target (the submission's contact,
// created or merged into) instead of joined.
type join struct {
	target, w *working
	review    *models.Explanation
}

// joinMatches merges into each submission's contact the other contacts the
// submission also matched (auto check): it is the evidence that they are one person,
// and without it a person split early stays split (the duplicate engine compares a
// submission with contacts, never contacts with each other). But matches do not
// chain, so a join must stand on its own (dedupe.Engine.Join): the other contact must
// match the submission's contact as the batch left it, directly, and must contradict
// neither it nor any contact joined into it before in this batch. Each join is a merge
// of its own (kind cluster, undoable like a manual one, recorded with the explanation
// of that direct match), after the submission's transaction, and only of the two
// contacts as they were when it was decided: a contact changed, merged or deleted
// meanwhile, or a pair whose merge someone undid, is left as it is, and the
// submission's result stands.
func (s *Store) joinMatches(ctx context.Context, eng *dedupe.Engine, tenantID int64, results []models.IngestResult, joins [][]join, origin string) {
	absorbed := map[int64]int64{} // contact id -> the contact it was merged into (this batch)
	resolve := func(id int64) int64 {
		for absorbed[id] != 0 {
			id = absorbed[id]
		}
		return id
	}
	// The records joined into a contact in this batch: its in-memory record does not
	// show them, and a later join into it must not contradict them either.
	members := map[int64][]dedupe.Record{}
	gone := make([]bool, len(results)) // a join found a contact deleted: maybe this item's
	for i := range results {
		for _, j := range joins[i] {
			if j.review != nil {
				continue // queued below
			}
			target, other := j.target.c.ID, j.w.c.ID
			if results[i].Err != nil || other == 0 || resolve(target) != target || resolve(other) != other || other == target {
				continue // one of them was joined into a third earlier in this batch
			}
			explanation, ok := eng.Join(dedupe.Candidate{Record: recordOf(j.target.c), History: j.target.history},
				dedupe.Candidate{Record: recordOf(j.w.c), History: j.w.history}, members[target]...)
			if !ok || contradictsAny(eng, members[other], append([]dedupe.Record{recordOf(j.target.c)}, members[target]...)) {
				continue
			}
			if apart, err := s.keptApart(ctx, tenantID, target, other); err != nil || apart {
				continue
			}
			if no, err := s.dismissed(ctx, tenantID, target, other); err != nil || no {
				continue
			}
			if s.beforeJoin != nil {
				s.beforeJoin(target, other)
			}
			out, err := s.MergeContacts(ctx, tenantID, models.MergeRequest{TargetID: target, SourceID: other,
				Kind: models.MergeKindCluster, Source: origin, Explanation: explanationOf(explanation),
				TargetVersion: j.target.c.Version, SourceVersion: j.w.c.Version})
			if err != nil {
				s.logFor(ctx).Info("contact not joined to the contact a submission merged into", "tenant", tenantID,
					"contact", target, "other", other, "err", err)
				gone[i] = gone[i] || models.ErrorCode(err) == models.ENOTFOUND
				continue
			}
			j.target.c.Version = out.Merge.VersionAfter
			absorbed[other] = target
			members[target] = append(append(members[target], recordOf(j.w.c)), members[other]...)
			delete(members, other)
			results[i].Joined = append(results[i].Joined, models.JoinedContact{ContactID: other, MergeID: out.Merge.ID})
		}
	}
	if err := s.queueDuplicates(ctx, tenantID, possibleDuplicates(results, joins, resolve)); err != nil {
		s.logFor(ctx).Warn("possible duplicates not queued for review", "tenant", tenantID, "err", err)
	}
	for i := range results {
		if results[i].Err != nil || results[i].ID == 0 {
			continue
		}
		// An item whose contact was joined into another — in this batch, or by a
		// concurrent submission's join (its own join then found it gone) — answers
		// the contact that holds it now.
		id := resolve(results[i].ID)
		if gone[i] {
			if survivor, err := s.survivorOf(ctx, tenantID, id); err == nil {
				id = survivor
			}
		}
		if id != results[i].ID {
			results[i].ID, results[i].Created = id, false
		}
	}
}

// contradictsAny reports whether any of a contradicts any of b (dedupe.Engine.Contradict):
// the contacts joined into the other side of a join earlier in the batch.
func contradictsAny(eng *dedupe.Engine, a, b []dedupe.Record) bool {
	for _, x := range a {
		for _, y := range b {
			if eng.Contradict(x, y) {
				return true
			}
		}
	}
	return false
}

// working is a contact the batch reads or changes.
type working struct {
	c          *models.Contact
	isNew      bool
	version    int64 // version as loaded, for the optimistic check on update
	dirty      bool
	termsDirty bool
	// keys are the keys the contact is indexed under, newKeys those of them this batch
	// adds. A nil keys (a new contact given one sorted list of distinct keys) means
	// exactly newKeys, which are then sorted: most new contacts never need the set.
	keys    map[string]bool
	newKeys []string
	// history holds earlier versions for the auto check, newest first.
	history []dedupe.Record
}

func (w *working) addKeys(keys []string) {
	if w.keys == nil {
		if len(w.newKeys) == 0 && strictlySorted(keys) {
			w.newKeys = slices.Clone(keys)
			return
		}
		w.keys = make(map[string]bool, len(w.newKeys)+len(keys))
		for _, k := range w.newKeys {
			w.keys[k] = true
		}
	}
	for _, k := range keys {
		if !w.keys[k] {
			w.keys[k] = true
			w.newKeys = append(w.newKeys, k)
		}
	}
}

// strictlySorted reports whether keys ascend without repeats.
func strictlySorted(keys []string) bool {
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			return false
		}
	}
	return true
}

// missingKeys returns the keys of keys that w is not indexed under yet.
func (w *working) missingKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if w.keys == nil {
			if _, ok := slices.BinarySearch(w.newKeys, k); !ok {
				out = append(out, k)
			}
		} else if !w.keys[k] {
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
	conn     *sql.Conn  // the transaction's connection, for COPY (txOnConn); nil: no COPY
	touched  []*working // new and changed contacts in first-touch order
	comments []pendingComment
	merges   []*pendingMerge
	// ownEvent: the caller writes the event of this change itself (a merge of two
	// contacts, an undo); write then writes none for the contacts it touched.
	ownEvent bool
}

// submissionKeys are the blocking keys of a batch's submissions: those each is stored
// under (store), those its check looks candidates up by (lookup), and all of them.
type submissionKeys struct {
	store, lookup [][]string
	all           []string
	// locks are what the batch's checks need locked (lockPlan).
	locks keyLocks
	// probes are the submissions' new contacts the keys were computed from, for the
	// first attempt of the transaction to write (nil: ingest builds them).
	probes []*models.Contact
}

// keysOf computes the submissions' keys. It runs before the transaction (and once,
// however often the transaction is retried): normalising names and phones is most of
// the batch's Go work, and done outside it overlaps with another batch's writes
// instead of holding the tenant's ingest lock.
func (s *Store) keysOf(tenantID int64, subs []*models.Submission, check models.CheckMethod) submissionKeys {
	k := submissionKeys{store: make([][]string, len(subs)), lookup: make([][]string, len(subs)), probes: make([]*models.Contact, len(subs))}
	var excl, shared []string
	for i, sub := range subs {
		probe := sub.NewContact(tenantID)
		k.probes[i] = probe
		k.store[i] = s.storeKeys(probe)
		k.lookup[i] = s.lookupKeys(probe, check)
		k.all = append(k.all, k.store[i]...)
		e, sh := s.lockPlan(probe, k.store[i], k.lookup[i], check)
		excl, shared = append(excl, e...), append(shared, sh...)
	}
	k.locks = lockModes(tenantID, excl, shared)
	slices.Sort(k.all)
	k.all = slices.Compact(k.all)
	return k
}

func (s *Store) ingest(ctx context.Context, tx *gorm.DB, conn *sql.Conn, eng *dedupe.Engine, tenantID int64, subs []*models.Submission, keys submissionKeys, opts models.IngestOptions) ([]models.IngestResult, [][]join, error) {
	results := make([]models.IngestResult, len(subs))
	joins := make([][]join, len(subs))
	probes := make([]*models.Contact, len(subs))
	store, lookup, allKeys := keys.store, keys.lookup, keys.all
	var allTerms []int64
	for i, sub := range subs {
		if keys.probes != nil {
			probes[i] = keys.probes[i] // the first attempt: not changed yet
		} else {
			probes[i] = sub.NewContact(tenantID) // fresh per attempt: the write path changes them
		}
		allTerms = append(allTerms, sub.Terms...)
	}
	var pool *candidatePool
	rows, locked, err := s.lockAndFind(ctx, tx, tenantID, keys.locks, lookupUnion(lookup))
	if err != nil {
		return nil, nil, err
	}
	if locked {
		pool, err = s.candidatesFrom(ctx, tx, tenantID, rows, lookup, nil, allKeys, opts.Check == models.CheckAuto)
	} else if err = s.lockKeys(ctx, tx, tenantID, keys.locks); err == nil {
		pool, err = s.loadCandidates(ctx, tx, tenantID, lookup, allKeys, opts.Check == models.CheckAuto)
	}
	if err != nil {
		return nil, nil, err
	}
	targetByID, err := s.loadTargets(ctx, tx, tenantID, opts.Targets, pool, allKeys)
	if err != nil {
		return nil, nil, err
	}
	pool.lookOnly(lookup, opts.Check)
	slices.Sort(allTerms)
	missing, err := s.missingTerms(ctx, tx, tenantID, slices.Compact(allTerms))
	if err != nil {
		return nil, nil, err
	}

	b := &batch{tenantID: tenantID, conn: conn}
	touched := map[*working]bool{}
	targets := make([]*working, len(subs))
	skipped := make([]*working, len(subs)) // the contact a skipped submission matched
	for i, sub := range subs {
		if bad := intersect(sub.Terms, missing); len(bad) > 0 {
			results[i].Err = &models.Error{Code: models.EINVALID, Message: "invalid fields",
				Fields: []models.FieldError{models.UnknownTerms(bad)}}
			continue
		}
		target, explanation, also := s.match(eng, probes[i], pool.candidates(lookup[i]), opts.Check)
		if opts.Targets != nil {
			if target = targetByID[opts.Targets[i]]; target == nil {
				var v models.ValidationError
				v.Addf("id", "no contact %d in this tenant", opts.Targets[i])
				results[i].Err = v.Err()
				continue
			}
		}
		results[i].Explanation = explanation
		if err := externalIDTaken(probes[i], target, pool); err != nil {
			results[i].Err = err
			continue
		}
		if target != nil && opts.SkipExisting {
			results[i].Skipped = true
			skipped[i] = target
			continue
		}
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
			target = &working{c: probes[i], isNew: true} // keys: addKeys below
			target.c.CreatedAt, target.c.UpdatedAt = s.now(), s.now()
			target.dirty = true
			results[i].Created = true
		} else {
			before := target.c.Clone()
			changed := target.c.Apply(sub, opts.Merge, true)
			if n := len(target.c.Terms); n > models.MaxTermsPerContact {
				*target.c = *before
				results[i].Err = &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{models.TooManyTerms(n)}}
				continue
			}
			if len(changed) > 0 {
				target.remember(before)
				target.dirty = true
				target.termsDirty = target.termsDirty || slices.Contains(changed, "terms")
			}
			// Every merge leaves its own version, a merge that changed nothing too: an
			// undo is allowed only while the contact is at the version its merge left
			// (VersionAfter), and two merges sharing one would let the older be undone
			// first and the newer later, over whatever was written in between.
			target.c.Version++
			merge = &pendingMerge{w: target, m: &models.Merge{
				ID: newMergeID(), TenantID: tenantID, Kind: models.MergeKindIngest, Source: opts.Source,
				Before: before, After: target.c.Clone(), Submission: sub, AddedKeys: target.missingKeys(store[i]),
				Explanation: explanation, VersionAfter: target.c.Version, CreatedAt: s.now(),
			}}
			b.merges = append(b.merges, merge)
			results[i].MergeID = merge.m.ID
		}
		for k := range also {
			also[k].target = target // the created contact, for the review queue
		}
		joins[i] = also
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
		return nil, nil, err
	}
	for i, w := range targets {
		if w != nil { // new contacts have their ids only after the insert
			results[i].ID = w.c.ID
		}
		if w := skipped[i]; w != nil {
			results[i].ID = w.c.ID
		}
	}
	if opts.Within != nil {
		t, err := sqlTx(tx)
		if err != nil {
			return nil, nil, err
		}
		if err := opts.Within(ctx, t, results); err != nil {
			return nil, nil, err
		}
	}
	return results, joins, nil
}

// loadTargets loads the contacts that submissions must merge into (Targets) that the
// pool does not hold yet, each with the keys of allKeys it is indexed under, and
// returns every target by id (those the tenant does not have are missing).
func (s *Store) loadTargets(ctx context.Context, tx *gorm.DB, tenantID int64, targets []int64, pool *candidatePool, allKeys []string) (map[int64]*working, error) {
	if targets == nil {
		return nil, nil
	}
	byID := map[int64]*working{}
	for _, ws := range pool.byKey {
		for _, w := range ws {
			byID[w.c.ID] = w
		}
	}
	var load []int64
	for _, id := range targets {
		if id > 0 && byID[id] == nil && !slices.Contains(load, id) {
			load = append(load, id)
		}
	}
	if len(load) == 0 {
		return byID, nil
	}
	var loaded map[int64]*working
	var err error
	if s.dialect == Postgres {
		loaded, err = pgCandidates(ctx, tx, tenantID, load, false)
	} else {
		loaded, err = sqliteCandidates(ctx, tx, tenantID, load, false)
	}
	if err != nil {
		return nil, err
	}
	if len(loaded) > 0 && len(allKeys) > 0 {
		rows, err := keyRowsOf(ctx, tx, tenantID, slices.Collect(maps.Keys(loaded)), allKeys)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if w := loaded[r.ContactID]; w != nil {
				w.keys[r.Key] = true
			}
		}
	}
	maps.Copy(byID, loaded)
	return byID, nil
}

// match picks the contact a probe merges into, or nil to create one, and (auto
// check) the other candidates it also matches, to be joined to it (joinMatches).
func (s *Store) match(eng *dedupe.Engine, probe *models.Contact, cands []*working, check models.CheckMethod) (*working, *models.Explanation, []join) {
	switch check {
	case models.CheckNone:
		return nil, nil, nil
	case models.CheckExternalID:
		if probe.ExternalID == "" {
			return nil, nil, nil
		}
		for _, w := range cands {
			if w.c.ExternalID == probe.ExternalID {
				return w, nil, nil
			}
		}
		return nil, nil, nil
	case models.CheckEmail:
		key := s.engine.EmailKey(probe.Mail)
		if key == "" {
			return nil, nil, nil
		}
		for _, w := range cands { // candidates are ordered oldest first
			if s.engine.EmailKey(w.c.Mail) == key {
				return w, nil, nil
			}
		}
		return nil, nil, nil
	}
	if len(cands) == 0 {
		return nil, nil, nil
	}
	dc := make([]dedupe.Candidate, len(cands))
	for i, w := range cands {
		dc[i] = dedupe.Candidate{ID: int64(i), Record: recordOf(w.c), History: w.history}
	}
	best, ranked := eng.Best(recordOf(probe), dc)
	var target *working
	if best != nil {
		target, ranked = cands[best.ID], ranked[1:]
	}
	var also []join
	for _, r := range ranked {
		switch {
		case r.Explanation.Match: // whether it may join is decided after the batch (joinMatches)
			also = append(also, join{target: target, w: cands[r.ID]})
		case r.Explanation.Score >= eng.ReviewThreshold():
			also = append(also, join{target: target, w: cands[r.ID], review: explanationOf(r.Explanation)})
		}
	}
	if best == nil {
		return nil, explanationOf(ranked[0].Explanation), also
	}
	return target, explanationOf(best.Explanation), also
}

// explanationOf converts the engine's explanation to the domain's.
func explanationOf(e dedupe.Explanation) *models.Explanation {
	out := &models.Explanation{Score: e.Score, Threshold: e.Threshold, Match: e.Match, History: e.History, ModelVersion: e.ModelVersion, Fields: make([]models.FieldScore, len(e.Fields))}
	for i, f := range e.Fields {
		out.Fields[i] = models.FieldScore{Field: f.Field, Comparison: f.Comparison, Similarity: f.Similarity, Weight: f.Weight, History: f.History, TFAdjustment: f.TFAdjustment}
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
	if c.ExternalID != "" {
		keys = append(keys, externalIDKey(c.ExternalID))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// lookupKeys are the keys whose contacts are candidates for a check method.
// Whatever the method, a contact with the submission's external_id is a candidate:
// external_id is unique per tenant (externalIDTaken).
func (s *Store) lookupKeys(c *models.Contact, check models.CheckMethod) []string {
	var keys []string
	if c.ExternalID != "" {
		keys = append(keys, externalIDKey(c.ExternalID))
	}
	switch check {
	case models.CheckNone, models.CheckExternalID:
		return keys
	case models.CheckEmail:
		if k := s.engine.EmailKey(c.Mail); k != "" {
			keys = append(keys, "e:"+k)
		}
		return keys
	}
	return s.storeKeys(c)
}

// externalIDKey is the blocking key of a contact's external_id.
func externalIDKey(id string) string { return "x:" + id }

// externalIDTaken refuses a submission whose external_id another contact holds than
// the one it merges into (target; nil: it creates one): external_id is unique per
// tenant, and the unique index would otherwise fail the whole batch.
func externalIDTaken(probe *models.Contact, target *working, pool *candidatePool) error {
	if probe.ExternalID == "" {
		return nil
	}
	for _, w := range pool.candidates([]string{externalIDKey(probe.ExternalID)}) {
		if w == target || w.c.ExternalID != probe.ExternalID {
			continue
		}
		other := "another record of this batch"
		if w.c.ID != 0 {
			other = fmt.Sprintf("contact %d", w.c.ID)
		}
		var v models.ValidationError
		v.Addf("external_id", "%s belongs to %s (external_id is unique)", models.Quote(probe.ExternalID), other)
		return v.Err()
	}
	return nil
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
