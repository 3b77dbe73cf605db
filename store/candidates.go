package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

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
func (s *Store) lockKeys(ctx context.Context, tx *gorm.DB, tenantID int64, locks keyLocks) error {
	if s.dialect != Postgres {
		return nil
	}
	// The two-int4 form is a lock space apart from the bigint key locks.
	if len(locks.ids) > maxKeyLocks {
		err := tx.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?, ?)", ingestLockClass, int32(tenantID)).Error
		return translate("lock tenant for a batch", err)
	}
	// The function of lockAndFind with nothing to find: one place takes key locks.
	var rows []keyRow
	err := scan(tx.WithContext(ctx).Raw("SELECT key, contact_id FROM contacthub_lock_and_find_modes(?, ?, ?, ?::bigint[], ?::boolean[], '{}'::text[])",
		tenantID, ingestLockClass, int32(tenantID), pgArray(locks.ids), pgBoolArray(locks.shared)), &rows)
	return translate("lock blocking keys", err)
}

// keyLocks are a writer's key locks: advisory lock ids ascending, and for each
// whether it is taken shared. A writer locks only what its duplicate check needs
// (lockPlan).
type keyLocks struct {
	ids    []int64
	shared []bool
}

// lockModes are the locks of keys excl (exclusive) and shared: a key in both, or two
// keys whose ids collide, is locked exclusive.
func lockModes(tenantID int64, excl, shared []string) keyLocks {
	ex, sh := lockIDs(tenantID, excl), lockIDs(tenantID, shared)
	l := keyLocks{ids: make([]int64, 0, len(ex)+len(sh)), shared: make([]bool, 0, len(ex)+len(sh))}
	i, j := 0, 0
	for i < len(ex) || j < len(sh) {
		switch {
		case j == len(sh) || (i < len(ex) && ex[i] < sh[j]):
			l.ids, l.shared = append(l.ids, ex[i]), append(l.shared, false)
			i++
		case i == len(ex) || sh[j] < ex[i]:
			l.ids, l.shared = append(l.ids, sh[j]), append(l.shared, true)
			j++
		default: // the same id
			l.ids, l.shared = append(l.ids, ex[i]), append(l.shared, false)
			i, j = i+1, j+1
		}
	}
	return l
}

// lockPlan says which keys the writer of contact c (a submission's probe, with its
// store and lookup keys) locks exclusive and which shared, for its duplicate check.
//
// Two writers wait for each other only where both lock one key and one of them
// exclusive. A check must see every contact that a concurrent writer creates under a
// key it looks up; it need not wait for writers who merely share a phone number or
// an address with it. So:
//
//   - auto: exclusive the identity keys of the person — the family name's sound
//     ("f:", dedupe.FamilyKey, a lock only, never stored) and the mail keys ("e:") —
//     and shared every other key it looks up. Submissions of one person share the
//     family name's sound or a mail, so they run one after the other and the later
//     one finds the earlier one's contact (50 concurrent creates of one person make
//     one contact, also when they share only a phone and a name); colleagues under
//     one switchboard number or office address, whose names differ, run side by side.
//     Without a family name and a mail, every key it looks up is exclusive, as
//     before.
//   - email, none, external_id: exclusive the keys the check looks up (the mail key;
//     the external_id), and shared the identity keys it does not look up, so an
//     auto writer of the same person waits for it and sees its contact.
func (s *Store) lockPlan(c *models.Contact, store, lookup []string, check models.CheckMethod) (excl, shared []string) {
	ident := make([]string, 0, 3)
	if f := dedupe.FamilyKey(c.FamilyName); f != "" {
		ident = append(ident, "f:"+f)
	}
	for _, k := range store {
		if strings.HasPrefix(k, "e:") || strings.HasPrefix(k, "x:") {
			ident = append(ident, k)
		}
	}
	if check != models.CheckAuto {
		for _, k := range ident {
			if !slices.Contains(lookup, k) {
				shared = append(shared, k)
			}
		}
		return lookup, shared
	}
	if len(ident) == 0 || (len(ident) == 1 && strings.HasPrefix(ident[0], "x:")) {
		return lookup, nil
	}
	for _, k := range lookup {
		if !slices.Contains(ident, k) {
			shared = append(shared, k)
		}
	}
	return ident, shared
}

// pgBoolArray is bs as a PostgreSQL array literal.
func pgBoolArray(bs []bool) string {
	b := make([]byte, 0, 2*len(bs)+2)
	b = append(b, '{')
	for i, v := range bs {
		if i > 0 {
			b = append(b, ',')
		}
		if v {
			b = append(b, 't')
		} else {
			b = append(b, 'f')
		}
	}
	return string(append(b, '}'))
}

