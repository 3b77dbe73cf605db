package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/contacthub/contacthub/dedupe"
	"github.com/contacthub/contacthub/models"
)

// SetBeforeJoin lets the tests of package store_test put a write between a join's
// decision and its merge (see Store.beforeJoin). Set it while no ingest runs.
func SetBeforeJoin(s *Store, f func(target, other int64)) { s.beforeJoin = f }

// The by-id conditions of byid.go, for the plan test.
const (
	ContactByID      = contactByID
	ContactsByIDs    = contactsByIDs
	KeysOfContact    = keysOfContact
	KeysOfContacts   = keysOfContacts
	ContactsWithMail = contactsWithMail
	TermsOfContact   = termsOfContact
	TermsOfContacts  = termsOfContacts
)

// SetSearchWalk shortens the id walk of a word search (see searchByWords) so a test
// can cross it with a few contacts; it returns the restore. Not for parallel tests.
func SetSearchWalk(n int) (restore func()) {
	old := searchWalk
	searchWalk = n
	return func() { searchWalk = old }
}

// PageSQL is the statement ListContacts sends for the first page of f when f has no
// words to search, with its arguments, for plan tests.
func PageSQL(s *Store, tenantID int64, f models.ContactFilter) (string, []any) {
	var rows []*models.Contact
	q := s.pageQuery(s.db.Session(&gorm.Session{DryRun: true}), tenantID, f, cursor{})
	stmt := q.Order("contacts.id").Limit(101).Find(&rows).Statement
	return stmt.SQL.String(), stmt.Vars
}

// AppendEventHeld writes one event of type typ with data in a transaction of its own
// and keeps that transaction open for hold before it commits: a writer that takes its
// position early and commits late, as concurrent writers do.
func AppendEventHeld(ctx context.Context, s *Store, tenantID int64, typ string, data []byte, hold time.Duration) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.appendEvents(ctx, tx, tenantID, []pendingEvent{{typ, data}}); err != nil {
			return err
		}
		time.Sleep(hold)
		return nil
	})
}

// TenantTables names the tables DeleteTenant empties.
func TenantTables() []string {
	names := make([]string, len(tenantTables))
	for i, t := range tenantTables {
		names[i] = t.name
	}
	return names
}

// GetContactGorm is GetContact's general path (gorm, two queries), which SQLite and
// transactions use, for comparing with the PostgreSQL read of getone.go.
func GetContactGorm(ctx context.Context, s *Store, tenantID, id int64) (*models.Contact, error) {
	return getContact(ctx, s.db, tenantID, id)
}

// ScanReference is what a scan's batch of the limit contacts after id last finds, by
// the path scans took before they read narrow rows and kept prepared records between
// batches: whole rows, the batch's candidates loaded with their terms and history, each
// contact compared by Engine.Best. It returns the pairs (smaller id first) scoring from
// the review threshold up, with their scores.
func ScanReference(ctx context.Context, s *Store, tenantID, last int64, limit int) (map[[2]int64]float64, error) {
	var batch []*models.Contact
	if err := s.db.WithContext(ctx).Where("tenant_id = ? AND id > ?", tenantID, last).Order("id").Limit(limit).Find(&batch).Error; err != nil {
		return nil, err
	}
	eng := s.engineFor(ctx, tenantID)
	lookup := make([][]string, len(batch))
	above := make([]int64, len(batch))
	for i, c := range batch {
		lookup[i], above[i] = s.lookupKeys(c, models.CheckAuto), c.ID
	}
	pool, err := s.loadCandidatesAbove(ctx, s.db, tenantID, lookup, above, nil, true)
	if err != nil {
		return nil, err
	}
	out := map[[2]int64]float64{}
	for i, c := range batch {
		var dc []dedupe.Candidate
		for _, w := range pool.candidates(lookup[i]) {
			if w.c.ID > c.ID {
				dc = append(dc, dedupe.Candidate{ID: w.c.ID, Record: recordOf(w.c), History: w.history})
			}
		}
		_, ranked := eng.Best(recordOf(c), dc)
		for _, r := range ranked {
			if r.Explanation.Score >= eng.ReviewThreshold() {
				out[[2]int64{c.ID, r.ID}] = r.Explanation.Score
			}
		}
	}
	return out, nil
}

// SetScanPart sets how many contacts of a scan's batch are read together.
func SetScanPart(n int) (restore func()) {
	old := scanPart
	scanPart = n
	return func() { scanPart = old }
}
