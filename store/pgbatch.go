package store

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/contacthub/contacthub/dedupe"
)

// Multi-row inserts of the link tables (contact_keys, contact_terms). A bulk create of
// 1,000 contacts writes about 10,000 key rows; as VALUES lists of 3 parameters a row
// Postgres spends most of the write path parsing and binding them (measured for issue
// 3, BENCHMARKS.md). On Postgres the rows therefore travel as two or three array
// parameters and are expanded by unnest; SQLite keeps GORM's multi-row VALUES.

// unnestChunk bounds one statement's arrays, keeping each parameter well below
// Postgres's 1 GB value limit and the statement's memory modest.
const unnestChunk = 50_000

// insertContactKeys stores (key, contact) pairs of one tenant; keys and contactIDs
// have the same length. With mayExist, pairs that exist are left alone; without it the
// caller guarantees none does (the keys of contacts this transaction created): a
// conflict check per row costs PostgreSQL as much again as the insert itself
// (10,000 rows: 117 ms with ON CONFLICT DO NOTHING, 69 ms without, BENCHMARKS.md).
func (s *Store) insertContactKeys(ctx context.Context, tx *gorm.DB, tenantID int64, keys []string, contactIDs []int64, mayExist bool) error {
	_, err := s.insertContactKeysCounted(ctx, tx, tenantID, keys, contactIDs, mayExist)
	return err
}

// insertContactKeysCounted is insertContactKeys, and says how many rows it added
// (with mayExist, those that were not there already).
func (s *Store) insertContactKeysCounted(ctx context.Context, tx *gorm.DB, tenantID int64, keys []string, contactIDs []int64, mayExist bool) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	onConflict := ""
	if mayExist {
		onConflict = " ON CONFLICT DO NOTHING"
	}
	if s.dialect != Postgres {
		type keyRow struct {
			TenantID  int64
			Key       string
			ContactID int64
		}
		rows := make([]keyRow, len(keys))
		for i := range keys {
			rows[i] = keyRow{tenantID, keys[i], contactIDs[i]}
		}
		q := tx.WithContext(ctx).Table("contact_keys")
		if mayExist {
			q = q.Clauses(clause.OnConflict{DoNothing: true})
		}
		res := q.CreateInBatches(rows, s.rowsPerInsert(3, 1000))
		return res.RowsAffected, translate("insert contact keys", res.Error)
	}
	var added int64
	for start := 0; start < len(keys); start += unnestChunk {
		end := min(start+unnestChunk, len(keys))
		res := tx.WithContext(ctx).Exec("INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT ?, k, c FROM unnest(?::text[], ?::bigint[]) AS u(k, c)"+
			onConflict, tenantID, pgTextArray(keys[start:end]), pgArray(contactIDs[start:end]))
		if res.Error != nil {
			return added, translate("insert contact keys", res.Error)
		}
		added += res.RowsAffected
	}
	return added, nil
}

// insertContactTerms stores (contact, term) pairs of one tenant; pairs that exist are
// left alone. contactIDs and termIDs have the same length.
func (s *Store) insertContactTerms(ctx context.Context, tx *gorm.DB, tenantID int64, contactIDs, termIDs []int64) error {
	if len(contactIDs) == 0 {
		return nil
	}
	if s.dialect != Postgres {
		type termRow struct{ TenantID, ContactID, TermID int64 }
		rows := make([]termRow, len(contactIDs))
		for i := range contactIDs {
			rows[i] = termRow{tenantID, contactIDs[i], termIDs[i]}
		}
		err := tx.WithContext(ctx).Table("contact_terms").Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, s.rowsPerInsert(3, 1000)).Error
		return translate("insert contact terms", err)
	}
	for start := 0; start < len(contactIDs); start += unnestChunk {
		end := min(start+unnestChunk, len(contactIDs))
		err := tx.WithContext(ctx).Exec("INSERT INTO contact_terms (tenant_id, contact_id, term_id) SELECT ?, c, t FROM unnest(?::bigint[], ?::bigint[]) AS u(c, t) "+
			"ON CONFLICT DO NOTHING", tenantID, pgArray(contactIDs[start:end]), pgArray(termIDs[start:end])).Error
		if err != nil {
			return translate("insert contact terms", err)
		}
	}
	return nil
}

// pgTextArray is the array literal of ss: every element double-quoted, with backslash
// and double quote escaped, so any text (commas, braces, NULL) arrives unchanged.
func pgTextArray(ss []string) string {
	var sb strings.Builder
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	sb.Grow(n)
	sb.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		if strings.ContainsAny(s, `"\`) {
			s = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
		}
		sb.WriteString(s)
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

// cappedKeyLimit reads at most dedupe.NameKeyCap+1 rows of a capped key ("m:", both
// names alone, dedupe.Capped): enough to tell a crowd (withoutCrowdedKeys drops it)
// from a few namesakes. contacthub_lock_and_find_modes (migration 00038) has the same
// limit; TestCappedNameKey holds both to NameKeyCap.
var cappedKeyLimit = "LIMIT CASE WHEN left(u.k, 2) = 'm:' THEN " + strconv.Itoa(dedupe.NameKeyCap+1) + " END"

// keyLookup selects the (key, contact_id) rows of contact_keys whose key is one of keys.
// On Postgres it probes the primary key once per key (LATERAL, kept from being
// flattened by OFFSET 0) whatever the statistics say: with a list of 1,000 keys and no
// statistics yet (a fresh table; autovacuum off or not yet run) the planner assumed the
// list matched most rows and scanned the tenant's whole contact_keys for every batch, so
// bulk create slowed to a crawl as the table grew.
func (s *Store) keyLookup(tx *gorm.DB, tenantID int64, keys []string) *gorm.DB {
	if s.dialect != Postgres {
		return tx.Table("contact_keys").Select("key, contact_id").Where("tenant_id = ? AND key IN ?", tenantID, keys)
	}
	return tx.Raw("SELECT ck.key, ck.contact_id FROM unnest(?::text[]) AS u(k) CROSS JOIN LATERAL "+
		"(SELECT key, contact_id FROM contact_keys WHERE tenant_id = ? AND key = u.k "+cappedKeyLimit+" OFFSET 0) AS ck", pgTextArray(keys), tenantID)
}