// lockIDs are the advisory lock ids of a tenant's keys, ascending.
func lockIDs(tenantID int64, keys []string) []int64 {
	// FNV-1a of the bytes "<tenant>\x00<key>". Every replica must derive the same
	// lock for a key, whatever version it runs, so this never changes
	// (TestLockIDsKeepTheirFormat); inline, it allocates nothing.
	const offset, prime = 14695981039346656037, 1099511628211
	seed := uint64(offset)
	for _, c := range append(strconv.AppendInt(nil, tenantID, 10), 0) {
		seed = (seed ^ uint64(c)) * prime
	}
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		h := seed
		for i := 0; i < len(k); i++ {
			h = (h ^ uint64(k[i])) * prime
		}
		ids = append(ids, int64(h))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// lockAndFind is lockKeys followed by the key rows of find, in one round trip: the
// function contacthub_lock_and_find_modes (migration 00033) takes the locks and then
// reads the rows with a fresh snapshot, so it sees what the writers it waited for
// committed. ok is false when the shape does not fit (SQLite, a big batch, many keys):
// the caller then locks and looks up separately.
func (s *Store) lockAndFind(ctx context.Context, tx *gorm.DB, tenantID int64, locks keyLocks, find []string) (rows []keyRow, ok bool, err error) {
	if s.dialect != Postgres || len(locks.ids) > maxKeyLocks || len(find) > 1000 {
		return nil, false, nil
	}
	err = scan(tx.WithContext(ctx).Raw("SELECT key, contact_id FROM contacthub_lock_and_find_modes(?, ?, ?, ?::bigint[], ?::boolean[], ?::text[])",
		tenantID, ingestLockClass, int32(tenantID), pgArray(locks.ids), pgBoolArray(locks.shared), pgTextArray(find)), &rows)
	if err != nil {
		return nil, false, translate("lock and find candidates", err)
	}
	return rows, true, nil
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
	// lookable, when set (sorted), are the only keys anything asks the pool about:
	// add files contacts under those alone (see lookOnly).
	lookable []string
}

// lookOnly makes add file contacts only under the keys some submission of the batch
// looks candidates up by (lookup), when that is not all of their keys: under the
// email check a new contact's ~18 blocking keys are written, but only its mail and
// external_id keys can be asked about, and filing it under the others was a tenth of
// a batch's allocations. The keys written are not changed by this.
func (p *candidatePool) lookOnly(lookup [][]string, check models.CheckMethod) {
	if check != models.CheckAuto {
		p.lookable = lookupUnion(lookup)
	}
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
		return cmp.Compare(a.c.ID, b.c.ID)
	})
	return out
}

func (p *candidatePool) add(w *working, keys []string) {
	for _, k := range keys {
		if p.lookable != nil {
			if _, ok := slices.BinarySearch(p.lookable, k); !ok {
				continue
			}
		}
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

// loadCandidates fetches the contacts indexed under any of the lookup keys, with their
// terms and, withHistory, their earlier versions.
//
// indexKeys are the keys the submissions will be indexed under: each candidate learns
// which of them it already has (see candidatesFrom).
func (s *Store) loadCandidates(ctx context.Context, tx *gorm.DB, tenantID int64, lookup [][]string, indexKeys []string, withHistory bool) (*candidatePool, error) {
	return s.loadCandidatesAbove(ctx, tx, tenantID, lookup, nil, indexKeys, withHistory)
}

// loadCandidatesAbove is loadCandidates where submission i's candidates are only the
// contacts with an id above above[i] (nil: all): a scan compares each pair once, from
// its smaller id, so it need not load the others — about half of them.
func (s *Store) loadCandidatesAbove(ctx context.Context, tx *gorm.DB, tenantID int64, lookup [][]string, above []int64, indexKeys []string, withHistory bool) (*candidatePool, error) {
	rows, err := s.keyRows(ctx, tx, tenantID, lookupUnion(lookup))
	if err != nil {
		return nil, err
	}
	return s.candidatesFrom(ctx, tx, tenantID, rows, lookup, above, indexKeys, withHistory)
}

// keyRows are the rows of contact_keys under keys (a capped key's cut as keyLookup
// cuts them).
func (s *Store) keyRows(ctx context.Context, tx *gorm.DB, tenantID int64, keys []string) ([]keyRow, error) {
	var rows []keyRow
	for chunk := range slices.Chunk(keys, 1000) {
		var part []keyRow
		err := scan(s.keyLookup(tx.WithContext(ctx), tenantID, chunk), &part)
		if err != nil {
			return nil, translate("find candidates", err)
		}
		rows = append(rows, part...)
	}
	return rows, nil
}

// keyRow is one row of contact_keys.
type keyRow struct {
	Key       string
	ContactID int64
}

// candidatesFrom loads the contacts behind the rows found under the submissions'
// lookup keys (lookup[i] are submission i's), at most maxCandidates per submission.
//
// Each candidate also learns which of indexKeys it is already indexed under, so that a
// merge into it records exactly the keys it adds (an undo removes those and no
// others). Where the lookup keys are all of indexKeys (auto) the rows already say so;
// otherwise (email: the lookup is the mail key alone) the candidates' own key rows are
// read by contact id — not every row under indexKeys, which for a batch of 1,000
// contacts with common names and cities would be every namesake in the tenant.
func (s *Store) candidatesFrom(ctx context.Context, tx *gorm.DB, tenantID int64, rows []keyRow, lookup [][]string, above []int64, indexKeys []string, withHistory bool) (*candidatePool, error) {
	return s.candidatesLoaded(ctx, tx, tenantID, rows, lookup, above, indexKeys, func(ids []int64) (map[int64]*working, error) {
		if s.dialect == Postgres {
			return pgCandidates(ctx, tx, tenantID, ids, withHistory)
		}
		return sqliteCandidates(ctx, tx, tenantID, ids, withHistory)
	})
}

// candidatesLoaded is candidatesFrom with the candidates loaded by load.
func (s *Store) candidatesLoaded(ctx context.Context, tx *gorm.DB, tenantID int64, rows []keyRow, lookup [][]string, above []int64, indexKeys []string, load func(ids []int64) (map[int64]*working, error)) (*candidatePool, error) {
	pool := &candidatePool{byKey: map[string][]*working{}}
	rows, crowded := withoutCrowdedKeys(rows)
	if len(rows) == 0 {
		return pool, nil
	}
	byID, err := load(candidateIDs(rows, lookup, above))
	if err != nil {
		return nil, err
	}
	// Whether a candidate has a crowded capped key is read by its id: the rows found
	// under it were cut at dedupe.NameKeyCap+1 and dropped, so they do not say. (A
	// capped key with at most NameKeyCap rows was read whole.)
	rest := missingFrom(indexKeys, lookupUnion(lookup))
	for _, k := range crowded {
		if slices.Contains(indexKeys, k) && !slices.Contains(rest, k) {
			rest = append(rest, k)
		}
	}
	if len(rest) > 0 && len(byID) > 0 {
		more, err := keyRowsOf(ctx, tx, tenantID, slices.Collect(maps.Keys(byID)), rest)
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	for _, r := range rows {
		if w := byID[r.ContactID]; w != nil && !w.keys[r.Key] {
			w.keys[r.Key] = true
			pool.byKey[r.Key] = append(pool.byKey[r.Key], w)
		}
	}
	return pool, nil
}

// withoutCrowdedKeys drops the rows of every capped key (dedupe.Capped) that more
// than dedupe.NameKeyCap contacts share: a name alone selects a person's records in
// a small tenant or under a rare name, and nobody in a crowd of namesakes. The
// lookups read at most NameKeyCap+1 rows of such a key (keyLookup, migration 00038).
func withoutCrowdedKeys(rows []keyRow) (kept []keyRow, crowded []string) {
	var count map[string]int
	for _, r := range rows {
		if dedupe.Capped(r.Key) {
			if count == nil {
				count = map[string]int{}
			}
			count[r.Key]++
		}
	}
	for k, n := range count {
		if n > dedupe.NameKeyCap {
			crowded = append(crowded, k)
		}
	}
	if crowded == nil {
		return rows, nil
	}
	return slices.DeleteFunc(rows, func(r keyRow) bool { return count[r.Key] > dedupe.NameKeyCap }), crowded
}

// pgCandidates loads the candidates in one round trip (loadCandidatesPG).
func pgCandidates(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, withHistory bool) (map[int64]*working, error) {
	contacts, history, err := loadCandidatesPG(ctx, tx, tenantID, ids, withHistory)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*working, len(contacts))
	for _, c := range contacts {
		w := &working{c: c, version: c.Version, keys: map[string]bool{}}
		images := history[c.ID]
		for i := len(images) - 1; i >= 0; i-- { // oldest first, so remember leaves the newest in front
			if err := w.rememberImage(images[i]); err != nil {
				return nil, err
			}
		}
		byID[c.ID] = w
	}
	return byID, nil
}

// sqliteCandidates loads the candidates, their terms and history with one query each
// (SQLite runs in-process: round trips cost little there).
func sqliteCandidates(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, withHistory bool) (map[int64]*working, error) {
	var contacts []*models.Contact
	for chunk := range slices.Chunk(ids, 1000) {
		var part []*models.Contact
		if err := tx.WithContext(ctx).Where(contactsByIDs, chunk, tenantID).Find(&part).Error; err != nil {
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
	return byID, nil
}

// maxCandidates is how many contacts one submission is compared with at most. A
// person's duplicate shares several blocking keys with it (name with birth date,
// with address, the mail, …); a contact that shares one key of a crowded block (a
// common name and a birth month) rarely is. Beyond this many, those sharing the
// fewest keys are left out: it bounds the work of an ingest in big tenants, where
// popular names fill the blocks (BENCHMARKS.md, issue 4).
const maxCandidates = 64

// candidateIDs are the contacts to load: for each submission those indexed under its
// lookup keys — when more than maxCandidates, the ones sharing the most keys with it
// (then the oldest) — ascending. With above, submission i's are only those with an id
// above above[i].
func candidateIDs(rows []keyRow, lookup [][]string, above []int64) []int64 {
	byKey := make(map[string][]int64)
	for _, r := range rows {
		byKey[r.Key] = append(byKey[r.Key], r.ContactID)
	}
	var ids []int64
	shared := make(map[int64]int)
	for i, keys := range lookup {
		clear(shared)
		for _, k := range keys {
			for _, id := range byKey[k] {
				if above == nil || id > above[i] {
					shared[id]++
				}
			}
		}
		mine := slices.Collect(maps.Keys(shared))
		if len(mine) > maxCandidates {
			slices.SortFunc(mine, func(a, b int64) int {
				if c := cmp.Compare(shared[b], shared[a]); c != 0 {
					return c
				}
				return cmp.Compare(a, b)
			})
			mine = mine[:maxCandidates]
		}
		ids = append(ids, mine...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
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

// rememberImage remembers an earlier state stored as JSON in a merge record.
func (w *working) rememberImage(image string) error {
	var before models.Contact
	if err := json.Unmarshal([]byte(image), &before); err != nil {
		return fmt.Errorf("store: decode merge before-image of contact %d: %w", w.c.ID, err)
	}
	w.remember(&before)
	return nil
}

// loadHistory fills the candidates' earlier versions from the before-images of their
// ingest and cluster merges that are not undone, newest first, at most maxHistory each.
func loadHistory(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, byID map[int64]*working) error {
	for chunk := range slices.Chunk(ids, 1000) {
		var rows []struct {
			ContactID     int64
			BeforeContact string
		}
		// An ingest merge keeps the contact's earlier state; a cluster merge the
		// absorbed contact's, which is as much an earlier state of the person.
		err := scan(tx.WithContext(ctx).Raw(`SELECT contact_id, before_contact FROM (
				SELECT contact_id, CASE WHEN kind = ? THEN json_extract(before_source, '$.contact') ELSE before_contact END AS before_contact,
					ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY id DESC) AS rn
				FROM merges WHERE tenant_id = ? AND contact_id IN ? AND kind IN (?, ?) AND undone_at IS NULL) h
			WHERE rn <= ? ORDER BY contact_id, rn DESC`, models.MergeKindCluster, tenantID, chunk, models.MergeKindIngest, models.MergeKindCluster, maxHistory), &rows)
		if err != nil {
			return translate("load candidate history", err)
		}
		for _, r := range rows { // oldest first, so remember leaves the newest in front
			if w := byID[r.ContactID]; w != nil {
				if err := w.rememberImage(r.BeforeContact); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// missingFrom returns the keys of want that are not in have (both sorted).
func missingFrom(want, have []string) []string {
	var out []string
	for _, k := range want {
		if _, found := slices.BinarySearch(have, k); !found {
			out = append(out, k)
		}
	}
	return out
}

// keyRowsOf reads the rows of contact_keys of the contacts ids under any of keys.
func keyRowsOf(ctx context.Context, tx *gorm.DB, tenantID int64, ids []int64, keys []string) ([]keyRow, error) {
	wanted := make(map[string]bool, len(keys))
	for _, k := range keys {
		wanted[k] = true
	}
	var out []keyRow
	for chunk := range slices.Chunk(ids, 1000) {
		var part []keyRow
		if err := scan(tx.WithContext(ctx).Table("contact_keys").Select("key, contact_id").Where(keysOfContacts, chunk, tenantID), &part); err != nil {
			return nil, translate("load candidates' keys", err)
		}
		for _, r := range part {
			if wanted[r.Key] {
				out = append(out, r)
			}
		}
	}
	return out, nil
}
